"""Downloads for one period: KPI results and item summaries as CSV and XLSX, the raw responses per
questionnaire and the half-year report as PDF (the charts are served by kpi.py).

Every file is made by services.reports, exports or report_pdf, so what those suppress stays suppressed;
every download is audited with who took which file of which period."""

import contextvars
from collections.abc import Iterator

from flask import Response, abort, current_app, render_template
from flask_login import current_user

from .. import exports, periods
from ..auth import role_required
from ..periods import Period
from ..questionnaires import Questionnaire
from ..services import audit
from ..services.kpi_catalogue import catalogue
from ..services.questionnaires import in_force
from ..services.reports import GROUPS, item_summaries, kpi_results, periods_for
from . import bp
from .dashboard import period_choices, selected_period
from .kpi import CHART_TYPES

CSV_TYPE = "text/csv"  # Flask adds "; charset=utf-8" to a text type
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# CSV dialect → (file name suffix, audit name): "dutch" is for Excel with Dutch settings (';' and 7,5).
CSV_VARIANTS = {"international": ("", "csv"), "dutch": ("-excel-nl", "csv-nl")}


def _period() -> Period:
    """The period of ?periode=; a download of an unreadable period is refused rather than guessed."""
    period, error = selected_period(periods.today())
    if error:
        abort(400, error)
    return period


def questionnaires_in(period: Period) -> list[Questionnaire]:
    """The installation's questionnaires reported in periods of this kind (quarters: the cliënt one only)."""
    kind = "half_year" if period.is_half_year else "quarter"
    return [q for q in in_force().values() if kind in q.reporting]


def _questionnaire_or_404(key: str, period: Period) -> Questionnaire:
    for questionnaire in questionnaires_in(period):
        if questionnaire.key == key:
            return questionnaire
    abort(404)


class StreamInOwnContext:
    """The chunks of a generator that queries the database, made inside an app context of their own.

    That app context lives in a contextvars.Context of this stream, entered only while a chunk is made, so
    it never stays behind in the serving thread between chunks. (stream_with_context keeps the request
    context pushed in the thread until the response is closed: a response that is never read to the end or
    closed, as in the role-matrix test, leaves its request, user and all, under the next request.)"""

    def __init__(self, chunks: Iterator[str]):
        self._context = contextvars.Context()
        self._chunks = self._in_app_context(current_app._get_current_object(), chunks)

    @staticmethod
    def _in_app_context(app, chunks: Iterator[str]) -> Iterator[str]:
        with app.app_context():
            yield from chunks

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return self._context.run(next, self._chunks)

    def close(self) -> None:
        """Stop early (the client went away): the export's cursor and the app context close in their context."""
        self._context.run(self._chunks.close)

    __del__ = close  # a response nobody closed: still end the app context where it began


def attachment(body, mimetype: str, filename: str, what: str) -> Response:
    """The file as a download, audited first: the event lands even if the client breaks off the stream."""
    audit.record("export", actor=current_user.email, detail=what)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/downloads")
@role_required("manager")
def downloads():
    """Every download of one period on one page."""
    today = periods.today()
    period, error = selected_period(today)
    kpis = [kpi for kpi in catalogue() if periods_for(kpi, period)]
    return render_template("manage/downloads.html", period=period, error=error, choices=period_choices(today),
                           questionnaires=questionnaires_in(period), groups=GROUPS, kpis=kpis,
                           chart_types=CHART_TYPES), 400 if error else 200


@bp.route("/downloads/kpi-resultaten.csv", defaults={"dialect": "international"})
@bp.route("/downloads/kpi-resultaten-excel-nl.csv", defaults={"dialect": "dutch"})
@role_required("manager")
def kpi_results_csv(dialect: str):
    """The KPI results of the period as CSV, international or for Dutch Excel."""
    period = _period()
    suffix, name = CSV_VARIANTS[dialect]
    # The CSV writers stream rows computed here and now: their generators need no context.
    body = exports.kpi_results_csv(kpi_results(period), dialect=dialect, for_people=True)
    return attachment(body, CSV_TYPE, f"kpi-resultaten-{period}{suffix}.csv",
                       f"kpi-resultaten {name} {period}")


@bp.route("/downloads/<questionnaire>/vragen.csv", defaults={"dialect": "international"})
@bp.route("/downloads/<questionnaire>/vragen-excel-nl.csv", defaults={"dialect": "dutch"})
@role_required("manager")
def item_summaries_csv(questionnaire: str, dialect: str):
    """The summary per item (distribution, share agreeing) of one questionnaire in the period, as CSV for
    people: Dutch headers and labels, like the workbook (the raw export keeps the codes)."""
    period = _period()
    definition = _questionnaire_or_404(questionnaire, period)
    suffix, name = CSV_VARIANTS[dialect]
    body = exports.item_summaries_csv(definition, period, item_summaries(definition, period), dialect=dialect,
                                      for_people=True)
    return attachment(body, CSV_TYPE, f"vragen-{questionnaire}-{period}{suffix}.csv",
                       f"vragen {questionnaire} {name} {period}")


@bp.route("/downloads/werkmap.xlsx")
@role_required("manager")
def workbook():
    """The KPI results and the item summaries of every questionnaire in one XLSX workbook."""
    period = _period()
    summaries = {q: item_summaries(q, period) for q in questionnaires_in(period)}
    body = exports.kpi_results_xlsx(kpi_results(period), summaries, period=period)
    return attachment(body, XLSX_TYPE, f"waardering-{period}.xlsx", f"werkmap {period}")


@bp.route("/downloads/<questionnaire>/antwoorden.csv", defaults={"dialect": "international"})
@bp.route("/downloads/<questionnaire>/antwoorden-excel-nl.csv", defaults={"dialect": "dutch"})
@role_required("manager")
def raw_responses_csv(questionnaire: str, dialect: str):
    """Every response of one questionnaire in the period, free text included (managers only), as CSV."""
    period = _period()
    _questionnaire_or_404(questionnaire, period)
    suffix, name = CSV_VARIANTS[dialect]
    try:
        body = exports.raw_responses_csv(questionnaire, period=period, dialect=dialect)
    except exports.ExportError as error:
        abort(409, str(error))
    return attachment(StreamInOwnContext(body), CSV_TYPE, f"antwoorden-{questionnaire}-{period}{suffix}.csv",
                       f"antwoorden {questionnaire} {name} {period}")


@bp.route("/downloads/halfjaarrapport.pdf")
@role_required("manager")
def halfyear_report():
    """The half-year report for the gemeente: cover, KPI table, response, reading note, charts."""
    from ..report_pdf import halfyear_report_pdf  # its charts load with the first report, not with the app

    period = _period()
    return attachment(halfyear_report_pdf(period), "application/pdf", f"waardering-{period}.pdf",
                       f"halfjaarrapport {period}")

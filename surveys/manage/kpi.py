"""One page per KPI: the result with its chart, the breakdown by background, the item summaries of
its questionnaire and, for managers, the free-text answers where the group is large enough."""

from dataclasses import dataclass, replace

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import charts, periods
from ..auth import ROLE_RANK, role_required
from ..periods import half_year_of
from ..services import audit
from ..services.questionnaires import in_force_one
from ..services.reports import (
    GROUPS,
    ReportError,
    free_text_answers,
    hide_free_text,
    item_summaries,
    kpi_breakdown,
    kpi_history,
    kpi_report,
    periods_for,
    select_kpis,
    version_summaries,
)
from . import bp
from .dashboard import TRENDS, VERDICTS, selected_period

TEXTS_PER_PAGE = 25
CHART_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}

# A scoring method code (scoring.base: "t", "t-moderated-fpc", "wilson-fpc", "descriptive") in words: the base
# method, then what each suffix adds. Managers never see the codes.
METHOD_BASES = {
    "t": "Gemiddelde met een 95%-betrouwbaarheidsinterval",
    "wilson": "Aandeel met een 95%-betrouwbaarheidsinterval",
    "descriptive": "Alleen beschrijvend: geen interval, de cijfers zijn precies zoals geteld",
}
METHOD_SUFFIXES = {
    "moderated": "met een voorzichtige schatting van de spreiding, omdat er weinig antwoorden zijn",
    "fpc": "rekening gehouden met de kleine groep waaruit de antwoorden komen",
}


def method_label(code: str | None) -> str:
    """"t-moderated-fpc" → the method in plain Dutch; "–" when there is none."""
    if not code:
        return "–"
    base, *suffixes = code.split("-")
    extras = [METHOD_SUFFIXES[suffix] for suffix in suffixes if suffix in METHOD_SUFFIXES]
    return "; ".join([METHOD_BASES.get(base, "Andere methode"), *extras]) + "."


def answer_shares(rows: list[tuple[str, int]]) -> list[tuple[str, int, float | None]]:
    """(label, count, share of all counted answers) for the bars next to the counts; None when nothing
    was counted (a hidden group keeps its "minder dan" text elsewhere)."""
    counted = all(isinstance(count, int) for _, count in rows)
    total = sum(count for _, count in rows) if counted else 0
    return [(label, count, count / total if total else None) for label, count in rows]


def answer_rows(item, summary) -> list[tuple[str, int]]:
    """(answer label, count) in the order the questionnaire shows them, for a summary that is shown."""
    counts = dict(summary.distribution)
    for code in ("weet_niet", "nvt"):
        if getattr(summary, code, None) is not None:
            counts[code] = getattr(summary, code)
    hidden = getattr(summary, "hidden", None) or {}  # a background group too small to show
    return [(option.label.nl, hidden.get(option.code, counts.get(option.code, 0))) for option in item.answer_options()]


def _kpi_or_404(key: str):
    try:
        (kpi,) = select_kpis([key])
    except ReportError:
        abort(404)
    return kpi


@dataclass(frozen=True)
class TextFilters:
    """The free-text list's GET parameters: ?zoek= (words), ?cijfer= (1-10), ?pagina= (from 1), ?kwartaal= (a
    quarter of the half-year shown; checked against the quarters its answers may be dated to by the service)."""

    search: str = ""
    grade: int | None = None
    page: int = 1
    error: str | None = None
    quarter: str | None = None

    @property
    def narrowed(self) -> bool:
        """Whether the list shows only some of the period's answers."""
        return bool(self.search or self.grade or self.quarter)


def text_filters() -> TextFilters:
    """The free-text filters of the request; a value that is not a grade or a page number says so in Dutch."""
    search = request.args.get("zoek", "").strip()[:100]
    grade_text, page_text = request.args.get("cijfer", ""), request.args.get("pagina", "1")
    quarter = request.args.get("kwartaal", "").strip() or None
    if grade_text and not (grade_text.isdigit() and 1 <= int(grade_text) <= 10):
        return TextFilters(search, error="Kies bij het cijfer een getal van 1 tot en met 10.", quarter=quarter)
    if not (page_text.isdigit() and 1 <= int(page_text) <= 10_000):
        return TextFilters(search, error="Het paginanummer moet een heel getal zijn, vanaf 1.", quarter=quarter)
    return TextFilters(search, int(grade_text) if grade_text else None, int(page_text), quarter=quarter)


class HideForm(FlaskForm):
    """The "Verbergen" button of one free-text answer: the CSRF token; the answer comes in the form."""


@bp.route("/kpi/<key>")
@role_required("lezer")
def kpi_page(key: str):
    """A KPI in one period: result, chart, breakdown, item summaries, and free text for managers."""
    kpi = _kpi_or_404(key)
    period, error = selected_period(periods.today())
    questionnaire = in_force_one(kpi.questionnaire)
    if not error and not periods_for(kpi, period):
        # A quarter of a questionnaire reported per half-year: show the half-year and say why.
        error = (f"{kpi.label.nl} wordt per halfjaar gerapporteerd, niet per kwartaal: "
                 f"u ziet {half_year_of(period.start)}.")
        period = half_year_of(period.start)
    report = kpi_report(kpi, period)
    breakdowns = {item.key: (item, kpi_breakdown(kpi, period, item.key))
                  for item in questionnaire.items if item.background}
    summaries = item_summaries(questionnaire, period)
    versions = version_summaries(questionnaire, period)  # the results per version beside the whole period's
    history = charts.drawn_history(kpi_history(kpi.key, until=half_year_of(period.start)))
    texts, shown, filters = None, [], text_filters()
    may_read = ROLE_RANK[current_user.role] >= ROLE_RANK["manager"]
    if may_read and not filters.error:
        try:
            texts = free_text_answers(questionnaire, period, search=filters.search, grade=filters.grade,
                                      quarter=filters.quarter)
        except ReportError as refused:  # a quarter its answers may not be dated to: no list at all
            filters = replace(filters, error=str(refused))
    if texts is not None:
        audit.record("free_text_viewed", actor=current_user.email, detail=f"{questionnaire.key} {period}")
        shown = texts.entries[(filters.page - 1) * TEXTS_PER_PAGE:filters.page * TEXTS_PER_PAGE]
    error = error or filters.error
    return render_template("manage/kpi.html", kpi=kpi, period=period, error=error, report=report,
                           questionnaire=questionnaire, breakdowns=breakdowns, summaries=summaries,
                           versions=versions,
                           texts=texts, may_read=may_read, verdicts=VERDICTS,
                           trends=TRENDS, answer_rows=answer_rows, answer_shares=answer_shares,
                           method_label=method_label, history=history, groups=GROUPS, filters=filters,
                           shown_texts=shown, per_page=TEXTS_PER_PAGE, hide_form=HideForm()), 400 if error else 200


@bp.route("/kpi/<key>/open-antwoorden/verbergen", methods=["POST"])
@role_required("manager")
def hide_text(key: str):
    """Hide one free-text answer that names a person (form field antwoord = "<response id>-<item>"): no channel
    shows it again. The audit log says who hid which answer, never its text."""
    kpi = _kpi_or_404(key)
    if not HideForm().validate_on_submit():
        abort(400, "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
    response_id, _, item = request.form.get("antwoord", "").partition("-")
    questionnaire = in_force_one(kpi.questionnaire)
    if not response_id.isdigit() or not hide_free_text(questionnaire, int(response_id), item,
                                                        by=current_user.email):
        abort(400, "Dit open antwoord bestaat niet (meer). Laad de pagina opnieuw.")
    flash("Het open antwoord is verborgen. Het staat nergens meer.")
    return redirect(url_for("manage.kpi_page", key=key, periode=request.args.get("periode") or None,
                            _anchor="open-antwoorden"), code=303)


@bp.route("/kpi/<key>/grafiek.<fmt>")
@role_required("lezer")
def kpi_chart(key: str, fmt: str):
    """The KPI's chart over the last half-years up to ?periode=, as SVG, PNG or PDF (?download=1 to save)."""
    kpi = _kpi_or_404(key)
    if fmt not in CHART_TYPES:
        abort(404)
    period, error = selected_period(periods.today())
    if error:
        abort(400)
    history = kpi_history(kpi.key, until=half_year_of(period.start))  # a quarter: never a later half-year
    response = Response(charts.kpi_chart(history, fmt), mimetype=CHART_TYPES[fmt])
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{kpi.key}-{period}.{fmt}"'
        audit.record("export", actor=current_user.email, detail=f"grafiek {kpi.key} {period} {fmt}")
    return response

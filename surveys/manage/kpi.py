"""One page per KPI: the result with its chart, the breakdown by background, the item summaries of
its questionnaire and, for managers, the free-text answers where the group is large enough."""


from flask import Response, abort, render_template, request
from flask_login import current_user

from .. import charts, periods
from ..auth import ROLE_RANK, role_required
from ..periods import half_year_of
from ..questionnaires import load_questionnaire
from ..services import audit
from ..services.reports import (
    GROUPS,
    ReportError,
    free_text_answers,
    item_summaries,
    kpi_breakdown,
    kpi_history,
    kpi_report,
    periods_for,
    select_kpis,
)
from . import bp
from .dashboard import TRENDS, VERDICTS, selected_period

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


@bp.route("/kpi/<key>")
@role_required("lezer")
def kpi_page(key: str):
    """A KPI in one period: result, chart, breakdown, item summaries, and free text for managers."""
    kpi = _kpi_or_404(key)
    period, error = selected_period(periods.today())
    questionnaire = load_questionnaire(kpi.questionnaire)
    if not error and not periods_for(kpi, period):
        # A quarter of a questionnaire reported per half-year: show the half-year and say why.
        error = (f"{kpi.label.nl} wordt per halfjaar gerapporteerd, niet per kwartaal: "
                 f"u ziet {half_year_of(period.start)}.")
        period = half_year_of(period.start)
    report = kpi_report(kpi, period)
    breakdowns = {item.key: (item, kpi_breakdown(kpi, period, item.key))
                  for item in questionnaire.items if item.background}
    summaries = item_summaries(questionnaire, period)
    history = charts.drawn_history(kpi_history(kpi.key, until=half_year_of(period.start)))
    texts = None
    may_read = ROLE_RANK[current_user.role] >= ROLE_RANK["manager"]
    if may_read:
        texts = free_text_answers(questionnaire, period)
    if texts is not None:
        audit.record("free_text_viewed", actor=current_user.email, detail=f"{questionnaire.key} {period}")
    return render_template("manage/kpi.html", kpi=kpi, period=period, error=error, report=report,
                           questionnaire=questionnaire, breakdowns=breakdowns, summaries=summaries,
                           texts=texts, may_read=may_read, verdicts=VERDICTS,
                           trends=TRENDS, answer_rows=answer_rows, answer_shares=answer_shares,
                           method_label=method_label, history=history, groups=GROUPS), 400 if error else 200


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

"""The KPI dashboard: one period's KPIs with verdicts, intervals, response and trend."""

from datetime import date

from flask import render_template, request

from .. import periods
from ..auth import role_required
from ..periods import Period, PeriodError, half_year_of, parse_period, quarter_of
from ..services.reports import kpi_results
from . import bp

VERDICTS = {
    # verdict → (icon, text): the icon's shape and the words carry the meaning, never colour alone
    "boven_norm": ("▲", "Boven de norm"),
    "onder_norm": ("▼", "Onder de norm"),
    "niet_te_onderscheiden": ("●", "Niet te onderscheiden van de norm"),
    "te_weinig_respons": ("–", "Te weinig respons"),
}
TRENDS = {"stijging": "gestegen", "daling": "gedaald", "niet_te_onderscheiden": "geen duidelijke verandering",
          "gelijk": "gelijk"}


def period_choices(today: date, half_years: int = 8) -> list[Period]:
    """The half-years to pick from, newest first, each followed by its quarters (cliënt KPIs)."""
    periods = []
    current = half_year_of(today)
    for _ in range(half_years):
        periods.append(current)
        first = quarter_of(current.start)
        periods.extend([Period(first.year, "Q", first.index + 1), first])
        current = current.previous()
    return [p for p in periods if p.start <= today]


def selected_period(today: date) -> tuple[Period, str | None]:
    """The period asked for in ?periode=, or the current half-year; with an error text when unreadable."""
    text = request.args.get("periode")
    if not text:
        return half_year_of(today), None
    try:
        return parse_period(text), None
    except PeriodError as error:
        return half_year_of(today), str(error)


@bp.route("/")
@role_required("lezer")
def dashboard():
    """The KPI table of one half-year or quarter."""
    today = periods.today()
    period, error = selected_period(today)
    reports = kpi_results(period)
    return render_template("manage/dashboard.html", period=period, reports=reports, error=error,
                           choices=period_choices(today), verdicts=VERDICTS, trends=TRENDS), 400 if error else 200

"""The KPI dashboard: one period's KPIs with verdicts, intervals, response and trend, and for managers the
"Resultaten vrijgeven" button of a period that can be published."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import periods
from ..auth import ROLE_RANK, role_required
from ..periods import Period, PeriodError, half_year_of, parse_period, quarter_of
from ..services import publication
from ..services.questionnaires import in_force
from ..services.reports import GROUPS, kpi_results
from . import bp

VERDICTS = {
    # verdict → (icon, text): the icon's shape and the words carry the meaning, never colour alone
    "boven_norm": ("▲", "Boven de norm"),
    "onder_norm": ("▼", "Onder de norm"),
    "niet_te_onderscheiden": ("●", "Niet te onderscheiden van de norm"),
    "te_weinig_respons": ("–", "Te weinig respons"),
    publication.WITHHELD: ("…", publication.WITHHELD_TEXT),
}
# Trend verdict → the words a manager reads first, before the figure; the same words as the PDF
# (report_pdf.TRENDS). "geen duidelijke verandering" is honest about an interval that holds zero: the change
# may be chance, where "gelijk" would claim more than the data shows.
TRENDS = {"stijging": "gestegen", "daling": "gedaald", "niet_te_onderscheiden": "geen duidelijke verandering",
          "gelijk": "gelijk gebleven"}


def running_text(period: Period, today: date) -> str | None:
    """"loopt nog, nog 12 dagen" for a period that has not ended yet, else None: its figures can still change."""
    if today > period.end:
        return None
    days = (period.end - today).days + 1
    return f"loopt nog, nog {days} {'dag' if days == 1 else 'dagen'}"


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


class ReleaseForm(FlaskForm):
    """The "Resultaten vrijgeven" button: only the CSRF token; the period comes in the form's address."""


def releasable(period: Period, today: date) -> list[str]:
    """The questionnaires a manager may publish this period for now (publication.why_not says why not)."""
    if ROLE_RANK[current_user.role] < ROLE_RANK["manager"]:
        return []
    return [key for key in in_force()
            if publication.reported_in(key, period) and publication.publishable(key, period, today)]


def _dashboard_page(period: Period, error: str | None, status: int):
    today = periods.today()
    return render_template("manage/dashboard.html", period=period, reports=kpi_results(period), error=error,
                           choices=period_choices(today), verdicts=VERDICTS, trends=TRENDS,
                           releasable=releasable(period, today), groups=GROUPS, release_form=ReleaseForm(),
                           running=running_text(period, today),
                           withheld_text=publication.WITHHELD_TEXT), status


@bp.route("/")
@role_required("lezer")
def dashboard():
    """The KPI table of one half-year or quarter."""
    period, error = selected_period(periods.today())
    return _dashboard_page(period, error, 400 if error else 200)


@bp.route("/vrijgeven", methods=["POST"])
@role_required("manager")
def release():
    """Publish the period of ?periode= (for every questionnaire that can be, or ?vragenlijst=): its figures
    become visible in every channel and its responses final."""
    if not ReleaseForm().validate_on_submit():
        abort(400)
    period, error = selected_period(periods.today())
    if error or not request.args.get("periode"):
        abort(400, error or "geef een periode, bijvoorbeeld ?periode=2026-H1")
    questionnaire = request.args.get("vragenlijst") or None
    keys = [questionnaire] if questionnaire else releasable(period, periods.today())
    if not keys:
        return _dashboard_page(period, f"{period} kan nu niet worden vrijgegeven.", 409)
    try:
        for key in keys:
            publication.publish(period, key, by=current_user.email, today=periods.today())
    except publication.PublicationError as problem:
        return _dashboard_page(period, str(problem), 409)
    flash(f"De resultaten van {period} zijn vrijgegeven ({', '.join(GROUPS[key] for key in keys)}).")
    return redirect(url_for("manage.dashboard", periode=period), code=303)

"""Publication: the one place that decides whether a channel may show a period's figures (DESIGN.md §6).

A period's figures (KPIs, item summaries, breakdowns, free text, charts, PDF, API, raw export) are shown
only once the period is *published* for the questionnaire. Before that every channel shows the response
count and rate only, with ``WITHHELD_TEXT``. A period can be published once it has ended and every round
of the questionnaire that overlaps it has closed: by a manager ("Resultaten vrijgeven"), by
``flask --app surveys publish PERIOD``, or by ``run-due`` SURVEYS_PUBLISH_AFTER_DAYS days after its end.
Once published its responses are final: a response for it is refused (``refusal``), so a published
figure never changes and no figure can be compared with itself before and after one late response.

Publishing a half-year publishes its quarters with it (for a questionnaire reported per quarter), so a
half-year and its quarters are always judged together. A quarter may be published on its own first.
"""

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import PublishedPeriod, ResponseTally, Round
from ..periods import Period, half_year_of, parse_period, quarter_of
from . import audit, transaction
from .questionnaires import in_force, in_force_one

WITHHELD = "niet_vrijgegeven"  # the verdict of a figure that is not published yet
WITHHELD_TEXT = "Resultaten komen na vrijgeven"


class PublicationError(ValueError):
    """A period that cannot be published (yet); the message says why, in Dutch."""


def quarters_of(period: Period) -> list[Period]:
    """The quarters a half-year is made of; a quarter is its own only part."""
    if not period.is_half_year:
        return [period]
    return [Period(period.year, "Q", q) for q in (2 * period.index - 1, 2 * period.index)]


def overlapping(period: Period) -> list[Period]:
    """The periods that share days with this one: itself, its quarters or its half-year."""
    if period.is_half_year:
        return [period, *quarters_of(period)]
    return [period, half_year_of(period.start)]


def is_published(questionnaire: str, period: Period | str) -> bool:
    """Whether a channel may show the questionnaire's figures for this period."""
    return str(period) in published_periods(questionnaire, [period])


def published_periods(questionnaire: str, periods: Iterable[Period | str]) -> set[str]:
    """Which of the periods are published for the questionnaire: one query for a whole history."""
    names = {str(period) for period in periods}
    if not names:
        return set()
    return set(db.session.scalars(select(PublishedPeriod.period).where(
        PublishedPeriod.questionnaire == questionnaire, PublishedPeriod.period.in_(names))))


def reported_in(questionnaire: str, period: Period) -> bool:
    """Whether the questionnaire reports in periods of this kind (quarters: the cliënt questionnaire)."""
    return ("half_year" if period.is_half_year else "quarter") in in_force_one(questionnaire).reporting


def why_not(questionnaire: str, period: Period, today: date) -> str | None:
    """Why the period cannot be published for the questionnaire today, or None when it can."""
    if not reported_in(questionnaire, period):
        return f"de vragenlijst {questionnaire} wordt niet per kwartaal gerapporteerd; geef een halfjaar"
    if is_published(questionnaire, period):
        return f"{period} is voor {questionnaire} al vrijgegeven"
    if period.end >= today:
        return f"{period} loopt nog tot en met {period.end.isoformat()}; vrijgeven kan vanaf de dag erna"
    still_open = db.session.scalars(select(Round).where(
        Round.questionnaire == questionnaire, Round.period.in_([str(p) for p in overlapping(period)]),
        Round.closes_on >= today).order_by(Round.closes_on)).first()
    if still_open is not None:
        return (f"de meetronde {still_open.period} van {questionnaire} is nog open tot en met "
                f"{still_open.closes_on.isoformat()}; sluit die eerst")
    return None


def publish(period: Period | str, questionnaire: str | None = None, *, by: str, today: date) -> list[str]:
    """Publish the period for one questionnaire, or for every questionnaire reported in periods of its
    kind. All or nothing: raises PublicationError naming each questionnaire that cannot be published.
    Returns the questionnaires published; records who did it in the audit log."""
    period = parse_period(period) if isinstance(period, str) else period
    known = in_force()
    if questionnaire is not None and questionnaire not in known:
        raise PublicationError(f"onbekende vragenlijst '{questionnaire}'; bekend zijn: {', '.join(known)}")
    keys = [questionnaire] if questionnaire else [key for key in known if reported_in(key, period)]
    problems = [reason for key in keys if (reason := why_not(key, period, today))]
    if problems:
        raise PublicationError(f"{period} kan niet worden vrijgegeven: " + "; ".join(problems))
    with transaction():
        for key in keys:
            _mark(key, period, by)
        audit.record("publish", actor=by, detail=f"{period} {' '.join(keys)}", commit=False)
    return keys


def _mark(questionnaire: str, period: Period, by: str) -> None:
    parts = [period]
    if period.is_half_year and reported_in(questionnaire, quarters_of(period)[0]):
        parts += quarters_of(period)  # judged together: a half-year's quarters are published with it
    done = published_periods(questionnaire, parts)
    for part in parts:
        if str(part) not in done:
            db.session.add(PublishedPeriod(questionnaire=questionnaire, period=str(part), published_by=by))


def publishable(questionnaire: str, period: Period, today: date) -> bool:
    return why_not(questionnaire, period, today) is None


def publish_due(today: date, days: int, *, by: str = "run-due") -> list[tuple[str, str]]:
    """Publish every period that ended at least `days` days ago, has responses or a round, and whose rounds
    have closed. Idempotent: returns the (questionnaire, period) pairs published by this call."""
    done = []
    for questionnaire in in_force():
        for period in _candidates(questionnaire):
            if today - period.end >= timedelta(days=days) and publishable(questionnaire, period, today):
                publish(period, questionnaire, by=by, today=today)
                done.append((questionnaire, str(period)))
    return done


def _candidates(questionnaire: str) -> list[Period]:
    """The periods with responses or rounds, quarters before their half-year, oldest first."""
    quarters = set(db.session.scalars(select(ResponseTally.quarter).where(
        ResponseTally.questionnaire == questionnaire, ResponseTally.count > 0)))
    quarters |= {str(quarter_of(parse_period(p).start)) for p in db.session.scalars(
        select(Round.period).where(Round.questionnaire == questionnaire))}
    found: set[Period] = set()
    for name in quarters:
        quarter = parse_period(name)
        found.add(half_year_of(quarter.start))
        if reported_in(questionnaire, quarter):
            found.add(quarter)
    return sorted(found, key=lambda p: (p.end, p.is_half_year))


def refusal(questionnaire: str, days: Iterable[date]) -> str | None:
    """Why responses submitted on these days cannot be stored any more (their period is published), in
    Dutch, naming the period; None when every day's period is still open for responses."""
    wanted = {str(p) for day in set(days) for p in (half_year_of(day), quarter_of(day))}
    closed = sorted(published_periods(questionnaire, wanted))
    if not closed:
        return None
    return (f"de resultaten van {', '.join(closed)} zijn al vrijgegeven: reacties voor die periode "
            "kunnen niet meer worden toegevoegd, zodat gepubliceerde cijfers niet meer veranderen")


# --- nested figures: a half-year and its quarters ----------------------------------------------------------

def included_quarters(sizes: Mapping[str, int], shown: Collection[str], min_n: int) -> tuple[set[str], int]:
    """Which quarters a half-year's figure is made of, and how many answers (or responses) it holds back.

    ``sizes`` is the figure's n in each quarter of the half-year, ``shown`` the quarters whose figures may be
    shown (published; a quarter shows its figure when its n ≥ min n). The rule, so that for every published
    pair (half-year, quarter) the difference is empty or ≥ min n:

        a quarter with 0 < n < min n is held back from the half-year when another quarter's figure is shown.

    Proof, for a shown quarter Q (n_Q ≥ min n) and the other quarter R: the half-year minus Q is R's part.
    If n_R ≥ min n it is included, and the difference is n_R ≥ min n; if 0 < n_R < min n it is held back
    (Q is shown), and the difference is empty; if n_R = 0 it is empty. A quarter that is not shown forms no
    published pair; when neither quarter is shown nothing is held back, and the half-year shows the sum if
    that reaches min n (no published figure to subtract it from). Two quarters are disjoint, not nested.
    """
    visible = {quarter for quarter, n in sizes.items() if quarter in shown and n >= min_n}
    held = {quarter for quarter, n in sizes.items() if 0 < n < min_n and visible - {quarter}}
    return set(sizes) - held, sum(sizes[quarter] for quarter in held)


def hidden_by_quarters(parts: Mapping[str, Mapping[str, int]], shown: Collection[str], min_n: int,
                       suppress) -> set[str]:
    """The groups a half-year's breakdown must hide because a shown quarter hides them.

    ``parts`` holds, per included quarter, the size of each group; ``suppress(sizes, min_n)`` is the
    breakdown's own suppression. A group visible in the half-year is then the sum of parts each visible (or
    empty) in its quarter, so subtracting a quarter's group from the half-year's gives another quarter's
    visible group: nothing hidden in a quarter table can be recovered from the half-year's. (Quarters whose
    table is not shown, because the quarter's n is below min n, have no group to protect.)
    """
    forced: set[str] = set()
    for quarter, sizes in parts.items():
        if quarter in shown and sum(sizes.values()) >= min_n:
            forced |= {group for group in suppress(sizes, min_n) if sizes.get(group, 0) > 0}
    return forced

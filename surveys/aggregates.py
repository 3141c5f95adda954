"""The GROUP BY queries that feed scoring: integer counts per answer, computed by the database.

One indexed scan per report gives, per (item, period, group), how often each answer was given.
From those counts the integer sums n, Σx and Σx² follow exactly (a grade has ten values), so no
response row is ever loaded into Python for a report."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import aliased

from .extensions import db
from .models import Answer, Response, Round
from .periods import Period
from .questionnaires import MISSING_CODES
from .scoring import GradeAggregate, ShareAggregate

ALL = "__all__"  # the group key of a whole period, when no breakdown is asked for


@dataclass(frozen=True)
class AnswerCounts:
    """How often each answer was given to one item in one period and group.
    Keys are the stored answer: "1".."10" for numbers, else the code ("ja", "weet_niet", …)."""

    counts: Mapping[str, int] = field(default_factory=dict)

    def grade(self) -> GradeAggregate:
        """n, Σx and Σx² over the numeric answers; weet_niet and nvt are left out."""
        numeric = [(int(key), count) for key, count in self.counts.items() if key.isdigit()]
        return GradeAggregate(n=sum(c for _, c in numeric), total=sum(v * c for v, c in numeric),
                              total_sq=sum(v * v * c for v, c in numeric))

    def share(self, hit_codes: Iterable[str]) -> ShareAggregate:
        """Hits among the substantive answers; weet_niet and nvt are left out."""
        hits = set(hit_codes)
        given = {key: count for key, count in self.counts.items() if key not in MISSING_CODES}
        return ShareAggregate(n=sum(given.values()), hits=sum(c for k, c in given.items() if k in hits))

    @property
    def answered(self) -> int:
        return sum(self.counts.values())


def _period_column(table, kind: str):
    return table.half_year if kind == "H" else table.quarter


def answer_counts(items: Sequence[str], periods: Sequence[Period], *,
                  by: str | None = None) -> dict[tuple[str, str, str], AnswerCounts]:
    """Counts per (item, period, group) for the given items and periods (all of one kind).
    With `by` (a background item), the group is that item's answer code, or "" when not given."""
    if not items or not periods:
        return {}
    kinds = {period.kind for period in periods}
    if len(kinds) != 1:
        raise ValueError("answer_counts takes periods of one kind (half-years or quarters)")
    kind = kinds.pop()
    column = _period_column(Answer, kind)
    answer_key = func.coalesce(cast(Answer.value, String), Answer.code)
    if by is None:
        query = select(Answer.item, column, answer_key, func.count()).group_by(Answer.item, column, answer_key)
    else:
        background = aliased(Answer)
        group = func.coalesce(background.code, "")
        query = (select(Answer.item, column, group, answer_key, func.count())
                 .outerjoin(background, and_(background.response_id == Answer.response_id,
                                             background.item == by))
                 .group_by(Answer.item, column, group, answer_key))
    query = query.where(Answer.item.in_(items), column.in_([str(p) for p in periods]), Answer.text.is_(None))
    result: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for row in db.session.execute(query):
        item, period, *grp, key, count = row
        result[(item, period, grp[0] if grp else ALL)][str(key)] = count
    return {key: AnswerCounts(counts) for key, counts in result.items()}


def response_counts(questionnaire: str, periods: Sequence[Period]) -> dict[str, int]:
    """Responses per period: the numerator of the response rate."""
    if not periods:
        return {}
    column = _period_column(Response, periods[0].kind)
    query = (select(column, func.count()).where(Response.questionnaire == questionnaire,
                                                 column.in_([str(p) for p in periods]))
             .group_by(column))
    return {period: count for period, count in db.session.execute(query)}


def populations(questionnaire: str, periods: Sequence[Period]) -> dict[str, int]:
    """The population N per period, summed over the period's rounds, where every round knows it.
    A half-year without rounds of its own takes the sum of its quarters' rounds."""
    wanted = {str(p) for p in periods}
    related = wanted | {f"{p.year}-Q{q}" for p in periods if p.is_half_year for q in (2 * p.index - 1, 2 * p.index)}
    rows = db.session.execute(
        select(Round.period, Round.population).where(Round.questionnaire == questionnaire,
                                                     Round.period.in_(related))
    ).all()
    by_period: dict[str, list[int | None]] = defaultdict(list)
    for period, population in rows:
        by_period[period].append(population)
    result = {}
    for period in periods:
        own = by_period.get(str(period))
        if own is None and period.is_half_year:
            quarters = [f"{period.year}-Q{q}" for q in (2 * period.index - 1, 2 * period.index)]
            own = [n for q in quarters for n in by_period.get(q, [])] or None
        if own and all(n is not None for n in own):
            result[str(period)] = sum(own)
    return result


def free_texts(item: str, period: Period) -> list[str]:
    """The free-text answers to one item in one period, newest first. Callers check the group's n."""
    column = _period_column(Answer, period.kind)
    return list(db.session.scalars(
        select(Answer.text).where(Answer.item == item, column == str(period), Answer.text.is_not(None))
        .order_by(Answer.response_id.desc())
    ))

"""The GROUP BY queries that feed scoring: integer counts per answer, computed by the database.

Per (item, period, group) the database gives how often each answer was given. From those counts the
integer sums n, Σx and Σx² follow exactly (a grade has ten values), so no response row is ever
loaded into Python for a report. Whole periods come from the tallies (services/tallies.py), which
the database keeps per quarter in the same transaction as the answers: a report then reads a few
hundred rows whether there are a thousand responses or millions. Breakdowns by a background answer
group the answers themselves: the questionnaire's responses in the period (an index), then each
response's answers (the primary key)."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import g
from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import aliased

from .extensions import db
from .models import Answer, AnswerTally, HiddenAnswer, Response, ResponseTally, Round
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

    @property
    def substantive(self) -> int:
        """The n of the item's figures: every answer but weet_niet and nvt."""
        return sum(count for key, count in self.counts.items() if key not in MISSING_CODES)

    @classmethod
    def combined(cls, parts: Iterable["AnswerCounts"]) -> "AnswerCounts":
        """The counts of several disjoint parts (the included quarters of a half-year) together."""
        total: Counter = Counter()
        for part in parts:
            total.update(part.counts)
        return cls({key: count for key, count in total.items() if count})


def _quarters(period: Period) -> list[str]:
    if not period.is_half_year:
        return [str(period)]
    return [f"{period.year}-Q{q}" for q in (2 * period.index - 1, 2 * period.index)]


def _quarter_owner(periods: Sequence[Period]) -> dict[str, str]:
    """Each quarter that makes up one of the periods → that period's name."""
    owner: dict[str, str] = {}
    for period in periods:
        for quarter in _quarters(period):
            if owner.setdefault(quarter, str(period)) != str(period):
                raise ValueError(f"periods overlap in {quarter}")
    return owner


def answer_counts(items: Sequence[str], periods: Sequence[Period], *,
                  by: str | None = None) -> dict[tuple[str, str, str], AnswerCounts]:
    """Counts per (item, period, group) for the given items and (non-overlapping) periods. Without `by`
    the group is ALL and the counts come from the tallies; with `by` (a background item) the group is
    that item's answer code, or "" when not given."""
    if not items or not periods:
        return {}
    if by is not None:
        return _breakdown_counts(items, periods, by)
    owner = _quarter_owner(periods)
    query = (select(AnswerTally.item, AnswerTally.quarter, AnswerTally.answer, func.sum(AnswerTally.count))
             .where(AnswerTally.item.in_(items), AnswerTally.quarter.in_(owner))
             .group_by(AnswerTally.item, AnswerTally.quarter, AnswerTally.answer))
    result: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for item, quarter, answer, count in db.session.execute(query):
        if count:
            result[(item, owner[quarter], ALL)][answer] += int(count)
    return {key: AnswerCounts(dict(counts)) for key, counts in result.items()}


def _breakdown_counts(items: Sequence[str], periods: Sequence[Period], by: str):
    kinds = {period.kind for period in periods}
    if len(kinds) != 1:
        raise ValueError("a breakdown takes periods of one kind (half-years or quarters)")
    column = Response.half_year if kinds.pop() == "H" else Response.quarter
    answer_key = func.coalesce(cast(Answer.value, String), Answer.code)
    background = aliased(Answer)
    group = func.coalesce(background.code, "")
    query = (_answers_in(items, column.in_([str(p) for p in periods]))
             .with_only_columns(Answer.item, column, group, answer_key, func.count())
             .outerjoin(background, and_(background.response_id == Answer.response_id, background.item == by))
             .where(Answer.text.is_(None))
             .group_by(Answer.item, column, group, answer_key))
    result: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for item, period, grp, key, count in db.session.execute(query):
        result[(item, period, grp)][str(key)] = count
    return {key: AnswerCounts(counts) for key, counts in result.items()}


def answer_counts_from_answers(items: Sequence[str], periods: Sequence[Period]):
    """The same counts as answer_counts(), grouped from the answers themselves: the check that the
    tallies agree with what is stored."""
    counts = {}
    for period in periods:
        answer_key = func.coalesce(cast(Answer.value, String), Answer.code)
        query = (_answers_in(items, _period_column(period) == str(period))
                 .with_only_columns(Answer.item, answer_key, func.count())
                 .where(Answer.text.is_(None))
                 .group_by(Answer.item, answer_key))
        grouped: dict[str, dict[str, int]] = defaultdict(dict)
        for item, key, count in db.session.execute(query):
            grouped[item][str(key)] = count
        counts |= {(item, str(period), ALL): AnswerCounts(c) for item, c in grouped.items()}
    return counts


def versions_answered(questionnaire: str, period: Period) -> dict[int, int]:
    """Responses per questionnaire version (its id) in the period: one query on the period's index."""
    column = _period_column(period)
    query = (select(Response.questionnaire_version_id, func.count())
             .where(Response.questionnaire == questionnaire, column == str(period))
             .group_by(Response.questionnaire_version_id))
    return {version_id: count for version_id, count in db.session.execute(query)}


def version_counts(questionnaire: str, items: Sequence[str],
                   quarters: Sequence[str]) -> dict[tuple[str, str, int], AnswerCounts]:
    """Counts per (item, quarter, questionnaire version id) of the questionnaire's answers in the quarters: the
    split of a period by the version answered, grouped from the answers as a breakdown is."""
    if not items or not quarters:
        return {}
    answer_key = func.coalesce(cast(Answer.value, String), Answer.code)
    query = (select(Answer.item, Response.quarter, Response.questionnaire_version_id, answer_key, func.count())
             .join(Response, Response.id == Answer.response_id)
             .where(Response.questionnaire == questionnaire, Response.quarter.in_(list(quarters)),
                    Answer.item.in_(list(items)), Answer.text.is_(None))
             .group_by(Answer.item, Response.quarter, Response.questionnaire_version_id, answer_key))
    result: dict[tuple[str, str, int], dict[str, int]] = defaultdict(dict)
    for item, quarter, version_id, key, count in db.session.execute(query):
        result[(item, quarter, version_id)][str(key)] = count
    return {key: AnswerCounts(counts) for key, counts in result.items()}


def response_counts(questionnaire: str, periods: Sequence[Period]) -> dict[str, int]:
    """Responses per period: the numerator of the response rate."""
    owner = _quarter_owner(periods)
    if not owner:
        return {}
    query = (select(ResponseTally.quarter, ResponseTally.count)
             .where(ResponseTally.questionnaire == questionnaire, ResponseTally.quarter.in_(owner)))
    totals: Counter = Counter()
    for quarter, count in db.session.execute(query):
        totals[owner[quarter]] += count
    return {period: count for period, count in totals.items() if count}


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


def free_texts(item: str, period: Period, quarters: Sequence[str] | None = None) -> list[str]:
    """The free-text answers to one item in one period (only those of ``quarters`` when given), newest
    first, without the ones a manager hid. Callers check the group's n."""
    return [entry.text for entry in free_text_entries([item], period, quarters)]


@dataclass(frozen=True)
class FreeText:
    """One shown free-text answer: what a manager needs to read it and, if it names a person, to hide it."""

    response_id: int
    item: str
    text: str
    quarter: str


def free_text_entries(items: Sequence[str], period: Period, quarters: Sequence[str] | None = None, *,
                      search: str | None = None, grade_item: str | None = None,
                      grade: int | None = None) -> list[FreeText]:
    """The free-text answers to `items` in one period, newest first, never a hidden one (HiddenAnswer);
    only those holding `search` (any case) and, with `grade`, of responses that gave `grade_item` that grade."""
    query = _answers_in(items, _period_column(period) == str(period))
    if quarters is not None:
        query = query.where(Response.quarter.in_(list(quarters)))
    hidden = select(HiddenAnswer.item).where(HiddenAnswer.response_id == Answer.response_id,
                                             HiddenAnswer.item == Answer.item).exists()
    query = query.where(Answer.text.is_not(None), ~hidden)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Answer.text.ilike(f"%{escaped}%", escape="\\"))
    if grade is not None and grade_item:
        given = aliased(Answer)
        query = query.join(given, and_(given.response_id == Answer.response_id, given.item == grade_item,
                                       given.value == grade))
    rows = db.session.execute(query.with_only_columns(Answer.response_id, Answer.item, Answer.text, Response.quarter)
                              .order_by(Answer.response_id.desc(), Answer.item))
    return [FreeText(*row) for row in rows]


def _period_column(period: Period):
    return Response.half_year if period.is_half_year else Response.quarter


def _answers_in(items: Sequence[str], in_period):
    """The answers to `items` of the responses `in_period`: a select to give its columns. Naming the
    items' questionnaire lets the database start from that questionnaire's responses in the period (an
    index) instead of from every answer to the items."""
    query = (select(Answer.item).join(Response, Response.id == Answer.response_id)
             .where(Answer.item.in_(items), in_period))
    owners = {_questionnaire_of().get(item) for item in items}
    if None not in owners:  # an item of an older version only: search every questionnaire
        query = query.where(Response.questionnaire.in_(sorted(owners)))
    return query


def _questionnaire_of() -> dict[str, str]:
    """Item key → the questionnaire that asks it now (item keys are unique across questionnaires): the
    installation's questionnaires, also those made in the editor; kept per request with them."""
    from .services.questionnaires import in_force

    known = in_force()
    owners = g.get("surveys_item_owners")
    if owners is None or owners[0] is not known:
        owners = g.surveys_item_owners = (
            known, {item.key: key for key, questionnaire in known.items() for item in questionnaire.items})
    return owners[1]

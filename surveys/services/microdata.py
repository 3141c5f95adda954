"""The raw export as protected microdata (DESIGN.md §6): which rows, and how coarse their cells.

A row of the raw export is one person's answers, so the export follows the rules of every other channel
and adds its own, because a row can be recognised by what it says:

- **Rows**: only periods published for the questionnaire, each with at least min n responses; of a
  half-year over published quarters, not the rows of a quarter it holds back (publication.included_quarters),
  so the export never holds a hidden quarter's rows.
- **Background answers**: a background item's answer that fewer than min n rows of the export give becomes
  ``anders``, and so does the next rarest while the answers made ``anders`` together are fewer than min n
  (the complementary suppression of a breakdown). Not answering counts as an answer here (an empty cell
  may single out the one who skipped the question): when it is rare, it reads ``anders`` too. Every
  background cell shown is then shared by at least min n rows of the export (k-anonymity, k = min n, per
  background item), since the export's rows are at least min n in all. The channel (code, open link, paper) is treated
  alike: a channel fewer than min n rows used is left empty, as one paper form among many would point at
  the one person a staff member typed in.
- **Order**: rows carry no id and come in a secret order, new for every export: the export is cut into
  blocks of 5,000 responses stored one after another, the blocks come in a random order, and the rows of
  a block sorted by a secret key of their ids: k = (id · a + b) mod p, then twice k = (k² + c) mod p with
  random a, b, c, d and the prime p = 2³¹ − 1 (the affine step alone would keep consecutive ids in
  rotated order; the squaring steps make the ranks of consecutive ids as uncorrelated as a random
  shuffle's). The order does not follow submission: an export of up to 5,000 rows is shuffled
  as a whole, and of a larger one a row's place tells at most which 5,000 responses were stored around the
  same time as it, never which came first; two exports cannot be lined up. (A full shuffle of a million
  rows would read them in random order, three times slower, or hold the whole file in memory.)
- **Dates**: no submission day. The half-year always; the quarter only for a questionnaire reported per
  quarter and only where that quarter has at least min n rows in the export: a day or a quarter finer than
  what is published would split the rows into groups smaller than the figures the service shows, and a
  day next to the round's dates points at a person (the audit's "one new row with the day").

Still outside these rules: combinations of background answers (each item is coarsened on its own) and
free text, which is shown as written (managers only, audited).
"""

import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import AnswerTally, Response, ResponseTally
from ..periods import parse_period
from ..questionnaires import Questionnaire
from ..scoring import suppress_breakdown
from .publication import quarters_of

COARSE = "anders"
NOT_GIVEN = ""  # the group of rows without an answer to the item
PRIME = 2_147_483_647  # 2³¹ − 1: every product of the sort key stays below 2⁶³


@dataclass(frozen=True)
class ExportPlan:
    """What one raw export holds and how coarse its cells are."""

    periods: list[str]  # the half-years (or the one quarter) exported
    quarters: list[str] | None  # only rows of these quarters; None: every row of ``periods``
    shown_quarters: frozenset[str] = frozenset()  # quarters named in the quarter column
    coarse: dict[str, frozenset[str]] = field(default_factory=dict)  # background item → codes shown as anders
    hidden_channels: frozenset[str] = frozenset()
    order: tuple[int, int, int, int] = (1, 0, 0, 0)  # a, b, c, d of the rows' secret sort key

    @property
    def empty(self) -> bool:
        return not self.periods or self.quarters == []


def plan(questionnaire: Questionnaire, in_period, periods: list[str], quarters: list[str] | None) -> ExportPlan:
    """The plan of an export of `periods` (rows of `quarters` only, when given). The export holds whole
    quarters, so the counts per quarter and per background answer come from the tallies; the channels from
    one GROUP BY over the rows."""
    if not periods or quarters == []:
        return ExportPlan(periods, quarters)
    min_n = questionnaire.min_n
    parts = quarters if quarters is not None else [str(q) for name in periods for q in quarters_of(parse_period(name))]
    per_quarter = {quarter: count for quarter, count in db.session.execute(select(
        ResponseTally.quarter, ResponseTally.count).where(ResponseTally.questionnaire == questionnaire.key,
                                                          ResponseTally.quarter.in_(parts)))}
    shown_quarters: frozenset[str] = frozenset()
    if "quarter" in questionnaire.reporting:
        shown_quarters = frozenset(q for q, n in per_quarter.items() if n >= min_n)
    hidden_channels = suppress_breakdown(_counts(_rows(questionnaire, in_period, periods, quarters),
                                                 Response.channel), min_n)
    background = [item.key for item in questionnaire.items if item.background]
    by_item: dict[str, dict[str, int]] = {key: {} for key in background}
    if background:
        answers = (select(AnswerTally.item, AnswerTally.answer, func.sum(AnswerTally.count))
                   .where(AnswerTally.item.in_(background), AnswerTally.quarter.in_(parts))
                   .group_by(AnswerTally.item, AnswerTally.answer))
        for item, code, count in db.session.execute(answers):
            by_item[item][code] = int(count)
    total = sum(per_quarter.values())
    for counts in by_item.values():
        counts[NOT_GIVEN] = total - sum(counts.values())
    coarse = {item: suppress_breakdown(counts, min_n) for item, counts in by_item.items()}
    rng = secrets.SystemRandom()
    return ExportPlan(periods, quarters, shown_quarters, {k: v for k, v in coarse.items() if v}, hidden_channels,
                      (rng.randrange(1, PRIME), rng.randrange(PRIME), rng.randrange(PRIME), rng.randrange(PRIME)))


def _rows(questionnaire: Questionnaire, in_period, periods: list[str], quarters: list[str] | None):
    query = select(Response.id).where(Response.questionnaire == questionnaire.key, in_period.in_(periods))
    if quarters is not None:
        query = query.where(Response.quarter.in_(quarters))
    return query


def _counts(rows, column) -> dict[str, int]:
    query = rows.with_only_columns(column, func.count()).group_by(column)
    return {value: count for value, count in db.session.execute(query)}

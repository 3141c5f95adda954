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
- **Order**: rows come in the order of a secret permutation of their ids, new for every export
  (``(id · a + b) mod p`` with random a, b and the prime p = 2³¹ − 1), and carry no id: the order does not
  follow submission, so "the one new row" after a response cannot be found by its place, and two exports
  cannot be lined up.
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
from ..models import Answer, Response
from ..questionnaires import Questionnaire
from ..scoring import suppress_breakdown

COARSE = "anders"
NOT_GIVEN = ""  # the group of rows without an answer to the item
PRIME = 2_147_483_647  # 2³¹ − 1: id · a stays below 2⁶³ for every id below p


@dataclass(frozen=True)
class ExportPlan:
    """What one raw export holds and how coarse its cells are."""

    periods: list[str]  # the half-years (or the one quarter) exported
    quarters: list[str] | None  # only rows of these quarters; None: every row of ``periods``
    shown_quarters: frozenset[str] = frozenset()  # quarters named in the quarter column
    coarse: dict[str, frozenset[str]] = field(default_factory=dict)  # background item → codes shown as anders
    hidden_channels: frozenset[str] = frozenset()
    order: tuple[int, int] = (1, 0)  # a, b of the row permutation

    @property
    def empty(self) -> bool:
        return not self.periods or self.quarters == []


def plan(questionnaire: Questionnaire, in_period, periods: list[str], quarters: list[str] | None) -> ExportPlan:
    """The plan of an export of `periods` (rows of `quarters` only, when given): counts of the rows' quarters,
    channels and background answers from the database, one GROUP BY each."""
    if not periods or quarters == []:
        return ExportPlan(periods, quarters)
    rows = _rows(questionnaire, in_period, periods, quarters)
    min_n = questionnaire.min_n
    per_quarter = _counts(rows, Response.quarter)
    shown_quarters: frozenset[str] = frozenset()
    if "quarter" in questionnaire.reporting:
        shown_quarters = frozenset(q for q, n in per_quarter.items() if n >= min_n)
    hidden_channels = suppress_breakdown(_counts(rows, Response.channel), min_n)
    background = [item.key for item in questionnaire.items if item.background]
    coarse = {}
    if background:
        answers = (select(Answer.item, Answer.code, func.count()).where(
            Answer.response_id.in_(rows.with_only_columns(Response.id)), Answer.item.in_(background),
            Answer.code.is_not(None)).group_by(Answer.item, Answer.code))
        by_item: dict[str, dict[str, int]] = {key: {} for key in background}
        for item, code, count in db.session.execute(answers):
            by_item[item][code] = count
        total = sum(per_quarter.values())
        for counts in by_item.values():
            counts[NOT_GIVEN] = total - sum(counts.values())
        coarse = {item: suppress_breakdown(counts, min_n) for item, counts in by_item.items()}
    rng = secrets.SystemRandom()
    return ExportPlan(periods, quarters, shown_quarters, {k: v for k, v in coarse.items() if v}, hidden_channels,
                      (rng.randrange(1, PRIME), rng.randrange(PRIME)))


def _rows(questionnaire: Questionnaire, in_period, periods: list[str], quarters: list[str] | None):
    query = select(Response.id).where(Response.questionnaire == questionnaire.key, in_period.in_(periods))
    if quarters is not None:
        query = query.where(Response.quarter.in_(quarters))
    return query


def _counts(rows, column) -> dict[str, int]:
    query = rows.with_only_columns(column, func.count()).group_by(column)
    return {value: count for value, count in db.session.execute(query)}

"""Realistic demonstration data: rounds and responses over the last four half-years.

The figures are drawn from skewed grade distributions like real satisfaction data (many 7s and 8s, a
tail of low grades), with the levels moving a little between half-years, so trends and verdicts of
every kind appear. The gemeente group is small by nature and falls below its minimum n (3) in one
half-year, so suppression shows too. Same seed, same data.

A million responses hold about eleven million answers, so a batch is made column-wise: numpy draws
which of an item's possible answers each response gave, and the rows and tallies come from those
arrays, with no Python object per answer beyond the row handed to the driver."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .. import periods
from ..extensions import db
from ..models import Answer, AnswerTally, QuestionnaireVersion, Response, ResponseTally
from ..periods import Period, half_year_of, quarter_of
from ..questionnaires import Item, Questionnaire, load_questionnaires
from . import publication, tallies, transaction
from .questionnaires import current_version, seed
from .rounds import create_round, find_round

HALF_YEARS = 4
# Realistic group sizes per half-year; the cliënten take whatever the requested total leaves.
GROUP_SIZES = {"partner": (24, 31, 18, 27), "gemeente": (4, 2, 5, 3), "medewerker": (44, 51, 38, 47)}
POPULATIONS = {"client": 420, "partner": 45, "gemeente": 6, "medewerker": 58}
# Centre of the grade distribution per questionnaire and half-year (oldest first).
GRADE_LEVEL = {"client": (7.4, 7.6, 7.3, 7.7), "partner": (7.0, 7.3, 6.8, 7.4),
               "gemeente": (6.9, 7.2, 7.6, 7.1), "medewerker": (6.6, 6.9, 7.2, 7.0)}
OPEN_TEXTS = (
    "Ik had graag sneller antwoord gehad op mijn vraag.",
    "Fijn dat er echt naar mij werd geluisterd.",
    "Meer contact tussen de hulpverleners zou helpen.",
    "Het duurde lang voordat er iemand langs kwam.",
    "Duidelijke afspraken, dat werkte goed.",
    "Bereikbaarheid per telefoon kan beter.",
)
BATCH = 10_000  # responses per transaction: some 110,000 answers, about 20 MB in memory
# Rows per INSERT … VALUES statement: the driver's per-row work is paid per statement instead, and at most
# 1,600 parameters stay far below SQLite's (32,766) and PostgreSQL's (65,535) limits.
ROWS_PER_STATEMENT = 200


@dataclass(frozen=True)
class DemoPlan:
    periods: tuple[Period, ...]
    counts: dict[str, tuple[int, ...]]

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.counts.values())


def plan(total: int, today: date) -> DemoPlan:
    """How many responses of each questionnaire fall in each of the last four half-years."""
    periods = [half_year_of(today)]
    while len(periods) < HALF_YEARS:
        periods.insert(0, periods[0].previous())
    others = dict(GROUP_SIZES)
    fixed = sum(sum(sizes) for sizes in others.values())
    if fixed * 2 > total:  # a small demo keeps the same shape, scaled down
        scale = total / (fixed * 2)
        others = {key: tuple(max(1, round(n * scale)) for n in sizes) for key, sizes in others.items()}
        fixed = sum(sum(sizes) for sizes in others.values())
        if fixed > total - HALF_YEARS:  # too small for a response in every group: some rounds stay empty
            others = {key: tuple(round(n * scale) for n in sizes) for key, sizes in GROUP_SIZES.items()}
            fixed = sum(sum(sizes) for sizes in others.values())
    client_total = max(0, total - fixed)
    weights = np.array([0.22, 0.26, 0.24, 0.28])
    client = np.floor(weights * client_total).astype(int)
    client[-1] += client_total - client.sum()
    return DemoPlan(tuple(periods), {"client": tuple(int(n) for n in client), **others})


def _grades(rng: np.random.Generator, level: float, size: int) -> np.ndarray:
    """Left-skewed whole grades 1-10 around `level`: 10 minus a gamma-distributed shortfall."""
    shortfall = rng.gamma(shape=2.2, scale=(10.5 - level) / 2.2, size=size)
    return np.clip(np.rint(10.5 - shortfall), 1, 10).astype(int)


def _agree(rng: np.random.Generator, level: float, size: int) -> np.ndarray:
    # Map the grade level onto the 5-point scale's usual positive lean.
    p_top = min(0.9, max(0.4, (level - 5.0) / 3.0))
    choices = rng.random(size)
    return np.where(choices < p_top * 0.45, 5, np.where(choices < p_top, 4,
                    np.where(choices < p_top + 0.15, 3, np.where(choices < 0.97, 2, 1))))


def _possible_answers(item: Item) -> list[tuple[int | None, str | None, str | None]]:
    """(value, code, text) of every answer the demo can give to an item: the scale from 1 up (so a value
    v is entry v - 1), then the missing codes; the options and missing codes; or the open texts."""
    if item.type in ("grade", "agree"):
        return [(v, None, None) for v in sorted(item.scale)] + [(None, code, None) for code in item.missing]
    if item.type == "choice":
        return [(None, code, None) for code in [option.code for option in item.options] + list(item.missing)]
    return [(None, None, text) for text in OPEN_TEXTS]


def _picks(rng: np.random.Generator, item: Item, level: float, size: int) -> np.ndarray:
    """Which of `_possible_answers(item)` each of `size` responses gave; -1 where it was left open."""
    if item.type == "grade":
        picks = _grades(rng, level, size) - 1
        missing = rng.random(size)
        nvt_share = 0.2 if "nvt" in item.missing else 0.0
        weet_niet = 10 + item.missing.index("weet_niet")
        picks = np.where(missing < nvt_share + 0.03, weet_niet, picks)
        if nvt_share:
            picks = np.where(missing < nvt_share, 10 + item.missing.index("nvt"), picks)
        return picks
    if item.type == "agree":
        picks = _agree(rng, level, size) - 1
        return np.where(rng.random(size) < 0.04, 5 + item.missing.index("weet_niet"), picks)
    if item.type == "choice":
        if item.key == "C4":
            probabilities = np.array([0.62, 0.27, 0.11] + [0.0] * len(item.missing))
        else:
            probabilities = np.ones(len(item.options) + len(item.missing))
        picks = rng.choice(len(probabilities), size=size, p=probabilities / probabilities.sum())
        skipped = rng.random(size) < (0.15 if item.background else 0.0)
        return np.where(skipped, -1, picks)
    picks = rng.integers(0, len(OPEN_TEXTS), size=size)
    return np.where(rng.random(size) < 0.25, picks, -1)


class _Answers:
    """Every possible answer of one questionnaire as one table, items in the order of the answer table's
    key (so a batch's answers are appended to its B-tree in order): a batch is then a matrix of row
    numbers in this table, and its answer rows and tally counts are a lookup away."""

    def __init__(self, questionnaire: Questionnaire):
        self.items = sorted(questionnaire.items, key=lambda item: item.key)
        possible = [_possible_answers(item) for item in self.items]
        self.first = np.cumsum([0] + [len(answers) for answers in possible[:-1]])
        rows = [(item.key, *answer) for item, answers in zip(self.items, possible, strict=True)
                for answer in answers]
        self.item_keys = [item for item, _, _, _ in rows]
        # (item, value, code, text) per row as the driver binds them, with 0 and "" for NULL (see ANSWER_ROW)
        self.bound = np.array([(item, value or 0, code or "", text or "") for item, value, code, text in rows],
                              dtype=object)
        # the tallied answer ("1".."10" or the code) per row; text answers are not tallied
        self.tally_keys = [None if text is not None else str(value) if value is not None else code
                           for _, value, code, text in rows]

    def draw(self, rng: np.random.Generator, level: float, size: int) -> np.ndarray:
        """A (size × items) matrix of rows in this table, -1 where an item was left open."""
        picks = np.empty((size, len(self.items)), dtype=np.int64)
        for column, item in enumerate(self.items):
            picks[:, column] = _picks(rng, item, level, size)
        return np.where(picks >= 0, picks + self.first, -1)


@dataclass(frozen=True)
class _Days:
    """The days a round's responses can fall on (its period up to today), with their quarters."""

    days: np.ndarray  # date objects
    iso: np.ndarray  # the same as text, as SQLite stores a date
    quarter_index: np.ndarray  # into quarters
    quarters: np.ndarray  # names, as Python strings
    half_year: str

    @classmethod
    def of(cls, period: Period, today: date) -> "_Days":
        last = min(period.end, today)
        days = [period.start + timedelta(days=offset) for offset in range((last - period.start).days + 1)]
        quarters = list(dict.fromkeys(str(quarter_of(day)) for day in days))
        return cls(np.array(days, dtype=object), np.array([day.isoformat() for day in days], dtype=object),
                   np.array([quarters.index(str(quarter_of(day))) for day in days]),
                   np.array(quarters, dtype=object), str(period))


def _store_batch(version: QuestionnaireVersion, round_id: int, channel: str, days: _Days,
                 day_index: np.ndarray, answers: _Answers, picks: np.ndarray) -> None:
    """Insert one batch of responses with their answers and tallies, in one transaction."""
    quarter_index = days.quarter_index[day_index]
    with transaction():
        ids = _insert_responses_of(version, round_id, channel, days, day_index)
        given = picks >= 0
        per_response = given.sum(axis=1)
        rows = picks[given]  # response by response, each response's items in key order
        _insert_answers(np.repeat(ids, per_response), answers.bound[rows])
        _add_tallies(version.questionnaire, answers, days.quarters, quarter_index, per_response, rows)


RESPONSE_COLUMNS = ("questionnaire_version_id", "questionnaire", "round_id", "submitted_on", "half_year", "quarter",
                    "channel")


def _insert_responses_of(version: QuestionnaireVersion, round_id: int, channel: str, days: _Days,
                         day_index: np.ndarray) -> np.ndarray:
    """Insert the batch's response rows; returns their ids in order."""
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    table = np.empty((len(day_index), len(RESPONSE_COLUMNS)), dtype=object)
    table[:] = (version.id, version.questionnaire, round_id, None, days.half_year, None, channel)
    table[:, 3] = (days.iso if sqlite else days.days)[day_index]
    table[:, 5] = days.quarters[days.quarter_index[day_index]]
    if sqlite:
        # As in responses._insert_responses: SQLite has one writer, and gives each new row the largest
        # rowid plus one, so the ids of these rows are consecutive and end at last_insert_rowid().
        _insert_rows(Response.__tablename__, RESPONSE_COLUMNS, table)
        last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        return np.arange(last - len(table) + 1, last + 1)
    # PostgreSQL: the ids are taken from the table's sequence first (no other transaction gets them),
    # so the rows go in as plain tuples too, with their ids.
    ids = np.sort(np.array(connection.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{Response.__tablename__}', 'id')) FROM generate_series(1, %s)",
        (len(table),)).scalars().all(), dtype=np.int64))
    _insert_rows(Response.__tablename__, ("id", *RESPONSE_COLUMNS), np.column_stack([ids.astype(object), table]))
    return ids


# sqlite3 passes None through its adapter lookup, which costs more per parameter than the insert itself;
# 0 and "" bind at once, and NULLIF makes them NULL again (0 is no grade, "" no code or text).
ANSWER_ROW = "({0}, {0}, NULLIF({0}, 0), NULLIF({0}, ''), NULLIF({0}, ''))"


def _insert_answers(response_ids: np.ndarray, bound: np.ndarray) -> None:
    """Answer rows: the response ids beside the (item, value, code, text) of `_Answers.bound`."""
    table = np.empty((len(bound), 5), dtype=object)
    table[:, 0] = response_ids  # as Python ints, which every driver binds
    table[:, 1:] = bound
    _insert_rows(Answer.__tablename__, ("response_id", "item", "value", "code", "text"), table, ANSWER_ROW)


def _insert_rows(table_name: str, columns: tuple[str, ...], table: np.ndarray, row_sql: str | None = None) -> None:
    """Insert the rows of an object array through the driver's executemany, ROWS_PER_STATEMENT rows to a
    statement. `row_sql` is one row's VALUES tuple with {0} for each parameter."""
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    row = (row_sql or "(" + ", ".join(["{0}"] * len(columns)) + ")").format(mark)
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES "
    whole = len(table) - len(table) % ROWS_PER_STATEMENT
    if whole:
        statements = table[:whole].reshape(-1, len(columns) * ROWS_PER_STATEMENT)
        connection.exec_driver_sql(sql + ", ".join([row] * ROWS_PER_STATEMENT), list(map(tuple, statements.tolist())))
    if whole < len(table):
        connection.exec_driver_sql(sql + row, list(map(tuple, table[whole:].tolist())))


def _add_tallies(questionnaire: str, answers: _Answers, quarters: np.ndarray, quarter_index: np.ndarray,
                 per_response: np.ndarray, rows: np.ndarray) -> None:
    """Count the batch's answers per (quarter, row of the answer table), and its responses per quarter."""
    size = len(answers.bound)
    counts = np.bincount(np.repeat(quarter_index, per_response) * size + rows, minlength=len(quarters) * size)
    answer_counts = Counter()
    for at in np.flatnonzero(counts).tolist():
        quarter, row = divmod(at, size)
        if answers.tally_keys[row] is not None:
            answer_counts[(answers.item_keys[row], quarters[quarter], answers.tally_keys[row])] = int(counts[at])
    responses = np.bincount(quarter_index, minlength=len(quarters))
    tallies.add_counts(AnswerTally, ("item", "quarter", "answer"), answer_counts)
    tallies.add_counts(ResponseTally, ("questionnaire", "quarter"),
                    Counter({(questionnaire, quarter): int(n)
                             for quarter, n in zip(quarters.tolist(), responses.tolist(), strict=True) if n}))


def fill(total: int, *, seed_value: int = 2026, today: date | None = None,
         progress: Callable[[int], None] = lambda n: None) -> DemoPlan:
    """Create the demo rounds and responses; calls `progress(n)` after each stored batch of n. The past
    half-years it fills are then published (with their quarters), so the demo shows figures; a period
    already published gets no demo responses, as its figures must not change."""
    today = today or periods.today()
    seed()
    rng = np.random.default_rng(seed_value)
    demo = plan(total, today)
    questionnaires = load_questionnaires()
    for key, counts in demo.counts.items():
        version = current_version(key)
        answers = _Answers(questionnaires[key])
        for index, (period, count) in enumerate(zip(demo.periods, counts, strict=True)):
            if publication.refusal(key, [period.start, period.end]):
                progress(count)
                continue
            # One round per questionnaire and period: demo answers join a round that already exists.
            population = max(POPULATIONS[key], count) if key != "client" else max(POPULATIONS[key], round(count * 1.6))
            round_ = find_round(key, str(period)) or create_round(key, str(period), opens_on=period.start,
                                                                  closes_on=period.end, population=population)
            days = _Days.of(period, today)
            for start in range(0, count, BATCH):
                size = min(BATCH, count - start)
                day_index = rng.integers(0, len(days.days), size=size)
                picks = answers.draw(rng, GRADE_LEVEL[key][index], size)
                _store_batch(version, round_.id, "code" if key != "client" else "open", days, day_index,
                             answers, picks)
                progress(size)
    _publish_past(demo, today)
    return demo


def _publish_past(demo: DemoPlan, today: date) -> None:
    """Publish the half-years of the demo that have ended (their rounds closed on their last day)."""
    for key in demo.counts:
        for period in demo.periods:
            if publication.publishable(key, period, today):
                publication.publish(period, key, by="demo", today=today)

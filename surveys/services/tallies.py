"""Running tallies of answers and responses, updated in the transaction that stores them.

One upsert statement of many rows per table and batch, sent as plain SQL through the driver (SQLite and
PostgreSQL spell INSERT … ON CONFLICT DO UPDATE the same way): on a respondent's form post, building and
compiling the statement through SQLAlchemy cost more than the database's work. Keys are sorted, so concurrent
transactions on PostgreSQL take the row locks in the same order and cannot deadlock."""

from collections import Counter
from collections.abc import Iterable

from ..models import AnswerTally, ResponseTally
from .sql import driver_cursor, insert_rows


def add_counts(model, keys: tuple[str, ...], counts: Counter, cursor=None) -> None:
    """Add `counts` ({key tuple: count}) to the tally table of `model`, whose key columns are `keys`
    (on `cursor`, a driver cursor of the session's connection, when given)."""
    if not counts:
        return
    if cursor is None:
        with driver_cursor() as cursor:
            add_counts(model, keys, counts, cursor)
        return
    table = model.__tablename__
    rows = [(*key, count) for key, count in sorted(counts.items())]  # each key once, as one statement needs
    insert_rows(cursor, f"INSERT INTO {table} ({', '.join((*keys, 'count'))})", rows,
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET count = {table}.count + excluded.count")


def add(answers: Iterable[tuple[str, str, str]], responses: Iterable[tuple[str, str]], *, cursor=None) -> None:
    """Count (item, quarter, answer) for every non-text answer and (questionnaire, quarter) for every
    response into the tallies. Call inside the transaction that inserts them (on `cursor`, a driver
    cursor of the session's connection, when given)."""
    add_counts(AnswerTally, ("item", "quarter", "answer"), Counter(answers), cursor)
    add_counts(ResponseTally, ("questionnaire", "quarter"), Counter(responses), cursor)

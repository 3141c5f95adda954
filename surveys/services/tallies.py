"""Running tallies of answers and responses, updated in the transaction that stores them.

One upsert statement per table and batch, sent as plain SQL through the driver (SQLite and PostgreSQL
spell INSERT … ON CONFLICT DO UPDATE the same way): on a respondent's form post, building and compiling
the statement through SQLAlchemy cost more than the database's work. Keys are sorted, so concurrent
transactions on PostgreSQL take the row locks in the same order and cannot deadlock."""

from collections import Counter
from collections.abc import Iterable
from functools import cache

from ..models import AnswerTally, ResponseTally
from .sql import driver_cursor, mark


@cache
def _upsert_sql(table: str, keys: tuple[str, ...], mark: str) -> str:
    columns = ", ".join((*keys, "count"))
    return (f"INSERT INTO {table} ({columns}) VALUES ({', '.join([mark] * (len(keys) + 1))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET count = {table}.count + excluded.count")


def _upsert(model, keys: tuple[str, ...], counts: Counter, cursor=None) -> None:
    if not counts:
        return
    if cursor is None:
        with driver_cursor() as cursor:
            return _upsert(model, keys, counts, cursor)
    rows = [(*key, count) for key, count in sorted(counts.items())]
    cursor.executemany(_upsert_sql(model.__tablename__, keys, mark(cursor)), rows)
    return None


def add(answers: Iterable[tuple[str, str, str]], responses: Iterable[tuple[str, str]], *, cursor=None) -> None:
    """Count (item, quarter, answer) for every non-text answer and (questionnaire, quarter) for every
    response into the tallies. Call inside the transaction that inserts them (on `cursor`, a driver
    cursor of the session's connection, when given)."""
    _upsert(AnswerTally, ("item", "quarter", "answer"), Counter(answers), cursor)
    _upsert(ResponseTally, ("questionnaire", "quarter"), Counter(responses), cursor)

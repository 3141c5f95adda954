"""Plain SQL through the database driver, on the session's own connection and transaction.

For the few statements of a form post, SQLAlchemy's statement handling cost more than the database's
work; these go to the driver as they are. Values are passed as the driver takes them (SQLite gets
dates as ISO text)."""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..extensions import db


@contextmanager
def driver_cursor() -> Iterator:
    """A cursor of the database driver on the session's connection, inside its transaction."""
    cursor = db.session.connection().connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def ping() -> None:
    """Ask the database for nothing: raises (a 503 page, errors.py) when it does not answer."""
    with driver_cursor() as cursor:
        cursor.execute("SELECT 1")


def mark(cursor) -> str:
    """The parameter mark of the cursor's driver: ? (SQLite) or %s (PostgreSQL)."""
    return "?" if isinstance(cursor, sqlite3.Cursor) else "%s"


@contextmanager
def one_round_trip(cursor) -> Iterator[None]:
    """Send the statements run inside together: on PostgreSQL one pipeline, one round trip to the server
    instead of one per statement. (SQLite runs in-process: nothing to save.)"""
    if isinstance(cursor, sqlite3.Cursor):
        yield
        return
    with cursor.connection.pipeline():
        yield


ROWS_PER_STATEMENT = 100


def insert_rows(cursor, head: str, rows: Sequence[tuple], tail: str = "") -> None:
    """Run ``head VALUES (…), (…), … tail`` over `rows`, up to ROWS_PER_STATEMENT rows to a statement.

    One statement of many rows instead of one per row: PostgreSQL starts its executor once per statement,
    which on a form post's dozen answers and tallies cost more than storing them."""
    if not rows:
        return
    one = "(" + ", ".join([mark(cursor)] * len(rows[0])) + ")"
    whole = len(rows) - len(rows) % ROWS_PER_STATEMENT
    if whole:
        sql = f"{head} VALUES {', '.join([one] * ROWS_PER_STATEMENT)} {tail}"
        cursor.executemany(sql, [tuple(value for row in rows[start:start + ROWS_PER_STATEMENT] for value in row)
                                 for start in range(0, whole, ROWS_PER_STATEMENT)])
    if whole < len(rows):
        rest = rows[whole:]
        cursor.execute(f"{head} VALUES {', '.join([one] * len(rest))} {tail}",
                       tuple(value for row in rest for value in row))

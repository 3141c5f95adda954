"""Plain SQL through the database driver, on the session's own connection and transaction.

For the few statements of a form post, SQLAlchemy's statement handling cost more than the database's
work; these go to the driver as they are. Values are passed as the driver takes them (SQLite gets
dates as ISO text)."""

import sqlite3
from collections.abc import Iterator
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

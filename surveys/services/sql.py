"""Plain SQL through the database driver, on the session's own connection and transaction.

For the few statements of a form post, SQLAlchemy's statement handling cost more than the database's
work; these go to the driver as they are. Values are passed as the driver takes them (SQLite gets
dates as ISO text)."""

from collections.abc import Sequence

from ..extensions import db


def driver_mark() -> str:
    """The parameter mark of the session's database driver: ? (SQLite) or %s (PostgreSQL)."""
    return "?" if db.session.get_bind().dialect.paramstyle == "qmark" else "%s"


def driver_executemany(sql: str, rows: Sequence[tuple]) -> None:
    """Run `sql` once per row of `rows`."""
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()

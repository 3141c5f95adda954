"""Database work per area. Services own their commits; views and CLI commands call one service each."""

from collections.abc import Iterator
from contextlib import contextmanager

from ..extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    """The block's database work as one transaction: committed when the block ends, rolled back on any
    error (BaseException, so a worker stopped mid-request leaves nothing half-written) and raised again."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise

"""Running tallies of answers and responses, updated in the transaction that stores them.

One upsert statement per table and batch; keys are sorted so concurrent transactions on PostgreSQL
take the row locks in the same order and cannot deadlock."""

from collections import Counter
from collections.abc import Iterable

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import AnswerTally, ResponseTally


def _upsert(model, keys: tuple[str, ...], counts: Counter) -> None:
    if not counts:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model)
    # One statement whatever the batch size, so SQLAlchemy compiles it once per process.
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={"count": model.count + statement.excluded.count}
    )
    rows = [dict(zip(keys, key, strict=True), count=count) for key, count in sorted(counts.items())]
    db.session.execute(statement, rows)


def add(answers: Iterable[tuple[str, str, str]], responses: Iterable[tuple[str, str]]) -> None:
    """Count (item, quarter, answer) for every non-text answer and (questionnaire, quarter) for every
    response into the tallies. Call inside the transaction that inserts them."""
    _upsert(AnswerTally, ("item", "quarter", "answer"), Counter(answers))
    _upsert(ResponseTally, ("questionnaire", "quarter"), Counter(responses))

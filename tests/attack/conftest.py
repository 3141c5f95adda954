"""Fixtures of the attack tests: a prepared database of each kind, and how long the load tests run."""

import os

import pytest

from surveys.extensions import db
from surveys.services.questionnaires import seed

from ..conftest import make_app

#: Seconds each load run of test_nothing_lost.py lasts (SURVEYS_ATTACK_SECONDS; 30 in make test).
LOAD_SECONDS = float(os.environ.get("SURVEYS_ATTACK_SECONDS", "30"))


def prepared_app(database_url: str, **overrides):
    """An app on the database with the schema and the questionnaires, its connections closed so that a
    server can have the database (SQLite file locks); the app stays usable to prepare and check data."""
    app = make_app(database_url, **overrides)
    with app.app_context():
        db.create_all()
        seed()
        db.session.remove()
        db.engine.dispose()
    return app


def close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_database_url(request, tmp_path_factory):
    """An empty database of each kind, for all tests of one module (they share one server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('attack') / 'surveys.sqlite3'}"
    from ..conftest import reset_postgres

    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url

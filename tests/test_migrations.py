"""The reviewed migration scripts, not create_all(), build the schema the models describe, on SQLite and
on PostgreSQL: one head, `db upgrade` on an empty database, nothing left for autogenerate, and a way
back down."""

import logging

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate.cli import db as db_commands
from sqlalchemy import CheckConstraint, inspect

from surveys.extensions import db
from surveys.services.questionnaires import seed

from .conftest import make_app


def tables() -> set[str]:
    """Every table the models describe, plus Alembic's own."""
    return set(db.metadata.tables) | {"alembic_version"}


@pytest.fixture(autouse=True)
def logging_left_as_found():
    """Alembic's env.py calls logging.config.fileConfig, which replaces the root handlers and disables
    every logger that already exists; without this, later tests' log checks would see nothing."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    disabled = {name: logger.disabled for name, logger in logging.Logger.manager.loggerDict.items()
                if isinstance(logger, logging.Logger)}
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.disabled = disabled.get(name, False)


@pytest.fixture
def bare_app(database_url):
    """The app on an empty database (conftest resets PostgreSQL to an empty schema), without create_all."""
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def differences() -> list:
    """What autogenerate would put in a new migration, comparing types too."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def check_constraints(table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_check_constraints(table)}


def foreign_keys(table: str) -> set[tuple]:
    return {(tuple(fk["constrained_columns"]), fk["referred_table"], (fk.get("options") or {}).get("ondelete"))
            for fk in inspect(db.engine).get_foreign_keys(table)}


def test_the_migrations_have_exactly_one_head(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    with app.app_context():
        script = scripts()
        heads = script.get_heads()
        assert len(heads) == 1, f"several heads, merge them: {heads}"
        # Every script lies on the one line from that head down to the first migration.
        line = [revision.revision for revision in script.iterate_revisions(heads[0], "base")]
        assert set(line) == {revision.revision for revision in script.walk_revisions()}
        assert script.get_revision(line[-1]).down_revision is None


def test_upgrade_on_an_empty_database_builds_the_whole_schema(bare_app):
    result = bare_app.test_cli_runner().invoke(db_commands, ["upgrade"])

    assert result.exit_code == 0, result.output
    with bare_app.app_context():
        assert set(inspect(db.engine).get_table_names()) == tables()
        with db.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == tuple(scripts().get_heads())
        assert differences() == []
        # Autogenerate does not compare CHECK constraints or ON DELETE rules; the privacy and integrity
        # rules live in them, so compare them here.
        for table in db.metadata.tables:
            expected = db.metadata.tables[table]
            assert check_constraints(table) == {c.name for c in expected.constraints
                                                if isinstance(c, CheckConstraint)}, table
            assert foreign_keys(table) == {(tuple(c.name for c in fk.columns), fk.referred_table.name, fk.ondelete)
                                           for fk in expected.foreign_key_constraints}, table
        # The migrated schema takes the questionnaires like a create_all() one does.
        assert [(r.questionnaire, r.version, r.created) for r in seed()] == [
            ("client", 1, True), ("partner", 1, True), ("gemeente", 1, True), ("medewerker", 1, True)]


def test_downgrade_to_base_and_upgrade_again(bare_app):
    with bare_app.app_context():
        flask_migrate.upgrade()
        seed()
        db.session.remove()

        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}

        flask_migrate.upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables()
        assert differences() == []


# (id, questionnaire, period, opens_on, closes_on, population) of rounds made before the rule
OLD_ROUNDS = [
    (1, "partner", "2026-H1", "2026-01-10", "2026-02-01", 30),
    (2, "partner", "2026-H1", "2026-01-05", "2026-01-20", 10),
    (3, "partner", "2026-H2", "2026-07-01", "2026-09-01", None),
    (4, "client", "2026-Q1", "2026-02-01", "2026-02-02", 5),
    (5, "partner", "2026-H2", "2026-07-01", "2026-07-02", 8),
]


def test_duplicate_rounds_are_merged_into_the_oldest_and_a_second_is_refused(bare_app, capsys):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    insert_round = text("INSERT INTO round (id, questionnaire, period, opens_on, closes_on, population, created_at) "
                        "VALUES (:i, :q, :p, :o, :c, :n, '2026-01-01 00:00:00')")
    with bare_app.app_context():
        flask_migrate.upgrade(revision="5a9e2c41d7b3")  # the one before the merge
        with db.engine.begin() as connection:
            for i, q, p, o, c, n in OLD_ROUNDS:
                connection.execute(insert_round, {"i": i, "q": q, "p": p, "o": o, "c": c, "n": n})
            connection.execute(text("INSERT INTO invitation_code (round_id, code_hash, used, reminders_sent) "
                                    "VALUES (2, 'h2', false, 0)"))
        flask_migrate.upgrade()
        said = capsys.readouterr().out
        rounds = {row.id: row for row in db.session.execute(text("SELECT * FROM round ORDER BY id"))}
        # partner 2026-H1: 1 and 2 → 1, dates spanning both, populations added (as the reports did): 40.
        # partner 2026-H2: 3 and 5 → 3, population unknown because round 3's was. client 2026-Q1 untouched.
        assert sorted(rounds) == [1, 3, 4]
        assert (str(rounds[1].opens_on), str(rounds[1].closes_on), rounds[1].population) == \
            ("2026-01-05", "2026-02-01", 40)
        assert rounds[3].population is None and rounds[4].population == 5
        assert db.session.execute(text("SELECT round_id FROM invitation_code")).scalar_one() == 1
        assert "partner 2026-H1: rounds 2 merged into round 1 (population 40)" in said
        assert "partner 2026-H2: rounds 5 merged into round 3 (population unknown)" in said
        db.session.remove()
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(insert_round, {"i": 9, "q": "partner", "p": "2026-H1", "o": "2026-01-01",
                                              "c": "2026-01-02", "n": None})


def test_tokens_made_before_scopes_become_read_tokens_of_the_command_line(bare_app):
    """Tokens made before scopes existed read the KPIs (all they could do) and were made with the CLI."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    insert_token = text("INSERT INTO api_token (name, token_hash, created_at, revoked) "
                        "VALUES (:name, :hash, '2026-01-01 00:00:00', false)")
    with bare_app.app_context():
        flask_migrate.upgrade(revision="b7c3e9a1d5f2")  # the one before scopes
        with db.engine.begin() as connection:
            connection.execute(insert_token, {"name": "dashboard", "hash": "a" * 64})
        flask_migrate.upgrade(revision="b7e3a1d9c4f2")
        rows = db.session.execute(text("SELECT name, scope, owner FROM api_token")).all()
        assert [tuple(row) for row in rows] == [("dashboard", "read", "cli")]
        db.session.remove()
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text("UPDATE api_token SET scope = 'write'"))

"""Fixtures: an app per database (SQLite always, PostgreSQL when SURVEYS_TEST_DATABASE_URL is set),
a test client that keeps CSRF on, and a CLI runner."""

import os
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from surveys import create_app
from surveys.extensions import db
from surveys.services.questionnaires import seed

from .mailbox import Collector
from .server import free_port

POSTGRES_URL = os.environ.get("SURVEYS_TEST_DATABASE_URL")
CHROMIUM = os.environ.get("SURVEYS_CHROMIUM", "/usr/bin/chromium")
NO_CHROMIUM = f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set SURVEYS_CHROMIUM to its path)"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-gpu"]
NO_POSTGRES = "PostgreSQL not tested: set SURVEYS_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"


def _engine(url: str, **options):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), **options)


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own on the server SURVEYS_TEST_DATABASE_URL names, so two runs
    (or a run and a developer) never share tables; the named database itself if we may not create one.
    The named database is created when the server lacks it; a server that cannot be reached skips the
    PostgreSQL tests with the reason, instead of failing each of them."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    base = make_url(POSTGRES_URL)
    admin = _admin_engine(base)
    name = f"{base.database}_run_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no CREATEDB right: use the named database as it is
        admin.dispose()
        yield POSTGRES_URL
        return
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _admin_engine(base):
    """An AUTOCOMMIT engine on the named database, which is created first (from the server's `postgres`
    database) when the server has none of that name; skips the session's PostgreSQL tests when the server
    does not answer at all."""
    url = base.render_as_string(hide_password=False)
    engine = _engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        engine.connect().close()
        return engine
    except OperationalError as error:
        engine.dispose()
        first_error = error
    maintenance = _engine(base.set(database="postgres").render_as_string(hide_password=False),
                          isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with maintenance.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{base.database}"'))
    except OperationalError:
        pytest.skip(f"PostgreSQL not tested: the server of SURVEYS_TEST_DATABASE_URL "
                    f"({base.host}:{base.port or 5432}) does not answer: {str(first_error).strip()}")
    finally:
        maintenance.dispose()
    return _engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from nothing (tables, alembic_version and all)."""
    engine = _engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'surveys.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


def another_app(database_url: str, tmp_path, name: str):
    """The app on a second, empty database with the schema, of the same kind as `database_url`: a new
    SQLite file, or the PostgreSQL test database emptied (the first app must be done with it)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    else:
        reset_postgres(database_url)
        url = database_url
    app = make_app(url)
    with app.app_context():
        db.create_all()
    return app


def make_app(database_url: str, **overrides):
    # A secret of production length, so a test may switch TESTING off (start-up refuses a short one then).
    config = {"TESTING": True, "SECRET_KEY": "test-secret-for-the-test-suite-0123456789", "DATABASE_URL": database_url,
              "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True, **overrides}
    return create_app(config)


@pytest.fixture
def app(database_url):
    """The app on an empty database with the schema and the seeded questionnaires."""
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        seed()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's packages through Playwright, one for the whole run: its sync API
    runs an event loop of its own in this thread, so a second one beside it would refuse to start. The
    browser, attack and production tests all use this one. Skipped, with the way to get it, without it."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free loopback port, configured as the app's mail server."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    yield collector
    controller.stop()

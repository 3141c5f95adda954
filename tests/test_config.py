"""Configuration: defaults < instance/config.py < SURVEYS_* environment < test mapping; every key parsed
by its type, and a bad value (or no real secret key in production) stops the start with a message that
names the key."""

import os
import subprocess
import sys
import tomllib

import pytest

from surveys import create_app
from surveys.config import ConfigurationError
from surveys.questionnaires import load_questionnaire, parse_questionnaire

from .server import ROOT, free_port

#: A key as `python -c "import secrets; print(secrets.token_hex(32))"` makes them (64 characters).
GOOD_SECRET = "9f2c1e0a7b3d4c5e6f708192a3b4c5d69f2c1e0a7b3d4c5e6f708192a3b4c5d6"
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder of our own (SURVEYS_INSTANCE_PATH), and an environment without other
    SURVEYS_* keys or FLASK_DEBUG, so neither the developer's instance/config.py nor their shell changes
    what the tests see."""
    folder = tmp_path / "instance"
    folder.mkdir()
    for name in list(os.environ):
        if name.startswith("SURVEYS_") or name in ("FLASK_DEBUG", "FLASK_ENV"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEYS_INSTANCE_PATH", str(folder))
    return folder


def write_config(folder, text: str) -> None:
    (folder / "config.py").write_text(text, encoding="utf-8")


def test_each_layer_overrides_the_one_below(instance, monkeypatch):
    write_config(instance, 'SECRET_KEY = "from-the-file-0123456789abcdef0123456789"\n'
                           'BASE_URL = "https://file.example"\n'
                           'DEFAULT_MIN_N = 6\n'
                           'CODE_LIMIT = "10 per minute"\n')
    monkeypatch.setenv("SURVEYS_DEFAULT_MIN_N", "7")
    monkeypatch.setenv("SURVEYS_CODE_LIMIT", "20 per minute")

    app = create_app({"CODE_LIMIT": "30 per minute"})

    assert app.instance_path == str(instance)
    assert app.config["OPEN_LINK_LIMIT"] == "30 per hour"  # default, set nowhere else
    assert app.config["BASE_URL"] == "https://file.example"  # file over default
    assert app.config["SECRET_KEY"] == "from-the-file-0123456789abcdef0123456789"  # a real key: starts outside testing
    assert app.config["DEFAULT_MIN_N"] == 7  # environment over file, read as JSON: a number
    assert app.config["CODE_LIMIT"] == "30 per minute"  # test mapping over environment
    assert not app.debug and not app.testing


def test_without_a_database_url_the_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'surveys.sqlite3'}"


def test_a_postgresql_url_gets_the_psycopg_driver(instance, monkeypatch):
    monkeypatch.setenv("SURVEYS_DATABASE_URL", "postgresql://surveys:s3cret@db.example:5432/surveys")

    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://surveys:s3cret@db.example:5432/surveys"


@pytest.mark.parametrize("url", ["postgresql+psycopg://surveys@db.example/surveys", "sqlite:////srv/surveys.sqlite3"])
def test_a_url_that_names_its_driver_is_kept(instance, monkeypatch, url):
    monkeypatch.setenv("SURVEYS_DATABASE_URL", url)

    assert create_app({"TESTING": True}).config["SQLALCHEMY_DATABASE_URI"] == url


def refusal(**environment) -> str:
    """The message create_app() stops with, in production, with these SURVEYS_* variables set."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(f"SURVEYS_{name}", value)
        with pytest.raises(ConfigurationError) as refused:
            create_app()
    return str(refused.value.message)


def only_problem(message: str) -> str:
    """The one line naming a bad key, under the heading."""
    heading, *lines = message.split("\n")
    assert heading == "surveys cannot start with this configuration:"
    assert len(lines) == 1, message
    return lines[0].strip()


def test_production_refuses_to_start_without_a_secret_key(instance):
    assert only_problem(refusal()) == (
        "SURVEYS_SECRET_KEY: surveys needs a secret key outside development and tests. Set it in the environment "
        f"or as SECRET_KEY in {instance / 'config.py'}, for example to the output of: {MAKE_SECRET}")


@pytest.mark.parametrize("where", ["file", "environment"])
@pytest.mark.parametrize("placeholder", ["change-me", ""])
def test_production_refuses_the_placeholder_key(instance, monkeypatch, where, placeholder):
    if where == "file":
        write_config(instance, f"SECRET_KEY = {placeholder!r}\n")
    else:
        monkeypatch.setenv("SURVEYS_SECRET_KEY", placeholder)

    with pytest.raises(RuntimeError, match="SURVEYS_SECRET_KEY: surveys needs a secret key outside development"):
        create_app()


@pytest.mark.parametrize("key, problem", [
    ("x", "the secret key has 1 characters; it needs at least 32"),
    ("0123456789abcdef0123456789abcde", "the secret key has 31 characters; it needs at least 32"),
    ("change-me-change-me-change-me-change-me", "this is a placeholder, not a secret; it needs a long random value"),
    ("x" * 64, "this is a placeholder, not a secret; it needs a long random value"),
])
def test_production_refuses_a_short_or_placeholder_key(instance, key, problem):
    assert only_problem(refusal(SECRET_KEY=key)).startswith(f"SURVEYS_SECRET_KEY: {problem}. Set it in the ")


def test_a_key_of_32_characters_starts(instance, monkeypatch):
    monkeypatch.setenv("SURVEYS_SECRET_KEY", "0123456789abcdef0123456789abcdef")

    assert create_app().config["SECRET_KEY"] == "0123456789abcdef0123456789abcdef"


def test_a_secret_key_from_the_environment_wins_over_the_placeholder_in_the_file(instance, monkeypatch):
    write_config(instance, 'SECRET_KEY = "change-me"\n')
    monkeypatch.setenv("SURVEYS_SECRET_KEY", GOOD_SECRET)

    assert create_app().config["SECRET_KEY"] == GOOD_SECRET


def test_a_secret_key_of_only_digits_is_refused_rather_than_read_as_a_number(instance, monkeypatch):
    # SURVEYS_* values are parsed as JSON: without the check this key became the int 12345678901234567890
    # and the first form on the site failed while signing its CSRF token.
    monkeypatch.setenv("SURVEYS_SECRET_KEY", "12345678901234567890123456789012")

    with pytest.raises(RuntimeError, match="SURVEYS_SECRET_KEY: the secret key must be text, not int "):
        create_app()


def test_development_starts_without_a_secret_key(instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")

    app = create_app()

    assert app.debug and app.config["SECRET_KEY"] is None


@pytest.mark.parametrize("how", ["mapping", "environment"])
def test_testing_starts_without_a_secret_key(instance, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("SURVEYS_TESTING", "true")
        app = create_app()
    else:
        app = create_app({"TESTING": True})

    assert app.testing and app.config["SECRET_KEY"] is None


def test_the_instance_folder_can_be_named_for_an_installed_package(instance, tmp_path, monkeypatch):
    """An installed package would look in $PREFIX/var/surveys-instance; SURVEYS_INSTANCE_PATH names
    another folder, also relative to where the command runs."""
    write_config(instance, 'SMTP_HOST = "mail.from-instance"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SURVEYS_INSTANCE_PATH", "instance")

    app = create_app({"TESTING": True})

    assert app.instance_path == str(instance)
    assert app.config["SMTP_HOST"] == "mail.from-instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'surveys.sqlite3'}"


RATE_LIMIT = ('expected a rate limit such as "60 per minute" or "20 per 10 minutes" (in English: second, minute, '
              'hour, day, month, year)')
BOOLEAN = "expected true or false (also accepted: 1/0, yes/no, on/off)"


@pytest.mark.parametrize("key, value, expected", [
    # Flask-Limiter logged this one and dropped it: code guessing was no longer limited at all.
    ("CODE_LIMIT", "3 per minuut", f"SURVEYS_CODE_LIMIT = '3 per minuut': {RATE_LIMIT}"),
    ("LOGIN_LIMIT", "", f"SURVEYS_LOGIN_LIMIT = '': {RATE_LIMIT}"),
    ("API_LIMIT", "120", f"SURVEYS_API_LIMIT = 120: {RATE_LIMIT}"),
    ("SMTP_STARTTLS", "nee", f"SURVEYS_SMTP_STARTTLS = 'nee': {BOOLEAN}"),
    ("SESSION_COOKIE_SECURE", "2", f"SURVEYS_SESSION_COOKIE_SECURE = 2: {BOOLEAN}"),
    ("BASE_URL", "waardering.example.nl", "SURVEYS_BASE_URL = 'waardering.example.nl': expected the service's "
     "address as http(s)://host[:port][/path], e.g. https://waardering.example.nl"),
    ("BASE_URL", "ftp://waardering.example.nl", "SURVEYS_BASE_URL = 'ftp://waardering.example.nl': expected the "
     "service's address as http(s)://host[:port][/path], e.g. https://waardering.example.nl"),
    ("BASE_URL", "https://waardering.example.nl:80a", "SURVEYS_BASE_URL = 'https://waardering.example.nl:80a': "
     "the port in this address is not a number"),
    ("DATABASE_URL", "postgres//surveys@db/surveys", "SURVEYS_DATABASE_URL (value not shown): "
     "expected an SQLAlchemy URL of SQLite or PostgreSQL, e.g. postgresql://surveys@db.example/surveys or "
     "sqlite:////srv/surveys/surveys.sqlite3"),
    ("DATABASE_URL", "mysql://surveys:geheim@db/surveys", "SURVEYS_DATABASE_URL (value not shown): "
     "expected an SQLAlchemy URL of SQLite or PostgreSQL, e.g. postgresql://surveys@db.example/surveys or "
     "sqlite:////srv/surveys/surveys.sqlite3"),
    ("RATELIMIT_STORAGE_URI", "localhost:6379", "SURVEYS_RATELIMIT_STORAGE_URI (value not shown): expected "
     "memory:// or a rate-limit store such as redis://host:6379 (schemes: memcached, memory, mongodb, "
     "mongodb+srv, redis, redis+cluster, redis+sentinel, redis+unix, rediss, valkey, valkey+cluster, "
     "valkey+sentinel, valkey+unix, valkeys)"),
    ("SMTP_PORT", "smtp", "SURVEYS_SMTP_PORT = 'smtp': expected a whole number from 1 to 65535"),
    ("SMTP_PORT", "70000", "SURVEYS_SMTP_PORT = 70000: expected a whole number from 1 to 65535"),
    ("SESSION_MINUTES", "0", "SURVEYS_SESSION_MINUTES = 0: expected a whole number from 1 or more"),
    ("FREE_TEXT_MONTHS", "1.5", "SURVEYS_FREE_TEXT_MONTHS = 1.5: expected a whole number from 1 or more"),
    ("DEFAULT_MIN_N", "1", "SURVEYS_DEFAULT_MIN_N = 1: expected a whole number from 2 to 100"),
    ("PUBLISH_AFTER_DAYS", "-1", "SURVEYS_PUBLISH_AFTER_DAYS = -1: expected a whole number from 0 or more"),
    ("PUBLISH_AFTER_DAYS", "dertig", "SURVEYS_PUBLISH_AFTER_DAYS = 'dertig': expected a whole number from 0 or more"),
    ("TRUSTED_PROXIES", "-1", "SURVEYS_TRUSTED_PROXIES = -1: expected a whole number from 0 to 10"),
    ("MAIL_FROM", "waardering", "SURVEYS_MAIL_FROM = 'waardering': expected an e-mail address such as "
     "waardering@example.nl (or: Naam <adres>)"),
    ("TIMEZONE", "Europe/Amsterdm", "SURVEYS_TIMEZONE = 'Europe/Amsterdm': expected a time zone name such as "
     "Europe/Amsterdam (IANA tz database)"),
    ("TIMEZONE", "CET+1", "SURVEYS_TIMEZONE = 'CET+1': expected a time zone name such as Europe/Amsterdam "
     "(IANA tz database)"),
    ("DATABASE_TIMEOUT", "0", "SURVEYS_DATABASE_TIMEOUT = 0: expected a number of seconds above 0 (at most "
     "3600), e.g. 5"),
    ("PASSWORD_LOGIN", "nee", f"SURVEYS_PASSWORD_LOGIN = 'nee': {BOOLEAN}"),
    ("OIDC_ISSUER", "http://login.example.nl", "SURVEYS_OIDC_ISSUER = 'http://login.example.nl': expected the "
     "identity provider's issuer as https://host[/path], e.g. https://login.microsoftonline.com/<tenant>/v2.0"),
])
def test_a_bad_value_stops_the_start_and_names_its_key(instance, key, value, expected):
    assert only_problem(refusal(SECRET_KEY=GOOD_SECRET, **{key: value})) == expected


def test_every_bad_value_is_named_at_once(instance):
    message = refusal(SECRET_KEY="kort", CODE_LIMIT="3 per minuut", SMTP_STARTTLS="nee")

    assert [line.split(":")[0].strip() for line in message.split("\n")[1:]] == [
        "SURVEYS_CODE_LIMIT = '3 per minuut'", "SURVEYS_SMTP_STARTTLS = 'nee'", "SURVEYS_SECRET_KEY"]


@pytest.mark.parametrize("word, value", [("no", False), ("No", False), ("off", False), ("0", False),
                                         ("false", False), ("yes", True), ("ON", True), ("1", True),
                                         ("true", True)])
def test_a_boolean_reads_the_word_it_is_given(instance, monkeypatch, word, value):
    # Read as text, "no" was a non-empty string and so switched STARTTLS on.
    monkeypatch.setenv("SURVEYS_SMTP_STARTTLS", word)

    assert create_app({"TESTING": True}).config["SMTP_STARTTLS"] is value


def test_good_values_are_kept_in_their_type(instance, monkeypatch):
    for name, value in {"SECRET_KEY": GOOD_SECRET, "SMTP_PORT": "587", "CODE_LIMIT": "10 per minute;100 per day",
                        "BASE_URL": "https://waardering.example.nl", "TIMEZONE": "America/Curacao",
                        "MAIL_FROM": "Sociaal Team <waardering@example.nl>", "SMTP_PASSWORD": "123456",
                        "DATABASE_URL": "postgresql://surveys@db.example/surveys", "DATABASE_TIMEOUT": "2.5",
                        "RATELIMIT_STORAGE_URI": "memory://"}.items():
        monkeypatch.setenv(f"SURVEYS_{name}", value)

    config = create_app().config

    assert (config["SMTP_PORT"], config["CODE_LIMIT"], config["TIMEZONE"], config["SMTP_PASSWORD"]) == (
        587, "10 per minute;100 per day", "America/Curacao", "123456")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True, "pool_timeout": 2.5,
        "connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=30000"}}


def test_sqlite_waits_for_a_lock_as_long_as_the_database_timeout(instance, monkeypatch):
    monkeypatch.setenv("SURVEYS_DATABASE_TIMEOUT", "4")

    options = create_app({"TESTING": True}).config["SQLALCHEMY_ENGINE_OPTIONS"]

    assert options == {"pool_pre_ping": True, "pool_timeout": 4, "connect_args": {"timeout": 4}}


def run_flask(instance, *arguments, **environment):
    """`flask --app surveys …` as a person runs it, in the test's instance folder's environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SURVEYS_")}
    env |= {f"SURVEYS_{name}": value for name, value in environment.items()}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "surveys", *arguments], cwd=instance,
                          env=env, capture_output=True, text=True, timeout=60)


def test_the_command_line_shows_the_message_without_a_traceback(instance):
    done = run_flask(instance, "db", "current", SECRET_KEY=GOOD_SECRET, CODE_LIMIT="3 per minuut",
                     DATABASE_URL=f"sqlite:///{instance / 'db.sqlite3'}")

    assert done.returncode == 1
    assert done.stderr == (f"Error: surveys cannot start with this configuration:\n  SURVEYS_CODE_LIMIT = "
                           f"'3 per minuut': {RATE_LIMIT}\n")


@pytest.mark.server
def test_gunicorn_shows_the_message_and_stops(instance):
    env = {name: value for name, value in os.environ.items() if not name.startswith("SURVEYS_")}
    env |= {"SURVEYS_SECRET_KEY": "server-test-secret", "SURVEYS_DATABASE_URL": f"sqlite:///{instance / 'x.db'}"}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                           "--bind", f"127.0.0.1:{free_port()}", "surveys:create_app()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert ("Error: surveys cannot start with this configuration:\n  SURVEYS_SECRET_KEY: the secret key has 18 "
            "characters; it needs at least 32. Set it in the environment") in done.stderr


def test_a_questionnaire_that_sets_no_minimum_n_takes_the_default_min_n(instance, monkeypatch):
    definition = tomllib.loads((ROOT / "surveys" / "questionnaires" / "gemeente.toml").read_text(encoding="utf-8"))
    del definition["min_n"]
    without = parse_questionnaire(definition, "gemeente.toml")
    monkeypatch.setenv("SURVEYS_DEFAULT_MIN_N", "8")

    with create_app({"TESTING": True}).app_context():
        assert without.min_n == 8
        assert load_questionnaire("gemeente").min_n == 3  # a questionnaire's own minimum wins
    assert without.min_n == 5  # no app running: the documented default


def test_single_sign_on_without_its_registration_or_password_login_without_either_stops_the_start(instance):
    assert only_problem(refusal(SECRET_KEY=GOOD_SECRET, OIDC_ISSUER="https://login.example.nl")) == (
        "SURVEYS_OIDC_ISSUER is set, so SURVEYS_OIDC_CLIENT_ID and SURVEYS_OIDC_CLIENT_SECRET are needed too "
        "(this service's registration at the provider)")
    assert only_problem(refusal(SECRET_KEY=GOOD_SECRET, PASSWORD_LOGIN="false")) == (
        "SURVEYS_PASSWORD_LOGIN is false, so SURVEYS_OIDC_ISSUER is needed: else nobody can log in")


def test_redis_storage_without_the_redis_client_names_the_extra(instance, monkeypatch):
    """A wheel installed without its redis extra: Flask-Limiter would stop with "'redis' prerequisite not
    available"; the start-up check says what to install. (The client's absence is what find_spec reports.)"""
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "redis" else real_find_spec(name, *args))
    assert only_problem(refusal(SECRET_KEY=GOOD_SECRET, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")) == (
        "SURVEYS_RATELIMIT_STORAGE_URI (value not shown): this store needs the Redis client, which is not "
        "installed: install the package with its redis extra, e.g. pip install "
        "'surveys-0.1.0-py3-none-any.whl[redis]'")

"""Default configuration. Every key can be overridden in ``instance/config.py`` or by an environment
variable ``SURVEYS_<KEY>`` (values are read as JSON where they parse, else as text)."""

import os

from flask import Flask


class Defaults:
    #: SURVEYS_SECRET_KEY. Required outside development and testing; signs sessions and CSRF tokens.
    SECRET_KEY: str | None = None
    #: SURVEYS_DATABASE_URL. An SQLAlchemy URL; empty means SQLite at instance/surveys.sqlite3.
    DATABASE_URL: str | None = None
    #: SURVEYS_BASE_URL. The address respondents see in invitation links.
    BASE_URL = "http://127.0.0.1:5000"
    #: SURVEYS_DEFAULT_MIN_N. Smallest group whose figures are shown when a questionnaire sets none.
    DEFAULT_MIN_N = 5
    #: SURVEYS_OPEN_LINK_LIMIT. Submissions per client address on an open (tablet) link.
    OPEN_LINK_LIMIT = "30 per hour"
    #: SURVEYS_CODE_LIMIT. Code page requests per client address; slows down guessing of codes.
    CODE_LIMIT = "60 per minute"
    #: SURVEYS_RATELIMIT_STORAGE_URI. Where rate-limit counters live; use redis:// with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    #: SURVEYS_SESSION_COOKIE_SECURE. Send the session cookie over HTTPS only (set true in production).
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Refuse request bodies over 1 MB: the largest honest form is well under 100 kB.
    MAX_CONTENT_LENGTH = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a respondent may take their time; the token still binds to the session
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}


PLACEHOLDER_SECRETS = {None, "", "change-me"}


def finish(app: Flask) -> None:
    """Derive settings that depend on others, and refuse to run without a secret key in production."""
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "surveys.sqlite3")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # Writers queue for the database lock instead of failing at once.
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("SECRET_KEY") in PLACEHOLDER_SECRETS and not (app.debug or app.testing):
        raise RuntimeError(
            "surveys needs a secret key. Set SURVEYS_SECRET_KEY in the environment or SECRET_KEY in "
            f"{os.path.join(app.instance_path, 'config.py')}, for example with the output of: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )

#: Alembic scripts live at the top of the repository, beside the package.
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

"""Default configuration. Every key can be overridden in ``instance/config.py`` or by an environment
variable ``SURVEYS_<KEY>`` (values are read as JSON where they parse, else as text)."""

import os
from datetime import timedelta

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
    #: SURVEYS_API_LIMIT. Requests per client address to /api/v1 (also slows guessing of tokens).
    API_LIMIT = "120 per minute"
    #: SURVEYS_LOGIN_LIMIT. Login attempts per client address.
    LOGIN_LIMIT = "20 per 10 minutes"
    #: SURVEYS_LOGIN_ACCOUNT_LIMIT. Failed login attempts per account from one client address.
    LOGIN_ACCOUNT_LIMIT = "5 per 15 minutes"
    #: SURVEYS_SESSION_MINUTES. A management session ends after this many minutes without a request.
    SESSION_MINUTES = 60
    #: SURVEYS_FREE_TEXT_MONTHS. Free-text answers older than this many months are deleted by `purge`.
    FREE_TEXT_MONTHS = 24
    #: SURVEYS_SMTP_HOST. The mail server that sends invitations and reminders.
    SMTP_HOST = "localhost"
    #: SURVEYS_SMTP_PORT. Its port (25 plain or STARTTLS, 587 submission).
    SMTP_PORT = 25
    #: SURVEYS_SMTP_USERNAME. Log in to the mail server with this name; none means no login.
    SMTP_USERNAME: str | None = None
    #: SURVEYS_SMTP_PASSWORD. The password for SMTP_USERNAME.
    SMTP_PASSWORD: str | None = None
    #: SURVEYS_SMTP_STARTTLS. Switch the connection to TLS (STARTTLS) before logging in and sending.
    SMTP_STARTTLS = False
    #: SURVEYS_MAIL_FROM. The sender address of invitations and reminders.
    MAIL_FROM = "waardering@sociaalteamhouten.nl"
    #: SURVEYS_RATELIMIT_STORAGE_URI. Where rate-limit counters live; use redis:// with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    #: SURVEYS_SESSION_COOKIE_SECURE. Send the session cookie over HTTPS only. Unset: true when BASE_URL
    #: starts with https:// (production), false otherwise (make run on http://127.0.0.1:5000).
    SESSION_COOKIE_SECURE: bool | None = None
    #: SURVEYS_TRUSTED_PROXIES. How many reverse proxies in front of the service add X-Forwarded-For and
    #: X-Forwarded-Proto (1 behind one nginx). 0: those headers are ignored (see surveys/security.py).
    TRUSTED_PROXIES = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Refuse request bodies over 1 MB: the largest honest form is well under 100 kB.
    MAX_CONTENT_LENGTH = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a respondent may take their time; the token still binds to the session
    # No Referer check on HTTPS: Referrer-Policy no-referrer (security.py) means browsers send none, so
    # Flask-WTF's strict check refused every form behind TLS. The token, bound to the session, and the
    # SameSite=Lax session cookie are the protection against cross-site posts.
    WTF_CSRF_SSL_STRICT = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: SURVEYS_METRICS_TOKEN. Serve /metrics to whoever sends it as a bearer token (at least 32 characters);
    #: unset, only to clients on this machine that did not come through a proxy (see surveys/monitoring.py).
    METRICS_TOKEN: str | None = None
    #: SURVEYS_OIDC_ISSUER. Single sign-on: the organisation's OpenID Connect provider (Entra ID, Keycloak, ...),
    #: e.g. https://login.microsoftonline.com/<tenant>/v2.0; its settings are read from
    #: <issuer>/.well-known/openid-configuration. Unset: no single sign-on.
    OIDC_ISSUER: str | None = None
    #: SURVEYS_OIDC_CLIENT_ID and SURVEYS_OIDC_CLIENT_SECRET. This service's registration at the provider; the
    #: redirect URI to register is <BASE_URL>/beheer/inloggen/sso/terug.
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    #: SURVEYS_OIDC_SCOPES. The scopes asked for; add the one that brings OIDC_ROLE_CLAIM if the provider needs it.
    OIDC_SCOPES = "openid email"
    #: SURVEYS_OIDC_EMAIL_CLAIM. The claim that holds the e-mail address an account is matched on.
    OIDC_EMAIL_CLAIM = "email"
    #: SURVEYS_OIDC_ROLE_CLAIM. A claim holding beheerder, manager or lezer: the account takes that role at each
    #: login. Unset: roles are kept in this service (the beheerder's users page).
    OIDC_ROLE_CLAIM: str | None = None
    #: SURVEYS_PASSWORD_LOGIN. Log in with password (and second factor) as well; false: single sign-on only.
    PASSWORD_LOGIN = True


PLACEHOLDER_SECRETS = {None, "", "change-me"}
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'


def finish(app: Flask) -> None:
    """Derive settings that depend on others, and refuse to run without a secret key in production."""
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "surveys.sqlite3")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(app.config["SESSION_MINUTES"]))
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = str(app.config.get("BASE_URL", "")).startswith("https://")
    if url.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # Writers queue for the database lock instead of failing at once.
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    secret = app.config.get("SECRET_KEY")
    if secret is not None and not isinstance(secret, str | bytes):
        # SURVEYS_* values are read as JSON, so a key of only digits arrives as a number, which
        # cannot sign a session; refuse now rather than fail on the first form.
        raise RuntimeError(
            f"the secret key must be text, not {type(secret).__name__}: SURVEYS_SECRET_KEY values that "
            f"read as JSON (only digits, true, ...) become numbers. Use the output of: {MAKE_SECRET}"
        )
    if secret in PLACEHOLDER_SECRETS and not (app.debug or app.testing):
        raise RuntimeError(
            "surveys needs a secret key. Set SURVEYS_SECRET_KEY in the environment or SECRET_KEY in "
            f"{os.path.join(app.instance_path, 'config.py')}, for example with the output of: {MAKE_SECRET}"
        )


#: The Alembic scripts: inside the installed package (setup.cfg maps the repository's top-level migrations/
#: folder to surveys.migrations), else beside the package in a checkout or an editable install.
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
if not os.path.isdir(MIGRATIONS_DIR):
    MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

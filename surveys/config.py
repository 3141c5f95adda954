"""Default configuration. Every key can be overridden in ``instance/config.py`` or by an environment
variable ``SURVEYS_<KEY>`` (values are read as JSON where they parse, else as text). `finish` checks each
key by its type when the app is made, and a bad value stops the start with a message naming the key."""

import importlib.util
import math
import os
import re
import zoneinfo
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import click
import limits
import limits.storage
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


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
    #: SURVEYS_API_INVITE_LIMIT. Invitations per API token (POST /api/v1/invitations): a registration system
    #: that runs away, or a leaked invite token, cannot flood a round with codes or the mail server with mail.
    API_INVITE_LIMIT = "600 per minute"
    #: SURVEYS_LOGIN_LIMIT. Login attempts per client address.
    LOGIN_LIMIT = "20 per 10 minutes"
    #: SURVEYS_LOGIN_ACCOUNT_LIMIT. Failed login attempts per account from one client address.
    LOGIN_ACCOUNT_LIMIT = "5 per 15 minutes"
    #: SURVEYS_SESSION_MINUTES. A management session ends after this many minutes without a request.
    SESSION_MINUTES = 60
    #: SURVEYS_SESSION_MAX_HOURS. A management session ends this many hours after its login, however busy.
    SESSION_MAX_HOURS = 12
    #: SURVEYS_FREE_TEXT_MONTHS. Free-text answers older than this many months are deleted by `purge`.
    FREE_TEXT_MONTHS = 24
    #: SURVEYS_PUBLISH_AFTER_DAYS. `run-due` publishes a period this many days after its end (its rounds
    #: closed), so paper forms can be entered first; a manager may publish sooner.
    PUBLISH_AFTER_DAYS = 30
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
    #: SURVEYS_MAIL_FROM. The sender of invitations and reminders, when the mail server demands one address
    #: whatever the profile says. Unset: the organisation profile's sender (/beheer/organisatie), with its name.
    MAIL_FROM: str | None = None
    #: SURVEYS_RATELIMIT_STORAGE_URI. Where rate-limit counters live; use redis:// with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    #: SURVEYS_RATELIMIT_ENABLED. Rate limits on; the tests' servers switch them off.
    RATELIMIT_ENABLED = True
    #: SURVEYS_SESSION_COOKIE_SECURE. Send the session cookie over HTTPS only. Unset: true when BASE_URL
    #: starts with https:// (production), false otherwise (make run on http://127.0.0.1:5000).
    SESSION_COOKIE_SECURE: bool | None = None
    #: SURVEYS_TRUSTED_PROXIES. How many reverse proxies in front of the service add X-Forwarded-For and
    #: X-Forwarded-Proto (1 behind one nginx). 0: those headers are ignored (see surveys/security.py).
    TRUSTED_PROXIES = 0
    #: SURVEYS_TIMEZONE. The organisation's time zone (IANA name): it decides the day of a response, and so its
    #: period, and every "today" of the service (DESIGN.md section 4), whatever the server's clock zone.
    TIMEZONE = "Europe/Amsterdam"
    #: SURVEYS_DATABASE_TIMEOUT. Seconds to wait for the database: to connect, for a pooled connection, for a
    #: lock (SQLite); after this the visitor gets the 503 page rather than a hanging request.
    DATABASE_TIMEOUT = 5
    #: SURVEYS_STATEMENT_TIMEOUT. Seconds one SQL statement may run on PostgreSQL before the server stops it.
    STATEMENT_TIMEOUT = 30
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Refuse request bodies over 1 MB: the largest honest form is well under 100 kB.
    MAX_CONTENT_LENGTH = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a respondent may take their time; the token still binds to the session
    # Flask-WTF's extra check on HTTPS wants a Referer from this host, and our Referrer-Policy: no-referrer
    # tells browsers to send none, so every form post over HTTPS failed. It adds nothing here: what stops a
    # forged post is the token, bound to the session, in a cookie that is SameSite=Lax, HttpOnly and (over
    # HTTPS) Secure, so another site can neither read the token nor send the cookie with its post.
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
#: Parts of the example values people copy without changing them.
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "placeholder", "your-secret", "example")
SECRET_MIN_LENGTH = 32
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'
#: Keys whose value is never repeated in a message: they may hold a password.
UNSHOWN = {"DATABASE_URL", "RATELIMIT_STORAGE_URI", "SMTP_PASSWORD", "OIDC_CLIENT_SECRET"}
TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}


class ConfigurationError(click.ClickException, RuntimeError):
    """A setting the service cannot run with. The message names each key and what it expects.

    A ClickException, so `flask --app surveys …` prints the message without a traceback; a RuntimeError, so
    gunicorn does the same ("Error: …") and exits."""


class _Problem(ValueError):
    """What one key expects; raised by the parsers below and gathered by `validate`."""


def finish(app: Flask) -> None:
    """Check every setting by its type (a bad one stops the start with a message naming it), then derive
    the settings that depend on others."""
    validate(app.config, development=app.debug or app.testing, instance_path=app.instance_path)
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "surveys.sqlite3")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_MINUTES"])
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config, url)


def engine_options(config, url: str) -> dict:
    """Timeouts, so that a database that is down or hangs gives the 503 page within seconds (DESIGN.md
    section 10) instead of a request that waits for ever: to connect, for a pooled connection, for a lock
    (SQLite) and for one statement (PostgreSQL). Options set in SQLALCHEMY_ENGINE_OPTIONS win."""
    wait = config["DATABASE_TIMEOUT"]
    options = {"pool_timeout": wait, **config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if url.startswith("sqlite"):
        # Writers queue this long for the database lock, then fail (and get the 503 page).
        connect_args = {"timeout": wait}
    else:
        # libpq counts whole seconds and at least 2.
        connect_args = {"connect_timeout": max(2, math.ceil(wait))}
        if config["STATEMENT_TIMEOUT"]:
            connect_args["options"] = f"-c statement_timeout={round(config['STATEMENT_TIMEOUT'] * 1000)}"
    options["connect_args"] = connect_args | options.get("connect_args", {})
    return options


def validate(config, *, development: bool, instance_path: str) -> None:
    """Parse every known key by its type, in place; raise ConfigurationError listing each bad one."""
    problems = []
    for key, parse in PARSERS.items():
        if key not in config:  # Flask's own keys that an extension fills in later (WTF_CSRF_ENABLED)
            continue
        try:
            config[key] = parse(config.get(key))
        except _Problem as problem:
            # A URL may hold a password, and the message goes to logs: name those keys without their value.
            shown = "(value not shown)" if key in UNSHOWN else f"= {config.get(key)!r}"
            problems.append(f"SURVEYS_{key} {shown}: {problem}")
    try:
        config["SECRET_KEY"] = secret_key(config.get("SECRET_KEY"), development=development)
    except _Problem as problem:
        problems.append(f"SURVEYS_SECRET_KEY: {problem}. Set it in the environment or as SECRET_KEY in "
                        f"{os.path.join(instance_path, 'config.py')}, for example to the output of: {MAKE_SECRET}")
    if not problems:  # how settings go together, once each is right by itself
        problems += _login_problems(config)
    if problems:
        raise ConfigurationError("surveys cannot start with this configuration:\n" + "\n".join(
            f"  {line}" for line in problems))


def _login_problems(config) -> list[str]:
    """Settings that are each fine but together would leave staff unable to log in."""
    problems = []
    if config.get("OIDC_ISSUER") and not (config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
        problems.append("SURVEYS_OIDC_ISSUER is set, so SURVEYS_OIDC_CLIENT_ID and SURVEYS_OIDC_CLIENT_SECRET are "
                        "needed too (this service's registration at the provider)")
    if config.get("PASSWORD_LOGIN") is False and not config.get("OIDC_ISSUER"):
        problems.append("SURVEYS_PASSWORD_LOGIN is false, so SURVEYS_OIDC_ISSUER is needed: else nobody can log in")
    return problems


def secret_key(value, *, development: bool):
    if value is not None and not isinstance(value, str | bytes):
        # SURVEYS_* values are read as JSON, so a key of only digits arrives as a number, which cannot sign
        # a session; refuse now rather than fail on the first form.
        raise _Problem(f"the secret key must be text, not {type(value).__name__} (values that read as JSON, "
                       "only digits or true, become numbers)")
    if development:
        return value  # make run (debug) and the tests may use a short key or none
    if value in PLACEHOLDER_SECRETS:
        raise _Problem("surveys needs a secret key outside development and tests")
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if len(value) < SECRET_MIN_LENGTH:
        raise _Problem(f"the secret key has {len(value)} characters; it needs at least {SECRET_MIN_LENGTH}")
    if any(word in text.lower() for word in PLACEHOLDER_WORDS) or len(set(text)) < 8:
        raise _Problem("this is a placeholder, not a secret; it needs a long random value")
    return value


def boolean(value) -> bool:
    """true/false, 1/0, yes/no, on/off, in any case; anything else is refused (Python reads "no" as true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Problem("expected true or false (also accepted: 1/0, yes/no, on/off)")


def optional_boolean(value) -> bool | None:
    return None if value is None or value == "" else boolean(value)


def integer(low: int, high: int | None = None):
    def parse(value) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            upper = f" to {high}" if high else " or more"
            raise _Problem(f"expected a whole number from {low}{upper}")
        return value
    return parse


def seconds(value) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise _Problem("expected a number of seconds above 0 (at most 3600), e.g. 5")
    return value


def seconds_or_off(value) -> float:
    return 0 if value in (0, "0") else seconds(value)


def rate_limit(value) -> str:
    """A Flask-Limiter limit such as "60 per minute" or "20 per 10 minutes" (several: separated by ";").
    Flask-Limiter would log an unparsable one and drop it, switching that protection off."""
    try:
        if not isinstance(value, str) or not limits.parse_many(value):
            raise ValueError
    except ValueError:
        raise _Problem('expected a rate limit such as "60 per minute" or "20 per 10 minutes" (in English: '
                       "second, minute, hour, day, month, year)") from None
    return value


def text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Problem("expected a non-empty text")
    return value


def optional_text(value) -> str | None:
    # A password of only digits arrives from the environment as a number (JSON); it is still the password.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Problem("expected a text")


def base_url(value) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise _Problem("expected the service's address as http(s)://host[:port][/path], "
                       "e.g. https://waardering.example.nl")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise _Problem("the port in this address is not a number") from None
    return value


def issuer_url(value) -> str | None:
    """An OpenID Connect issuer: https (the ID tokens' keys come from it), or nothing for no single sign-on."""
    if value is None or value == "":
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if not parts or parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise _Problem("expected the identity provider's issuer as https://host[/path], e.g. "
                       "https://login.microsoftonline.com/<tenant>/v2.0")
    return value


def database_url(value) -> str | None:
    if value is None or value == "":
        return None
    try:
        url = make_url(value)
    except (ArgumentError, ValueError, TypeError):
        url = None
    if url is None or url.get_backend_name() not in ("sqlite", "postgresql") or url.get_driver_name() not in (
            "pysqlite", "psycopg"):
        raise _Problem("expected an SQLAlchemy URL of SQLite or PostgreSQL, e.g. "
                       "postgresql://surveys@db.example/surveys or sqlite:////srv/surveys/surveys.sqlite3")
    return value


def storage_uri(value) -> str:
    scheme = value.split("://", 1)[0] if isinstance(value, str) and "://" in value else None
    known = sorted(name for name in limits.storage.SCHEMES if not name.startswith("async+"))
    if scheme not in known:
        raise _Problem(f"expected memory:// or a rate-limit store such as redis://host:6379 (schemes: "
                       f"{', '.join(known)})")
    if scheme.startswith(("redis", "rediss")) and importlib.util.find_spec("redis") is None:
        raise _Problem("this store needs the Redis client, which is not installed: install the package with its "
                       "redis extra, e.g. pip install 'surveys-0.1.0-py3-none-any.whl[redis]'")
    return value


def email_address(value) -> str:
    _, address = parseaddr(value) if isinstance(value, str) else ("", "")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+", address):
        raise _Problem("expected an e-mail address such as waardering@example.nl (or: Naam <adres>)")
    return value


def optional_email_address(value) -> str | None:
    return None if value is None or value == "" else email_address(value)


def time_zone(value) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise _Problem("expected a time zone name such as Europe/Amsterdam (IANA tz database)") from None
    return value


#: Each SURVEYS_* key and how it is parsed; the parsed value replaces the raw one.
PARSERS = {
    "DATABASE_URL": database_url,
    "BASE_URL": base_url,
    "TIMEZONE": time_zone,
    "DEFAULT_MIN_N": integer(2, 100),
    "OPEN_LINK_LIMIT": rate_limit,
    "CODE_LIMIT": rate_limit,
    "API_LIMIT": rate_limit,
    "API_INVITE_LIMIT": rate_limit,
    "LOGIN_LIMIT": rate_limit,
    "LOGIN_ACCOUNT_LIMIT": rate_limit,
    "SESSION_MINUTES": integer(1),
    "SESSION_MAX_HOURS": integer(1, 168),
    "FREE_TEXT_MONTHS": integer(1),
    "PUBLISH_AFTER_DAYS": integer(0),
    "SMTP_HOST": text,
    "SMTP_PORT": integer(1, 65535),
    "SMTP_USERNAME": optional_text,
    "SMTP_PASSWORD": optional_text,
    "SMTP_STARTTLS": boolean,
    "MAIL_FROM": optional_email_address,
    "RATELIMIT_STORAGE_URI": storage_uri,
    "RATELIMIT_ENABLED": boolean,
    "SESSION_COOKIE_SECURE": optional_boolean,
    "TRUSTED_PROXIES": integer(0, 10),
    "DATABASE_TIMEOUT": seconds,
    "STATEMENT_TIMEOUT": seconds_or_off,
    "OIDC_ISSUER": issuer_url,
    "OIDC_CLIENT_ID": optional_text,
    "OIDC_CLIENT_SECRET": optional_text,
    "OIDC_EMAIL_CLAIM": text,
    "OIDC_ROLE_CLAIM": optional_text,
    "OIDC_SCOPES": text,
    "PASSWORD_LOGIN": boolean,
    "TESTING": boolean,
    "WTF_CSRF_ENABLED": boolean,
}


#: The Alembic scripts: inside the installed package (setup.cfg maps the repository's top-level migrations/
#: folder to surveys.migrations), else beside the package in a checkout or an editable install.
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
if not os.path.isdir(MIGRATIONS_DIR):
    MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

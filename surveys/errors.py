"""Error pages in plain Dutch (or English, see i18n.py). No stack trace or version ever reaches the respondent."""

import math
import sqlite3
import time

import psycopg
from flask import Flask, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .api.problems import problem
from .extensions import db, limiter, login_manager
from .i18n import is_staff_request
from .services import organisation

# status → (title, message); the message says what the person can do now. Lazy: translated when shown.
MESSAGES = {
    400: (_l("Dit konden we niet lezen"),
          _l("Uw antwoorden kwamen niet goed bij ons aan. Ga terug en probeer het opnieuw.")),
    403: (_l("Geen toegang"), _l("U kunt deze pagina niet openen.")),
    404: (_l("Pagina niet gevonden"), _l("Deze pagina bestaat niet. Controleer het adres.")),
    405: (_l("Dit kan niet"), _l("Deze pagina kan dat verzoek niet verwerken.")),
    413: (_l("Te veel tekst"),
          _l("U stuurde meer tekst dan we kunnen opslaan. Maak uw antwoorden korter en probeer het opnieuw.")),
    415: (_l("Dit konden we niet lezen"), _l("Gebruik het formulier op de pagina om uw antwoorden te sturen.")),
    429: (_l("Even wachten"), _l("Er kwamen te veel verzoeken van uw adres.")),  # and how long: _too_many_requests
    500: (_l("Er ging iets mis"),
          _l("Er ging bij ons iets mis. Uw antwoorden zijn niet opgeslagen. Probeer het later opnieuw.")),
    503: (_l("Even niet beschikbaar"),
          _l("De vragenlijst is nu even niet beschikbaar. Uw antwoorden zijn niet opgeslagen. "
             "Probeer het over een paar minuten opnieuw.")),
}
# Any other status: a plain sentence rather than the server's English name for it.
OTHER_MESSAGE = (_l("Dit kan niet"), _l("Deze pagina kan dat verzoek niet verwerken."))
# A form without this session's token: the session cookie was lost (cleared, or a new browser session) or the
# form came from elsewhere. Nothing was stored. (A questionnaire shows its answers again instead: respond/.)
CSRF_MESSAGE = (_l("Dit formulier konden we niet controleren"),
                _l("We konden niet controleren of dit formulier van deze website kwam. Misschien zijn de "
                   "cookies van uw browser gewist. Er is niets opgeslagen. Open de pagina opnieuw en probeer "
                   "het nog een keer."))


def _page(status: int, title: str, message: str):
    try:
        return render_template("error.html", status=status, title=title, message=message), status
    except OperationalError:
        # Drawing the page needed the database (the signed-in account, for the menu; the organisation) and
        # it is gone: draw it as for a visitor who is not signed in, with the organisation read last.
        _forget_database_work()
        return render_template("error.html", status=status, title=title, message=message), status


def _forget_database_work() -> None:
    """Drop the session's half-done work, and take the visitor as not signed in for the rest of this
    request, so that nothing more needs the database (loading the account would)."""
    db.session.rollback()
    login_manager._update_request_context_with_user()
    organisation.use_without_database()


def _seconds_to_wait() -> int:
    """Until the limit that refused this request lets the next one through (at least a second)."""
    limit = limiter.current_limit
    return max(1, math.ceil(limit.window[0] - time.time())) if limit is not None else 60


def _too_many_requests():
    """429 with the real waiting time, in words and in Retry-After (the window can be an hour, so "a few
    minutes" would be wrong); a refused form post says its answers were not kept."""
    seconds = _seconds_to_wait()
    minutes = -(-seconds // 60)  # rounded up: waiting a little longer always works
    wait = ngettext("Probeer het over %(num)d minuut opnieuw.", "Probeer het over %(num)d minuten opnieuw.", minutes)
    title, message = MESSAGES[429]
    if request.method == "POST" and not is_staff_request():
        not_saved = _("Uw antwoorden zijn niet opgeslagen.")
        message = f"{message} {not_saved}"
    if request.path.startswith("/api/"):
        response = problem(429, API_MESSAGES[429])
    else:
        response = make_response(_page(429, title, f"{message} {wait}"))
    response.headers["Retry-After"] = str(seconds)
    return response


def _outage_page():
    """503 while the database is down or unreachable, drawn without touching it. The API answers in JSON,
    as it always does."""
    _forget_database_work()
    if request.path.startswith("/api/"):
        response = problem(503, API_MESSAGES[503])
    else:
        response = make_response(_page(503, *MESSAGES[503]))
    response.headers["Retry-After"] = "60"
    return response


# What an API client is told, in English as the rest of the API; other statuses say what the server says.
API_MESSAGES = {429: "too many requests from this address; try again after the seconds in Retry-After",
                500: "something went wrong on the server; nothing was stored; try again later",
                503: "the database is not available right now; try again in a few minutes"}


def _api_error(error: HTTPException):
    """An HTTP error on /api/ as a problem (RFC 9457), as every API error is, with the error's own headers
    (Allow, Retry-After) kept."""
    response = problem(error.code, API_MESSAGES.get(error.code, error.description))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            return _too_many_requests()
        if request.path.startswith("/api/"):
            return _api_error(error)
        title, message = MESSAGES.get(error.code, OTHER_MESSAGE)
        if is_staff_request() and error.description != type(error).description:
            message = error.description  # a reason a management view gave (abort(409, "…")), for staff only
        return _page(error.code, title, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(sqlite3.OperationalError)  # plain SQL through the driver (services/sql.py) raises these
    @app.errorhandler(psycopg.OperationalError)
    def database_unavailable(error):
        # The database is down or unreachable: say so and keep nothing half-done.
        app.logger.error("database unavailable: %s", type(error).__name__)
        return _outage_page()

    @app.errorhandler(SQLAlchemyError)
    def database_error(error):
        if getattr(error, "connection_invalidated", False):  # the connection broke: an outage, not a bug
            app.logger.error("database connection lost: %s", type(error).__name__)
            return _outage_page()
        db.session.rollback()
        app.logger.exception("database error")
        if request.path.startswith("/api/"):
            return problem(500, API_MESSAGES[500])
        return _page(500, *MESSAGES[500])

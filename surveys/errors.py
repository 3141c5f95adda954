"""Error pages in plain Dutch. No stack trace or version ever reaches the respondent."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .extensions import db

# status → (title, message); the message says what the person can do now.
MESSAGES = {
    400: ("Dit konden we niet lezen", "Uw antwoorden kwamen niet goed bij ons aan. Ga terug en probeer het opnieuw."),
    403: ("Geen toegang", "U kunt deze pagina niet openen."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet. Controleer het adres."),
    405: ("Dit kan niet", "Deze pagina kan dat verzoek niet verwerken."),
    413: ("Te veel tekst",
          "U stuurde meer tekst dan we kunnen opslaan. Maak uw antwoorden korter en probeer het opnieuw."),
    415: ("Dit konden we niet lezen", "Gebruik het formulier op de pagina om uw antwoorden te sturen."),
    429: ("Even wachten",
          "Er kwamen te veel verzoeken tegelijk. Wacht een paar minuten en probeer het dan opnieuw."),
    500: ("Er ging iets mis",
          "Er ging bij ons iets mis. Uw antwoorden zijn niet opgeslagen. Probeer het later opnieuw."),
    503: ("Even niet beschikbaar", "De vragenlijst is nu even niet beschikbaar. Uw antwoorden zijn niet opgeslagen. "
                                  "Probeer het over een paar minuten opnieuw."),
}
CSRF_MESSAGE = ("Het formulier is verlopen",
                "Uw formulier was te lang open of kwam niet van deze website. Uw antwoorden zijn niet opgeslagen. "
                "Open de vragenlijst opnieuw en vul hem in.")


def _page(status: int, title: str, message: str):
    return render_template("error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        title, message = MESSAGES.get(error.code, (error.name, ""))
        return _page(error.code, title, message)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # The database is down or unreachable: say so and keep nothing half-done.
        db.session.rollback()
        app.logger.error("database unavailable: %s", type(error).__name__)
        return _page(503, *MESSAGES[503])

    @app.errorhandler(SQLAlchemyError)
    def database_error(error):
        db.session.rollback()
        app.logger.exception("database error")
        return _page(500, *MESSAGES[500])

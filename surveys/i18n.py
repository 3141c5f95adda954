"""Dutch and English on the respondent pages (Flask-Babel).

The locale is, in order: ?lang=nl|en (the language link on every respondent page; remembered in the
session so the form post and the thank-you page keep it), the choice remembered earlier (also the one made
with a questionnaire's language button, which posts the answers along: respond._switch_language), the
browser's Accept-Language (not on the office tablet), and Dutch. Staff pages (/beheer) are Dutch only.

The Dutch texts are the message ids; the English catalogue is surveys/translations/en/LC_MESSAGES/
messages.po. It is read as it is, once per process, and compiled in memory: there is no .mo file to
build, commit or forget, so an editable install, a wheel and the tests all see the same catalogue."""

from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, Domain, force_locale, get_locale, gettext

from .services.kiosk import COOKIE as TABLET_COOKIE
from .urls import link_to_path

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
STAFF_PREFIXES = ("/beheer", "/api/")
# What the language link says, in the language it leads to.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


@cache
def catalogue(language: str) -> support.NullTranslations:
    """The translations for one language, compiled from its .po file (fuzzy entries left out)."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return support.NullTranslations()  # Dutch: the message ids are the text
    with path.open("rb") as source:
        messages = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return support.Translations(compiled, domain="messages")


class PoDomain(Domain):
    """Flask-Babel's message domain, fed from the .po files instead of compiled .mo files."""

    def get_translations(self):
        locale = get_locale()
        return catalogue(str(locale)) if locale is not None else support.NullTranslations()


class PoBabel(Babel):
    @property
    def domain_instance(self):
        return _DOMAIN


_DOMAIN = PoDomain()
babel = PoBabel()


def is_staff_request() -> bool:
    return request.path.startswith(STAFF_PREFIXES)


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    if not has_request_context() or is_staff_request():
        return DEFAULT_LANGUAGE
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return remembered
    if request.cookies.get(TABLET_COOKIE):
        # The office tablet: its browser's language says nothing of the person holding it. Each person
        # starts in Dutch (the session, and the language picked in it, ends with each response).
        return DEFAULT_LANGUAGE
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


def remember_language() -> None:
    """Keep the language picked with the link for the rest of the visit (form post, thank-you page)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and not is_staff_request() and session.get("lang") != asked:
        session["lang"] = asked


def language_link() -> dict | None:
    """The link to the other language on respondent pages: this page, with ?lang= set."""
    if is_staff_request():
        return None
    other = "en" if current_language() == "nl" else "nl"
    query = {key: value for key, value in request.args.items(multi=True) if key != "lang"}
    query["lang"] = other
    return {"href": f"{link_to_path(request.path)}?{urlencode(query)}", "language": other,
            "label": LANGUAGE_NAMES[other]}


def form_language_notice() -> dict | None:
    """The line at the top of a form that says, in the other language, that the form is in that language
    too and where its button is (at the end of the form, after the send button, so the answers go along)."""
    if is_staff_request():
        return None
    other = "en" if current_language() == "nl" else "nl"
    with force_locale(other):
        # One message that names the language it is written in: in Dutch it says Nederlands, its English
        # translation says English. It is only ever shown in the other language than the page's.
        text = gettext("Dit formulier is er ook in het Nederlands. De knop staat aan het einde van het formulier.")
    return {"language": other, "text": text}


def _vary(response):
    if not is_staff_request():
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=select_locale)
    app.before_request(remember_language)
    app.after_request(_vary)
    app.context_processor(lambda: {"language": current_language(), "language_link": language_link,
                                   "form_language_notice": form_language_notice})

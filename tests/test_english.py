"""A respondent who reads English gets every respondent page in English: the questionnaires, the error
messages, the thank-you page, the code problems, the error pages and the accessibility statement.

Two checks hold each other up. The catalogue check: every message marked in the code and templates has
an English translation. The page check: an English page shows no Dutch message id, no Dutch questionnaire
text and no common Dutch word (outside names and outside the link back to Nederlands, which is marked
lang="nl")."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from werkzeug.datastructures import MultiDict

from surveys.extensions import db
from surveys.i18n import TRANSLATIONS
from surveys.questionnaires import QUESTIONNAIRE_KEYS, load_questionnaire
from surveys.services.questionnaires import seed

from .conftest import make_app
from .helpers import GOOD_ANSWERS, codes_for, csrf_token, fill_in, open_round, page_tokens, register_tablet

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}

# Names that stay as they are in English (the organisation, its partners, the standard).
NAMES = ("Sociaal Team Houten", "Sociaal Team", "Samen Veilig", "POH-GGZ", "GGD", "CJG", "WCAG")
# Common Dutch words that are not also English words: one of them on an English page is a missed text.
DUTCH_WORDS = {
    "aan", "al", "als", "antwoord", "antwoorden", "bedankt", "bij", "dat", "de", "deze", "dit", "een", "en",
    "er", "fout", "geen", "gesloten", "graag", "het", "hoe", "ik", "inhoud", "kies", "kunt", "met", "mij",
    "naar", "nee", "niet", "nog", "ons", "ook", "op", "pagina", "slecht", "te", "toegankelijkheid", "u",
    "uitstekend", "uw", "van", "verplicht", "versturen", "voor", "vraag", "vragen", "vragenlijst", "wat",
    "weet", "wel", "wij", "zeer", "zijn",
}


def _catalogue():
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale="en")


def _marked_messages() -> set[str | tuple[str, str]]:
    """Every message id marked for translation in surveys/ (the same rules as `pybabel extract`); a plural
    one as its (singular, plural) pair, as the catalogue keeps it."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = extract_from_dir(ROOT / "surveys", method_map=method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else tuple(message[:2]) if message[1] else message[0]
            for _, _, message, _, _ in found}


def dutch_texts() -> list[str]:
    """What must never show on an English page: the Dutch message ids and the Dutch questionnaire texts."""
    texts = set()
    for message in _catalogue():
        texts.update([message.id] if isinstance(message.id, str) else message.id)  # a plural: both forms
    texts.discard("")
    for key in QUESTIONNAIRE_KEYS:
        questionnaire = load_questionnaire(key)
        pairs = [questionnaire.title, questionnaire.intro]
        for item in questionnaire.items:
            pairs += [item.text, *(t for t in (item.hint, item.nvt_label) if t)]
            pairs += [option.label for option in item.answer_options()]
        # A Dutch text that the English one keeps whole is a name ("Samen Veilig", "GGD"), not a miss.
        texts |= {pair.nl for pair in pairs if pair.nl not in pair.en}
    # Longest first, so a message is reported whole rather than by a shorter one inside it.
    return sorted((text.replace("%(max)d", "") for text in texts), key=len, reverse=True)


class _VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes, the title and the labels in attributes, leaving
    out scripts, styles, typed answers and any part marked as another language than English."""

    SPOKEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open elements whose content is left out
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
            return
        other_language = attributes.get("lang") not in (None, "en")
        # A textarea holds what the respondent typed, in whatever language they typed it.
        if tag not in self.VOID and (self.skipping or tag in ("script", "style", "textarea") or other_language):
            self.skipping.append(tag)
            return
        if self.skipping or other_language:
            return
        self.parts += [attributes[name] for name in self.SPOKEN_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def read_page(html: str) -> tuple[str | None, str]:
    """(the lang of <html>, the visible English text)."""
    parser = _VisibleText()
    parser.feed(html)
    return parser.lang, " ".join(" ".join(parser.parts).split())


def dutch_left_in(text: str) -> list[str]:
    """The Dutch texts and words found in the visible text of a page that should be English."""
    found = [dutch for dutch in dutch_texts() if re.search(rf"(?<!\w){re.escape(dutch.strip())}(?!\w)", text)]
    for name in NAMES:
        text = text.replace(name, " ")
    words = {word.lower() for word in re.findall(r"[^\W\d_]+", text)}
    return found + sorted(words & DUTCH_WORDS)


def assert_english(response, status: int = 200) -> str:
    """The page is English through and through, with the link (or, on a form, the button) back to Dutch;
    returns its visible text."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, html[:500])
    lang, text = read_page(html)
    assert lang == "en"
    assert dutch_left_in(text) == [], text
    assert ('<a href="' in html and 'lang="nl" hreflang="nl">Nederlands</a>' in html
            or '<button type="submit" class="link-button" name="language" value="nl" lang="nl">Nederlands</button>'
            in html)
    return text


def test_every_marked_message_has_an_english_translation():
    catalogue = _catalogue()
    marked = _marked_messages()
    translated = {message.id: message for message in catalogue if message.id}
    assert sorted(marked - set(translated), key=str) == [], "run the update in README.md (English) and translate"
    assert sorted(set(translated) - marked, key=str) == [], "these entries are no longer used; remove them"
    untranslated = [m.id for m in translated.values() if not m.string or m.fuzzy]
    assert untranslated == []
    assert [(message.id, errors) for message, errors in catalogue.check()] == []  # e.g. %(max)d kept


def test_the_page_check_finds_dutch():
    """The check below must be able to fail: Dutch in an English page is found, names are not."""
    assert dutch_left_in("Thank you! U kunt dit venster nu sluiten.") != []
    assert dutch_left_in("Choose an answer. Weet ik niet") == ["Weet ik niet", "ik", "niet", "weet"]
    assert dutch_left_in("The Sociaal Team Houten and Samen Veilig (child protection) say thank you.") == []
    lang, text = read_page('<html lang="en"><title>Hi</title><p>Hello <a lang="nl">Nederlands</a></p>'
                           '<img alt="een grafiek"></html>')
    assert (lang, text) == ("en", "Hi Hello een grafiek")


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRE_KEYS)
def test_a_respondent_answers_each_questionnaire_in_english(app, client, questionnaire):
    """Browser in English: the form, the form with its errors, the thank-you page and the used code."""
    with app.app_context():
        (code,) = codes_for(open_round(questionnaire))
    url = f"/r/{code}"  # the office tablet speaks Dutch to everyone until the language link is used
    page = client.get(url, headers=ENGLISH)
    text = assert_english(page)
    definition = load_questionnaire(questionnaire)
    for item in definition.items:
        assert item.text.en in text
    assert definition.title.en in text and "1 is very poor, 10 is excellent." in text

    empty = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))}, headers=ENGLISH)
    text = assert_english(empty, 422)
    assert "Check your answers" in text and "Choose a grade in question 1." in text
    assert "Choose a grade from 1 to 10. Not sure? Then choose 'I don't know'." in text

    answers = {**GOOD_ANSWERS[questionnaire], "csrf_token": csrf_token(page.get_data(as_text=True))}
    reply = client.post(url, data=answers, headers=ENGLISH)
    assert reply.status_code == 303
    assert "Your answers have reached us." in assert_english(client.get(reply.headers["Location"],
                                                                        headers=ENGLISH))
    assert "This link has already been used" in assert_english(client.get(url, headers=ENGLISH), 410)


def test_every_answer_error_reads_in_english(app, client):
    register_tablet(client)
    page = client.get("/q/client?lang=en")
    token = csrf_token(page.get_data(as_text=True))
    wrong = {**GOOD_ANSWERS["client"], "C1": "11", "C4": "misschien", "C10": "x" * 2001, "csrf_token": token}
    text = assert_english(client.post("/q/client", data=wrong), 422)
    assert "Choose a whole grade from 1 to 10, or 'I don't know'." in text
    assert "Choose one of the answers in the list." in text
    assert "Your answer is too long. Use at most 2000 characters." in text

    control = {**GOOD_ANSWERS["client"], "C10": "bell\x07", "csrf_token": token}
    assert "characters we cannot store" in assert_english(client.post("/q/client", data=control), 422)
    twice = MultiDict(list({**GOOD_ANSWERS["client"], "csrf_token": token}.items()) + [("C2", "3")])
    assert "sent more than once" in assert_english(client.post("/q/client", data=twice), 422)


def test_each_code_problem_reads_in_english(app, client):
    with app.app_context():
        (closed,) = codes_for(open_round("partner", days_back=30, days_ahead=-1))
        (not_yet,) = codes_for(open_round("gemeente", days_back=-5, days_ahead=20))
    expected = {"/r/onbekende-code": (404, "This link does not work"),
                f"/r/{closed}": (410, "This questionnaire is closed"),
                f"/r/{not_yet}": (403, "This questionnaire is not open yet")}
    for url, (status, title) in expected.items():
        assert title in assert_english(client.get(url, headers=ENGLISH), status)


def test_error_pages_read_in_english(app, client):
    english = {**ENGLISH}
    assert "Page not found" in assert_english(client.get("/bestaat-niet", headers=english), 404)
    assert "This is not possible" in assert_english(client.post("/bedankt", headers=english), 405)
    assert "Use the form on the page" in assert_english(
        client.post("/q/client", json={"C1": "8"}, headers=english), 415)
    assert "did not reach us properly" in assert_english(
        client.post("/q/client", data=b"C10=caf\xe9", headers={**english, "Content-Type":
                                                                 "application/x-www-form-urlencoded"}), 400)
    assert "We could not check this form" in assert_english(
        client.post("/code", data={"code": "K7Q2-M9XD-4HNP-W3RT"}, headers=english), 400)
    assert "Too much text" in assert_english(
        client.post("/q/client", data={"C10": "x" * (1024 * 1024 + 1)}, headers=english), 413)


def test_the_not_ready_page_reads_in_english(database_url):
    unseeded = make_app(database_url)
    with unseeded.app_context():
        db.create_all()  # and nothing seeded: the questionnaire is not ready
    tablet = unseeded.test_client()
    register_tablet(tablet)
    page = tablet.get("/q/client?lang=en", headers=ENGLISH)
    assert "Not available right now" in assert_english(page, 503)
    with unseeded.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_rate_limit_page_reads_in_english(database_url):
    limited = make_app(database_url, RATELIMIT_ENABLED=True, OPEN_LINK_LIMIT="1 per hour")
    with limited.app_context():
        db.create_all()
        seed()
    client = limited.test_client()
    register_tablet(client)
    assert fill_in(client, "/q/client?lang=en", GOOD_ANSWERS["client"]).status_code == 303
    again = fill_in(client, "/q/client?lang=en", GOOD_ANSWERS["client"])  # the next person picks English too
    text = assert_english(again, 429)
    assert "Please wait a moment" in text
    # The limit is per hour, so the page says the real wait, and that the answers were not kept.
    assert "Too many requests came from your address. Your answers have not been saved. Try again in 60 minutes." \
        in text
    assert 3500 < int(again.headers["Retry-After"]) <= 3600
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_accessibility_statement_reads_in_english(client):
    text = assert_english(client.get("/toegankelijkheid", headers=ENGLISH))
    assert "WCAG 2.1" in text and "in Dutch only" in text


@pytest.mark.parametrize(("accept_language", "expected"), [
    (None, "nl"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("de-DE, en;q=0.5", "en"), ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
    ("fr", "nl"), ("*", "nl"),
])
def test_the_browser_language_picks_dutch_or_english(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = client.get("/q/client", headers=headers)
    assert f'<html lang="{expected}">' in page.get_data(as_text=True)
    assert "Accept-Language" in page.headers["Vary"]


def test_the_language_link_wins_and_is_remembered_for_the_visit(app, client):
    """The link on the page beats the browser's language, and the choice holds through the form post."""
    register_tablet(client)
    page = client.get("/q/client?lang=nl", headers=ENGLISH)
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert '<button type="submit" class="link-button" name="language" value="en" lang="en">English</button>' in html
    reply = client.post("/q/client", data={**GOOD_ANSWERS["client"], **page_tokens(html)},
                        headers=ENGLISH)
    thanks = client.get(reply.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="nl">' in thanks and "Dank u wel!" in thanks
    assert_english(client.get("/bedankt?lang=en"))
    assert_english(client.get("/toegankelijkheid"))  # remembered: no parameter, no header


def test_staff_pages_stay_dutch_whatever_the_browser_says(client):
    page = client.get("/beheer/inloggen?lang=en", headers=ENGLISH)
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html and "Inloggen voor medewerkers" in html
    assert "hreflang" not in html  # no language link on staff pages

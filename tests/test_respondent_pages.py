"""What respondents meet beyond a plain answer-and-thanks (issue 17): the language button keeps every answer,
a code of a closed round says so after the purge deleted it, the favicon, and the accessibility statement in
the Dutch model format."""

from sqlalchemy import select

from surveys import periods
from surveys.extensions import db
from surveys.models import InvitationCode
from surveys.services import retention

from .helpers import GOOD_ANSWERS, codes_for, counts, csrf_token, open_round, page_tokens, register_tablet

ENGLISH_BUTTON = '<button type="submit" class="link-button" name="language" value="en" lang="en">English</button>'
DUTCH_BUTTON = '<button type="submit" class="link-button" name="language" value="nl" lang="nl">Nederlands</button>'
NOTICE_IN_ENGLISH = ('<p class="hint language-notice" lang="en">This form is also in English. '
                     'The button is at the end of the form.</p>')
NOTICE_IN_DUTCH = ('<p class="hint language-notice" lang="nl">Dit formulier is er ook in het Nederlands. '
                   'De knop staat aan het einde van het formulier.</p>')


def test_a_respondent_switches_to_english_halfway_and_keeps_every_answer(app, client):
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    page = client.get(f"/r/{code}").text
    assert '<html lang="nl">' in page and ENGLISH_BUTTON in page
    # The button is the form's last: after the questions and the send button, not first after the skip link.
    send = '<button type="submit" class="button">Antwoorden versturen</button>'
    assert page.index('id="C10"') < page.index(send) < page.index(ENGLISH_BUTTON) < page.index("</form>")
    assert page.count("<button") == 3 and page.rindex("<button") == page.index(ENGLISH_BUTTON)
    assert "hreflang" not in page[:page.index("<main")]
    # A line in English at the top says so, and is text, not another tab stop.
    assert page.index(NOTICE_IN_ENGLISH) < page.index("<h1>")
    halfway = {"C1": "8", "C2": "7", "C4": "ja", "C10": "Sneller terugbellen graag."}  # C3, C5-C9 not yet

    switched = client.post(f"/r/{code}", data={**halfway, "language": "en", "csrf_token": csrf_token(page)})
    assert switched.status_code == 200
    english = switched.text
    assert '<html lang="en">' in english and DUTCH_BUTTON in english
    assert NOTICE_IN_DUTCH in english and NOTICE_IN_ENGLISH not in english
    assert english.index('<button type="submit" class="button">Send answers</button>') < english.index(DUTCH_BUTTON)
    assert "What do you think of the help from the Sociaal Team?" in english
    for key in ("C1", "C2", "C4"):
        assert f'<input type="radio" id="{key}-{halfway[key]}" name="{key}" value="{halfway[key]}" checked>' in english
    assert english.count(" checked>") == 3
    assert ">Sneller terugbellen graag.</textarea>" in english
    # Not sent yet, so nothing is refused: no summary, no message, no question marked invalid.
    assert "error-summary" not in english and "error-message" not in english and "aria-invalid" not in english
    with app.app_context():
        assert counts() == (0, 0, 0)

    # The rest is answered in English, and the language stays for the thank-you page.
    sent = client.post(f"/r/{code}", data={**GOOD_ANSWERS["client"], "csrf_token": csrf_token(english)})
    assert sent.status_code == 303
    assert "Your answers have reached us." in client.get(sent.headers["Location"]).text
    with app.app_context():
        assert counts() == (1, 12, 1)


def test_pressing_enter_sends_the_answers_not_the_language_button(app, client):
    """A browser sends a form with Enter through its first submit button: that must be the send button."""
    register_tablet(client)
    page = client.get("/q/client").text
    form = page[page.index("<form"):]
    first_button = form[form.index("<button"):form.index("</button>")]
    assert 'name="language"' not in first_button and 'tabindex="-1" aria-hidden="true"' in first_button
    assert client.post("/q/client", data={**GOOD_ANSWERS["client"], **page_tokens(page)}).status_code == 303


def test_the_language_switch_on_the_tablet_keeps_the_answers_and_the_page_can_still_be_sent_once(app, client):
    register_tablet(client)
    page = client.get("/q/client").text
    switched = client.post("/q/client", data={"C1": "3", "language": "en", **page_tokens(page)})
    assert switched.status_code == 200 and '<html lang="en">' in switched.text
    assert '<input type="radio" id="C1-3" name="C1" value="3" checked>' in switched.text
    assert client.post("/q/client", data={**GOOD_ANSWERS["client"], **page_tokens(switched.text)}).status_code == 303
    with app.app_context():
        assert counts()[0] == 1


def test_a_text_answer_too_long_is_marked_invalid_and_its_summary_line_says_what_to_do(app, client):
    register_tablet(client)
    page = client.get("/q/client").text
    reply = client.post("/q/client", data={**GOOD_ANSWERS["client"], "C10": "a" * 2001, **page_tokens(page)})
    assert reply.status_code == 422
    assert '<li><a href="#C10">Maak uw antwoord bij vraag 10 korter.</a></li>' in reply.text
    assert '<div class="question has-error" id="C10" tabindex="-1">' in reply.text
    assert ('<textarea id="C10-text" name="C10" rows="5" maxlength="2000" aria-describedby="C10-hint C10-error" '
            'aria-invalid="true">') in reply.text
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_a_code_of_a_closed_round_says_the_questionnaire_may_be_closed_after_the_purge(app, client):
    with app.app_context():
        (code,) = codes_for(open_round("partner", days_back=30, days_ahead=-1))
        assert "Deze vragenlijst is gesloten" in client.get(f"/r/{code}").text
        retention.purge(periods.today())
        assert db.session.scalar(select(InvitationCode.id)) is None, "the purge deleted the code"
    late = client.get(f"/r/{code}")
    assert late.status_code == 404
    assert "<h1>Deze link werkt niet meer</h1>" in late.text
    assert "Misschien is de vragenlijst gesloten." in late.text
    assert "Kijk dan of u het hele adres uit de brief of e-mail hebt gebruikt." in late.text
    # Typed in lower case with dashes, it is the same code; any other code of that shape is answered alike
    # (nothing tells a deleted code from one never made), and a code of another shape was mistyped.
    assert "Deze link werkt niet meer" in client.get(f"/r/{code.lower()}").text
    assert "Deze link werkt niet meer" in client.get("/r/K7Q2-M9XD-4HNP-W3RT").text
    mistyped = client.get("/r/K7Q2-M9XD-4HNP")
    assert mistyped.status_code == 404 and "<h1>Deze link werkt niet</h1>" in mistyped.text
    assert "niet helemaal goed overgenomen" in mistyped.text


def test_before_any_round_closed_an_unknown_code_was_mistyped(app, client):
    with app.app_context():
        codes_for(open_round("partner"))
    reply = client.get("/r/K7Q2-M9XD-4HNP-W3RT")
    assert reply.status_code == 404 and "<h1>Deze link werkt niet</h1>" in reply.text
    assert "niet helemaal goed overgenomen" in reply.text


def test_the_favicon_is_served_and_named_on_every_page(app, client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00" and len(icon.data) < 2048  # an ICO header; a small file
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in client.get("/toegankelijkheid").text


def test_the_accessibility_statement_follows_the_dutch_model(app, client):
    """The parts of the model statement: status, date, what it is based on, what does not work yet, contact
    from the organisation profile, and the complaint route to the Nationale ombudsman."""
    page = client.get("/toegankelijkheid").text
    headings = [line.strip() for line in page.splitlines() if line.strip().startswith(("<h1>", "<h2>"))]
    assert headings == ["<h1>Toegankelijkheidsverklaring</h1>", "<h2>Hoe goed voldoen de pagina's?</h2>",
                        "<h2>Waarop deze verklaring is gebaseerd</h2>", "<h2>Wat wij doen</h2>",
                        "<h2>Wat nog niet goed werkt</h2>", "<h2>Lukt het niet? Neem contact op</h2>",
                        "<h2>Klacht</h2>"]
    assert "Deze pagina's voldoen gedeeltelijk aan de norm." in page
    assert "<dt>Datum van deze verklaring</dt>\n    <dd>2 december 2026</dd>" in page
    assert '<a href="tel:0300000000">030 000 00 00</a>' in page  # the shipped default profile
    assert '<a href="mailto:info@sociaalteamhouten.nl">info@sociaalteamhouten.nl</a>' in page
    assert '<a href="https://www.nationaleombudsman.nl/">Website van de Nationale ombudsman</a>' in page

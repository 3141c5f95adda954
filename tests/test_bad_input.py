"""A respondent (or a broken client) sends something the pages cannot accept: every time a 4xx with a
clear Dutch message, nothing stored, and the link still works for a second try (DESIGN.md section 10)."""

import html
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from surveys import periods
from surveys.extensions import db
from surveys.models import Answer
from surveys.services.rounds import new_code

from .helpers import GOOD_ANSWERS, codes_for, counts, csrf_token, fill_in, open_round, register_tablet

GRADE = "Kies een heel cijfer van 1 tot 10, of 'Weet ik niet'."
OPTION = "Kies een van de antwoorden in de lijst."
# A question left open says what to do for its kind of question: a grade, a statement to agree with, a choice.
GRADE_MISSING = "Kies een cijfer van 1 tot 10. Weet u het niet? Kies dan 'Weet ik niet'."
AGREE_MISSING = "Kies hoe eens u het bent met deze zin. Weet u het niet? Kies dan 'Weet ik niet'."
CHOICE_MISSING = "Kies een van de antwoorden."
REQUIRED = GRADE_MISSING  # C1, the question most tests leave open
SUMMARY_VERBS = {GRADE_MISSING: "Kies een cijfer bij vraag", AGREE_MISSING: "Kies hoe eens u het bent bij vraag",
                 CHOICE_MISSING: "Kies een antwoord bij vraag", GRADE: "Kies een heel cijfer bij vraag",
                 OPTION: "Kies een antwoord uit de lijst bij vraag"}
TOO_LONG = "Uw antwoord is te lang. Gebruik hoogstens 2000 tekens."
CONTROL = "Deze tekst bevat tekens die we niet kunnen opslaan. Gebruik gewone letters en cijfers."
TWICE = "Dit antwoord is meer dan één keer verstuurd. Kies één antwoord."
UNREADABLE = "Uw antwoorden kwamen niet goed bij ons aan. Ga terug en probeer het opnieuw."
SESSION_LOST = "We konden niet controleren of deze antwoorden van deze pagina kwamen."
USE_THE_FORM = "Gebruik het formulier op de pagina om uw antwoorden te sturen."

REQUIRED_ITEMS = {
    "client": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"],
    "partner": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
    "gemeente": ["G1", "G2", "G3", "G4", "G5", "G6"],
    "medewerker": ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"],
}
# DESIGN.md §3: C1-C3 and each questionnaire's first item are grades, C4 a choice, the others statements.
REQUIRED_MESSAGES = {key: GRADE_MISSING if key in ("C1", "C2", "C3", "P1", "G1", "M1") else
                     CHOICE_MISSING if key == "C4" else AGREE_MISSING
                     for keys in REQUIRED_ITEMS.values() for key in keys}

ERROR_NEXT_TO_FIELD = re.compile(
    r'<p class="error-message" id="(\w+)-error"><span class="visually-hidden">Fout: </span>(.*?)</p>')
ERROR_SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)
QUESTION_NUMBER = r'<(?:fieldset|div) class="question[^"]*" id="{key}"[^>]*>\s*<(?:legend|label)[^>]*>' \
                  r'<span class="question-number">Vraag (\d+)</span>'
SUMMARY_LINK = re.compile(r'<li><a href="#([^"]+)">(.*?)</a></li>')


@pytest.fixture(params=["code", "open"])
def form_url(request, app, client):
    """Where a cliënt answers: a personal code link in an open round, or the open link on the tablet."""
    if request.param == "open":
        register_tablet(client)
        return "/q/client"
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    return f"/r/{code}"


def answers(**changes):
    """The good cliënt answers with some changed; None leaves the question unanswered."""
    return {**GOOD_ANSWERS["client"], **changes}


def token(client) -> str:
    """The CSRF token of this visitor's session, as a form page (on the tablet) hands it out."""
    page = client.get("/q/client")
    if page.status_code == 403:
        register_tablet(client)
        page = client.get("/q/client")
    return csrf_token(page.get_data(as_text=True))


def refused(reply) -> dict[str, str]:
    """The page a respondent gets back after a refused answer: 422, each message next to its field and
    again in the summary at the top, linked to that field. Returns {field: message} as read on screen."""
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "<title>Fout: " in page and '<h2 id="error-summary-title">Controleer uw antwoorden</h2>' in page
    next_to_fields = {key: html.unescape(message) for key, message in ERROR_NEXT_TO_FIELD.findall(page)}
    summary = ERROR_SUMMARY.search(page)
    assert summary, "no error summary at the top of the page"
    assert summary.start() < page.index("<form")
    links = SUMMARY_LINK.findall(summary.group())
    assert len(links) == len(next_to_fields)
    for (anchor, text), (key, message) in zip(links, next_to_fields.items(), strict=True):
        # The link leads to the whole question (its fieldset, or the box of a text question), which holds the
        # question's number, its title and this message: not to its first answer.
        assert anchor == key, f"#{anchor} does not lead to {key}"
        number = re.search(QUESTION_NUMBER.format(key=key), page).group(1)
        question = re.search(rf'id="{key}"(.*?)(</fieldset>|</textarea>)', page, re.S).group(1)
        assert f'id="{key}-error"' in question and 'class="question ' not in question
        if message in SUMMARY_VERBS:
            assert html.unescape(text) == f"{SUMMARY_VERBS[message]} {number}."
        assert ".:" not in text and len(text.split()) <= 10
    return next_to_fields


def error_page(reply, status: int) -> str:
    """The text of a whole-page refusal (no form to correct)."""
    assert reply.status_code == status
    page = html.unescape(reply.get_data(as_text=True))
    assert "Traceback" not in page
    return page


def nothing_stored_and_link_still_works(app, client, url) -> None:
    with app.app_context():
        assert counts() == (0, 0, 0)
    again = fill_in(client, url, GOOD_ANSWERS["client"])
    assert again.status_code == 303, "after a refusal the respondent can try again"


@pytest.mark.parametrize("grade", [
    "0", "11", "-1", "08", "+8",
    "acht", "7.0", "1e1", " 8 ", "8 ", " ",
    pytest.param("８", id="full-width-8"),
    pytest.param("٨", id="arabic-indic-8"),
    pytest.param("۸", id="persian-8"),
    pytest.param("nvt", id="nvt-not-offered-for-C1"),
])
def test_a_grade_that_is_not_a_whole_number_from_1_to_10_is_refused(app, client, form_url, grade):
    reply = fill_in(client, form_url, answers(C1=grade))
    assert refused(reply) == {"C1": GRADE}
    nothing_stored_and_link_still_works(app, client, form_url)


def test_an_empty_grade_is_a_missing_answer(app, client, form_url):
    reply = fill_in(client, form_url, answers(C1=""))
    assert refused(reply) == {"C1": REQUIRED}
    nothing_stored_and_link_still_works(app, client, form_url)


@pytest.mark.parametrize("item, answer", [
    ("C5", "6"), ("C5", "0"), ("C5", "nvt"), ("C5", "helemaal_mee_eens"),
    ("C4", "misschien"), ("C4", "JA"), ("C4", "ja "), ("C4", "weet_niet"),
    ("respondent_role", "buurman"), ("respondent_role", " "), ("help_from", "nvt"),
])
def test_an_answer_that_is_not_one_of_the_options_is_refused(app, client, form_url, item, answer):
    reply = fill_in(client, form_url, answers(**{item: answer}))
    assert refused(reply) == {item: OPTION}
    nothing_stored_and_link_still_works(app, client, form_url)


@pytest.mark.parametrize("questionnaire", REQUIRED_ITEMS)
def test_a_form_sent_without_answers_names_every_required_question(app, client, questionnaire):
    with app.app_context():
        (code,) = codes_for(open_round(questionnaire))
    reply = fill_in(client, f"/r/{code}", {})
    assert refused(reply) == {key: REQUIRED_MESSAGES[key] for key in REQUIRED_ITEMS[questionnaire]}
    with app.app_context():
        assert counts() == (0, 0, 0)
    assert fill_in(client, f"/r/{code}", GOOD_ANSWERS[questionnaire]).status_code == 303


@pytest.mark.parametrize("questionnaire", REQUIRED_ITEMS)
def test_leaving_out_one_required_question_is_refused(app, client, questionnaire):
    left_out = REQUIRED_ITEMS[questionnaire][-1]
    with app.app_context():
        (code,) = codes_for(open_round(questionnaire))
    reply = fill_in(client, f"/r/{code}", {**GOOD_ANSWERS[questionnaire], left_out: None})
    assert refused(reply) == {left_out: REQUIRED_MESSAGES[left_out]}
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_open_text_over_2000_characters_is_refused(app, client, form_url):
    reply = fill_in(client, form_url, answers(C10="a" * 2001))
    assert refused(reply) == {"C10": TOO_LONG}
    nothing_stored_and_link_still_works(app, client, form_url)


def test_open_text_of_exactly_2000_characters_is_stored(app, client, form_url):
    assert fill_in(client, form_url, answers(C10="a" * 2000)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.item == "C10")) == "a" * 2000


def test_a_browsers_crlf_line_breaks_count_as_one_character(app, client, form_url):
    # A textarea with maxlength 2000 lets a person type 1,000 lines of "a"; the browser sends CRLF.
    assert fill_in(client, form_url, answers(C10="a\r\n" * 1000)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.item == "C10")) == ("a\n" * 1000).strip()


def test_a_body_over_1_mb_is_refused_whole(app, client, form_url):
    reply = fill_in(client, form_url, answers(C10="a" * (1024 * 1024)))
    assert "Te veel tekst" in error_page(reply, 413)
    nothing_stored_and_link_still_works(app, client, form_url)


@pytest.mark.parametrize("control", [pytest.param("\x00", id="NUL"), pytest.param("\x07", id="BEL"),
                                     pytest.param("\x1b", id="ESC"), pytest.param("\x7f", id="DEL"),
                                     pytest.param("\x85", id="NEL")])
def test_control_characters_in_open_text_are_refused(app, client, form_url, control):
    reply = fill_in(client, form_url, answers(C10=f"Sneller{control}terugbellen"))
    assert refused(reply) == {"C10": CONTROL}
    nothing_stored_and_link_still_works(app, client, form_url)


def test_newlines_and_tabs_in_open_text_are_kept(app, client, form_url):
    assert fill_in(client, form_url, answers(C10="Eerste punt:\r\n\tsneller terugbellen.")).status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(Answer.text).where(Answer.item == "C10"))
    assert stored == "Eerste punt:\n\tsneller terugbellen."


def test_html_in_open_text_is_stored_as_text_and_shown_escaped(app, client, form_url):
    script = "<script>alert(1)</script>"
    reply = fill_in(client, form_url, answers(C1=None, C10=script))
    assert refused(reply) == {"C1": REQUIRED}
    page = reply.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page
    assert script not in page

    assert fill_in(client, form_url, answers(C10=script)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.item == "C10")) == script


@pytest.mark.parametrize("bad_bytes", [
    pytest.param(b"%ff%fe", id="not-utf8"),
    pytest.param(b"%c0%af", id="overlong-slash"),
    pytest.param(b"%ed%a0%80", id="surrogate"),
    pytest.param(b"caf%e9", id="latin-1"),
    pytest.param(b"\xff\xfe", id="raw-bytes"),
])
def test_invalid_utf8_in_the_body_is_refused(app, client, form_url, bad_bytes):
    body = urlencode(answers(C10="x", csrf_token=token(client))).encode().replace(b"C10=x", b"C10=" + bad_bytes)
    reply = client.post(form_url, data=body, content_type="application/x-www-form-urlencoded")
    assert UNREADABLE in error_page(reply, 400)
    nothing_stored_and_link_still_works(app, client, form_url)


@pytest.mark.parametrize("item, sent", [
    ("C1", ["8", "9"]),
    ("C1", ["8", "8"]),
    ("C4", ["ja", "nee"]),
    ("C10", ["", "Tweede tekst"]),
    ("respondent_role", ["", "jongere"]),
])
def test_a_question_answered_twice_in_one_post_is_refused(app, client, form_url, item, sent):
    reply = fill_in(client, form_url, answers(**{item: sent}))
    assert refused(reply) == {item: TWICE}
    nothing_stored_and_link_still_works(app, client, form_url)


@pytest.mark.parametrize("csrf", [
    pytest.param(None, id="missing"),
    pytest.param("", id="empty"),
    pytest.param("nonsense", id="wrong"),
    pytest.param("another visitor's", id="from-another-session"),
])
def test_a_post_without_this_sessions_csrf_token_is_refused(app, client, form_url, csrf):
    if csrf == "another visitor's":
        csrf = token(app.test_client())
    client.get(form_url)  # the respondent has the page open
    data = answers() if csrf is None else answers(csrf_token=csrf)
    reply = client.post(form_url, data=data)
    # What happened, and the answers shown again to send once more: not "the form was open too long".
    page = error_page(reply, 400)
    assert SESSION_LOST in page and "te lang open" not in page
    assert "Uw antwoorden staan hieronder nog." in page
    assert '<input type="radio" id="C1-8" name="C1" value="8" checked>' in page
    assert ">Sneller terugbellen graag.</textarea>" in page
    assert 'class="error-message"' not in page, "no question is marked wrong"
    assert fill_in(client, form_url, GOOD_ANSWERS["client"]).status_code == 303, "sent again, it is stored"
    with app.app_context():
        assert counts()[0] == 1


@pytest.mark.parametrize("encoding", ["multipart/form-data", "application/json", "text/plain", "none"])
def test_answers_not_sent_as_a_plain_form_are_refused(app, client, form_url, encoding):
    fields = answers(csrf_token=token(client))
    if encoding == "multipart/form-data":
        reply = client.post(form_url, data=fields, content_type=encoding)
    elif encoding == "application/json":
        reply = client.post(form_url, json=fields)
    elif encoding == "text/plain":
        reply = client.post(form_url, data="\n".join(f"{k}={v}" for k, v in fields.items()), content_type=encoding)
    else:
        reply = client.post(form_url, data=b"")
    assert USE_THE_FORM in error_page(reply, 415)
    nothing_stored_and_link_still_works(app, client, form_url)


def test_a_used_code_cannot_answer_again(app, client):
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    assert fill_in(client, f"/r/{code}", GOOD_ANSWERS["client"]).status_code == 303
    with app.app_context():
        stored = counts()

    again = client.post(f"/r/{code}", data=answers(C1="3", csrf_token=token(client)))
    assert "Deze link is al gebruikt" in error_page(again, 410)
    assert "Deze link is al gebruikt" in error_page(client.get(f"/r/{code}"), 410)
    with app.app_context():
        assert counts() == stored == (1, 12, 1)


@pytest.mark.parametrize("code", [
    pytest.param(new_code(), id="never-issued"),
    pytest.param("x" * 65, id="too-long"),
    pytest.param("%00", id="NUL"),
    pytest.param("%ff", id="invalid-utf8"),
])
def test_an_unknown_code_gets_a_friendly_404(app, client, code):
    with app.app_context():
        codes_for(open_round("client"))  # a real code exists, just not this one
    assert "Deze link werkt niet" in error_page(client.get(f"/r/{code}"), 404)
    reply = client.post(f"/r/{code}", data=answers(csrf_token=token(client)))
    assert "Deze link werkt niet" in error_page(reply, 404)
    with app.app_context():
        assert counts() == (0, 0, 0)


@pytest.mark.parametrize("days_back, days_ahead, status, title", [
    pytest.param(30, -1, 410, "Deze vragenlijst is gesloten", id="round-closed-yesterday"),
    pytest.param(-1, 30, 403, "Deze vragenlijst is nog niet open", id="round-opens-tomorrow"),
])
def test_a_code_outside_its_round_cannot_answer(app, client, days_back, days_ahead, status, title):
    with app.app_context():
        (code,) = codes_for(open_round("client", days_back=days_back, days_ahead=days_ahead))
    assert title in error_page(client.get(f"/r/{code}"), status)
    reply = client.post(f"/r/{code}", data=answers(csrf_token=token(client)))
    assert title in error_page(reply, status)
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_the_last_day_of_a_round_still_counts(app, client):
    with app.app_context():
        round_ = open_round("client", days_back=30, days_ahead=0)
        assert round_.closes_on == periods.today()
        (code,) = codes_for(round_)
    assert fill_in(client, f"/r/{code}", GOOD_ANSWERS["client"]).status_code == 303

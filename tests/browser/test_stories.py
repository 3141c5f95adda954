"""The users' stories in a real browser: a cliënt answers with the keyboard only, on a phone and on a
desktop; a partner uses a code link once; a respondent corrects mistakes from the error summary; a
manager reads the dashboard and downloads a chart and a CSV."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Answer, Response
from surveys.services import demo
from surveys.services.users import create_user

from ..helpers import GOOD_ANSWERS, codes_for, open_round
from .conftest import SIZES, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "een lang wachtwoord voor de browser"
# The keyboard route to GOOD_ANSWERS["client"]: (item, arrow presses after Space selects the first answer).
# Grade answers run 1…10, weet_niet, nvt; agree answers 5 (helemaal mee eens) … 1, weet_niet.
KEYBOARD_ROUTE = [("C1", 7), ("C2", 6), ("C3", 11), ("C4", 0), ("C5", 0), ("C6", 1), ("C7", 5), ("C8", 2),
                  ("C9", 3), ("C10", None), ("respondent_role", 1), ("help_from", 1)]
FOCUS_IS_VISIBLE = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 || style.boxShadow !== 'none';
}"""


def stored_answers(site, response_id: int) -> dict:
    with site.app.app_context():
        rows = db.session.scalars(select(Answer).where(Answer.response_id == response_id))
        return {a.item: str(a.value) if a.value is not None else (a.code or a.text) for a in rows}


def last_response_id(site) -> int:
    with site.app.app_context():
        return db.session.scalar(select(func.max(Response.id))) or 0


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching selector has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_IS_VISIBLE), f"{selector} has the focus but shows no focus style"
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_client_answers_with_the_keyboard_only_and_sees_thanks(site, new_page, size):
    page = new_page(SIZES[size])
    site.as_tablet(page)
    page.goto(f"{site.url}/q/client")
    before = last_response_id(site)
    for item, presses in KEYBOARD_ROUTE:
        if presses is None:
            tab_to(page, f"#{item}-text")
            page.keyboard.type(GOOD_ANSWERS["client"][item])
            continue
        tab_to(page, f"input[name='{item}']")
        if item == "C1":
            screenshot(page, "keyboard-focus-first-question")
        page.keyboard.press("Space")
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
        assert page.is_checked(f"#{item}-{GOOD_ANSWERS['client'][item]}"), item
    tab_to(page, "button.button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url == f"{site.url}/q/client/volgende"
    assert page.locator("h1").inner_text() == "Dank u wel!"
    response_id = last_response_id(site)
    assert response_id == before + 1
    assert stored_answers(site, response_id) == GOOD_ANSWERS["client"]


def test_a_partner_answers_from_a_code_link_which_then_shows_it_was_used(site, new_page):
    with site.app.app_context():
        (code,) = codes_for(open_round("partner"))
    page = new_page(SIZES["desktop"])
    page.goto(f"{site.url}/r/{code}")
    assert page.locator("h1").inner_text() == "Samenwerken met het Sociaal Team"
    for item, value in GOOD_ANSWERS["partner"].items():
        if item == "P8":
            continue  # the open question stays empty
        page.check(f"#{item}-{value}")
    page.click("button.button[type=submit]")
    page.wait_for_url(f"{site.url}/bedankt")
    assert page.locator("h1").inner_text() == "Dank u wel!"
    expected = {k: v for k, v in GOOD_ANSWERS["partner"].items() if v}
    assert stored_answers(site, last_response_id(site)) == expected

    reply = page.goto(f"{site.url}/r/{code}")
    assert reply.status == 410
    assert page.locator("h1").inner_text() == "Deze link is al gebruikt"


def test_a_respondent_follows_the_error_summary_to_each_mistake_and_corrects_it(site, new_page):
    page = new_page(SIZES["phone"])
    site.as_tablet(page)
    page.goto(f"{site.url}/q/client")
    page.check("#C1-8")
    page.fill("#C10-text", "x" * 10)
    with page.expect_navigation():
        page.click("button.button[type=submit]")

    summary = page.locator(".error-summary")
    # The error summary gets the focus (autofocus, right after the page is drawn), so a screen reader reads it
    # first; this fails with a timeout if it never does.
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')", timeout=5000)
    assert summary.locator("h2").inner_text() == "Controleer uw antwoorden"
    links = summary.locator("a")
    assert links.count() == 8  # C2-C9 are required and unanswered
    assert [links.nth(i).inner_text() for i in range(3)] == [
        "Kies een cijfer bij vraag 2.", "Kies een cijfer bij vraag 3.", "Kies een antwoord bij vraag 4."]
    screenshot(page, "error-summary-focused")

    # Each link, on a phone and on a desktop, brings its whole question on screen: the focus on the question,
    # its title and its message inside the window (the old links went to answer "1", below both).
    for size in ("phone", "desktop"):
        page.set_viewport_size(SIZES[size])
        for index in range(links.count()):
            key = links.nth(index).get_attribute("href").removeprefix("#")
            links.nth(index).focus()
            page.keyboard.press("Enter")
            assert page.evaluate("() => document.activeElement.id") == key, (size, key)
            height = page.viewport_size["height"]
            for part in (f"#{key}-legend", f"#{key}-error"):
                box = page.locator(part).bounding_box()
                assert 0 <= box["y"] and box["y"] + box["height"] <= height, (size, part, box, height)
    page.set_viewport_size(SIZES["phone"])

    links.nth(0).focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from the question to its first answer
    assert page.evaluate("() => document.activeElement.id") == "C2-1"
    page.keyboard.press("Space")  # the respondent answers right there: 1
    for _ in range(6):
        page.keyboard.press("ArrowDown")
    assert page.is_checked("#C2-7")

    for item in ("C3", "C4", "C5", "C6", "C7", "C8", "C9"):
        page.check(f"#{item}-{GOOD_ANSWERS['client'][item]}")
    assert page.input_value("#C10-text") == "x" * 10, "what was typed before the mistake is kept"
    page.click("button.button[type=submit]")
    page.wait_for_url(f"{site.url}/q/client/volgende*")  # the browser keeps the #C2 of the link across the redirect
    assert page.locator("h1").inner_text() == "Dank u wel!"
    stored = stored_answers(site, last_response_id(site))
    assert stored == {"C1": "8", "C2": "7", "C3": "nvt", "C4": "ja", "C5": "5", "C6": "4", "C7": "weet_niet",
                      "C8": "3", "C9": "2", "C10": "x" * 10}


def active_element(page) -> str:
    """The focused element as "tag#id" or "tag[name=...]", to compare with what a keyboard user should reach."""
    return page.evaluate("""() => {
      const e = document.activeElement;
      return e.tagName.toLowerCase() + (e.id ? '#' + e.id : e.name ? `[name=${e.name}]` : '');
    }""")


@pytest.mark.parametrize("follow_the_skip_link", [False, True])
def test_after_the_skip_link_the_first_tab_stop_is_the_first_question(site, new_page, follow_the_skip_link):
    """The language button is the form's last tab stop: questions, send, then language. A line at the top,
    which is no tab stop, tells a reader of the other language where it is."""
    page = new_page(SIZES["desktop"])
    site.as_tablet(page)
    page.goto(f"{site.url}/q/client")
    page.keyboard.press("Tab")
    assert active_element(page) == "a" and page.evaluate("document.activeElement.matches('.skip-link')")
    if follow_the_skip_link:
        page.keyboard.press("Enter")
        assert active_element(page) == "main#main"
    page.keyboard.press("Tab")
    assert active_element(page) == "input#C1-1"
    notice = page.locator(".language-notice")
    assert notice.get_attribute("lang") == "en"
    assert notice.inner_text() == "This form is also in English. The button is at the end of the form."
    assert notice.evaluate("e => e.tabIndex") == -1
    assert notice.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
    # From the send button, the next tab stop is the language button, and then the page's footer.
    page.focus("button.button[type=submit]")
    page.keyboard.press("Tab")
    assert active_element(page) == "button[name=language]"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('footer') !== null")


def test_a_respondent_switches_language_halfway_and_keeps_every_answer(site, new_page):
    """Without JavaScript's help: the language is a button of the form, so the answers go along with it."""
    page = new_page(SIZES["phone"])
    site.as_tablet(page)
    page.goto(f"{site.url}/q/client")
    # The button comes after the questions and the send button, at the end of the form.
    assert page.evaluate("""() => {
      const button = document.querySelector('button[name=language]');
      return button.form !== null && [document.querySelector('#C10-text'), document.querySelector('button.button')]
        .every(before => before.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    page.check("#C1-8")
    page.check("#C4-ja")
    page.fill("#C10-text", "Sneller terugbellen graag.")
    with page.expect_navigation():
        page.click("button[name=language]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "What did you think of the help from the Sociaal Team?"
    assert page.is_checked("#C1-8") and page.is_checked("#C4-ja")
    assert page.input_value("#C10-text") == "Sneller terugbellen graag."
    assert page.locator(".error-summary").count() == 0
    for item in ("C2", "C3", "C5", "C6", "C7", "C8", "C9"):
        page.check(f"#{item}-{GOOD_ANSWERS['client'][item]}")
    page.click("button.button[type=submit]")
    page.wait_for_url(f"{site.url}/q/client/volgende*")
    assert stored_answers(site, last_response_id(site)) == {
        "C1": "8", "C2": "7", "C3": "nvt", "C4": "ja", "C5": "5", "C6": "4", "C7": "weet_niet", "C8": "3",
        "C9": "2", "C10": "Sneller terugbellen graag."}


def test_a_used_code_shows_the_used_page_in_the_language_of_the_visitor(site, new_page):
    with site.app.app_context():
        (code,) = codes_for(open_round("medewerker"))
    page = new_page(SIZES["phone"], locale="en-GB")
    page.goto(f"{site.url}/r/{code}")
    assert page.locator("html").get_attribute("lang") == "en"
    for item, value in GOOD_ANSWERS["medewerker"].items():
        if value:
            page.check(f"#{item}-{value}")
    page.click("button.button[type=submit]")
    page.wait_for_url(f"{site.url}/bedankt")
    assert page.locator("h1").inner_text() == "Thank you!"
    page.goto(f"{site.url}/r/{code}")
    assert page.locator("h1").inner_text() == "This link has already been used"
    page.click("text=Nederlands")
    assert page.locator("h1").inner_text() == "Deze link is al gebruikt"
    assert page.locator("html").get_attribute("lang") == "nl"


def test_a_manager_reads_the_dashboard_and_downloads_a_chart_and_a_csv(site, new_page, tmp_path):
    with site.app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        demo.fill(200)
    page = new_page(SIZES["desktop"])
    page.goto(f"{site.url}/beheer/")
    assert page.url.startswith(f"{site.url}/beheer/inloggen")
    page.fill("#email", "manager@example.nl")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Inloggen')")
    page.wait_for_url(f"{site.url}/beheer/")
    assert page.locator("h1").inner_text().startswith("KPI's")
    assert page.locator(".kpi-table tbody tr").count() == 7

    page.click(".kpi-table tbody tr:first-child th a")
    page.wait_for_url("**/beheer/kpi/client_support**")
    period = page.locator("h1 .period").inner_text()
    assert page.locator("figure.chart img").evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_download() as chart:
        page.click("figure.chart a:text-is('PNG')")
    assert chart.value.suggested_filename == f"client_support-{period}.png"
    assert (chart.value.path().read_bytes()[:8]) == b"\x89PNG\r\n\x1a\n"

    if page.goto(f"{site.url}/beheer/downloads?periode={period}").status == 404:
        pytest.skip("/beheer/downloads is not there yet")
    with page.expect_download() as csv_file:
        page.click("a[href*='kpi-resultaten.csv']")
    assert csv_file.value.suggested_filename == f"kpi-resultaten-{period}.csv"
    assert csv_file.value.path().read_bytes().startswith("\ufeffKPI,Periode,Soort uitkomst,".encode())  # for people


def settled_content(page, attempts: int = 25) -> str:
    """The page's HTML once the browser has stopped navigating: right after Back (and the browser's own error
    page for a page it did not keep) Chromium may still be replacing the document."""
    for _ in range(attempts):
        try:
            return page.content()
        except PlaywrightError as error:
            if "navigating" not in str(error):
                raise
            page.wait_for_timeout(200)
    return page.content()


def test_the_next_person_at_the_office_tablet_cannot_go_back_to_the_previous_answers(site, new_page):
    """At the shared tablet, Back after a response must not show what the previous person chose or wrote:
    the browser neither keeps the page (Cache-Control: no-store) nor fills the form in again from its
    memory (autocomplete="off"), and sending that page again stores nothing. The previous person read
    English; the next one starts in Dutch, whatever the tablet's browser is set to, and the session of
    the previous person is gone."""
    page = new_page(SIZES["desktop"], locale="en-GB")
    site.as_tablet(page)
    page.goto(f"{site.url}/q/client")
    assert page.locator("html").get_attribute("lang") == "nl", "the tablet starts in Dutch"
    page.click("button[name=language]")
    assert page.locator("html").get_attribute("lang") == "en"
    marker = "Mijn buurvrouw weet hier niets van"
    for item, value in GOOD_ANSWERS["client"].items():
        if item == "C10":
            page.fill("#C10-text", marker)
        else:
            page.check(f"#{item}-{value}")
    before = responses_stored(site)
    page.click("button.button[type=submit]")
    page.wait_for_url(f"{site.url}/q/client/volgende")
    assert responses_stored(site) == before + 1
    assert page.locator("html").get_attribute("lang") == "nl", "the next person starts in Dutch"
    assert page.locator("h2").inner_text() == "Volgende persoon"
    assert [cookie for cookie in page.context.cookies() if cookie["name"] == "session"] == []
    screenshot(page, "tablet-next-person")
    page.click("text=Begin de vragenlijst")
    page.wait_for_url(f"{site.url}/q/client")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("input[type=radio]:checked").count() == 0 and page.input_value("#C10-text") == ""

    page.go_back()  # the next person goes back past their own start page, to the previous person's form
    page.wait_for_url(f"{site.url}/q/client/volgende")
    # The previous person's form was the answer to the language button's post, which the browser did not keep
    # (no-store) and will not post again by itself: Back shows its own error page, with nothing of theirs.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    page.wait_for_load_state("load")  # the browser's own error page may still be coming in
    assert marker not in settled_content(page) and page.locator("input[type=radio]:checked").count() == 0
    page.go_back()  # one further: the Dutch form the previous person first opened
    page.wait_for_url(f"{site.url}/q/client")
    page.wait_for_load_state("load")
    assert page.locator("input[type=radio]:checked").count() == 0
    assert page.input_value("#C10-text") == ""
    assert marker not in settled_content(page)
    page.click("button.button[type=submit]")  # the page Back showed, sent again as it is
    page.wait_for_load_state("load")
    assert responses_stored(site) == before + 1, "sending the page again stored nothing"


def responses_stored(site) -> int:
    with site.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_a_beheerder_copies_the_client_questionnaire_publishes_it_and_it_is_answered_on_a_phone(site, new_page):
    with site.app.app_context():
        create_user("vragen@example.nl", PASSWORD, "beheerder")
    page = new_page(SIZES["desktop"])
    site.log_in(page, "vragen@example.nl", PASSWORD)

    page.goto(f"{site.url}/beheer/vragenlijsten")
    page.fill("#key", "jeugd")
    page.select_option("#copy_from", "client")
    page.fill("#title-nl", "Wat vond je van de hulp?")
    page.fill("#title-en", "What did you think of the help?")
    page.click("button:has-text('Vragenlijst maken')")
    page.wait_for_url(f"{site.url}/beheer/vragenlijsten/jeugd")
    page.fill("#items-0-text-nl", "Welk rapportcijfer geef je de hulp van het Sociaal Team?")
    # The blank question after the twelve copied ones: a statement about school.
    page.fill("#items-12-key", "jeugd_school")
    page.select_option("#items-12-type", "agree")
    page.fill("#items-12-text-nl", "Door de hulp gaat het beter op school.")
    page.fill("#items-12-text-en", "Thanks to the help, school is going better.")
    page.click("button:has-text('Concept opslaan') >> nth=0")
    assert "Het concept is opgeslagen." in page.locator(".notice").inner_text()

    phone = new_page(SIZES["phone"])
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{site.url}/beheer/vragenlijsten/jeugd/voorbeeld")
    assert phone.locator(".preview-banner").inner_text().startswith("Voorbeeld")
    assert phone.locator("button[type=submit]").count() == 0  # a preview cannot be sent
    assert phone.locator("#jeugd_school-5").is_visible()
    screenshot(phone, "editor-preview")

    page.click("button:has-text('Concept publiceren')")
    assert "Versie 1 van 'jeugd' is gepubliceerd." in page.locator(".notice").inner_text()

    with site.app.app_context():
        (code,) = codes_for(open_round("jeugd"))
    respondent = new_page(SIZES["phone"])
    respondent.goto(f"{site.url}/r/{code}")
    assert respondent.locator("h1").inner_text() == "Wat vond je van de hulp?"
    assert respondent.locator("#jeugd_C1-8").is_visible()
    answers = {f"jeugd_{item}": value for item, value in GOOD_ANSWERS["client"].items() if item != "C10"}
    answers["jeugd_school"] = "4"
    for item, value in answers.items():
        respondent.check(f"#{item}-{value}")
    respondent.click("button.button[type=submit]")  # the send button, not the language button
    respondent.wait_for_url(f"{site.url}/bedankt")

    response_id = last_response_id(site)
    assert stored_answers(site, response_id) == answers
    with site.app.app_context():
        version = db.session.get(Response, response_id).version
        assert (version.questionnaire, version.version) == ("jeugd", 1)
        assert version.definition["items"][0]["text"]["nl"] == ("Welk rapportcijfer geef je de hulp van het "
                                                                "Sociaal Team?")
        assert [item["key"] for item in version.definition["items"]][-2:] == ["jeugd_help_from", "jeugd_school"]

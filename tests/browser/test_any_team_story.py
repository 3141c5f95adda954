"""Issue 15's story in a real browser: a beheerder of "Wijkteam Voorbeeld" adopts the service without touching
code. They set the organisation profile, change one wording of the cliënt questionnaire and add a question,
publish the new version, a cliënt answers it on a phone, and the KPI page shows the new version's results
next to the old version's in the same half-year."""

from datetime import date

import pytest

from surveys import periods
from surveys.answers import AnswerValue
from surveys.services import questionnaires as stored
from surveys.services.responses import NewResponse, store_many
from surveys.services.users import create_user

from ..helpers import GOOD_ANSWERS, codes_for, open_round, publish
from .conftest import SIZES, screenshot
from .test_stories import PASSWORD, last_response_id, stored_answers

pytestmark = pytest.mark.browser

PROFILE = {
    "name": "Stichting Wijkteam Voorbeeld",
    "short_name": "Wijkteam Voorbeeld",
    "phone": "030 123 45 67",
    "email": "info@wijkteamvoorbeeld.nl",
    "address": "Postbus 12\n1234 AB Voorbeeld",
    "website": "https://www.wijkteamvoorbeeld.nl",
    "privacy_url": "https://www.wijkteamvoorbeeld.nl/privacy",
    "sender": "onderzoek@wijkteamvoorbeeld.nl",
}
NEW_C1 = "Welk rapportcijfer geeft u de hulp van het wijkteam?"
NEW_ITEM = "Ik weet nu beter waar ik hulp kan vinden."


def half_year() -> str:
    today = periods.today()
    return f"{today.year}-H{1 if today.month <= 6 else 2}"


def a_day_this_half_year() -> date:
    today = periods.today()
    return today.replace(day=1) if today.day > 1 else today


def version_rows(page, item: str) -> list[list[str]]:
    table = page.locator(f"table.versions:has(caption:text-is('Uitkomsten per versie van de vragenlijst, "
                         f"vraag {item}'))")
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]


def test_a_new_team_sets_its_profile_changes_the_client_questionnaire_and_reads_both_versions(site, new_page):
    with site.app.app_context():
        create_user("beheer@wijkteamvoorbeeld.nl", PASSWORD, "beheerder")
        old_c1 = stored.current("client").items[0].text.nl
        first_version = stored.current_version("client")
        # Five cliënten answered the first version earlier this half-year: 6, 7, 7, 8, 9 → mean 37/5 = 7,40.
        store_many(first_version, [NewResponse(a_day_this_half_year(), [AnswerValue("C1", value=grade)])
                                   for grade in (6, 7, 7, 8, 9)], channel="paper")
    page = new_page(SIZES["desktop"])
    site.log_in(page, "beheer@wijkteamvoorbeeld.nl", PASSWORD)

    # The profile, as the beheerder types it.
    page.goto(f"{site.url}/beheer/organisatie")
    for name, value in PROFILE.items():
        page.fill(f"#{name}", value)
    page.click("form:has(#name) button[type=submit]")
    assert "Wijkteam Voorbeeld" in page.title()
    assert page.locator("#name").input_value() == PROFILE["name"]

    # The cliënt questionnaire: one wording changed and one statement added, then published as version 2.
    page.goto(f"{site.url}/beheer/vragenlijsten/client")
    page.fill("#items-0-text-nl", NEW_C1)
    page.fill("#items-12-key", "C11")
    page.select_option("#items-12-type", "agree")
    page.fill("#items-12-text-nl", NEW_ITEM)
    page.fill("#items-12-text-en", "I now know better where to find help.")
    page.click("button:has-text('Concept opslaan') >> nth=0")
    assert "Het concept is opgeslagen." in page.locator(".notice").inner_text()
    page.click("button:has-text('Concept publiceren')")
    assert "Versie 2 van 'client' is gepubliceerd." in page.locator(".notice").inner_text()

    # A cliënt answers the new version on a phone: the team's name and contact on the page, the new wording.
    with site.app.app_context():
        (code,) = codes_for(open_round("client"))
    phone = new_page(SIZES["phone"])
    phone.goto(f"{site.url}/r/{code}")
    assert phone.title().endswith("– Wijkteam Voorbeeld")
    assert phone.locator(".contact").inner_text() == ("Vragen? Bel 030 123 45 67 of mail "
                                                      "info@wijkteamvoorbeeld.nl.")
    assert phone.locator("legend:has-text('Welk rapportcijfer geeft u de hulp van het wijkteam?')").count() == 1
    answers = {item: value for item, value in GOOD_ANSWERS["client"].items() if item != "C10"}
    answers["C11"] = "4"
    for item, value in answers.items():
        phone.check(f"#{item}-{value}")
    screenshot(phone, "any-team-respondent")
    phone.click("button.button[type=submit]")
    phone.wait_for_url(f"{site.url}/bedankt")
    assert stored_answers(site, last_response_id(site)) == answers

    with site.app.app_context():
        second_version = stored.current_version("client")
        assert second_version.version == 2
        # Four more answered version 2 on paper: with the phone's 8, the grades 8, 9, 10, 8, 9 → 44/5 = 8,80.
        store_many(second_version, [NewResponse(a_day_this_half_year(), [AnswerValue("C1", value=grade),
                                                                         AnswerValue("C11", value=5)])
                                    for grade in (9, 10, 8, 9)], channel="paper")
        publish(half_year(), questionnaires=("client",))

    page.goto(f"{site.url}/beheer/kpi/client_support?periode={half_year()}")
    assert version_rows(page, "C1") == [
        ["Versie 1", old_c1, "5", "Gemiddeld cijfer 7,40"],
        ["Versie 2", NEW_C1, "5", "Gemiddeld cijfer 8,80"],
    ]
    # C11 exists in version 2 only: 4, 5, 5, 5, 5 → all five (helemaal) mee eens.
    assert version_rows(page, "C11") == [
        ["Versie 1", "Niet gevraagd in deze versie", "–", "–"],
        ["Versie 2", NEW_ITEM, "5", "(Helemaal) mee eens: 100,0 %"],
    ]
    screenshot(page, "any-team-versions")

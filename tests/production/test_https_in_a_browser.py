"""The three front doors over https:// in headless Chromium, through nginx, on the installed package: a cliënt
answers the open questionnaire, a partner uses a code link made by `flask invite`, a manager made by
`flask create-user` logs in. Every form here is a POST that must pass the CSRF check behind TLS, where the
browser sends no Referer (Referrer-Policy: no-referrer)."""

from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Answer, Response
from surveys.services.kiosk import COOKIE, register_device

from ..conftest import make_app
from ..helpers import GOOD_ANSWERS

pytestmark = [pytest.mark.production, pytest.mark.browser, pytest.mark.postgres]

PASSWORD = "een lang wachtwoord voor productie"
HSTS = "max-age=31536000"


@pytest.fixture
def page(browser):
    """A page in a fresh context that accepts the test's self-signed certificate."""
    context = browser.new_context(ignore_https_errors=True, locale="nl-NL")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def database(production):
    """An app on the service's database, to read what was stored."""
    app = make_app(production.database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def last_response(app) -> tuple[int, dict]:
    with app.app_context():
        response_id = db.session.scalar(select(func.max(Response.id))) or 0
        rows = db.session.scalars(select(Answer).where(Answer.response_id == response_id))
        return response_id, {a.item: str(a.value) if a.value is not None else (a.code or a.text) for a in rows}


def answer(page, answers: dict) -> None:
    for item, value in answers.items():
        if not value:
            continue
        if page.locator(f"#{item}-text").count():
            page.fill(f"#{item}-text", value)
        else:
            page.check(f"#{item}-{value}")


def test_a_client_answers_the_open_questionnaire_over_https(production, page, database):
    before, _ = last_response(database)
    with database.app_context():  # the office tablet, as a manager registered it
        tablet = register_device("Tablet balie", actor="manager@example.nl")
    page.context.add_cookies([{"name": COOKIE, "value": tablet, "url": production.url, "secure": True,
                               "httpOnly": True, "sameSite": "Lax"}])
    reply = page.goto(f"{production.url}/q/client")
    assert reply.status == 200
    assert reply.headers["strict-transport-security"] == HSTS  # the app saw https (X-Forwarded-Proto)
    answer(page, GOOD_ANSWERS["client"])
    with page.expect_navigation() as navigation:
        page.click("button.button[type=submit]")
    # Before: 400 "Het formulier is verlopen" (Flask-WTF wanted a Referer, which no-referrer never sends).
    assert navigation.value.status == 200, page.locator("main").inner_text()[:300]

    assert page.url == f"{production.url}/q/client/volgende"
    assert page.locator("h1").inner_text() == "Dank u wel!"
    response_id, stored = last_response(database)
    assert response_id == before + 1
    assert stored == GOOD_ANSWERS["client"]


def test_a_partner_uses_a_code_link_once_over_https(production, page, database):
    (url,) = production.invitation_links("partner", 1)
    assert url.startswith(f"{production.url}/r/")
    page.goto(url)
    assert page.locator("h1").inner_text() == "Samenwerken met het Sociaal Team"
    answer(page, GOOD_ANSWERS["partner"])
    with page.expect_navigation() as navigation:
        page.click("button.button[type=submit]")
    assert navigation.value.status == 200, page.locator("main").inner_text()[:300]
    assert page.url == f"{production.url}/bedankt"
    _, stored = last_response(database)
    assert stored == {item: value for item, value in GOOD_ANSWERS["partner"].items() if value}

    again = page.goto(url)
    assert again.status == 410
    assert page.locator("h1").inner_text() == "Deze link is al gebruikt"
    typed = httpx.get(url.replace(production.url, production.http_url))
    assert typed.status_code == 301
    assert typed.headers["location"] == f"https://127.0.0.1{urlsplit(url).path}"
    # nginx wrote the open link's requests to its access log, and no request line with a code.
    log = production.access_log.read_text()
    assert "GET /q/client " in log
    assert "/r/" not in log


def test_a_manager_made_by_the_cli_chooses_a_password_through_the_link_and_logs_in_over_https(production, page):
    out = production.flask("create-user", "manager@example.nl", "--role", "manager").splitlines()
    assert out[:2] == ["account manager@example.nl (manager) created", "choose the password within 72 hours at:"]
    link = out[2]
    assert link.startswith(f"{production.url}/beheer/wachtwoord-instellen/")
    page.goto(link)
    page.fill("#new", PASSWORD)
    page.fill("#repeat", PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('Wachtwoord instellen')")
    assert page.url == f"{production.url}/beheer/inloggen"
    assert "Uw wachtwoord is ingesteld." in page.locator("main").inner_text()
    assert page.goto(link).status == 410  # once only
    assert "wachtwoord-instellen" not in production.access_log.read_text()  # no link in nginx's log
    page.goto(f"{production.url}/beheer/")
    assert page.url.startswith(f"{production.url}/beheer/inloggen")
    page.fill("#email", "manager@example.nl")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('Inloggen')")
    assert page.url == f"{production.url}/beheer/"
    assert page.locator("h1").inner_text().startswith("KPI's")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

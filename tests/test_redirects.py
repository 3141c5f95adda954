"""Where the service sends a browser, or links to, from what a visitor typed: only this site, and never a
broken header. An attacker sends the targets; the tests read the Location header and the language link."""

import re

import pytest

from surveys.extensions import db
from surveys.services.users import create_user

from .helpers import csrf_token

PASSWORD = "een lang genoeg wachtwoord"


@pytest.fixture
def manager(app):
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        db.session.remove()


def log_in_then(client, target: str):
    page = client.get("/beheer/inloggen")
    return client.post("/beheer/inloggen", query_string={"next": target},
                       data={"email": "manager@example.nl", "password": PASSWORD,
                             "csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.mark.parametrize("target", [
    "/beheer/rondes\r\nSet-Cookie: session=stolen",  # a header of the attacker's own
    "/beheer/rondes\nX: y",
    "//evil.example/beheer",
    "/\\evil.example/beheer",
    "/beheer\\..\\..\\evil.example",
    "https://evil.example/beheer",
    "/q/client",  # on this site, but not a management page
])
def test_after_login_a_hostile_next_leads_to_the_dashboard(client, manager, target):
    reply = log_in_then(client, target)
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/beheer/"


def test_after_login_a_management_page_asked_for_is_where_the_manager_lands(client, manager):
    reply = log_in_then(client, "/beheer/rondes?pagina=2")
    assert (reply.status_code, reply.headers["Location"]) == (303, "/beheer/rondes?pagina=2")


def language_href(reply) -> str:
    return re.search(r'<p class="language-link"><a href="([^"]*)"', reply.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(("path", "href"), [
    ("/\\evil.example", "/%5Cevil.example?lang=en"),
    ("//evil.example", "/evil.example?lang=en"),
    ("/q/bestaat niet", "/q/bestaat%20niet?lang=en"),
])
def test_the_language_link_of_any_page_stays_on_this_site(client, path, href):
    reply = client.get("/", environ_overrides={"PATH_INFO": path})
    assert reply.status_code == 404
    assert language_href(reply) == href.replace("&", "&amp;")

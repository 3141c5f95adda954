"""Every form works over HTTPS: the service sends Referrer-Policy: no-referrer, so browsers post without a
Referer, and Flask-WTF's strict Referer check (on by default for HTTPS) refused each post with 400 "Het
formulier is verlopen". The CSRF token, bound to the session, is still checked: a post without it fails."""

import re

import pytest

from surveys.services.users import create_user

from .conftest import make_app
from .helpers import GOOD_ANSWERS, codes_for, counts, open_round, page_tokens, register_tablet

PASSWORD = "een lang wachtwoord"
# The two ways HTTPS reaches the app: the WSGI server itself (https:// base URL), or nginx terminating TLS
# and saying so in X-Forwarded-Proto (SURVEYS_TRUSTED_PROXIES=1), as in production.
WAYS = {
    "https": ({}, {}, "https://localhost"),
    "behind nginx": ({"TRUSTED_PROXIES": 1}, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
                     "http://localhost"),
}


@pytest.fixture(params=list(WAYS))
def browser(request, database_url):
    """A client that reaches the app over HTTPS and, like a browser told no-referrer, sends no Referer."""
    config, headers, base_url = WAYS[request.param]
    app = make_app(database_url, BASE_URL="https://waardering.example.nl", **config)
    from surveys.extensions import db
    from surveys.services.questionnaires import seed

    with app.app_context():
        db.create_all()
        seed()
        code = codes_for(open_round("partner"))[0]
        create_user("manager@example.nl", PASSWORD, "manager")
    client = app.test_client()
    client.environ_base |= {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    yield app, client, base_url, code
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def post_form(client, base_url: str, path: str, data: dict, *, with_token: bool = True):
    page = client.get(path, base_url=base_url)
    assert page.status_code == 200, page.status_code
    token = page_tokens(page.get_data(as_text=True)) if with_token else {}
    return client.post(path, data={**data, **token}, base_url=base_url)


def test_a_respondent_answers_over_https(browser):
    app, client, base_url, code = browser
    register_tablet(client)
    secure = client.get("/q/client", base_url=base_url)
    assert secure.headers["Referrer-Policy"] == "no-referrer"
    assert "Secure" in secure.headers["Set-Cookie"]  # the session cookie only travels over HTTPS

    tablet = post_form(client, base_url, "/q/client", GOOD_ANSWERS["client"])
    by_code = post_form(client, base_url, f"/r/{code}", GOOD_ANSWERS["partner"])

    assert (tablet.status_code, tablet.headers.get("Location")) == (303, "/q/client/volgende")
    assert (by_code.status_code, by_code.headers.get("Location")) == (303, "/bedankt")


def test_a_manager_logs_in_over_https(browser):
    app, client, base_url, code = browser

    reply = post_form(client, base_url, "/beheer/inloggen", {"email": "manager@example.nl", "password": PASSWORD})

    assert (reply.status_code, reply.headers.get("Location")) == (303, "/beheer/")
    assert client.get("/beheer/", base_url=base_url).status_code == 200


def test_a_manager_registers_the_office_tablet_over_https(browser):
    """The device cookie: long-lived, for the whole site, HTTPS only, out of reach of scripts, not sent with
    another site's form post. Then the open link works on this device, and on no other."""
    app, client, base_url, code = browser
    assert client.get("/q/client", base_url=base_url).status_code == 403
    post_form(client, base_url, "/beheer/inloggen", {"email": "manager@example.nl", "password": PASSWORD})

    page = client.get("/beheer/tablet", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    reply = client.post("/beheer/tablet/registreren", data={"name": "Tablet balie", "csrf_token": token},
                        base_url=base_url)

    assert (reply.status_code, reply.headers.get("Location")) == (303, "/beheer/tablet")
    (cookie,) = [value for value in reply.headers.getlist("Set-Cookie") if value.startswith("surveys_tablet=")]
    parts = {part.strip().split("=")[0] for part in cookie.split(";")}
    assert {"Secure", "HttpOnly", "Path", "Max-Age", "SameSite"} <= parts
    assert "Path=/;" in cookie + ";" and "SameSite=Lax" in cookie and "Max-Age=34560000" in cookie  # 400 days
    page = client.get("/beheer/tablet", base_url=base_url).get_data(as_text=True)
    assert "Dit apparaat is al geregistreerd als tablet." in page and "Tablet balie" in page
    assert client.get("/q/client", base_url=base_url).status_code == 200
    assert app.test_client().get("/q/client", base_url=base_url).status_code == 403


def test_over_https_a_post_without_its_token_is_still_refused(browser):
    app, client, base_url, code = browser
    register_tablet(client)

    reply = post_form(client, base_url, "/q/client", GOOD_ANSWERS["client"], with_token=False)

    assert reply.status_code == 400
    assert "We konden niet controleren of deze antwoorden van deze pagina kwamen." in reply.get_data(as_text=True)
    with app.app_context():
        assert counts() == (0, 0, 0)

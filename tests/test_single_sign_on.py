"""Single sign-on (DESIGN.md section 11) against a real OpenID Connect provider: oidc-provider from npm, run
with the machine's Node.js over HTTPS (tests/oidc/provider.mjs). A manager logs in through it; then the
attacks: a tampered state, a code replayed, a nonce that is not this login's, an account the service does not
know, and password login switched off.

The provider's development sign-in pages take any login name as the account (its e-mail claim is that name),
so the test walks them with plain HTTP requests, as a browser would."""

import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from flask.testing import FlaskClient

from surveys.extensions import db
from surveys.models import AuditEvent, User
from surveys.services.questionnaires import seed
from surveys.services.users import create_user

from .conftest import make_app
from .helpers import codes_for, open_round
from .production.conftest import make_certificate
from .server import free_port

pytestmark = pytest.mark.server

PROVIDER = Path(__file__).resolve().parent / "oidc"
BASE_URL = "https://surveys.test"
CALLBACK = f"{BASE_URL}/beheer/inloggen/sso/terug"
CLIENT_SECRET = "een-geheim-van-deze-test-dat-lang-genoeg-is"
PASSWORD = "een lang genoeg wachtwoord"


class HttpsClient(FlaskClient):
    """The test client, as a browser on https://surveys.test (the address the provider sends it back to)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", BASE_URL)
        return super().open(*args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        kwargs.setdefault("base_url", BASE_URL)
        return super().session_transaction(*args, **kwargs)


def _provider_installed() -> None:
    """oidc-provider in tests/oidc/node_modules, installed from the npm registry on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("single sign-on not tested: Node.js and npm are needed for the OpenID Connect provider "
                    "(apt-get install nodejs npm)")
    if (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        return
    result = subprocess.run(["npm", "install", "--no-package-lock", "--no-audit", "--no-fund", "--silent"],
                            cwd=PROVIDER, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"npm install of oidc-provider failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module", params=["", "manager"], ids=["roles-in-app", "role-claim-manager"])
def provider(request, tmp_path_factory):
    """The provider on a loopback port, trusted by this process (REQUESTS_CA_BUNDLE) and by the test's own
    browser; the param is the surveys_role claim it hands out (none, or manager)."""
    _provider_installed()
    folder = tmp_path_factory.mktemp("oidc")
    certificate, key = make_certificate(folder)
    port = free_port()
    log = folder / "provider.log"
    with log.open("wb") as output:
        child = subprocess.Popen(["node", "provider.mjs", str(port), str(certificate), str(key), CALLBACK,
                                  CLIENT_SECRET, request.param], cwd=PROVIDER, stdout=output, stderr=subprocess.STDOUT)
    issuer = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text(errors="replace"):
            assert child.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.1)
        yield issuer, certificate, request.param
    finally:
        child.terminate()
        child.wait(timeout=15)


@pytest.fixture
def site(provider, database_url, monkeypatch):
    issuer, certificate, role = provider
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))  # the app's calls to the provider
    app = make_app(database_url, BASE_URL=BASE_URL, OIDC_ISSUER=issuer, OIDC_CLIENT_ID="surveys",
                   OIDC_CLIENT_SECRET=CLIENT_SECRET, OIDC_SCOPES="openid email surveys",
                   OIDC_ROLE_CLAIM="surveys_role" if role else None)
    with app.app_context():
        db.create_all()
        seed()
        create_user("manager@example.nl", PASSWORD, "lezer" if role else "manager")
        db.session.remove()
    app.test_client_class = HttpsClient
    yield app, certificate
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def at_provider(authorize_url: str, login: str, certificate) -> str:
    """Sign in at the provider as `login` and consent, as a person in a browser would; returns the URL the
    provider sends the browser back to (the service's callback with code and state)."""
    trusted = ssl.create_default_context(cafile=str(certificate))
    with httpx.Client(verify=trusted, follow_redirects=False, timeout=30) as browser:
        url = authorize_url
        for _ in range(12):
            reply = browser.get(url)
            if reply.status_code in (302, 303):
                url = urljoin(url, reply.headers["location"])
                if url.startswith(CALLBACK):
                    return url
                continue
            assert reply.status_code == 200, (reply.status_code, reply.text[:500])
            form = re.search(r'<form[^>]*action="([^"]+)"', reply.text).group(1)
            prompt = re.search(r'name="prompt" value="(\w+)"', reply.text).group(1)
            data = {"prompt": prompt, **({"login": login, "password": "wat dan ook"} if prompt == "login" else {})}
            posted = browser.post(urljoin(url, form), data=data)
            assert posted.status_code in (302, 303), (posted.status_code, posted.text[:500])
            url = urljoin(url, posted.headers["location"])
            if url.startswith(CALLBACK):
                return url
        raise AssertionError(f"the provider never sent the browser back: {url}")


def start(client) -> str:
    reply = client.get("/beheer/inloggen/sso")
    assert reply.status_code == 302
    return reply.headers["Location"]


def callback(client, url: str):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def audit(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(event.action, event.actor) for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def test_a_manager_logs_in_through_the_organisations_provider(site):
    app, certificate = site
    client = app.test_client()
    login_page = client.get("/beheer/inloggen").get_data(as_text=True)
    assert 'href="/beheer/inloggen/sso"' in login_page

    authorize = start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    assert query["state"] and query["redirect_uri"] == [CALLBACK]
    reply = callback(client, at_provider(authorize, "Manager@Example.nl", certificate))

    assert (reply.status_code, reply.headers["Location"]) == (303, "/beheer/")
    assert client.get("/beheer/").status_code == 200
    assert audit(app)[-1] == ("login_sso", "manager@example.nl")
    with app.app_context():
        role = db.session.scalars(db.select(User.role).where(User.email == "manager@example.nl")).one()
    assert role == "manager"  # kept in the app, or given by the provider's claim


def test_a_tampered_state_is_refused(site):
    app, certificate = site
    client = app.test_client()
    back = at_provider(start(client), "manager@example.nl", certificate)
    state = parse_qs(urlsplit(back).query)["state"][0]

    reply = callback(client, back.replace(f"state={state}", f"state={state[:-2]}xy"))

    assert reply.status_code == 400
    assert client.get("/beheer/").status_code == 302


def test_a_code_cannot_be_used_twice_or_in_another_browser(site):
    app, certificate = site
    victim = app.test_client()
    back = at_provider(start(victim), "manager@example.nl", certificate)
    assert callback(victim, back).status_code == 303

    thief = app.test_client()
    assert callback(thief, back).status_code == 400  # no login of this browser is waiting for it
    assert thief.get("/beheer/").status_code == 302
    again = app.test_client()
    start(again)  # a login of its own is waiting, with another state and verifier
    assert callback(again, back).status_code == 400


def test_an_id_token_for_another_nonce_is_refused(site):
    app, certificate = site
    client = app.test_client()
    back = at_provider(start(client), "manager@example.nl", certificate)
    with client.session_transaction() as session:
        (key,) = [key for key in session if key.startswith("_state_idp_")]
        waiting = session[key]
        waiting["data"]["nonce"] = "een-andere-nonce"
        session[key] = waiting

    reply = callback(client, back)

    assert reply.status_code == 400
    assert client.get("/beheer/").status_code == 302


def test_someone_the_service_does_not_know_gets_no_account(site):
    app, certificate = site
    client = app.test_client()

    reply = callback(client, at_provider(start(client), "onbekend@example.nl", certificate))

    assert reply.status_code == 403
    assert "Er is geen actief account voor onbekend@example.nl" in reply.get_data(as_text=True)
    assert client.get("/beheer/").status_code == 302
    with app.app_context():
        assert db.session.query(User).filter_by(email="onbekend@example.nl").count() == 0
    assert audit(app)[-1] == ("login_sso_failed", "onbekend@example.nl")


def test_with_password_login_off_only_the_provider_lets_staff_in(site):
    app, certificate = site
    app.config["PASSWORD_LOGIN"] = False
    client = app.test_client()
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    assert 'href="/beheer/inloggen/sso"' in page and 'name="password"' not in page

    # A valid form token of this browser (the login page has no form now), so only the switch can refuse.
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(f"/r/{code}").get_data(as_text=True))
    refused = client.post("/beheer/inloggen", data={"email": "manager@example.nl", "password": PASSWORD,
                                                    "csrf_token": token.group(1)})
    assert refused.status_code == 403
    assert client.get("/beheer/").status_code == 302

"""The second factor for password logins (DESIGN.md section 11): a manager enrols an authenticator app,
logs in with password and code, and the attacks on it fail: a code used twice, a code from too far off in
time, a recovery code used twice, skipping the code page, an account without the factor while a beheerder
requires it. The codes are computed here from RFC 6238 itself, not with the library the service uses."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest

from surveys.extensions import db
from surveys.models import AuditEvent
from surveys.services.users import create_user

from .helpers import csrf_token

PASSWORD = "een lang genoeg wachtwoord"


def totp(secret: str, step: int) -> str:
    """RFC 6238 (HMAC-SHA1, 6 digits) for a 30-second step."""
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def now_step() -> int:
    return int(time.time()) // 30


def test_the_code_helper_matches_the_rfc():
    # RFC 6238 appendix B, SHA-1, T = 59 s (step 1): 94287082; six digits are its last six.
    assert totp(base64.b32encode(b"12345678901234567890").decode(), 1) == "287082"


@pytest.fixture
def staff(app):
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        create_user("manager@example.nl", PASSWORD, "manager")
        db.session.remove()


def form_token(client, url: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def password_step(client, email: str = "manager@example.nl"):
    page = client.get("/beheer/inloggen")
    return client.post("/beheer/inloggen", data={"email": email, "password": PASSWORD,
                                                 "csrf_token": csrf_token(page.get_data(as_text=True))})


def code_step(client, code: str):
    token = form_token(client, "/beheer/inloggen/code")
    return client.post("/beheer/inloggen/code", data={"code": code, "csrf_token": token})


def enrolled(app, email: str = "manager@example.nl", step_offset: int = 0):
    """A logged-in client whose account has just enrolled; returns it, the secret and the recovery codes."""
    client = app.test_client()
    assert password_step(client, email).status_code == 303
    page = client.get("/beheer/tweede-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page and "<title>QR-code" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    reply = client.post("/beheer/tweede-factor", data={"code": totp(secret, now_step() + step_offset),
                                                       "csrf_token": token})
    assert reply.status_code == 200
    codes = re.findall(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>", reply.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return client, secret, codes


def log_out(client):
    assert client.post("/beheer/uitloggen", data={"csrf_token": form_token(client, "/beheer/")}).status_code == 303


def test_a_manager_enrols_and_then_logs_in_with_password_and_code(app, staff):
    client, secret, _ = enrolled(app, step_offset=-1)
    log_out(client)
    stranger = app.test_client().get("/beheer/inloggen/code")  # no password given first
    assert (stranger.status_code, stranger.headers["Location"]) == (302, "/beheer/inloggen")

    after_password = password_step(client)
    assert (after_password.status_code, after_password.headers["Location"]) == (303, "/beheer/inloggen/code")
    assert client.get("/beheer/").status_code == 302  # the password alone logs nobody in
    reply = code_step(client, totp(secret, now_step()))
    assert (reply.status_code, reply.headers["Location"]) == (303, "/beheer/")
    assert client.get("/beheer/").status_code == 200
    with app.app_context():
        actions = [event.action for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-3:] == ["logout", "login", "login_second_factor"]
    assert "second_factor_enrolled" in actions


def test_a_code_works_once_and_only_near_its_time(app, staff):
    client, secret, _ = enrolled(app, step_offset=-1)
    log_out(client)
    step = now_step()

    password_step(client)
    assert code_step(client, totp(secret, step + 1)).status_code == 303  # the phone's clock 30 s ahead
    log_out(client)
    password_step(client)
    assert code_step(client, totp(secret, step + 1)).status_code == 401  # the same code again (over a shoulder)
    assert code_step(client, totp(secret, step - 1)).status_code == 401  # an older one
    refused = code_step(client, totp(secret, step + 4))  # two minutes off
    assert refused.status_code == 401
    assert "Deze code klopt niet (of is al gebruikt)" in refused.get_data(as_text=True)
    assert client.get("/beheer/").status_code == 302


def test_a_recovery_code_works_once_as_typed_from_paper(app, staff):
    client, _, codes = enrolled(app)
    log_out(client)

    password_step(client)
    typed = f" {codes[3][:5].lower()} {codes[3][6:]} "
    assert code_step(client, typed).status_code == 303
    log_out(client)
    password_step(client)
    assert code_step(client, codes[3]).status_code == 401
    assert code_step(client, codes[4]).status_code == 303


def test_while_required_an_account_without_it_must_enrol_first(app, staff):
    beheerder = app.test_client()
    password_step(beheerder, "beheerder@example.nl")
    reply = beheerder.post("/beheer/gebruikers/tweede-factor-verplicht",
                           data={"required": "1", "csrf_token": form_token(beheerder, "/beheer/gebruikers")})
    assert reply.status_code == 303

    manager = app.test_client()
    assert password_step(manager).status_code == 303
    for url in ("/beheer/", "/beheer/rondes", "/beheer/downloads"):
        sent = manager.get(url)
        assert (sent.status_code, sent.headers["Location"]) == (302, "/beheer/tweede-factor"), url
    assert manager.get("/beheer/tweede-factor").status_code == 200


def test_a_beheerder_resets_a_lost_phone_and_the_account_enrols_again(app, staff):
    manager, _, _ = enrolled(app)
    beheerder = app.test_client()
    password_step(beheerder, "beheerder@example.nl")
    with app.app_context():
        from surveys.models import User
        manager_id = db.session.query(User.id).filter_by(email="manager@example.nl").scalar()

    reply = beheerder.post(f"/beheer/gebruikers/{manager_id}/tweede-factor",
                           data={"csrf_token": form_token(beheerder, "/beheer/gebruikers")})

    assert reply.status_code == 303
    assert manager.get("/beheer/").status_code == 302  # its sessions ended
    again = app.test_client()
    assert password_step(again).headers["Location"] == "/beheer/"  # no code asked: it enrols anew
    with app.app_context():
        events = [(e.action, e.actor, e.detail) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert ("second_factor_reset", "beheerder@example.nl", "manager@example.nl") in events

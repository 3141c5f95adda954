"""The office tablet (DESIGN.md §4): a manager registers it, the open link answers it alone, each form page
is sent once, and after each response the next person starts afresh, in Dutch."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import inspect, select

from surveys import periods
from surveys.extensions import db
from surveys.models import AuditEvent, KioskDevice, UsedFormToken
from surveys.services import retention
from surveys.services.kiosk import COOKIE, FORM_TOKEN_SECONDS, new_form_token, register_device, revoke_device

from .helpers import GOOD_ANSWERS, counts, csrf_token, fill_in, page_tokens, register_tablet
from .test_manage import accounts, log_in  # noqa: F401  (accounts is a fixture)

NOT_A_TABLET = "Deze link werkt alleen op onze tablet"
USE_YOUR_LETTER = "Gebruik dan de link of de QR-code uit die brief of e-mail."
ALREADY_SENT = "Deze antwoorden zijn al verstuurd"
STALE = "Deze pagina stond te lang open"


def test_the_open_link_answers_only_a_registered_tablet_that_was_not_revoked(app, client):
    with app.app_context():
        revoked = register_device("Oude tablet", actor="manager@example.nl")
        revoke_device(db.session.scalar(select(KioskDevice.id)), actor="manager@example.nl")
    for cookie in (None, "geraden", revoked):
        visitor = app.test_client()
        if cookie:
            visitor.set_cookie(COOKIE, cookie)
        page = visitor.get("/q/client")
        assert page.status_code == 403, cookie
        assert NOT_A_TABLET in page.text and USE_YOUR_LETTER in page.text and '<html lang="nl">' in page.text
        assert page.headers["Cache-Control"] == "no-store"
    # A post from elsewhere, with a valid CSRF token of its own session, is refused the same way.
    register_tablet(client)
    tokens = page_tokens(client.get("/q/client").text)
    stranger = app.test_client()
    stranger.set_cookie("session", client.get_cookie("session").value)
    assert stranger.post("/q/client", data={**GOOD_ANSWERS["client"], **tokens}).status_code == 403
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_a_manager_registers_this_device_and_revokes_it_and_both_are_audited(app, client, accounts):  # noqa: F811
    log_in(client, "manager@example.nl")
    page = client.get("/beheer/tablet")
    assert page.status_code == 200 and "Dit apparaat registreren als tablet" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = client.post("/beheer/tablet/registreren", data={"name": "  ", "csrf_token": token})
    assert refused.status_code == 400 and "Geef de tablet een naam van 1 tot 80 gewone tekens" in refused.text

    reply = client.post("/beheer/tablet/registreren", data={"name": " Tablet  balie ", "csrf_token": token})
    assert (reply.status_code, reply.headers["Location"]) == (303, "/beheer/tablet")
    device_token = client.get_cookie(COOKIE).value
    assert client.get("/q/client").status_code == 200
    with app.app_context():
        (device,) = db.session.scalars(select(KioskDevice))
        # Only the hash of the cookie's token is stored: a copy of the database makes no tablet.
        assert device.token_hash == hashlib.sha256(device_token.encode()).hexdigest()
        assert (device.name, device.registered_by, device.revoked) == ("Tablet balie", "manager@example.nl", False)
        device_id = device.id
    listing = client.get("/beheer/tablet").text
    assert "Dit apparaat is al geregistreerd als tablet." in listing and "Tablet balie" in listing

    assert client.post(f"/beheer/tablet/{device_id}/intrekken", data={"csrf_token": token}).status_code == 303
    assert "Ingetrokken" in client.get("/beheer/tablet").text
    assert client.get("/q/client").status_code == 403
    assert client.post("/beheer/tablet/999/intrekken", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        events = [(e.actor, e.action, e.detail) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("kiosk%")).order_by(AuditEvent.id))]
    assert events == [("manager@example.nl", "kiosk_registered", "Tablet balie"),
                      ("manager@example.nl", "kiosk_revoked", "Tablet balie")]


def test_a_form_page_is_stored_once_and_its_used_token_holds_a_hash_and_a_day(app, client):
    register_tablet(client)
    page = client.get("/q/client")
    assert 'autocomplete="off"' in page.text and page.headers["Cache-Control"] == "no-store"
    data = {**GOOD_ANSWERS["client"], **page_tokens(page.text)}
    session = client.get_cookie("session").value
    assert client.post("/q/client", data=data).status_code == 303
    # A replay of the whole request, with the session cookie it was sent with (which the response ended).
    client.set_cookie("session", session)
    again = client.post("/q/client", data=data)
    assert again.status_code == 409 and ALREADY_SENT in again.text
    with app.app_context():
        assert counts() == (1, 12, 0)
        assert {column["name"] for column in inspect(db.engine).get_columns("used_form_token")} == {
            "token_hash", "expires_on"}
        (used,) = db.session.scalars(select(UsedFormToken))
        assert used.token_hash == hashlib.sha256(data["form_token"].encode()).hexdigest()
        assert used.expires_on == periods.today() + timedelta(days=2)


def test_a_stale_or_forged_page_shows_the_answers_again_and_stores_nothing(app, client):
    register_tablet(client)
    page = client.get("/q/client")
    tokens = page_tokens(page.text)
    answers = {**GOOD_ANSWERS["client"], "C10": "Mijn eigen woorden"}
    forged = {**tokens, "form_token": tokens["form_token"][:-3] + "abc"}
    for sent in (forged, {"csrf_token": tokens["csrf_token"]}):
        reply = client.post("/q/client", data={**answers, **sent})
        assert reply.status_code == 400 and STALE in reply.text
        assert ">Mijn eigen woorden</textarea>" in reply.text, "what the person answered is kept"
    with time_machine.travel(datetime.now(UTC) - timedelta(seconds=FORM_TOKEN_SECONDS + 60)), app.app_context():
        opened_long_ago = new_form_token()
    late = client.post("/q/client", data={**answers, **tokens, "form_token": opened_long_ago})
    assert late.status_code == 400 and STALE in late.text
    with app.app_context():
        assert counts() == (0, 0, 0)
    assert client.post("/q/client", data={**answers, **page_tokens(late.text)}).status_code == 303


def test_after_a_response_the_session_is_empty_and_the_next_person_starts_in_dutch(app, client):
    register_tablet(client)
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    assert '<html lang="nl">' in client.get("/q/client", headers=english).text, "the tablet's browser is ignored"
    reply = fill_in(client, "/q/client?lang=en", GOOD_ANSWERS["client"])
    assert (reply.status_code, reply.headers["Location"]) == (303, "/q/client/volgende")
    assert f"{COOKIE}=" in reply.headers["Set-Cookie"]  # renewed: a tablet in use stays registered
    with client.session_transaction() as session:
        assert dict(session) == {}
    start = client.get(reply.headers["Location"], headers=english)
    assert '<html lang="nl">' in start.text and "Volgende persoon" in start.text
    assert start.headers["Cache-Control"] == "no-store"
    assert '<html lang="nl">' in client.get("/q/client", headers=english).text


def test_the_purge_forgets_used_form_tokens_past_their_day(app):
    today = periods.today()
    with app.app_context():
        db.session.add_all([UsedFormToken(token_hash="a" * 64, expires_on=today - timedelta(days=1)),
                            UsedFormToken(token_hash="b" * 64, expires_on=today)])
        db.session.commit()
        retention.purge(today, actor="cli")
        assert db.session.scalars(select(UsedFormToken.token_hash)).all() == ["b" * 64]


def test_a_code_link_needs_no_tablet_and_no_form_token(app, client):
    from .helpers import codes_for, open_round

    with app.app_context():
        (code,) = codes_for(open_round("client"))
    page = client.get(f"/r/{code}")
    assert 'name="form_token"' not in page.text
    reply = client.post(f"/r/{code}", data={**GOOD_ANSWERS["client"], "csrf_token": csrf_token(page.text)})
    assert (reply.status_code, reply.headers["Location"]) == (303, "/bedankt")

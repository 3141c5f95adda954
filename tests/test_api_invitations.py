"""A registration system invites the cliënten of closed trajectories through POST /api/v1/invitations with
an invite token: links, an e-mail through a real SMTP server (aiosmtpd), a PDF letter, and a retried call
that makes no second code; tokens have scopes, owners and a browser page; /api/v1/kpis takes a session."""

import io
import threading
from datetime import timedelta

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from surveys import periods
from surveys.extensions import db
from surveys.models import ApiToken, AuditEvent, IdempotencyKey
from surveys.services.invitations import erase_closed_round_contacts
from surveys.services.rounds import close_round, hash_code
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from .conftest import make_app, reset_postgres
from .helpers import csrf_token, open_round
from .mailbox import BASE_URL, LINK
from .server import gunicorn_server
from .test_invitations import respondent_status, stored_codes
from .test_manage import PASSWORD, log_in

LINK_BODY = {"questionnaire": "client", "delivery": "link"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_token(app, name: str, scope: str) -> str:
    with app.app_context():
        return create_token(name, scope)


def invite(client, token: str, body: dict, key: str | None = None):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/v1/invitations", json=body, headers=headers)


def code_of(url: str) -> str:
    (code,) = LINK.findall(url)
    return code


def is_problem(reply, status: int, kind: str | None = None) -> dict:
    assert (reply.status_code, reply.mimetype) == (status, "application/problem+json"), reply.get_data(as_text=True)
    body = reply.get_json()
    assert set(body) == {"type", "title", "status", "detail"} and body["status"] == status
    assert body["type"] == (f"urn:surveys:problem:{kind}" if kind else "about:blank")
    return body


def test_a_registration_system_invites_five_closed_trajectories(app, smtp):
    with app.app_context():
        round_ = open_round("client")
        round_id, period, closes_on = round_.id, round_.period, round_.closes_on
    token = make_token(app, "registratiesysteem", "invite")
    system = app.test_client()

    # Trajectories 1 and 2: the link, for the system's own letter or text message.
    links = [invite(system, token, LINK_BODY) for _ in range(2)]
    for reply in links:
        assert reply.status_code == 201 and reply.mimetype == "application/json"
        body = reply.get_json()
        assert body == {"delivery": "link", "questionnaire": "client", "round": round_id, "period": period,
                        "closes_on": closes_on.isoformat(), "url": f"{BASE_URL}/r/{code_of(body['url'])}"}
    # Trajectory 3: by e-mail, read back from the SMTP server.
    mailed = invite(system, token, {"questionnaire": "client", "delivery": "email", "email": "Inwoner@Example.NL"})
    assert mailed.status_code == 201
    assert mailed.get_json() == {"delivery": "email", "questionnaire": "client", "round": round_id,
                                 "period": period, "closes_on": closes_on.isoformat()}  # no link: it is the cliënt's
    (mail,) = smtp.mails
    assert mail.recipients == ["Inwoner@example.nl"]  # the domain normalised by email-validator
    assert mail.message["Subject"] == "Wat vond u van de hulp van Sociaal Team Houten?"  # the default profile
    # Trajectory 4: the letter as PDF, holding its code's link.
    letter = invite(system, token, {"questionnaire": "client", "delivery": "letter"})
    assert (letter.status_code, letter.mimetype) == (201, "application/pdf")
    assert letter.data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(letter.data)).pages
    assert len(pages) == 1
    letter_code = code_of(pages[0].extract_text())
    # Trajectory 5: the system's call times out on its side and it retries with the same key: one code.
    first = invite(system, token, LINK_BODY, key="traject-2026-00417")
    retried = invite(system, token, LINK_BODY, key="traject-2026-00417")
    assert first.status_code == retried.status_code == 201
    assert retried.get_json() == first.get_json() and retried.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # The same key for another trajectory is refused, and makes nothing.
    other = invite(system, token, {"questionnaire": "client", "delivery": "letter"}, key="traject-2026-00417")
    assert "ander verzoek" in is_problem(other, 422, "idempotency-key-reused")["detail"]

    codes = stored_codes(app, round_id)
    made = [code_of(r.get_json()["url"]) for r in links] + [mail.code, letter_code,
                                                           code_of(first.get_json()["url"])]
    assert len(codes) == 5 and len(set(made)) == 5
    assert sorted(c.code_hash for c in codes) == sorted(hash_code(code) for code in made)
    # Only the e-mailed code keeps its address, for a reminder, until the round closes.
    assert {c.code_hash: (c.email, c.invited_on) for c in codes if c.email or c.invited_on} == {
        hash_code(mail.code): ("Inwoner@example.nl", periods.today())}
    assert all(respondent_status(app, code) == 200 for code in made)
    with app.app_context():
        (record,) = db.session.scalars(select(IdempotencyKey))
        assert record.sealed_code != code_of(first.get_json()["url"]) and len(record.sealed_code) == 64
        assert "traject" not in record.key_hash
        close_round(db.session.get(type(round_), round_id), periods.today())  # closed since yesterday
    # A retry after the round closed still gets its code (the round's new close date with it); a new call, 409.
    late = invite(system, token, LINK_BODY, key="traject-2026-00417")
    yesterday = periods.today() - timedelta(days=1)
    assert (late.status_code, late.get_json()) == (201, {**first.get_json(), "closes_on": yesterday.isoformat()})
    is_problem(invite(system, token, LINK_BODY, key="traject-2026-00418"), 409, "no-open-round")
    with app.app_context():
        assert erase_closed_round_contacts(periods.today()) == 1
    assert [c.email for c in stored_codes(app, round_id)] == [None] * 5


def test_bad_calls_get_a_clear_problem_and_store_nothing(app, smtp):
    token = make_token(app, "registratiesysteem", "invite")
    system = app.test_client()
    # No open round for the questionnaire.
    assert "geen open meetronde" in is_problem(invite(system, token, LINK_BODY), 409, "no-open-round")["detail"]
    with app.app_context():
        open_round("client")
    cases = {
        "not an address": ({"questionnaire": "client", "delivery": "email", "email": "inwoner@"},
                           "email: Dit is geen geldig e-mailadres. Controleer het adres, bijvoorbeeld "
                           "naam@voorbeeld.nl."),
        "address missing": ({"questionnaire": "client", "delivery": "email"},
                            "email: Bij delivery email is een e-mailadres nodig."),
        "address with a link": ({**LINK_BODY, "email": "a@example.nl"},
                                "email: Geef alleen een e-mailadres bij delivery email."),
        "unknown delivery": ({"questionnaire": "client", "delivery": "sms"},
                             "delivery: Kies een van: link, email, letter."),
        "unknown questionnaire": ({"questionnaire": "klant", "delivery": "link"},
                                  "questionnaire: Kies een van: client, partner, gemeente, medewerker."),
        "unknown field": ({**LINK_BODY, "bsn": "123456782"}, "bsn: Dit veld kennen we niet."),
        "no object": (["client"], "_schema"),
    }
    for name, (body, detail) in cases.items():
        problem = is_problem(invite(system, token, body), 422, "invalid-request")
        if detail != "_schema":
            assert problem["detail"] == detail, name
        else:
            assert problem["detail"].startswith("Stuur een JSON-object"), name
    not_json = system.post("/api/v1/invitations", data="questionnaire=client", headers=bearer(token))
    assert "JSON" in is_problem(not_json, 415)["detail"]
    assert "Idempotency-Key" in is_problem(invite(system, token, LINK_BODY, key="x" * 201), 400,
                                           "bad-idempotency-key")["detail"]
    smtp.refuse.add("weg@example.nl")
    refused = invite(system, token, {"questionnaire": "client", "delivery": "email", "email": "weg@example.nl"})
    assert "niets verstuurd of bewaard" in is_problem(refused, 422, "address-refused")["detail"]
    assert stored_codes(app) == [] and smtp.mails == []


def test_scopes_are_kept_apart_and_a_revoked_token_stops(app):
    with app.app_context():
        open_round("client")
    reader, inviter = make_token(app, "dashboard", "read"), make_token(app, "registratie", "invite")
    client = app.test_client()
    assert client.get("/api/v1/kpis?period=2026-H1", headers=bearer(reader)).status_code == 200
    refused = is_problem(client.get("/api/v1/kpis?period=2026-H1", headers=bearer(inviter)), 403, "wrong-scope")
    assert "'read'" in refused["detail"]
    assert "'invite'" in is_problem(invite(client, reader, LINK_BODY), 403, "wrong-scope")["detail"]
    is_problem(client.post("/api/v1/invitations", json=LINK_BODY), 401)
    assert client.post("/api/v1/invitations", json=LINK_BODY).headers["WWW-Authenticate"] == 'Bearer realm="surveys"'
    assert stored_codes(app) == []
    runner = app.test_cli_runner()
    assert runner.invoke(args=["api-token", "revoke", "registratie"]).exit_code == 0
    is_problem(invite(client, inviter, LINK_BODY), 401)
    with app.app_context():
        owners = {t.name: (t.scope, t.owner, t.revoked) for t in db.session.scalars(select(ApiToken))}
    assert owners == {"dashboard": ("read", "cli", False), "registratie": ("invite", "cli", True)}


def test_the_command_line_makes_tokens_of_either_scope(app, runner):
    made = runner.invoke(args=["api-token", "create", "registratie", "--scope", "invite"])
    assert made.exit_code == 0 and made.output.startswith("svy_")
    wrong = runner.invoke(args=["api-token", "create", "x", "--scope", "write"])
    assert wrong.exit_code == 2 and "'write' is not one of 'invite', 'read'" in wrong.output
    with app.app_context():
        assert [(t.name, t.scope, t.owner) for t in db.session.scalars(select(ApiToken))] == [
            ("registratie", "invite", "cli")]


def test_kpis_take_the_session_of_any_logged_in_staff_account(app, client):
    with app.app_context():
        for role in ("lezer", "manager", "beheerder"):
            create_user(f"{role}@example.nl", PASSWORD, role)
    is_problem(client.get("/api/v1/kpis?period=2026-H1"), 401)
    for role in ("lezer", "manager", "beheerder"):
        staff = app.test_client()
        assert log_in(staff, f"{role}@example.nl").status_code == 303
        reply = staff.get("/api/v1/kpis?period=2026-H1&kpi=client_support")
        assert reply.status_code == 200, role
        # An empty period not yet published: no n, "niet vrijgegeven" (DESIGN.md section 6).
        assert [(e["kpi"], e["n"], e["verdict"]) for e in reply.get_json()] == [
            ("client_support", None, "niet_vrijgegeven")]
        # A session cannot make invitations: that takes an invite token.
        is_problem(staff.post("/api/v1/invitations", json=LINK_BODY), 401)


def test_a_beheerder_makes_sees_and_revokes_tokens_in_the_browser(app):
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        create_token("dashboard", "read")
    browser = app.test_client()
    assert log_in(browser, "beheerder@example.nl").status_code == 303
    page = browser.get("/beheer/api-sleutels")
    made = browser.post("/beheer/api-sleutels/nieuw", data={
        "name": "registratiesysteem", "scope": "invite", "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    token = html.split('<code id="new-token">')[1].split("</code>")[0]
    assert token.startswith("svy_") and "u ziet hem hierna nooit meer" in html
    listing = browser.get("/beheer/api-sleutels").get_data(as_text=True)
    assert token not in listing  # shown once
    rows = listing.split("<tbody>")[1].split("</tbody>")[0]
    assert [cell.strip() for cell in rows.replace("<th", "<td").split("<td")[1:4]] == [
        'scope="row">dashboard</th>', "><code>read</code></td>", ">de opdrachtregel</td>"]
    assert "beheerder@example.nl" in rows and "nog nooit" in rows
    system = app.test_client()
    with app.app_context():
        open_round("client")
        token_id = db.session.scalar(select(ApiToken.id).filter_by(name="registratiesysteem"))
    assert invite(system, token, LINK_BODY).status_code == 201
    used = browser.get("/beheer/api-sleutels").get_data(as_text=True).split("registratiesysteem</th>")[1]
    assert used.split("</tr>")[0].count(periods.today().strftime("%d-%m-%Y")) == 1  # the last-used day
    revoked = browser.post(f"/beheer/api-sleutels/{token_id}/intrekken",
                           data={"csrf_token": csrf_token(listing)})
    assert revoked.status_code == 303
    assert "De sleutel registratiesysteem is ingetrokken." in browser.get("/beheer/api-sleutels").get_data(as_text=True)
    is_problem(invite(system, token, LINK_BODY), 401)
    bad = browser.post("/beheer/api-sleutels/nieuw", data={"name": "", "scope": "alles",
                                                           "csrf_token": csrf_token(listing)})
    assert bad.status_code == 400 and "Kies wat de sleutel mag: read of invite." in bad.get_data(as_text=True)
    with app.app_context():
        events = [(e.action, e.actor, e.detail) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("api_token%")).order_by(AuditEvent.id))]
    assert events == [("api_token_created", "cli", "dashboard (read)"),
                      ("api_token_created", "beheerder@example.nl", "registratiesysteem (invite)"),
                      ("api_token_revoked", "beheerder@example.nl", "registratiesysteem (invite)")]


def test_invitations_are_limited_per_token(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, API_INVITE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        open_round("client")
        first, second = create_token("a", "invite"), create_token("b", "invite")
    client = app.test_client()
    assert [invite(client, first, LINK_BODY).status_code for _ in range(3)] == [201, 201, 429]
    limited = invite(client, first, LINK_BODY)
    is_problem(limited, 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert invite(client, second, LINK_BODY).status_code == 201  # another token, from the same address
    assert len(stored_codes(app)) == 3
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.server
def test_a_concurrent_retry_on_two_workers_makes_one_code(postgres_url):
    """Eight copies of one call at the same moment, over two gunicorn workers on PostgreSQL: the unique
    constraint on the Idempotency-Key lets one make the code; the others wait for it and return it."""
    reset_postgres(postgres_url)
    app = make_app(postgres_url)
    with app.app_context():
        db.create_all()
        round_id = open_round("client").id
        token = create_token("registratie", "invite")
        db.session.remove()
        db.engine.dispose()
    with gunicorn_server(postgres_url, workers=2) as server:
        barrier, replies = threading.Barrier(8), []

        def call():
            barrier.wait()
            replies.append(httpx.post(f"{server.url}/api/v1/invitations", json=LINK_BODY, timeout=30,
                                      headers=bearer(token) | {"Idempotency-Key": "traject-9"}))

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [reply.status_code for reply in replies] == [201] * 8
    assert len({reply.json()["url"] for reply in replies}) == 1
    assert sum(reply.headers.get("Idempotent-Replayed") == "true" for reply in replies) == 7
    codes = stored_codes(app, round_id)
    assert [c.code_hash for c in codes] == [hash_code(code_of(replies[0].json()["url"]))]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

"""The beheerder's story: accounts and roles, the audit log, retention (purge), and sessions that end."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from surveys import periods
from surveys.answers import AnswerValue
from surveys.config import ConfigurationError
from surveys.extensions import db
from surveys.models import Answer, AuditEvent, InvitationCode, Response, Round, User
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.retention import PurgeResult, RetentionError, months_before, purge
from surveys.services.rounds import create_round, hash_code, new_code
from surveys.services.users import create_user

from .conftest import make_app

PASSWORD = "een lang wachtwoord"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token(html: str) -> str:
    return TOKEN.search(html).group(1)


def log_in(client, email, password=PASSWORD):
    page = client.get("/beheer/inloggen")
    return client.post("/beheer/inloggen", data={"email": email, "password": password,
                                                 "csrf_token": token(page.get_data(as_text=True))})


def log_out(client):
    client.post("/beheer/uitloggen", data={"csrf_token": token(client.get("/beheer/").get_data(as_text=True))})


def post_form(client, page_url, url, data):
    """Post a form the way a browser does: open the page, take its token, send."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": token(page.get_data(as_text=True))})


@pytest.fixture
def staff(app):
    """A beheerder, a manager and a lezer; returns their ids by role."""
    with app.app_context():
        return {role: create_user(f"{role}@example.nl", PASSWORD, role).id
                for role in ("beheerder", "manager", "lezer")}


@pytest.fixture
def beheerder(client, staff):
    """The test client, logged in as the beheerder."""
    assert log_in(client, "beheerder@example.nl").status_code == 303
    return client


def accounts(app) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [(u.email, u.role, u.active) for u in db.session.scalars(select(User).order_by(User.email))]


def audit_events(app, *actions) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if actions:
            query = query.where(AuditEvent.action.in_(actions))
        return [(e.action, e.actor, e.detail) for e in db.session.scalars(query)]


# Accounts ---------------------------------------------------------------------------------------

def test_a_beheerder_creates_a_lezer_who_sees_the_dashboard_but_not_the_accounts(app, client, beheerder, smtp):
    page = client.get("/beheer/gebruikers")
    assert page.status_code == 200
    assert ">Gebruikers</a>" in page.get_data(as_text=True)  # in the beheerder's menu
    assert 'name="password"' not in page.get_data(as_text=True)  # the beheerder never chooses it
    reply = post_form(client, "/beheer/gebruikers", "/beheer/gebruikers/nieuw",
                      {"email": " Nieuwe.Lezer@Example.nl ", "role": "lezer"})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/beheer/gebruikers")
    listing = client.get("/beheer/gebruikers").get_data(as_text=True)
    assert ("Account nieuwe.lezer@example.nl aangemaakt met de rol lezer. nieuwe.lezer@example.nl krijgt een "
            "mail met een link om een wachtwoord te kiezen. De link werkt één keer, 72 uur lang.") in listing
    assert ("nieuwe.lezer@example.nl", "lezer", True) in accounts(app)
    assert audit_events(app, "user_created")[-1] == ("user_created", "beheerder@example.nl",
                                                     "nieuwe.lezer@example.nl als lezer")
    log_out(client)
    (mail,) = smtp.mails
    assert mail.recipients == ["nieuwe.lezer@example.nl"] and mail.message["Subject"] == "Kies uw wachtwoord"
    (path,) = re.findall(r"http://127\.0\.0\.1:5000(/beheer/wachtwoord-instellen/\S+)", mail.text)
    assert post_form(client, path, path, {"new": "precies12tkn", "repeat": "precies12tkn"}).status_code == 303

    assert log_in(client, "nieuwe.lezer@example.nl", "precies12tkn").status_code == 303
    dashboard = client.get("/beheer/")
    assert dashboard.status_code == 200 and "KPI" in dashboard.get_data(as_text=True)
    assert ">Gebruikers</a>" not in dashboard.get_data(as_text=True)
    for url in ("/beheer/gebruikers", "/beheer/logboek", "/beheer/bewaartermijnen"):
        assert client.get(url).status_code == 403, url


BAD_NEW_ACCOUNTS = [
    # (form, status, the field the message stands next to, the message)
    ({"email": "geen-adres", "role": "lezer"}, 400, "email",
     "Vul een geldig e-mailadres in, zoals naam@example.nl."),
    ({"email": "twee woorden@example.nl", "role": "lezer"}, 400, "email",
     "Vul een geldig e-mailadres in, zoals naam@example.nl."),
    ({"email": "Manager@Example.nl", "role": "lezer"}, 409, "email",
     "Er is al een account voor manager@example.nl."),
    ({"email": "baas@example.nl", "role": "superuser"}, 400, "role",
     "Kies een rol: beheerder, manager of lezer."),
    ({"email": "baas@example.nl"}, 400, "role", "Kies een rol: beheerder, manager of lezer."),
    ({"email": "iemand@localhost", "role": "lezer"}, 400, "email",
     "Vul een geldig e-mailadres in, zoals naam@example.nl."),
]


@pytest.mark.parametrize(("form", "status", "field", "message"), BAD_NEW_ACCOUNTS)
def test_a_bad_new_account_is_refused_next_to_its_field_and_nothing_is_stored(app, client, beheerder, form,
                                                                              status, field, message):
    before, events = accounts(app), audit_events(app)
    reply = post_form(client, "/beheer/gebruikers", "/beheer/gebruikers/nieuw", form)
    html = reply.get_data(as_text=True)
    assert reply.status_code == status
    assert f'<p class="error-message" id="{field}-error"><span class="visually-hidden">Fout: </span>{message}</p>' \
        in html
    assert accounts(app) == before and audit_events(app) == events


def test_a_new_account_without_the_form_token_is_refused(app, client, beheerder):
    before = accounts(app)
    reply = client.post("/beheer/gebruikers/nieuw", data={"email": "x@example.nl", "role": "lezer"})
    assert reply.status_code == 400 and accounts(app) == before


def test_role_changes_and_deactivation_are_audited(app, client, beheerder, staff):
    manager = staff["manager"]
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{manager}/rol", {"role": "lezer"})
    assert reply.status_code == 303
    assert "manager@example.nl heeft nu de rol lezer." in client.get("/beheer/gebruikers").get_data(as_text=True)
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{manager}/status", {"active": "0"})
    assert reply.status_code == 303
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{manager}/status", {"active": "1"})
    assert reply.status_code == 303
    assert ("manager@example.nl", "lezer", True) in accounts(app)
    assert audit_events(app, "role_changed", "user_deactivated", "user_activated") == [
        ("role_changed", "beheerder@example.nl", "manager@example.nl: manager → lezer"),
        ("user_deactivated", "beheerder@example.nl", "manager@example.nl"),
        ("user_activated", "beheerder@example.nl", "manager@example.nl"),
    ]


@pytest.mark.parametrize(("action", "data", "status", "message"), [
    ("rol", {"role": "manager"}, 409, "U kunt uw eigen rol niet wijzigen. Vraag dit aan een andere beheerder."),
    ("status", {"active": "0"}, 409, "U kunt uw eigen account niet deactiveren. Vraag dit aan een andere beheerder."),
])
def test_a_beheerder_cannot_demote_or_deactivate_themself(app, client, beheerder, staff, action, data, status,
                                                          message):
    before, events = accounts(app), audit_events(app)
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{staff['beheerder']}/{action}", data)
    assert reply.status_code == status
    assert message in reply.get_data(as_text=True)
    assert accounts(app) == before and audit_events(app) == events


@pytest.mark.parametrize(("action", "data"), [("rol", {"role": "baas"}), ("rol", {}), ("status", {"active": "ja"})])
def test_a_bad_role_or_status_changes_nothing(app, client, beheerder, staff, action, data):
    before, events = accounts(app), audit_events(app)
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{staff['lezer']}/{action}", data)
    assert reply.status_code == 400
    assert 'class="error-message"' in reply.get_data(as_text=True)
    assert accounts(app) == before and audit_events(app) == events


def test_changing_an_unknown_account_is_not_found(client, beheerder):
    reply = post_form(client, "/beheer/gebruikers", "/beheer/gebruikers/999/rol", {"role": "lezer"})
    assert reply.status_code == 404


def test_a_deactivated_account_cannot_log_in_and_its_session_ends(app, client, beheerder, staff):
    manager = app.test_client()
    assert log_in(manager, "manager@example.nl").status_code == 303
    assert manager.get("/beheer/").status_code == 200
    reply = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{staff['manager']}/status", {"active": "0"})
    assert reply.status_code == 303
    assert ("manager@example.nl", "manager", False) in accounts(app)

    ended = manager.get("/beheer/")
    assert ended.status_code == 302 and "/beheer/inloggen" in ended.headers["Location"]
    again = log_in(app.test_client(), "manager@example.nl")
    assert again.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in again.get_data(as_text=True)
    assert audit_events(app, "login", "login_failed")[-1] == ("login_failed", "manager@example.nl", None)


# The audit log ----------------------------------------------------------------------------------

AUDIT_ROW = re.compile(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*</tr>")


def test_the_audit_log_shows_who_logged_in_or_failed_and_when_newest_first(app, client, staff):
    assert log_in(app.test_client(), "manager@example.nl", "fout wachtwoord").status_code == 401
    assert log_in(client, "beheerder@example.nl").status_code == 303
    page = client.get("/beheer/logboek")
    assert page.status_code == 200
    rows = AUDIT_ROW.findall(page.get_data(as_text=True))
    with app.app_context():
        stamps = list(db.session.scalars(select(AuditEvent.at).order_by(AuditEvent.id.desc())))
    amsterdam = ZoneInfo("Europe/Amsterdam")
    shown = [at.replace(tzinfo=UTC).astimezone(amsterdam).strftime("%d-%m-%Y %H:%M:%S") for at in stamps]
    assert rows == [
        (shown[0], "beheerder@example.nl", "Ingelogd", ""),
        (shown[1], "manager@example.nl", "Inloggen mislukt", ""),
        (shown[2], "cli", "Account aangemaakt", "lezer@example.nl als lezer"),
        (shown[3], "cli", "Account aangemaakt", "manager@example.nl als manager"),
        (shown[4], "cli", "Account aangemaakt", "beheerder@example.nl als beheerder"),
    ]

    failed = client.get("/beheer/logboek?actie=login_failed")
    assert [row[1:3] for row in AUDIT_ROW.findall(failed.get_data(as_text=True))] == [
        ("manager@example.nl", "Inloggen mislukt")]
    unknown = client.get("/beheer/logboek?actie=iets")
    assert unknown.status_code == 400
    assert "Onbekende actie" in unknown.get_data(as_text=True)


def test_the_audit_log_is_filtered_by_person_and_local_days_paged_and_exported(app, client, staff):
    amsterdam = ZoneInfo("Europe/Amsterdam")
    with app.app_context():
        # 250 logins by two people over three local days; 23:30 UTC on 1 March is 2 March in Amsterdam.
        for number in range(250):
            at = datetime(2027, 3, 1, 23, 30) + timedelta(hours=number % 3 * 24)
            db.session.add(AuditEvent(at=at, actor=("ans@example.nl", "bram@example.nl")[number % 2],
                                      action="login_failed", detail=None))
        db.session.commit()
    assert log_in(client, "beheerder@example.nl").status_code == 303
    # ans (even numbers) on the local day 3 March 2027 (number % 3 == 1): ≡ 4 mod 6, so 4, 10 … 244: 41 of 250.
    query = "actie=login_failed&wie=ANS@&van=2027-03-03&tot=2027-03-03"
    page = client.get(f"/beheer/logboek?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "41 gebeurtenissen." in html
    rows = AUDIT_ROW.findall(html)
    assert len(rows) == 41 and {row[:3] for row in rows} == {
        ("03-03-2027 00:30:00", "ans@example.nl", "Inloggen mislukt")}
    assert datetime(2027, 3, 2, 23, 30, tzinfo=UTC).astimezone(amsterdam).day == 3

    everyone = client.get("/beheer/logboek?actie=login_failed").get_data(as_text=True)
    assert "250 gebeurtenissen; pagina 1 van 3." in everyone and len(AUDIT_ROW.findall(everyone)) == 100
    last = client.get("/beheer/logboek?actie=login_failed&pagina=3").get_data(as_text=True)
    assert len(AUDIT_ROW.findall(last)) == 50 and "Volgende pagina" not in last and "Vorige pagina" in last

    export = client.get(f"/beheer/logboek.csv?{query}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).splitlines()
    assert lines[0] == "\ufeffwanneer;wie;wat;details"
    assert lines[1:] == ["03-03-2027 00:30:00;ans@example.nl;Inloggen mislukt;"] * 41
    assert audit_events(app, "export")[-1] == ("export", "beheerder@example.nl", "logboek")


@pytest.mark.parametrize(("query", "field", "message"), [
    ("van=31-12-2026", "van", "Vul een datum in als 2026-12-31."),
    ("van=2027-03-02&tot=2027-03-01", "tot", "De datum 'tot en met' ligt vóór de datum 'van'."),
    ("wie=" + "x" * 255, "wie", "Vul hoogstens 254 tekens in (een e-mailadres of een deel ervan)."),
])
def test_an_audit_filter_that_cannot_be_read_is_named_next_to_its_field(app, client, staff, query, field, message):
    assert log_in(client, "beheerder@example.nl").status_code == 303
    page = client.get(f"/beheer/logboek?{query}")
    assert page.status_code == 400
    shown = message.replace("'", "&#39;")
    assert f'<p class="error-message" id="{field}-error"><span class="visually-hidden">Fout: </span>{shown}</p>' \
        in page.get_data(as_text=True)
    assert client.get(f"/beheer/logboek.csv?{query}").status_code == 400


def test_every_kind_of_event_the_code_records_has_a_dutch_label_in_the_log():
    from pathlib import Path

    from surveys.manage.admin import ACTION_LABELS
    source = "".join(path.read_text() for path in Path(__file__).parent.parent.joinpath("surveys").rglob("*.py"))
    recorded = set(re.findall(r'record\(\s*"([a-z_]+)"', source))
    recorded |= set(re.findall(r'record\(\s*"([a-z_]+)" if', source))
    recorded |= set(re.findall(r'else "([a-z_]+)", actor=', source))
    recorded |= set(re.findall(r'\baction(?:: str)? ?= ?"([a-z_]+)"', source))  # handed on to record()
    assert len(recorded) > 30
    assert sorted(recorded - set(ACTION_LABELS)) == []


# Retention --------------------------------------------------------------------------------------

def years_ago(day: date, years: int) -> date:
    """The same calendar day `years` years earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@pytest.fixture
def retention_data(app):
    """A round that closed yesterday and one whose last day is today, each with codes (with and
    without an e-mail address, one used), and responses with free text from long ago and lately.
    Returns what a purge should leave and what it should remove."""
    today = periods.today()
    with app.app_context():
        closed = create_round("partner", "2026-H1", opens_on=today - timedelta(days=40),
                              closes_on=today - timedelta(days=1), population=40)
        still_open = create_round("medewerker", "2026-H1", opens_on=today - timedelta(days=10),
                                  closes_on=today, population=60)
        for round_, email, used in [(closed, "a@example.nl", False), (closed, "b@example.nl", True),
                                    (closed, None, False), (still_open, "d@example.nl", False),
                                    (still_open, None, True), (still_open, "e@example.nl", True)]:
            db.session.add(InvitationCode(round_id=round_.id, code_hash=hash_code(new_code()), email=email, used=used))
        db.session.commit()
        exactly_24_months = years_ago(today, 2)
        client_version, partner_version = current_version("client"), current_version("partner")
        long_ago = today - timedelta(days=775)  # 25 months and more
        store_many(client_version, [
            NewResponse(long_ago, [AnswerValue("C1", value=8), AnswerValue("C4", code="ja"),
                                   AnswerValue("C10", text="oud antwoord")]),
            NewResponse(exactly_24_months, [AnswerValue("C1", value=6), AnswerValue("C10", text="precies 24 maanden")]),
            NewResponse(exactly_24_months - timedelta(days=1),
                        [AnswerValue("C1", value=5), AnswerValue("C10", text="een dag te oud")]),
            NewResponse(today - timedelta(days=30), [AnswerValue("C1", value=9), AnswerValue("C3", code="nvt"),
                                                     AnswerValue("C10", text="recent antwoord")]),
            NewResponse(long_ago, [AnswerValue("C1", value=4), AnswerValue("C4", code="nee")]),
        ], channel="paper")
        store_many(partner_version, [NewResponse(long_ago, [AnswerValue("P1", value=7), AnswerValue("P2", value=4),
                                                            AnswerValue("P8", text="oude opmerking")],
                                                 round_id=closed.id)], channel="code")
        return {"closed": closed.id, "open": still_open.id, "cutoff": exactly_24_months,
                "removed_texts": {"oud antwoord", "een dag te oud", "oude opmerking"}}


def snapshot():
    """Everything a purge might touch, as plain values."""
    return {
        "codes": set(db.session.execute(select(InvitationCode.round_id, InvitationCode.code_hash,
                                               InvitationCode.used, InvitationCode.email)).all()),
        "answers": set(db.session.execute(select(Answer.response_id, Answer.item, Answer.value, Answer.code,
                                                 Answer.text)).all()),
        "responses": set(db.session.execute(select(Response.id, Response.questionnaire, Response.round_id,
                                                   Response.submitted_on, Response.channel)).all()),
        "rounds": set(db.session.execute(select(Round.id, Round.questionnaire, Round.opens_on, Round.closes_on,
                                                Round.population)).all()),
    }


def check_purged_exactly(before, after, data):
    assert after["codes"] == {code for code in before["codes"] if code.round_id == data["open"]}
    assert {code.email for code in after["codes"]} == {"d@example.nl", "e@example.nl", None}
    removed = before["answers"] - after["answers"]
    assert after["answers"] <= before["answers"]
    assert {answer.text for answer in removed} == data["removed_texts"] and len(removed) == 3
    assert {answer.text for answer in after["answers"] if answer.text} == {"precies 24 maanden", "recent antwoord"}
    assert after["responses"] == before["responses"] and len(after["responses"]) == 6
    assert after["rounds"] == before["rounds"]


def test_purge_deletes_exactly_the_closed_rounds_codes_and_old_free_text(app, retention_data):
    today = periods.today()
    with app.app_context():
        before = snapshot()
        result = purge(today, actor="beheerder@example.nl")
        after = snapshot()
        assert result == PurgeResult(codes_deleted=3, addresses_deleted=2, free_texts_deleted=3,
                                     free_text_cutoff=retention_data["cutoff"])
        check_purged_exactly(before, after, retention_data)
        # The grades and codes of the old responses all stay, only their free text went.
        assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.text.is_(None))) == \
            len([a for a in before["answers"] if a.text is None]) == 10

        again = purge(today)
        assert (again.codes_deleted, again.addresses_deleted, again.free_texts_deleted) == (0, 0, 0)
        assert snapshot() == after
    cutoff = retention_data["cutoff"].isoformat()
    assert audit_events(app, "purge") == [
        ("purge", "beheerder@example.nl", "codes verwijderd: 3 (met e-mailadres: 2); open antwoorden verwijderd: 3 "
                                          f"(ingevuld vóór {cutoff})"),
        ("purge", "cli", f"codes verwijderd: 0 (met e-mailadres: 0); open antwoorden verwijderd: 0 "
                         f"(ingevuld vóór {cutoff})"),
    ]


def test_the_purge_command_prints_its_counts(app, runner, retention_data):
    today, cutoff = periods.today().isoformat(), retention_data["cutoff"].isoformat()
    with app.app_context():
        before = snapshot()
    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0, first.output
    assert first.output == (f"3 invitation codes deleted from rounds closed before {today}, 2 of them with an "
                            f"e-mail address\n3 free-text answers deleted (submitted before {cutoff})\n")
    with app.app_context():
        check_purged_exactly(before, snapshot(), retention_data)
    second = runner.invoke(args=["purge"])
    assert second.output == (f"0 invitation codes deleted from rounds closed before {today}, 0 of them with an "
                             f"e-mail address\n0 free-text answers deleted (submitted before {cutoff})\n")
    assert [actor for _, actor, _ in audit_events(app, "purge")] == ["cli", "cli"]


def test_free_text_months_comes_from_the_configuration(database_url, retention_data):
    """With FREE_TEXT_MONTHS = 12 the free text of exactly 24 months ago goes too; last month's stays."""
    other = make_app(database_url, FREE_TEXT_MONTHS=12)
    with other.app_context():
        result = purge(periods.today())
        kept = set(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
        db.session.remove()
        db.engine.dispose()
    assert (result.codes_deleted, result.free_texts_deleted) == (3, 4) and kept == {"recent antwoord"}
    assert result.free_text_cutoff == years_ago(periods.today(), 1)


@pytest.mark.parametrize("months", [0, -3, "twee jaar", True])
def test_an_unusable_free_text_months_setting_purges_nothing(database_url, retention_data, months):
    with pytest.raises(ConfigurationError, match="SURVEYS_FREE_TEXT_MONTHS = .*: expected a whole number from 1"):
        make_app(database_url, FREE_TEXT_MONTHS=months)  # refused at start-up
    other = make_app(database_url)
    other.config["FREE_TEXT_MONTHS"] = months  # and should it change afterwards, purge still refuses it
    result = other.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 1 and "FREE_TEXT_MONTHS" in result.output
    with other.app_context():
        before = snapshot()
        with pytest.raises(RetentionError, match="FREE_TEXT_MONTHS"):
            purge(periods.today())
        assert snapshot() == before and snapshot()["answers"]
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2026, 2, 28), 24, date(2024, 2, 28)),
    (date(2024, 2, 29), 24, date(2022, 2, 28)),
    (date(2026, 1, 15), 1, date(2025, 12, 15)),
    (date(2026, 7, 1), 25, date(2024, 6, 1)),
])
def test_months_before_counts_calendar_months(day, months, expected):
    assert months_before(day, months) == expected


def test_the_beheerder_sees_the_retention_settings_and_runs_the_purge_from_the_page(app, client, beheerder,
                                                                                     retention_data):
    page = client.get("/beheer/bewaartermijnen")
    html = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200
    assert "24 maanden" in html and "Er is nog nooit opgeschoond." in html
    assert ("Klaar om te verwijderen: 3 codes van gesloten meetrondes (waarvan 2 met e-mailadres) "
            "en 3 open antwoorden.") in html
    with app.app_context():
        before = snapshot()
    assert client.post("/beheer/bewaartermijnen/opschonen").status_code == 400  # no CSRF token
    with app.app_context():
        assert snapshot() == before
    reply = post_form(client, "/beheer/bewaartermijnen", "/beheer/bewaartermijnen/opschonen", {})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/beheer/bewaartermijnen")
    html = " ".join(client.get("/beheer/bewaartermijnen").get_data(as_text=True).split())
    assert "Opgeschoond: 3 codes verwijderd (waarvan 2 met e-mailadres) en 3 open antwoorden." in html
    assert ("door beheerder@example.nl: codes verwijderd: 3 (met e-mailadres: 2); open antwoorden verwijderd: 3 "
            f"(ingevuld vóór {retention_data['cutoff'].isoformat()})") in html
    assert "Klaar om te verwijderen: 0 codes" in html
    with app.app_context():
        check_purged_exactly(before, snapshot(), retention_data)


# Sessions ---------------------------------------------------------------------------------------

def test_a_session_ends_after_session_minutes_without_a_request(database_url, monkeypatch):
    """The session cookie is signed with the time it was last issued, and Flask refuses a cookie older
    than PERMANENT_SESSION_LIFETIME (from SESSION_MINUTES) whatever the browser does with its expiry.
    Moving the signer's clock forward and replaying the very same cookie shows both sides: a request
    within the lifetime keeps the session (and renews it), one after a longer pause needs a new login."""
    app = make_app(database_url, SESSION_MINUTES=5)
    with app.app_context():
        db.create_all()
        create_user("manager@example.nl", PASSWORD, "manager")
    clock = {"now": TimestampSigner.get_timestamp(None)}
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: clock["now"])
    client = app.test_client()
    reply = log_in(client, "manager@example.nl")
    assert reply.status_code == 303 and "Expires=" in reply.headers["Set-Cookie"]

    clock["now"] += 4 * 60 + 50
    assert client.get("/beheer/").status_code == 200  # 4 min 50 s after login
    clock["now"] += 4 * 60 + 50
    assert client.get("/beheer/").status_code == 200  # 9 min 40 s after login, but 4 min 50 s after the last click
    clock["now"] += 5 * 60 + 1
    ended = client.get("/beheer/")
    assert ended.status_code == 302 and "/beheer/inloggen" in ended.headers["Location"]
    assert log_in(client, "manager@example.nl").status_code == 303
    assert client.get("/beheer/").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

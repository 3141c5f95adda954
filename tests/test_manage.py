"""Staff log in, read the dashboard and KPI pages; every management route checks its role."""

import re
from datetime import date

import pytest

from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import AuditEvent
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.users import create_user

from .helpers import csrf_token, publish

PASSWORD = "een lang wachtwoord"
ROLES = ("lezer", "manager", "beheerder")
RANK = {None: 0, "lezer": 1, "manager": 2, "beheerder": 3}
# Values for the variable parts of management URLs; a new route with a new variable must add one here.
URL_VALUES = {"key": "client_support", "fmt": "svg", "round_id": "1", "user_id": "1", "token_id": "1", "letter_id": "1",
              "questionnaire": "partner", "device_id": "1",
              "dialect": "dutch"}  # dialect: a default of the download rules, not in their path


@pytest.fixture
def accounts(app):
    with app.app_context():
        for role in ROLES:
            create_user(f"{role}@example.nl", PASSWORD, role)


def log_in(client, email, password=PASSWORD):
    page = client.get("/beheer/inloggen")
    return client.post("/beheer/inloggen", data={"email": email, "password": password,
                                                 "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_manager_logs_in_reads_the_dashboard_and_logs_out(app, client, accounts):
    assert client.get("/beheer/").status_code == 302
    reply = log_in(client, "Manager@Example.nl ")
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/beheer/")
    page = client.get("/beheer/?periode=2026-H1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "KPI&#39;s 2026-H1" in html or "KPI's 2026-H1" in html
    assert html.count('<tr>') == 1 + 7  # header row and the seven KPIs
    token = csrf_token_from(html)
    assert client.post("/beheer/uitloggen", data={"csrf_token": token}).status_code == 303
    assert client.get("/beheer/").status_code == 302


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_wrong_password_gets_one_message_and_is_audited(app, client, accounts):
    reply = log_in(client, "manager@example.nl", "fout wachtwoord")
    assert reply.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in reply.get_data(as_text=True)
    unknown = log_in(client, "niemand@example.nl", "fout wachtwoord")
    assert unknown.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in unknown.get_data(as_text=True)
    with app.app_context():
        actions = [(e.action, e.actor) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert ("login_failed", "manager@example.nl") in actions and ("login_failed", "niemand@example.nl") in actions


def test_failed_logins_are_limited_per_account(database_url):
    from .conftest import make_app

    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMIT="3 per 15 minutes")
    with app.app_context():
        db.create_all()
        create_user("manager@example.nl", PASSWORD, "manager")
    client = app.test_client()
    statuses = [log_in(client, "manager@example.nl", "fout").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    held_up = log_in(client, "manager@example.nl")
    assert "Even wachten" in held_up.get_data(as_text=True)
    assert "Er kwamen te veel verzoeken van uw adres. Probeer het over 15 minuten opnieuw." in \
        held_up.get_data(as_text=True)
    assert 890 < int(held_up.headers["Retry-After"]) <= 900
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_kpi_page_shows_free_text_to_managers_only_and_only_for_large_groups(app, client, accounts):
    with app.app_context():
        version = current_version("partner")
        store_many(version, [NewResponse(date(2026, 3, 1), [AnswerValue("P1", value=8),
                                                            AnswerValue("P8", text=f"<b>opmerking {i}</b>")])
                             for i in range(4)], channel="paper")
        version = current_version("medewerker")
        store_many(version, [NewResponse(date(2026, 3, 1), [AnswerValue("M1", value=7),
                                                            AnswerValue("M9", text=f"punt {i}")])
                             for i in range(5)], channel="paper")
        publish("2026-H1")
    log_in(client, "manager@example.nl")
    partner = client.get("/beheer/kpi/partner_cooperation?periode=2026-H1").get_data(as_text=True)
    # A hidden group says "minder dan 5", never its n (DESIGN.md §6).
    assert "opmerking" not in partner and "Te weinig respons in 2026-H1 (minder dan 5)" in partner
    assert "(n = 4)" not in partner
    staff = client.get("/beheer/kpi/staff_house_in_order?periode=2026-H1").get_data(as_text=True)
    assert all(f"punt {i}" in staff for i in range(5))
    client.post("/beheer/uitloggen", data={"csrf_token": csrf_token_from(staff)})
    log_in(client, "lezer@example.nl")
    reader = client.get("/beheer/kpi/staff_house_in_order?periode=2026-H1").get_data(as_text=True)
    assert "punt 0" not in reader and "alleen zichtbaar voor managers" in reader
    with app.app_context():
        views = db.session.query(AuditEvent).filter_by(action="free_text_viewed").all()
    assert [(e.actor, e.detail) for e in views] == [("manager@example.nl", "medewerker 2026-H1")]


def management_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/beheer") and rule.endpoint not in LOGIN_STEPS]


#: The steps of logging in, open to visitors who are not logged in yet (tests/test_second_factor.py and
#: tests/test_single_sign_on.py walk them).
LOGIN_STEPS = ("auth.login", "auth.second_factor", "auth.sso_login", "auth.sso_callback", "auth.forgot_password",
               "auth.set_password")


def test_every_management_route_answers_each_role_as_its_declared_role_says(app, accounts):
    rules = management_rules(app)
    assert len(rules) >= 4
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        needed = getattr(view, "required_role", None)
        if rule.endpoint == "auth.logout":
            needed = "lezer"  # any logged-in account may log out
        assert needed in ROLES, f"{rule.endpoint} does not declare its role with role_required"
        url = rule.rule
        for name in rule.arguments:
            assert name in URL_VALUES, f"add a sample value for <{name}> of {rule.rule} to URL_VALUES"
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", URL_VALUES[name], url)
        method = "GET" if "GET" in rule.methods else "POST"
        for role in (None, *ROLES):
            client = app.test_client()
            if role:
                log_in(client, f"{role}@example.nl")
            page = client.get("/beheer/" if role else "/beheer/inloggen")
            token = csrf_token_from(page.get_data(as_text=True))
            reply = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            if role is None:
                assert reply.status_code == 302 and "/beheer/inloggen" in reply.headers["Location"], (url, role)
            elif RANK[role] < RANK[needed]:
                assert reply.status_code == 403, (url, role, reply.status_code)
            else:
                assert reply.status_code in (200, 303, 400, 404, 409, 422), (url, role, reply.status_code)

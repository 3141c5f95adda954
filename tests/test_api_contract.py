"""/api/v1/openapi.json against the running app, with Schemathesis: every operation with generated input
(no 500, every status and body as documented), then every documented status of every operation made on
purpose and checked against its documented body."""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from surveys.extensions import db
from surveys.services.tokens import create_token

from .conftest import make_app
from .helpers import open_round


@pytest.fixture
def api_schema(app, smtp):
    """The app with open cliënt and partner rounds (the other questionnaires have none: 409) and its own
    OpenAPI document."""
    with app.app_context():
        open_round("client"), open_round("partner")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_answers_as_documented(app, api_schema):
    """Generated calls with a token of the operation's scope. (Each operation's own Hypothesis test rather
    than Schemathesis's pytest plugin, whose per-operation subtests do not run on pytest 9.)"""
    with app.app_context():
        tokens = {"GET": create_token("dashboard", "read"), "POST": create_token("registratie", "invite")}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    fresh = itertools.count()
    assert sorted(operation.label for operation in operations) == [
        "GET /api/v1/kpis", "POST /api/v1/invitations"]
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            # email-validator is stricter than `format: email` (it refuses special-use domains such as .test, which
            # Hypothesis likes to make): such an address gets the documented 422, not a 2xx.
            emailed = isinstance(case.body, dict) and case.body.get("delivery") == "email"
            if case.headers and "Idempotency-Key" in case.headers:  # a key reused for another body is a 422
                case.headers["Idempotency-Key"] = f"{next(fresh)}-{case.headers['Idempotency-Key']}"[:200]
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens[case.method]}"},
                                   excluded_checks=[positive_data_acceptance] if emailed else None)

        call()


def documented(document: dict, path: str, method: str) -> set[int]:
    return {int(status) for status in document["paths"][path][method]["responses"]}


def test_every_documented_status_happens_and_matches_its_schema(app, smtp, database_url):
    with app.app_context():
        open_round("client")
        read, invite = create_token("dashboard", "read"), create_token("registratie", "invite")
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    client = app.test_client()
    as_reader, as_inviter = {"Authorization": f"Bearer {read}"}, {"Authorization": f"Bearer {invite}"}
    no_database = _without_database()
    # The same database with the rate limits on; made last, as the one Limiter takes the last app's switch.
    limited = make_app(database_url, RATELIMIT_ENABLED=True, API_LIMIT="1 per minute",
                       API_INVITE_LIMIT="1 per minute").test_client()
    link = {"questionnaire": "client", "delivery": "link"}
    kpis = {
        200: lambda: client.get("/api/v1/kpis?period=2026-H1", headers=as_reader),
        400: lambda: client.get("/api/v1/kpis?period=2026-H3", headers=as_reader),
        401: lambda: client.get("/api/v1/kpis?period=2026-H1"),
        403: lambda: client.get("/api/v1/kpis?period=2026-H1", headers=as_inviter),
        429: lambda: [limited.get("/api/v1/kpis?period=2026-H1", headers=as_reader) for _ in range(2)][-1],
        503: lambda: no_database.get("/api/v1/kpis?period=2026-H1", headers=as_reader),
    }
    invitations = {
        201: lambda: client.post("/api/v1/invitations", json=link, headers=as_inviter),
        400: lambda: client.post("/api/v1/invitations", json=link, headers={**as_inviter, "Idempotency-Key": "é"}),
        401: lambda: client.post("/api/v1/invitations", json=link),
        403: lambda: client.post("/api/v1/invitations", json=link, headers=as_reader),
        409: lambda: client.post("/api/v1/invitations", json={"questionnaire": "gemeente", "delivery": "link"},
                                 headers=as_inviter),
        413: lambda: client.post("/api/v1/invitations", json={**link, "padding": "x" * 1024 * 1024},
                                 headers=as_inviter),
        415: lambda: client.post("/api/v1/invitations", data="client", headers=as_inviter),
        422: lambda: client.post("/api/v1/invitations", json={"questionnaire": "client"}, headers=as_inviter),
        429: lambda: [limited.post("/api/v1/invitations", json=link, headers=as_inviter) for _ in range(2)][-1],
        503: lambda: _without_mail(app).post("/api/v1/invitations", headers=as_inviter,
                                                   json={**link, "delivery": "email", "email": "a@example.nl"}),
    }
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for path, method, calls in (("/api/v1/kpis", "get", kpis), ("/api/v1/invitations", "post", invitations)):
        assert set(calls) == documented(document, path, method), path
        operation = loaded[path][method.upper()]
        for status, call in calls.items():
            reply = call()
            assert reply.status_code == status, (path, status, reply.get_data(as_text=True))
            operation.validate_response(reply)
            if status >= 400:
                assert reply.mimetype == "application/problem+json", (path, status)
    pdf = client.post("/api/v1/invitations", json={**link, "delivery": "letter"}, headers=as_inviter)
    assert pdf.status_code == 201 and pdf.mimetype in document["paths"]["/api/v1/invitations"]["post"][
        "responses"]["201"]["content"]
    for other in (limited.application, no_database.application):
        with other.app_context():
            db.engine.dispose()


def _without_database():
    """The app on a PostgreSQL server that is not there: every call that needs the database gets 503."""
    return make_app("postgresql://surveys@127.0.0.1:9/nowhere", DATABASE_TIMEOUT=1).test_client()


def _without_mail(app):
    app.config.update(SMTP_PORT=9)  # nothing listens on the discard port
    return app.test_client()

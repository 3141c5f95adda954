"""Monitoring without codes: /metrics counts requests by view, never by path; only this machine (or the
holder of SURVEYS_METRICS_TOKEN) may read it; every reply and every log line of the app carries a request id.
The whole story on a real gunicorn server is in test_monitoring_server.py."""

import io
import logging
import re
import secrets
import sys
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from surveys.monitoring import MULTIPROC_DIR

from .conftest import make_app
from .helpers import GOOD_ANSWERS, codes_for, fill_in, open_round

HEX_ID = re.compile(r"[0-9a-f]{32}")
TOKEN = "m" * 8 + secrets.token_hex(16)  # 40 characters


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a /metrics reply, read by prometheus-client's own parser: (name, labels) → value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_metrics_count_requests_by_view_and_responses_by_questionnaire_never_a_code(app, client):
    with app.app_context():
        used, unused = codes_for(open_round("client"), 2)
    wrong = secrets.token_urlsafe(17)

    assert fill_in(app.test_client(), f"/r/{used}", GOOD_ANSWERS["client"]).status_code == 303
    assert client.get(f"/r/{used}").status_code == 410
    assert client.get(f"/r/{wrong}").status_code == 404
    assert client.get("/healthz").status_code == 200
    reply = client.get("/metrics")

    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    text = reply.get_data(as_text=True)
    found = samples(text)
    assert value(found, "surveys_http_requests_total", endpoint="respond.by_code", method="GET", status="2xx") == 1
    assert value(found, "surveys_http_requests_total", endpoint="respond.by_code", method="POST", status="3xx") == 1
    assert value(found, "surveys_http_requests_total", endpoint="respond.by_code", method="GET", status="4xx") == 2
    assert value(found, "surveys_http_requests_total", endpoint="health.healthz", method="GET", status="2xx") == 1
    assert value(found, "surveys_http_request_duration_seconds_count", endpoint="respond.by_code") == 4
    assert value(found, "surveys_responses_stored_total", questionnaire="client", channel="code") == 1
    assert value(found, "surveys_http_requests_in_progress", endpoint="metrics") == 1  # this very request
    assert value(found, "surveys_http_requests_in_progress", endpoint="respond.by_code") == 0
    for code in (used, unused, wrong):
        assert code not in text


def test_only_this_machine_reads_the_metrics_without_a_token(client):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 403
    assert elsewhere.get_data(as_text=True) == \
        "/metrics is read from this machine, or with the token of SURVEYS_METRICS_TOKEN.\n"
    # a proxy on this machine passing on a request from elsewhere
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 403
    assert client.get("/metrics", headers={"X-Real-IP": "192.0.2.7"}).status_code == 403


def test_with_a_token_only_its_holder_reads_the_metrics(database_url):
    client = make_app(database_url, METRICS_TOKEN=TOKEN).test_client()
    far = {"REMOTE_ADDR": "192.0.2.7"}

    assert client.get("/metrics", environ_base=far, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics", environ_base=far, headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
    assert client.get("/metrics", environ_base=far, headers={"Authorization": TOKEN}).status_code == 403
    assert client.get("/metrics").status_code == 403  # the token is needed from this machine too


def test_a_short_token_or_a_missing_directory_stops_start_up(database_url, tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="SURVEYS_METRICS_TOKEN must be at least 32 characters"):
        make_app(database_url, METRICS_TOKEN="geheim")
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match=f"{MULTIPROC_DIR}='{tmp_path / 'missing'}' is not a directory"):
        make_app(database_url)


def test_every_reply_has_a_request_id_and_a_proxys_id_is_kept(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert HEX_ID.fullmatch(first.headers["X-Request-ID"]) and HEX_ID.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]

    nginx = secrets.token_hex(16)
    assert client.get("/healthz", headers={"X-Request-ID": nginx}).headers["X-Request-ID"] == nginx
    a_uuid = str(uuid.uuid4())
    assert client.get("/healthz", headers={"X-Request-ID": a_uuid}).headers["X-Request-ID"] == a_uuid


@pytest.mark.parametrize("given", [
    # Random values get fixed ids: every test process (pytest-xdist's workers too) must collect the same tests.
    pytest.param(secrets.token_urlsafe(17), id="url-safe-23"), "a" * 33, "x" * 32,
    pytest.param(secrets.token_hex(16) + " ok", id="hex-with-space"), "<script>", ""])
def test_any_other_request_id_is_replaced(client, given):
    kept = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]

    assert kept != given and HEX_ID.fullmatch(kept)


def test_a_log_line_in_a_request_has_its_id_and_the_route_instead_of_the_path(app):
    code = secrets.token_urlsafe(17)
    nginx = secrets.token_hex(16)
    stream = io.StringIO()
    with app.test_request_context(f"/r/{code}", method="POST", headers={"X-Request-ID": nginx},
                                  errors_stream=stream):
        try:
            raise ValueError("a bug")
        except ValueError:
            app.log_exception(sys.exc_info())  # Flask's own "Exception on <path> [POST]"
        logging.getLogger("surveys.services.mail").warning("from a module's own logger")
    with app.test_request_context("/healthz", errors_stream=stream):
        app.logger.warning("another request")
    app.logger.warning("outside any request")  # to stderr: no request, no wsgi.errors

    lines = stream.getvalue().splitlines()
    assert re.fullmatch(rf"\[[-\d :+]+\] \[\d+\] \[ERROR\] \[{nginx}\] surveys: Exception on /r/<code> \[POST\]",
                        lines[0])
    assert "ValueError: a bug" in stream.getvalue()
    assert code not in stream.getvalue()
    (mail_line,) = [line for line in lines if "own logger" in line]
    assert mail_line.endswith(f"[WARNING] [{nginx}] surveys.services.mail: from a module's own logger")
    (other,) = [line for line in lines if "another request" in line]
    assert HEX_ID.search(other) and nginx not in other

"""Headers and cookies on every kind of reply of the real server (DESIGN.md section 10, surveys/security.py):
a Content-Security-Policy without 'unsafe-inline' that forbids framing, nosniff, no referrer, session
cookies HttpOnly and SameSite=Lax (Secure when the site is https), and no version banner."""

import re
import threading
from pathlib import Path

import httpx
import pytest
from werkzeug.serving import make_server

from surveys.extensions import db
from surveys.services.kiosk import COOKIE, register_device
from surveys.services.users import create_user

from ..conftest import make_app
from ..helpers import codes_for, open_round
from ..server import gunicorn_server
from .common import log_in, report
from .conftest import close, prepared_app

pytestmark = [pytest.mark.attack, pytest.mark.server]

PASSWORD = "een lang wachtwoord"
CSP_PARTS = {"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'",
             "object-src 'none'"}
TEMPLATES = Path(__file__).resolve().parents[2] / "surveys" / "templates"
INLINE = re.compile(r"<script|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


@pytest.fixture(scope="module")
def site(module_database_url):
    app = prepared_app(module_database_url)
    with app.app_context():
        (code,) = codes_for(open_round("partner"))
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        tablet = register_device("Tablet balie", actor="beheerder@example.nl")
        db.session.remove()
        db.engine.dispose()
    with gunicorn_server(module_database_url, workers=2) as server:
        yield server.url, code, tablet
    close(app)


def every_kind_of_reply(base: str, code: str, tablet: str) -> dict[str, httpx.Response]:
    """Pages, errors, redirects, files, JSON: one of each, as a respondent and as a beheerder."""
    replies = {}
    with httpx.Client(base_url=base, timeout=60) as stranger:
        replies["open link not on the tablet"] = stranger.get("/q/client")
    with httpx.Client(base_url=base, timeout=60) as visitor:
        visitor.cookies.set(COOKIE, tablet)
        for name, url in {"form": "/q/client", "code form": f"/r/{code}", "unknown code": "/r/onbekend",
                          "thanks": "/bedankt", "accessibility": "/toegankelijkheid", "not found": "/bestaat-niet",
                          "stylesheet": "/static/style.css", "healthz": "/healthz", "login": "/beheer/inloggen",
                          "to login": "/beheer/", "api without token": "/api/v1/kpis",
                          "path traversal": "/static/..%2f..%2fconfig.py"}.items():
            replies[name] = visitor.get(url)
        replies["no csrf token"] = visitor.post("/q/client", data={"C1": "8"})
        replies["wrong content type"] = visitor.post("/q/client", json={"C1": "8"})
        replies["too large"] = visitor.post("/q/client", content=b"C10=" + b"a" * (1024 * 1024 + 10),
                                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        replies["method not allowed"] = visitor.put("/healthz")
    with httpx.Client(base_url=base, timeout=60) as staff:
        replies["logged in"] = log_in(staff, "beheerder@example.nl", PASSWORD)
        for name, url in {"dashboard": "/beheer/", "rounds": "/beheer/rondes", "users": "/beheer/gebruikers",
                          "chart": "/beheer/kpi/client_support/grafiek.svg",
                          "csv": "/beheer/downloads/kpi-resultaten.csv",
                          "staff 404": "/beheer/rondes/999"}.items():
            replies[name] = staff.get(url)
    return replies


def test_every_reply_carries_the_security_headers_and_no_banner(site, module_database_url):
    base, code, tablet = site
    replies = every_kind_of_reply(base, code, tablet)
    report("headers", module_database_url, replies_checked=len(replies),
           statuses=sorted({reply.status_code for reply in replies.values()}))
    assert replies["logged in"].status_code == 303 and replies["dashboard"].status_code == 200
    assert replies["path traversal"].status_code == 404
    for name, reply in replies.items():
        headers = reply.headers
        policy = headers.get("Content-Security-Policy", "")
        assert {part.strip() for part in policy.split(";")} >= CSP_PARTS, f"{name}: {policy!r}"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert headers.get("Referrer-Policy") == "no-referrer", name
        assert "server" not in headers, f"{name}: Server: {headers.get('server')}"
        assert "x-powered-by" not in headers, name
        if reply.request.url.path.startswith(("/beheer", "/api/", "/r/", "/q/", "/bedankt")):
            # Staff pages hold results; respondent forms and the thanks page one person's answers, which
            # Back on the office tablet would show the next person from the browser's cache.
            assert "no-store" in headers.get("Cache-Control", ""), name


def session_cookies(reply) -> list[str]:
    headers = reply.headers  # httpx's or Werkzeug's
    values = headers.get_list("set-cookie") if hasattr(headers, "get_list") else headers.getlist("Set-Cookie")
    return [value for value in values if value.startswith("session=")]


def test_the_session_cookie_is_httponly_and_samesite_lax(site, module_database_url):
    base, _, tablet = site
    with httpx.Client(base_url=base, timeout=60) as visitor:
        visitor.cookies.set(COOKIE, tablet)
        respondent = session_cookies(visitor.get("/q/client"))
    with httpx.Client(base_url=base, timeout=60) as staff:
        login = session_cookies(log_in(staff, "beheerder@example.nl", PASSWORD))
    report("cookies", module_database_url, respondent=respondent[0].split(";", 1)[1], staff=login[0].split(";", 1)[1])
    for cookie in respondent + login:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax"} <= attributes, cookie
        assert "secure" not in attributes, "BASE_URL is http here: a Secure cookie would never come back"


@pytest.mark.parametrize("base_url, setting, secure", [
    ("https://waardering.example.nl", None, True),  # production: https, so Secure without being told
    ("http://127.0.0.1:5000", None, False),  # make run
    ("http://127.0.0.1:5000", True, True),  # said explicitly
    ("https://waardering.example.nl", False, False),
])
def test_the_session_cookie_is_secure_when_the_site_is_https(tmp_path, base_url, setting, secure):
    overrides = {"BASE_URL": base_url, "TESTING": False}
    if setting is not None:
        overrides["SESSION_COOKIE_SECURE"] = setting
    app = make_app(f"sqlite:///{tmp_path / 'surveys.sqlite3'}", **overrides)
    with app.app_context():
        db.create_all()
    (cookie,) = session_cookies(app.test_client().get("/beheer/inloggen"))
    assert ("; Secure" in cookie) is secure
    close(app)


def test_the_development_server_shows_no_version_either(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'surveys.sqlite3'}")
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reply = httpx.get(f"http://127.0.0.1:{server.server_port}/toegankelijkheid", timeout=30)
    finally:
        server.shutdown()
    close(app)
    assert reply.status_code == 200
    assert "server" not in reply.headers, reply.headers.get("server")


def test_no_template_has_inline_script_style_or_event_handlers():
    """The policy forbids inline code and styles; the templates must not need any."""
    found = [f"{path.relative_to(TEMPLATES)}: {match.group()!r}" for path in TEMPLATES.rglob("*.html")
             for match in INLINE.finditer(path.read_text())]
    assert not found, found

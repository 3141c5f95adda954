"""What the attack tests share: figures printed for the closing note, a respondent's and a manager's
browser session over HTTP, and the checks every reply must pass."""

import html
import re

import httpx
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Answer, Response

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LEAKS = ("Traceback", "psycopg", "sqlalchemy", "SQLAlchemy", "werkzeug", "Werkzeug", 'File "/')
# gunicorn's own page when it refuses a request the app never sees (a control character in a header value).
SERVER_REFUSAL = re.compile(r"<h1><p>Bad Request</p></h1>\s*([^<]+)")
H1_THEN_TEXT = re.compile(r"<h1[^>]*>(.*?)</h1>\s*<p[^>]*>(.*?)</p>", re.S)
ERROR_SUMMARY = re.compile(r'<div class="error-summary"[^>]*>(.*?)</div>', re.S)
ERROR_MESSAGE = re.compile(r'<p class="error-message"[^>]*>(?:<span class="visually-hidden">[^<]*</span>)?(.*?)</p>',
                           re.S)


def report(test: str, database_url: str, **figures) -> None:
    """One line of figures per test and database, shown by pytest -s and -rA."""
    kind = database_url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n[attack] {test} on {kind}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


def csrf_token(page: str) -> str:
    match = TOKEN.search(page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def stored_counts() -> tuple[int, int]:
    """(responses, answers) in the database; call inside an app context."""
    return (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)))


def no_leak(body: str) -> None:
    for word in LEAKS:
        assert word not in body, f"the reply shows {word!r}: {body[:300]!r}"


def clear_message(reply: httpx.Response) -> str:
    """The message a refused request shows the person: the text under the page's heading, the first
    message next to a field, or the API's error. Fails when there is none."""
    body = reply.text
    no_leak(body)
    if reply.headers.get("content-type", "").startswith("application/problem+json"):
        message = reply.json().get("detail", "")
    else:
        found = ERROR_MESSAGE.search(body) or ERROR_SUMMARY.search(body) or SERVER_REFUSAL.search(body)
        heading = H1_THEN_TEXT.search(body)
        message = found.group(1) if found else heading.group(2) if heading else ""
    message = html.unescape(re.sub(r"<[^>]+>", "", message)).strip()
    assert len(message) >= 15, f"{reply.status_code} without a clear message: {body[:500]!r}"
    return message


def log_in(browser: httpx.Client, email: str, password: str) -> httpx.Response:
    page = browser.get("/beheer/inloggen")
    return browser.post("/beheer/inloggen", data={"email": email, "password": password,
                                                  "csrf_token": csrf_token(page.text)})

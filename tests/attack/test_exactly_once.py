"""One code, posted by 50 respondents at the same moment, stores exactly one response: against a real
gunicorn server with several workers, on SQLite and PostgreSQL (DESIGN.md section 10)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from surveys.extensions import db

from ..helpers import GOOD_ANSWERS, codes_for, counts, open_round
from ..server import running_server
from .common import clear_message, csrf_token, report

pytestmark = [pytest.mark.attack, pytest.mark.server]

CLIENTS = 50


def test_one_code_posted_by_fifty_clients_at_once_stores_one_response(app, database_url):
    with app.app_context():
        (code,) = codes_for(open_round("partner"))
        db.session.remove()
        db.engine.dispose()  # the server gets the database to itself (SQLite file locks)
    ready = threading.Barrier(CLIENTS)

    def respondent(base: str) -> httpx.Response:
        # Each respondent opens the page in their own browser session, then all press send together.
        with httpx.Client(base_url=base, timeout=60) as browser:
            page = browser.get(f"/r/{code}")
            assert page.status_code == 200
            data = {**GOOD_ANSWERS["partner"], "csrf_token": csrf_token(page.text)}
            ready.wait(timeout=60)
            reply = browser.post(f"/r/{code}", data=data)
            reply.read()
            return reply

    with running_server(database_url, workers=4) as base:
        with ThreadPoolExecutor(CLIENTS) as pool:
            replies = list(pool.map(lambda _: respondent(base), range(CLIENTS)))

    statuses = sorted(reply.status_code for reply in replies)
    with app.app_context():
        stored = counts()
    report("exactly once", database_url, responses_sent=CLIENTS, success_replies=statuses.count(303),
           used_code_replies=statuses.count(410), statuses=sorted(set(statuses)), rows_stored=stored[0],
           answers_stored=stored[1], codes_used=stored[2])
    assert statuses.count(303) == 1
    assert statuses.count(410) == CLIENTS - 1
    for reply in replies:
        if reply.status_code == 410:
            assert "Deze link is al gebruikt" in reply.text
            clear_message(reply)
    # one response with its 8 given answers (P8 was left empty), and its code used
    assert stored == (1, 8, 1)

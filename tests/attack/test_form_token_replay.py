"""The audit stored 59 responses in half a second from one page of the office tablet. Now one form page,
its request replayed by 50 clients at the same moment (same session cookie, same CSRF token, same page
token, the tablet's device cookie), stores exactly one response: against a real gunicorn server with two
workers, on SQLite and PostgreSQL (DESIGN.md §4 and §10)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import UsedFormToken

from ..helpers import GOOD_ANSWERS, counts, page_tokens, register_tablet
from ..server import running_server
from .common import clear_message, report

pytestmark = [pytest.mark.attack, pytest.mark.server]

REPLAYS = 50


def test_one_form_page_replayed_fifty_times_at_once_stores_one_response(app, database_url):
    with httpx.Client(timeout=60) as tablet:
        register_tablet(tablet, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the server gets the database to itself (SQLite file locks)
        ready = threading.Barrier(REPLAYS)
        with running_server(database_url, workers=2) as base:
            page = tablet.get(f"{base}/q/client")
            assert page.status_code == 200
            data = {**GOOD_ANSWERS["client"], **page_tokens(page.text)}
            cookies = dict(tablet.cookies)  # the tablet's device cookie and the session of this page

            def replay(_) -> httpx.Response:
                with httpx.Client(base_url=base, timeout=60, cookies=cookies) as attacker:
                    ready.wait(timeout=60)
                    reply = attacker.post("/q/client", data=data)
                    reply.read()
                    return reply

            with ThreadPoolExecutor(REPLAYS) as pool:
                replies = list(pool.map(replay, range(REPLAYS)))

    statuses = sorted(reply.status_code for reply in replies)
    with app.app_context():
        stored = counts()
        used_tokens = db.session.scalar(select(func.count()).select_from(UsedFormToken))
    report("form token replay", database_url, replays=REPLAYS, success_replies=statuses.count(303),
           already_sent_replies=statuses.count(409), statuses=sorted(set(statuses)), rows_stored=stored[0],
           answers_stored=stored[1], used_tokens=used_tokens)
    assert statuses.count(303) == 1
    assert statuses.count(409) == REPLAYS - 1
    for reply in replies:
        if reply.status_code == 409:
            assert "Deze antwoorden zijn al verstuurd" in reply.text
            clear_message(reply)
    assert stored == (1, 12, 0)  # one response with its 12 answers, no code
    assert used_tokens == 1

"""One code, many simultaneous submissions, one stored response: against a real gunicorn server."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from surveys.extensions import db

from .helpers import GOOD_ANSWERS, codes_for, counts, csrf_token, open_round
from .server import running_server

CLIENTS = 20

pytestmark = pytest.mark.server


def test_one_code_posted_by_twenty_clients_at_once_stores_one_response(app, database_url):
    with app.app_context():
        (code,) = codes_for(open_round("partner"))
        db.session.remove()
        db.engine.dispose()  # the server gets the database to itself (SQLite file locks)
    ready = threading.Barrier(CLIENTS)

    def respondent(base: str) -> int:
        # Each respondent opens the page in their own browser session, then all press send together.
        with httpx.Client(base_url=base, timeout=60) as browser:
            page = browser.get(f"/r/{code}")
            assert page.status_code == 200
            data = {**GOOD_ANSWERS["partner"], "csrf_token": csrf_token(page.text)}
            ready.wait(timeout=30)
            return browser.post(f"/r/{code}", data=data).status_code

    with running_server(database_url, workers=4) as base:
        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = sorted(pool.map(lambda _: respondent(base), range(CLIENTS)))

    print(f"\n{database_url.split(':')[0]}: {CLIENTS} posts, statuses {statuses}")
    assert statuses.count(303) == 1
    assert statuses.count(410) == CLIENTS - 1
    with app.app_context():
        # one response with its 8 given answers (P8 was left empty), and its code used
        assert counts() == (1, 8, 1)

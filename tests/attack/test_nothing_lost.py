"""Nothing lost, nothing half-stored: 32 respondents on the tablet link answer as fast as they can for
SURVEYS_ATTACK_SECONDS (30), first on a healthy server, then while one gunicorn worker is killed with
SIGKILL halfway (DESIGN.md section 10).

Every post carries its own mark in the free-text answer, so each stored response is traced to the post
that made it. The invariant: every success reply (303) is stored exactly once, and nothing else is stored.
There is one exception that no server can avoid: a worker killed after its commit and before its reply
was sent has stored a response whose sender saw only a broken connection (for that sender it is "not
sure, try again"). So with a kill, a stored response is either a success or one of the broken posts, and
the test says how many of those there were; on the healthy server there are no broken posts at all."""

import os
import signal
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Answer, Response
from surveys.services.kiosk import COOKIE, register_device

from ..helpers import GOOD_ANSWERS, page_tokens
from ..server import gunicorn_server
from .common import report
from .conftest import LOAD_SECONDS, close, prepared_app

pytestmark = [pytest.mark.attack, pytest.mark.server]

CLIENTS = 32
WORKERS = 4
REQUIRED = [f"C{number}" for number in range(1, 10)]


@pytest.fixture(scope="module")
def site(module_database_url):
    app = prepared_app(module_database_url)
    with app.app_context():
        app.config["TABLET"] = register_device("Tablet balie", actor="manager@example.nl")
        db.session.remove()
        db.engine.dispose()
    with gunicorn_server(module_database_url, workers=WORKERS) as server:
        yield app, server
    close(app)


class Load:
    """The respondents' side of one run: what each post was, and what came back."""

    def __init__(self, run: str, tablet: str):
        self.run = run
        self.tablet = tablet  # the device token of the office tablet, which every respondent here uses
        self.lock = threading.Lock()
        self.successes: set[str] = set()
        self.broken_posts: set[str] = set()  # sent, but the connection broke before a reply came
        self.statuses: Counter = Counter()
        self.page_errors = 0  # the form itself did not load (the respondent would reload it)
        self.sent = 0

    def respondent(self, base: str, number: int, deadline: float) -> None:
        with httpx.Client(base_url=base, timeout=60) as browser:
            browser.cookies.set(COOKIE, self.tablet)
            attempt = 0
            while time.monotonic() < deadline:
                attempt += 1
                try:
                    page = browser.get("/q/client")
                    tokens = page_tokens(page.text) if page.status_code == 200 else None
                except httpx.TransportError:
                    tokens = None
                if tokens is None:
                    with self.lock:
                        self.page_errors += 1
                    continue
                mark = f"[{self.run} {number:02d}-{attempt:05d}]"
                data = {**GOOD_ANSWERS["client"], "C10": f"Sneller terugbellen graag. {mark}", **tokens}
                with self.lock:
                    self.sent += 1
                try:
                    status = browser.post("/q/client", data=data).status_code
                except httpx.TransportError:
                    status = "broken"
                with self.lock:
                    self.statuses[status] += 1
                    if status == 303:
                        self.successes.add(mark)
                    elif status == "broken":
                        self.broken_posts.add(mark)

    def run_for(self, base: str, seconds: float, during=None) -> None:
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=self.respondent, args=(base, number, deadline)) for number in range(CLIENTS)]
        for thread in threads:
            thread.start()
        if during:
            during(deadline)
        for thread in threads:
            thread.join()


def stored_marks(app, run: str) -> list[str]:
    with app.app_context():
        texts = db.session.scalars(select(Answer.text).where(Answer.item == "C10", Answer.text.contains(f"[{run} ")))
        marks = [text[text.index("["):] for text in texts]
        db.session.remove()
    return marks


def incomplete_responses(app) -> int:
    """Responses that lack any required answer C1…C9 (all of them, whatever the run)."""
    with app.app_context():
        complete = (select(Answer.response_id).where(Answer.item.in_(REQUIRED)).group_by(Answer.response_id)
                    .having(func.count() == len(REQUIRED)))
        missing = db.session.scalar(select(func.count()).select_from(Response).where(Response.id.not_in(complete)))
        db.session.remove()
    return missing


def test_every_success_reply_is_stored_once_and_nothing_else(site, module_database_url):
    app, server = site
    load = Load("steady", app.config["TABLET"])
    started = time.monotonic()
    load.run_for(server.url, LOAD_SECONDS)
    elapsed = time.monotonic() - started
    marks = stored_marks(app, load.run)
    report("nothing lost (steady)", module_database_url, seconds=round(elapsed, 1), clients=CLIENTS,
           responses_sent=load.sent, success_replies=len(load.successes), rows_stored=len(marks),
           statuses=dict(load.statuses), page_errors=load.page_errors,
           responses_per_second=round(len(marks) / elapsed, 1))
    assert load.successes, "no response got through at all"
    assert dict(load.statuses) == {303: len(load.successes)}, "every post of a valid response succeeds"
    assert load.page_errors == 0
    assert len(marks) == len(set(marks)), "a response was stored twice"
    assert set(marks) == load.successes
    assert incomplete_responses(app) == 0


def test_a_worker_killed_mid_run_loses_nothing_and_leaves_no_partial_response(site, module_database_url):
    app, server = site
    load = Load("killed", app.config["TABLET"])
    workers_before = server.worker_pids()
    assert len(workers_before) == WORKERS
    killed = []

    def kill_one_worker_halfway(deadline: float) -> None:
        time.sleep(max(0.0, (deadline - time.monotonic()) / 2))
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    load.run_for(server.url, LOAD_SECONDS, during=kill_one_worker_halfway)
    marks = stored_marks(app, load.run)
    stored = set(marks)
    stored_after_broken_reply = stored & load.broken_posts
    workers_after = server.worker_pids()
    report("nothing lost (worker killed)", module_database_url, clients=CLIENTS, killed_worker=killed[0],
           responses_sent=load.sent, success_replies=len(load.successes), rows_stored=len(marks),
           broken_posts=len(load.broken_posts), stored_despite_broken_reply=len(stored_after_broken_reply),
           statuses=dict(load.statuses), page_errors=load.page_errors, incomplete=incomplete_responses(app))
    assert killed[0] not in workers_after and len(workers_after) == WORKERS, "gunicorn replaced the worker"
    assert load.successes
    assert set(load.statuses) <= {303, "broken"}, "a post got an error reply instead of a stored response"
    assert len(marks) == len(stored), "a response was stored twice"
    assert load.successes <= stored, "a respondent was told 'thank you' but the response is not stored"
    assert stored <= load.successes | load.broken_posts, "a response was stored that nobody sent"
    assert len(stored) == len(load.successes) + len(stored_after_broken_reply)
    assert incomplete_responses(app) == 0, "a response is stored without all its required answers"

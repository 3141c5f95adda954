"""Two app instances (two gunicorn processes, one PostgreSQL, one Redis) behind one nginx upstream: nothing
that matters lives in a process. A code used through one instance is used for the other, a session begun on
one continues on the other, and a rate limit counts the requests to both together; a client cannot escape it
by sending its own X-Forwarded-For through nginx."""

from urllib.parse import urlsplit

import httpx
import pytest

from ..helpers import GOOD_ANSWERS, csrf_token
from .conftest import CODE_LIMIT, SERVED_BY

pytestmark = [pytest.mark.production, pytest.mark.postgres]

UNKNOWN_CODE = "/r/ONBEKEND7"


def address(instance_url: str) -> str:
    return urlsplit(instance_url).netloc


def test_a_code_used_through_one_instance_is_refused_by_the_other(production):
    (url,) = production.invitation_links("partner", 1)
    path = urlsplit(url).path
    with production.client() as browser:
        form = browser.get(path)
        assert form.status_code == 200
        answers = {item: value for item, value in GOOD_ANSWERS["partner"].items() if value}
        posted = browser.post(path, data={**answers, "csrf_token": csrf_token(form.text)})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/bedankt"
        # nginx sent the form's request to one instance and the answers to the other: the session and its
        # CSRF token are the same to both.
        assert {form.headers[SERVED_BY], posted.headers[SERVED_BY]} == {address(i) for i in production.instances}
        (other,) = [i for i in production.instances if address(i) != posted.headers[SERVED_BY]]

        assert httpx.get(f"{other}{path}").status_code == 410
        again = [browser.get(path) for _ in range(2)]
    assert [reply.status_code for reply in again] == [410, 410]
    assert {reply.headers[SERVED_BY] for reply in again} == {address(i) for i in production.instances}


def test_the_code_limit_counts_the_requests_to_both_instances_together(production):
    with production.client() as client:
        replies = [client.get(UNKNOWN_CODE) for _ in range(CODE_LIMIT + 1)]
    assert [reply.status_code for reply in replies] == [404] * CODE_LIMIT + [429]
    assert {reply.headers[SERVED_BY] for reply in replies[:CODE_LIMIT]} == {address(i) for i in production.instances}


def test_a_forged_x_forwarded_for_through_nginx_does_not_escape_the_limit(production):
    with production.client() as client:
        statuses = [client.get(UNKNOWN_CODE, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                    for n in range(CODE_LIMIT + 1)]
    assert statuses == [404] * CODE_LIMIT + [429]


def test_the_same_forged_header_sent_to_gunicorn_itself_escapes_it(production):
    """Why gunicorn must listen on loopback or a unix socket only (deploy/nginx.conf, surveys.service): with
    one trusted proxy it believes X-Forwarded-For, so only nginx may reach it."""
    statuses = [httpx.get(f"{production.instances[0]}{UNKNOWN_CODE}",
                          headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(CODE_LIMIT + 5)]
    assert statuses == [404] * (CODE_LIMIT + 5)

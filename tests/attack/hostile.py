"""Sending hostile values to a running server and judging every reply: the request builders and the
tally of test_hostile_input.py."""

import threading
from collections import Counter
from urllib.parse import quote, quote_plus, urlsplit

import httpx

from .common import clear_message

FORM = "application/x-www-form-urlencoded"
#: What a reply to hostile input may be: done (200 with a file or page, 302/303), or refused with a 4xx.
#: 308: Werkzeug's redirect of a path with doubled slashes to the same path with single ones (same host).
ALLOWED = {200, 302, 303, 308, 400, 401, 403, 404, 405, 409, 413, 415, 422}


def form_body(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """A urlencoded body exactly as given: repeated names stay repeated, bytes stay bytes (invalid UTF-8)."""
    def encode(value: str | bytes) -> str:
        return quote_plus(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"))
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs).encode("ascii")


#: A value in a URL or header is cut to this many characters: gunicorn refuses a request line over 4094
#: bytes and a header over 8190 itself, before the app sees them (and so does any reverse proxy); the long
#: values are tried in bodies.
URL_VALUE_LIMIT = 300


def in_url(value: str | bytes) -> str:
    value = value[:URL_VALUE_LIMIT]
    return quote(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"), safe="")


def stored_text(value: str) -> str:
    """What an open answer becomes when stored: browsers' CRLF as LF, no surrounding blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class Tally:
    """Every reply of a run: counted per target and status, and judged; problems are collected, not
    raised, because the requests run in threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.per_target: dict[str, Counter] = {}
        self.problems: list[str] = []
        self.sent = 0
        self.seconds: Counter = Counter()  # time spent waiting for replies, per target

    def judge(self, target: str, payload: str, reply: httpx.Response, *, allowed=ALLOWED) -> int:
        status = reply.status_code
        problem = None
        if status not in allowed:
            problem = f"{target} [{payload}]: {status} {reply.text[:200]!r}"
        elif 400 <= status < 500:
            try:
                clear_message(reply)
            except AssertionError as error:
                problem = f"{target} [{payload}]: {error}"
        elif 300 <= status < 400:
            place = urlsplit(reply.headers.get("location", ""))
            if place.netloc not in ("", reply.request.url.netloc.decode()) or place.path.startswith("//"):
                problem = f"{target} [{payload}]: redirected to {reply.headers.get('location')!r}"
        with self.lock:
            self.sent += 1
            self.seconds[target] += reply.elapsed.total_seconds()
            self.statuses[status] += 1
            self.per_target.setdefault(target, Counter())[status] += 1
            if problem:
                self.problems.append(problem)
        return status

    def count(self, target: str, status: int) -> int:
        return self.per_target.get(target, Counter())[status]

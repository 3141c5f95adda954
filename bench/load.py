"""A small closed-loop load generator: N concurrent clients on asyncio, bounded in time and count.

Run as its own process, so its CPU time is its own and can be reported next to the server's:

    python -m bench.load --base http://127.0.0.1:PORT --mode session --clients 8 --seconds 10

Modes:

- ``session``: a respondent on the open link, on the registered office tablet (``--tablet``, its device
  cookie, sent with every request). No session cookie, GET /q/client, take the CSRF token and the page's
  one-time token from the page, POST the answers with them and the session cookie; a 303 to the
  next-person page completes the response (not followed).
- ``post``: the POST alone. Each client opens the form once for its session cookie and CSRF token (the
  token has no time limit), then posts complete answers again and again: one new response per request.
  Each page can be sent once, so each post carries a page token of its own, signed here with the server's
  secret (``--secret``) as the server signs the ones on its pages; the session cookie is kept, though the
  server ends the session after each response, as a replaying client would.
- ``bare``: POST the same form body to the baseline app's /insert (bench/bare_app.py).
- ``invite``: a registration system: POST /api/v1/invitations {"questionnaire": "client", "delivery": "link"}
  with the invite token from BENCH_API_TOKEN (the environment, not the command line) and a new
  Idempotency-Key each; a 201 completes it.

HTTP/1.1 is spoken directly over asyncio streams, one connection per request as gunicorn's sync workers
close them anyway. Against https:// (nginx in front, --cafile its certificate) each respondent opens one
TLS connection and keeps it for the form and the answers, as a browser does; the next respondent opens a
new one (a full handshake each). A general client (httpx) spent about 2 ms of CPU per request here, more than the bare
endpoint itself, on the same two cores as the server it measures; this costs a tenth of that.

Prints one JSON object: requests, completed, errors, per-second rates over the measured window, p50/p99
latency in milliseconds and every latency. Requests finishing in the warm-up are not counted.
"""

import argparse
import asyncio
import itertools
import json
import os
import re
import resource
import secrets
import ssl
import time
from urllib.parse import urlencode, urlsplit

# Kept in step with tests/helpers.py (GOOD_ANSWERS["client"], CSRF_PATTERN); bench/ does not import tests/.
CLIENT_ANSWERS = {"C1": "8", "C2": "7", "C3": "nvt", "C4": "ja", "C5": "5", "C6": "4", "C7": "weet_niet",
                  "C8": "3", "C9": "2", "C10": "Sneller terugbellen graag.", "respondent_role": "ouder_verzorger",
                  "help_from": "sociaal_team"}
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_TOKEN_PATTERN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
FORM_PATH = "/q/client"
TABLET_COOKIE = "surveys_tablet"  # surveys.services.kiosk.COOKIE
INVITE_PATH = "/api/v1/invitations"
INVITE_BODY = json.dumps({"questionnaire": "client", "delivery": "link"}).encode()
INVITE_HEADERS = ("Content-Type: application/json", f"Authorization: Bearer {os.environ.get('BENCH_API_TOKEN', '')}")
INVITE_KEYS = (f"bench-{os.getpid()}-{number}" for number in itertools.count())
TIMEOUT = 30.0


class HttpError(Exception):
    """A request that got no complete answer."""


async def fetch(host: str, port: int, method: str, path: str, *, body: bytes = b"",
                cookie: str | None = None, headers: tuple[str, ...] = ()) -> tuple[int, str | None, str]:
    """One request on a new connection: (status, the session cookie it set or None, body text)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(_request(host, port, method, path, body, cookie, keep_alive=False, headers=headers))
        data = await reader.read()  # to the end: the server closes the connection after its answer
    finally:
        writer.close()
    header, separator, content = data.partition(b"\r\n\r\n")
    if not separator:
        raise HttpError("incomplete answer")
    return _answer(header, content)


def _request(host: str, port: int, method: str, path: str, body: bytes, cookie: str | None, *,
             keep_alive: bool, headers: tuple[str, ...] = ()) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: " + ("keep-alive" if keep_alive
                                                                                   else "close"),
            "User-Agent: surveys-bench", "Accept: text/html"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if method == "POST":
        if not any(line.lower().startswith("content-type:") for line in headers):
            head.append("Content-Type: application/x-www-form-urlencoded")
        head.append(f"Content-Length: {len(body)}")
    head += headers
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _answer(header: bytes, content: bytes) -> tuple[int, str | None, str]:
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    cookies = [line.split(":", 1)[1].strip().split(";", 1)[0] for line in lines[1:]
               if line.lower().startswith("set-cookie:")]
    return status, (cookies[-1] if cookies else None), content.decode("utf-8", errors="replace")


class KeptConnection:
    """One TLS connection kept open for several requests, each answer read by its Content-Length (or its
    chunks): a browser's connection to nginx."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext):
        self.host, self.port, self.tls = host, port, tls
        self.streams = None

    async def fetch(self, method: str, path: str, *, body: bytes = b"", cookie: str | None = None,
                    headers: tuple[str, ...] = ()) -> tuple[int, str | None, str]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port, ssl=self.tls,
                                                         server_hostname=self.host)
        reader, writer = self.streams
        writer.write(_request(self.host, self.port, method, path, body, cookie, keep_alive=True, headers=headers))
        header = await reader.readuntil(b"\r\n\r\n")
        fields = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip()
                  for line in header.decode("latin-1").split("\r\n")[1:] if ":" in line}
        if "content-length" in fields:
            content = await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            content = b""
            while size := int((await reader.readline()).split(b";")[0], 16):
                content += await reader.readexactly(size)
                await reader.readline()
            await reader.readline()
        else:
            content = await reader.read()
        if fields.get("connection", "").lower() == "close" or not fields.get("content-length") and \
                fields.get("transfer-encoding") != "chunked":
            self.close()
        return _answer(header[:-4], content)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class Stats:
    """Latencies (seconds) per request kind and counts, only for requests that end inside the window."""

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.latencies: dict[str, list[float]] = {"get": [], "post": []}
        self.completed = 0
        self.completed_sent = 0  # every response stored, warm-up included
        self.sent = 0  # every request, warm-up included: what the server's CPU time is divided by
        self.errors = 0
        self.error_kinds: dict[str, int] = {}

    def counts(self, now: float) -> bool:
        return self.start <= now <= self.end

    def request(self, kind: str, began: float, now: float) -> None:
        if self.counts(now):
            self.latencies[kind].append(now - began)

    def error(self, what: str, now: float) -> None:
        if self.counts(now):
            self.errors += 1
            self.error_kinds[what] = self.error_kinds.get(what, 0) + 1


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


class Client:
    """One virtual respondent (or poster) with its own session cookie."""

    def __init__(self, host: str, port: int, stats: Stats, tls: ssl.SSLContext | None = None,
                 tablet: str | None = None):
        self.host, self.port, self.stats = host, port, stats
        self.cookie: str | None = None
        self.tablet = f"{TABLET_COOKIE}={tablet}" if tablet else None
        self.connection = KeptConnection(host, port, tls) if tls else None

    async def fetch(self, method: str, path: str, *, cookie: str | None = None,
                    **options) -> tuple[int, str | None, str]:
        cookie = "; ".join(part for part in (self.tablet, cookie) if part) or None
        options["cookie"] = cookie
        if self.connection is None:
            return await fetch(self.host, self.port, method, path, **options)
        try:
            return await self.connection.fetch(method, path, **options)
        except BaseException:
            self.connection.close()  # a half-read answer: the next request needs a clean connection
            raise

    def new_respondent(self) -> None:
        """No cookie, and (over TLS) a new connection: the next request is someone else's."""
        self.cookie = None
        if self.connection is not None:
            self.connection.close()

    async def form(self) -> dict[str, str] | None:
        """GET the form; its CSRF token and page token, or None (counted as an error)."""
        began = time.perf_counter()
        self.stats.sent += 1
        status, cookie, page = await asyncio.wait_for(self.fetch("GET", FORM_PATH, cookie=self.cookie), TIMEOUT)
        now = time.perf_counter()
        self.cookie = cookie or self.cookie
        match = CSRF_PATTERN.search(page) if status == 200 else None
        page_token = FORM_TOKEN_PATTERN.search(page) if status == 200 else None
        if match is None or page_token is None:
            self.stats.error(f"GET {status}", now)
            return None
        self.stats.request("get", began, now)
        return {"csrf_token": match.group(1), "form_token": page_token.group(1)}

    async def post(self, path: str, body: bytes, *, keep_session: bool = False, headers: tuple[str, ...] = (),
                   done: int = 303) -> None:
        began = time.perf_counter()
        self.stats.sent += 1
        status, cookie, _ = await asyncio.wait_for(self.fetch("POST", path, body=body, cookie=self.cookie,
                                                              headers=headers), TIMEOUT)
        now = time.perf_counter()
        if not keep_session:
            self.cookie = cookie or self.cookie
        if status != done:
            self.stats.error(f"POST {status}", now)
            return
        self.stats.request("post", began, now)
        self.stats.completed_sent += 1
        if self.stats.counts(now):
            self.stats.completed += 1


async def client_loop(host: str, port: int, mode: str, stats: Stats, max_requests: int, budget: list[int],
                      tls: ssl.SSLContext | None = None, tablet: str | None = None, signer=None) -> None:
    """Until the window ends or the shared request budget is used."""
    client = Client(host, port, stats, tls, tablet)
    bare_body = urlencode(CLIENT_ANSWERS).encode()
    token = None
    while time.perf_counter() < stats.end and budget[0] < max_requests:
        try:
            if mode == "bare":
                budget[0] += 1
                await client.post("/insert", bare_body)
                continue
            if mode == "invite":
                budget[0] += 1
                await client.post(INVITE_PATH, INVITE_BODY, done=201,
                                  headers=INVITE_HEADERS + (f"Idempotency-Key: {next(INVITE_KEYS)}",))
                continue
            if mode == "session" or token is None:
                client.new_respondent()  # a new session, so a new CSRF token
                budget[0] += 1
                token = await client.form()
                if token is None:
                    await asyncio.sleep(0.05)
                    continue
            if mode == "post":  # a page token of its own for each post (see the module docstring)
                token = {**token, "form_token": signer.sign(secrets.token_urlsafe(16)).decode("ascii")}
            budget[0] += 1
            await client.post(FORM_PATH, urlencode({**CLIENT_ANSWERS, **token}).encode(), keep_session=mode == "post")
        except (TimeoutError, OSError, HttpError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
            stats.error(type(error).__name__, time.perf_counter())
            token = None
            await asyncio.sleep(0.05)


async def run(base: str, mode: str, clients: int, seconds: float, warmup: float, max_requests: int,
              cafile: str | None = None, tablet: str | None = None, secret: str | None = None) -> dict:
    address = urlsplit(base)
    tls = ssl.create_default_context(cafile=cafile) if address.scheme == "https" else None
    signer = None
    if mode == "post":
        from surveys.services.kiosk import form_token_signer  # loaded before the clock runs

        signer = form_token_signer(secret)
    began = time.perf_counter()
    stats = Stats(began + warmup, began + warmup + seconds)
    budget = [0]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(client_loop(address.hostname, address.port, mode, stats, max_requests, budget, tls,
                                       tablet, signer)
                           for _ in range(clients)))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # The window closes early when the request budget ran out first.
    window = max(1e-9, min(stats.end, time.perf_counter()) - stats.start)
    every = stats.latencies["get"] + stats.latencies["post"]
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "mode": mode, "clients": clients, "seconds": round(window, 3),
        "requests": len(every), "requests_sent": stats.sent, "completed": stats.completed,
        "completed_sent": stats.completed_sent, "errors": stats.errors, "error_kinds": stats.error_kinds,
        "requests_per_s": len(every) / window, "completed_per_s": stats.completed / window,
        "p50_ms": _ms(percentile(every, 0.50)), "p99_ms": _ms(percentile(every, 0.99)),
        "post_p50_ms": _ms(percentile(stats.latencies["post"], 0.50)),
        "post_p99_ms": _ms(percentile(stats.latencies["post"], 0.99)),
        "get_p50_ms": _ms(percentile(stats.latencies["get"], 0.50)),
        "get_p99_ms": _ms(percentile(stats.latencies["get"], 0.99)),
        # The client shares the 2 cores with the server: its CPU share says how much it took.
        "client_cpu_share": client_cpu / (time.perf_counter() - began), "client_cpu_s": client_cpu,
        # every latency, so turns of one cell can be pooled before taking percentiles
        "get_ms": [round(s * 1000, 3) for s in stats.latencies["get"]],
        "post_ms": [round(s * 1000, 3) for s in stats.latencies["post"]],
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="http(s)://127.0.0.1:PORT (loopback only)")
    parser.add_argument("--cafile", help="the certificate to trust for https:// (nginx's self-signed one)")
    parser.add_argument("--mode", choices=("session", "post", "bare", "invite"), required=True)
    parser.add_argument("--tablet", help="the device cookie of a registered office tablet (session, post)")
    parser.add_argument("--secret", help="the server's secret key, to sign page tokens (post)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds run before the window opens")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    args = parser.parse_args()
    if not re.match(r"https?://127\.0\.0\.1:\d+$", args.base):
        parser.error("--base must be http(s)://127.0.0.1:PORT (loopback only)")
    result = asyncio.run(run(args.base, args.mode, args.clients, args.seconds, args.warmup, args.max_requests,
                             args.cafile, args.tablet, args.secret))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

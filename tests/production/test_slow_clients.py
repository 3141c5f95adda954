"""Slow clients (slowloris): 50 connections that send their requests a few bytes a second, for 30 s. Through
nginx, /healthz keeps answering within a second all along; sent to gunicorn itself, the same clients hold its
sync workers and it stops answering (which is why deploy/nginx.conf buffers requests in front of it)."""

import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = [pytest.mark.production, pytest.mark.postgres]

SLOW_CLIENTS = 50
ATTACK_SECONDS = 30
PROBE_EVERY = 0.5
ANSWER_WITHIN = 1.0
CONTROL_SECONDS = 6


class SlowClients:
    """`count` connections to one address, half of them sending a request's header a line a second and half
    a form's body a byte a second, each reconnecting at once when the server drops it."""

    def __init__(self, url: str, count: int, tls: ssl.SSLContext | None = None):
        parts = urlsplit(url)
        self.address = (parts.hostname, parts.port)
        self.tls = tls
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.open = 0
        self.connections = 0
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(count)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _client(self, number: int) -> None:
        host = f"{self.address[0]}:{self.address[1]}"
        if number % 2:
            start, trickle = (f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n", lambda n: f"X-Slow-{n}: 1\r\n")
        else:
            start = (f"POST /q/client HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded"
                     f"\r\nContent-Length: 100000\r\n\r\nC1=")
            trickle = lambda n: "8"  # noqa: E731
        while not self.stop.is_set():
            try:
                with socket.create_connection(self.address, timeout=5) as raw:
                    connection = self.tls.wrap_socket(raw, server_hostname=self.address[0]) if self.tls else raw
                    connection.sendall(start.encode())
                    self._count(+1)
                    try:
                        sent = 0
                        while not self.stop.wait(1.0):
                            connection.sendall(trickle(sent).encode())
                            sent += 1
                    finally:
                        self._count(-1)
            except OSError:  # dropped by the server (nginx: client_header_timeout): come back
                self.stop.wait(0.05)

    def _count(self, change: int) -> None:
        with self.lock:
            self.open += change
            self.connections += max(change, 0)


def probe(url: str, seconds: float, verify, clients: SlowClients) -> list[tuple[float, int | None, int]]:
    """GET /healthz every PROBE_EVERY seconds on a new connection: (seconds taken, status or None, slow
    connections open at that moment)."""
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        began = time.monotonic()
        try:
            status = httpx.get(f"{url}/healthz", timeout=ANSWER_WITHIN, verify=verify).status_code
        except httpx.TransportError:  # no answer in time, or none at all
            status = None
        results.append((time.monotonic() - began, status, clients.open))
        time.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - began)))
    return results


def healthy_again(url: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not recover")


def test_slow_clients_sent_to_gunicorn_itself_stop_its_health_check(production):
    instance = production.instances[1]
    with SlowClients(instance, SLOW_CLIENTS) as clients:
        time.sleep(1)
        results = probe(instance, CONTROL_SECONDS, True, clients)
    healthy_again(instance)
    assert any(status != 200 or seconds > ANSWER_WITHIN for seconds, status, _ in results), results


def test_fifty_slow_clients_through_nginx_for_30_s_leave_the_health_check_answering(production):
    verify = ssl.create_default_context(cafile=str(production.certificate))
    with SlowClients(production.url, SLOW_CLIENTS, verify) as clients:
        time.sleep(1)
        results = probe(production.url, ATTACK_SECONDS, verify, clients)
        dropped = clients.connections - SLOW_CLIENTS

    slow = [(round(seconds, 3), status) for seconds, status, _ in results if status != 200 or seconds > ANSWER_WITHIN]
    assert slow == [], f"{len(slow)} of {len(results)} health checks failed or took over {ANSWER_WITHIN} s"
    assert len(results) >= ATTACK_SECONDS / PROBE_EVERY * 0.9
    # The attack was on all along: on average at least 45 of the 50 connections open at each check.
    assert sum(open_ for _, _, open_ in results) / len(results) >= 0.9 * SLOW_CLIENTS
    print(f"\n[production] {len(results)} health checks during {ATTACK_SECONDS} s of {SLOW_CLIENTS} slow clients, "
          f"slowest {max(seconds for seconds, _, _ in results) * 1000:.0f} ms; nginx dropped {dropped} slow "
          f"connections (client_header_timeout) which came back")

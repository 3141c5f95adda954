"""A real server for tests: gunicorn with several workers (configured by gunicorn.conf.py, as in
production), on a database the test prepared."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


#: The secret key of the tests' servers (and of commands run beside them): production length, 32+ characters.
SERVER_SECRET = "server-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its base URL, the master's process id, and where its log goes."""

    url: str
    pid: int
    log: Path

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc (Linux): the workers serving requests right now."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            # "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.pid and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def log_tail(self, size: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-size:]


@contextmanager
def gunicorn_server(database_url: str, *, workers: int = 4, env: dict | None = None, timeout: float = 90):
    """Start gunicorn on a free loopback port; yield a Server once /healthz answers; stop it (and its
    workers) after. Its log goes to a file, never to a pipe nobody reads (a full pipe would block it)."""
    port = free_port()
    # /metrics adds up the workers' figures through files here, as in production (README, Monitoring).
    metrics_dir = tempfile.mkdtemp(prefix="gunicorn-metrics-")
    environment = {
        **os.environ,
        "SURVEYS_DATABASE_URL": database_url,
        "SURVEYS_SECRET_KEY": SERVER_SECRET,
        "SURVEYS_RATELIMIT_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        **(env or {}),
    }
    log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "surveys:create_app()"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log_file,
        )
    server = Server(f"http://127.0.0.1:{port}", process.pid, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.log_tail(2000)}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz in time: {server.log_tail(2000)}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)
        shutil.rmtree(metrics_dir, ignore_errors=True)


@contextmanager
def running_server(database_url: str, *, workers: int = 4, env: dict | None = None, timeout: float = 90):
    """gunicorn_server, yielding only its base URL."""
    with gunicorn_server(database_url, workers=workers, env=env, timeout=timeout) as server:
        yield server.url

"""Processes the benchmark starts: gunicorn servers on loopback ports, and measured subprocesses."""

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-not-for-production-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of every app process: its own database, rate limits off, a fixed secret."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "SURVEYS_DATABASE_URL": database_url,
        "SURVEYS_SECRET_KEY": SECRET,
        "SURVEYS_RATELIMIT_ENABLED": "false",
        "BENCH_DATABASE_URL": database_url,
        **extra,
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    """User + system CPU seconds used so far by these processes (those gone are skipped)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn: the master and its workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                queue.extend(int(child) for child in children.read().split())
        except FileNotFoundError:
            pass
    return found


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time of the master and its current workers: what serving has cost so far."""
        return cpu_seconds(process_tree(self.pid))


@contextmanager
def gunicorn(app_spec: str, database_url: str, *, workers: int, timeout: float = 60, **env: str):
    """Serve `app_spec` with gunicorn (sync workers) on a free loopback port; yield a Server. gunicorn reads
    ./gunicorn.conf.py when there is one, the production settings, for the app and the baseline alike; the
    options given here override it. `env` adds to app_env()."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "2", "--timeout", "600", app_spec],
        cwd=ROOT, env=app_env(database_url, **env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app_spec} did not answer /healthz in {timeout} s")
            time.sleep(0.2)
        # Every worker imports the app lazily on its first request; a few requests wake them all.
        for _ in range(workers * 3):
            httpx.get(f"{base}/healthz", timeout=10)
        yield Server(base, process.pid)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Ask the process to end, and end it after 15 s if it has not."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float  # of that one process (its own children not included)
    stdout: str
    returncode: int

    def json(self) -> dict:
        """The last line of stdout as JSON (the in-process tasks print their result there)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else {}


def run_measured(args: list[str], env: dict[str, str], *, check: bool = True) -> Measured:
    """Run a command; wall time, and its peak RSS from wait4() (that child's own rusage, nobody else's)."""
    began = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read the pipes in full before waiting, so a chatty child cannot block on a full pipe.
    stdout, stderr = _drain(process)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} … failed ({process.returncode}):\n{stderr[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, stdout, process.returncode)


def _drain(process: subprocess.Popen) -> tuple[str, str]:
    import threading

    chunks: dict[str, bytes] = {}

    def read(name, pipe):
        chunks[name] = pipe.read()

    readers = [threading.Thread(target=read, args=(n, p)) for n, p in (("out", process.stdout),
                                                                        ("err", process.stderr))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return chunks["out"].decode(errors="replace"), chunks["err"].decode(errors="replace")


def flask_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "surveys", *args]


# The office tablet the load comes from: the open link answers a registered device only.
_REGISTER_TABLET = ("from surveys import create_app\n"
                    "from surveys.services.kiosk import register_device\n"
                    "with create_app().app_context():\n"
                    "    print(register_device('Bench', actor='bench'))\n")


def register_tablet(database_url: str) -> str:
    """Register a tablet in the database under test; its device cookie's value."""
    return run_measured([sys.executable, "-c", _REGISTER_TABLET], app_env(database_url)).stdout.strip()

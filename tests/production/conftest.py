"""The production shape, built as README.md's Production section says: the wheel built from this checkout and
installed in a fresh virtualenv outside it; `db upgrade`, `seed` and the other commands run from a
directory of their own against a fresh PostgreSQL database; two gunicorn instances started by the command
line of deploy/surveys.service with Redis for the rate-limit counters; Debian's nginx with
deploy/nginx.conf and a self-signed certificate in front of both.

Built once for the tests of this folder (about two minutes, most of it installing the dependencies) and
stopped after them. Skipped, with the reason, where nginx, PostgreSQL or Redis is missing."""

import csv
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ..conftest import NO_POSTGRES, POSTGRES_URL, _engine
from ..server import ROOT, free_port

NGINX = os.environ.get("SURVEYS_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
NO_NGINX = f"nginx not found at {NGINX}: apt-get install nginx (or set SURVEYS_NGINX to its path)"
REDIS_URL = os.environ.get("SURVEYS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: The code-page limit of the instances: small, so the tests reach it in a few requests.
CODE_LIMIT = 10
INSTANCE_WORKERS = 2
#: What the test's nginx adds to the sample: which instance served a reply.
SERVED_BY = "X-Served-By"


@dataclass
class Production:
    """The running service: nginx's https address, the two instances' own addresses, and what to check with."""

    url: str
    http_url: str  # nginx's plain-HTTP side, which only redirects
    instances: list[str]
    certificate: Path
    wheel: Path
    venv: Path
    workdir: Path
    environment: dict[str, str]
    database_url: str
    access_log: Path
    redis_prefix: str
    nginx_log: Path
    logs: list[Path] = field(default_factory=list)

    def client(self, **options) -> httpx.Client:
        """An HTTPS client that trusts the test's certificate (and nothing else)."""
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=str(self.certificate)),
                            timeout=10, **options)

    def flask(self, *args: str, stdin: str | None = None) -> str:
        """A command of the installed package, run from the service's directory as an operator would."""
        result = subprocess.run([str(self.venv / "bin" / "flask"), "--app", "surveys", *args], input=stdin,
                                cwd=self.workdir, env=self.environment, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def invitation_links(self, questionnaire: str, count: int) -> list[str]:
        """`count` new links to the open round of `questionnaire` in this half-year, made by the CLI as an
        operator would: `rounds list` for its id, `rounds create` the first time (the database allows one
        round per questionnaire and period), then `invite`."""
        fields = [line.split() for line in self.flask("rounds", "list").splitlines()]
        open_rounds = [row[0] for row in fields if row[1] == questionnaire and row[6] == "open"]
        if open_rounds:
            round_id = open_rounds[0]
        else:
            today = datetime.now(ZoneInfo("Europe/Amsterdam"))  # the service's day, whatever the machine's zone
            period = f"{today.year}-H{1 if today.month <= 6 else 2}"
            round_id = self.flask("rounds", "create", questionnaire, period, "--population", "20").strip()
        out = self.workdir / f"links-{round_id}-{len(list(self.workdir.glob('links-*.csv')))}.csv"
        self.flask("invite", round_id, "--count", str(count), "--out", str(out))
        with out.open(newline="", encoding="utf-8") as file:
            return [row["url"] for row in csv.DictReader(file)]

    def reset_rate_limits(self) -> None:
        """Forget every rate-limit counter of these instances (and only theirs) in Redis."""
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        keys = list(connection.scan_iter(match=f"*{self.redis_prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()


def _venv_environment(venv: Path, settings: dict[str, str]) -> dict[str, str]:
    """What the service's processes see: the settings, the virtualenv's bin first, nothing from this checkout."""
    return {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8", **settings}


def _run(args: list, **options) -> None:
    result = subprocess.run([str(arg) for arg in args], capture_output=True, text=True, **options)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args[:4]))} … failed:\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def build_and_install(folder: Path) -> tuple[Path, Path]:
    """Build the wheel from a copy of the checkout's sources and install it with the redis extra in a new
    virtualenv; return the wheel and the virtualenv."""
    source = folder / "source"
    for name in ("surveys", "migrations"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = folder / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, source], timeout=300)
    (wheel,) = dist.glob("surveys-*.whl")
    venv = folder / "venv"
    _run([sys.executable, "-m", "venv", venv], timeout=120)
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", f"{wheel}[redis]"], timeout=600)
    return wheel, venv


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (as its subject alternative name, which browsers check)."""
    key, certificate = folder / "key.pem", folder / "certificate.pem"
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
          "-keyout", key, "-out", certificate], timeout=60)
    return certificate, key


def unit_command(venv: Path, port: int) -> list[str]:
    """ExecStart of deploy/surveys.service, pointed at this virtualenv and a loopback port."""
    unit = (ROOT / "deploy" / "surveys.service").read_text()
    line = unit.split("ExecStart=", 1)[1]
    command = ""
    for part in line.splitlines():
        command += part.rstrip("\\").strip() + " "
        if not part.endswith("\\"):
            break
    replacements = {"/opt/surveys/venv": str(venv), "--workers 4": f"--workers {INSTANCE_WORKERS}",
                    "--bind unix:/run/surveys/gunicorn.sock": f"--bind 127.0.0.1:{port}"}
    for old, new in replacements.items():
        assert old in command, f"deploy/surveys.service no longer says {old!r}"
        command = command.replace(old, new)
    return command.split()


def nginx_site(upstreams: list[str], https_port: int, http_port: int, certificate: Path, key: Path) -> str:
    """deploy/nginx.conf with this run's ports, instances and certificate: everything else as shipped."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "\n    ".join(f"server {address} fail_timeout=0;" for address in upstreams)
    replacements = {
        "server unix:/run/surveys/gunicorn.sock fail_timeout=0;": servers,
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "/etc/letsencrypt/live/waardering.example.nl/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/waardering.example.nl/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx.conf no longer says {old!r}"
        site = site.replace(old, new)
    return site


def nginx_main(prefix: Path, site: Path) -> str:
    """The main configuration around the site, as Debian's /etc/nginx/nginx.conf would hold it, in `prefix`."""
    user = "user root root;" if os.geteuid() == 0 else ""  # workers must reach the temporary folders
    temp = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    return f"""{user}
daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix / 'access.log'};
{temp}
    # The test's only addition: which instance served a reply.
    add_header {SERVED_BY} $upstream_addr always;
    include {site};
}}
"""


@contextmanager
def process(args: list[str], log: Path, *, cwd: Path, env: dict | None = None):
    """A process with its output in a file; terminated (then killed) on the way out."""
    with log.open("wb") as output:
        child = subprocess.Popen(args, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def wait_until_healthy(url: str, child: subprocess.Popen, log: Path, *, verify=True, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2, verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer /healthz in {timeout} s: "
                               f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


@contextmanager
def fresh_postgres_database():
    """A PostgreSQL database of this run's own, dropped after."""
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_production_{os.getpid()}"
    admin = _engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def require_parts() -> None:
    if not Path(NGINX).is_file():
        pytest.skip(NO_NGINX)
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    redis = pytest.importorskip("redis", reason="the redis client is not installed: pip install -e '.[test]'")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({error}): start redis-server or set SURVEYS_TEST_REDIS_URL")


@pytest.fixture(scope="package")
def production(tmp_path_factory):
    """The service in its production shape, for the tests of this folder."""
    require_parts()
    folder = tmp_path_factory.mktemp("production")
    wheel, venv = build_and_install(folder)
    certificate, key = make_certificate(folder)
    workdir = folder / "var-lib-surveys"  # the unit's WorkingDirectory: not the checkout
    workdir.mkdir()
    https_port, http_port = free_port(), free_port()
    ports = [free_port(), free_port()]
    prefix = f"surveys-production-{os.getpid()}"
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database())
        # The environment file of README.md's Production section (/etc/surveys/surveys.env).
        settings = {
            "SURVEYS_SECRET_KEY": secrets.token_hex(32),
            "SURVEYS_DATABASE_URL": database_url,
            "SURVEYS_BASE_URL": f"https://127.0.0.1:{https_port}",
            "SURVEYS_RATELIMIT_STORAGE_URI": REDIS_URL,
            "SURVEYS_TRUSTED_PROXIES": "1",
            # Only here: a small code limit the tests can reach, and counters of this run's own.
            "SURVEYS_CODE_LIMIT": f"{CODE_LIMIT} per minute",
            "SURVEYS_RATELIMIT_KEY_PREFIX": prefix,
        }
        environment = _venv_environment(venv, settings)
        site = Production(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}",
                          [f"http://127.0.0.1:{port}" for port in ports],
                          certificate, wheel, venv, workdir, environment, database_url, folder / "nginx" / "access.log",
                          prefix, folder / "nginx" / "error.log")
        site.flask("db", "upgrade")
        site.flask("seed")
        for number, port in enumerate(ports):
            log = folder / f"gunicorn-{number}.log"
            child = stack.enter_context(process(unit_command(venv, port), log, cwd=workdir, env=environment))
            wait_until_healthy(site.instances[number], child, log)
            site.logs.append(log)
        nginx_prefix = folder / "nginx"
        nginx_prefix.mkdir()
        (nginx_prefix / "surveys.conf").write_text(
            nginx_site([f"127.0.0.1:{port}" for port in ports], https_port, http_port, certificate, key))
        (nginx_prefix / "nginx.conf").write_text(nginx_main(nginx_prefix, nginx_prefix / "surveys.conf"))
        log = folder / "nginx.log"
        child = stack.enter_context(process([NGINX, "-p", str(nginx_prefix), "-c", str(nginx_prefix / "nginx.conf")],
                                            log, cwd=nginx_prefix))
        wait_until_healthy(site.url, child, log, verify=ssl.create_default_context(cafile=str(certificate)))
        yield site
        site.reset_rate_limits()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request):
    """Each test starts with no requests counted against the limits."""
    if "production" in request.fixturenames:
        request.getfixturevalue("production").reset_rate_limits()

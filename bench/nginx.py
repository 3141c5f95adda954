"""nginx with TLS in front of a gunicorn the benchmark started: deploy/nginx.conf as shipped, with a loopback
port, that gunicorn as its upstream and a self-signed certificate made for the run."""

import os
import shutil
import ssl
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .servers import ROOT, Server, cpu_seconds, free_port, process_tree, stop

NGINX = os.environ.get("BENCH_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"


def available() -> bool:
    return Path(NGINX).is_file() and shutil.which("openssl") is not None


@dataclass(frozen=True)
class Fronted:
    """nginx's https address and what serving costs: nginx's processes and gunicorn's together."""

    base: str
    nginx_pid: int
    upstream: Server
    cafile: str

    def cpu_seconds(self) -> float:
        return cpu_seconds(process_tree(self.nginx_pid)) + self.upstream.cpu_seconds()


def _site(upstream: str, port: int, certificate: Path, key: Path) -> str:
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {"server unix:/run/surveys/gunicorn.sock fail_timeout=0;": f"server {upstream} fail_timeout=0;",
                     "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;", "listen [::]:443 ssl http2;": "",
                     "listen 80;": f"listen 127.0.0.1:{free_port()};", "listen [::]:80;": "",
                     "/etc/letsencrypt/live/waardering.example.nl/fullchain.pem": str(certificate),
                     "/etc/letsencrypt/live/waardering.example.nl/privkey.pem": str(key)}.items():
        if old not in site:
            raise RuntimeError(f"deploy/nginx.conf no longer says {old!r}")
        site = site.replace(old, new)
    return site


def _main(prefix: Path) -> str:
    """Debian's main configuration in short: a worker per core, the site included; logs in the prefix."""
    user = "user root root;" if os.geteuid() == 0 else ""
    temp = " ".join(f"{kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                       "scgi"))
    return (f"{user}\ndaemon off;\nworker_processes auto;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{ access_log {prefix / 'access.log'}; {temp} include {prefix / 'site.conf'}; }}\n")


@contextmanager
def nginx_in_front(server: Server, timeout: float = 30):
    """Yield a Fronted for `server` (a gunicorn on http://127.0.0.1:PORT); stop nginx after."""
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as folder:
        prefix = Path(folder)
        key, certificate = prefix / "key.pem", prefix / "certificate.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
        port = free_port()
        (prefix / "site.conf").write_text(_site(server.base.removeprefix("http://"), port, certificate, key))
        (prefix / "nginx.conf").write_text(_main(prefix))
        process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"https://127.0.0.1:{port}"
        trust = ssl.create_default_context(cafile=str(certificate))
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2, verify=trust).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not answer /healthz in {timeout} s")
                time.sleep(0.2)
            yield Fronted(base, process.pid, server, str(certificate))
        finally:
            stop(process)

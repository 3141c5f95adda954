"""Monitoring without codes: Prometheus figures at /metrics, and a request id on every log line the app writes.

Nothing a respondent sent may reach either (DESIGN.md section 6): figures are labelled by the Flask endpoint
(`respond.by_code`, never the path /r/<code>), by a known set of methods and by status class; a log line
that quotes the request's path gets the route (/r/<code>) in its place; a request id is taken from the proxy
only in the shapes a proxy makes (nginx's $request_id, a UUID), so a client cannot put text of its choice
in the log through it.

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (an empty directory, before gunicorn starts),
prometheus-client keeps each worker's figures in a file there and /metrics adds them up, whichever worker
answers; gunicorn.conf.py empties it at start and tells it when a worker exits. Unset (make run, the test
client), every process counts for itself.

Who may read /metrics: with SURVEYS_METRICS_TOKEN set, whoever sends it as a bearer token; without it, only a
client on the same machine (loopback) that did not come through a proxy, so a reverse proxy on the same host
cannot hand it out even when its configuration forgets to refuse the path.
"""

import glob
import hmac
import ipaddress
import logging
import os
import re
import secrets
import time

from flask import Flask, Response, current_app, has_request_context, request, request_started
from flask.logging import default_handler, wsgi_errors_stream
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics import disable_created_metrics

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = "X-Request-ID"
# nginx's $request_id (32 hex digits) or a UUID. An invitation code (23 characters of base64url) has neither
# shape, so no code reaches a log line by way of this header.
REQUEST_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# gunicorn's own error-log layout, with the request id and the logger's name added.
LOG_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] [%(request_id)s] %(name)s: %(message)s"
LOG_DATE_FORMAT = "[%Y-%m-%d %H:%M:%S %z]"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a 1 ms health check to the 30 s gunicorn allows a request (the letters of 300 codes take some 10 s).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MIN_TOKEN_LENGTH = 32
STARTED = "surveys.monitoring.started"


class Metrics:
    """The service's figures, registered in the app's own registry (read when there is one process)."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.requests = Counter(
            "surveys_http_requests", "Requests answered, by Flask endpoint (never the path), method and status class.",
            ["endpoint", "method", "status"], registry=registry)
        self.duration = Histogram(
            "surveys_http_request_duration_seconds", "Time from the start of a request to its reply, by endpoint.",
            ["endpoint"], buckets=DURATION_BUCKETS, registry=registry)
        self.in_progress = Gauge(
            "surveys_http_requests_in_progress", "Requests being answered now, by endpoint (live workers only).",
            ["endpoint"], multiprocess_mode="livesum", registry=registry)
        self.unavailable = Counter(
            "surveys_http_unavailable", "Replies 503: the database did not answer (or holds no questionnaires yet).",
            ["endpoint"], registry=registry)
        self.responses = Counter(
            "surveys_responses_stored", "Responses stored through the respondent pages, by questionnaire and channel.",
            ["questionnaire", "channel"], registry=registry)


def init_app(app: Flask) -> None:
    """/metrics, the figures of every request, and request ids in the app's log."""
    _check_settings(app)
    # No *_created series: the multiprocess mode has none either, so the output has one shape in both modes.
    disable_created_metrics()
    app.extensions["surveys.metrics"] = Metrics(CollectorRegistry(auto_describe=True))
    request_started.connect(_start, app)  # before any before_request function or URL check, so timing covers them
    app.after_request(_finish)
    app.teardown_request(_done)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    configure_logging(app)


def _check_settings(app: Flask) -> None:
    directory = os.environ.get(MULTIPROC_DIR)
    if directory is not None and not os.path.isdir(directory):
        raise RuntimeError(f"{MULTIPROC_DIR}={directory!r} is not a directory: create it (empty) before starting, "
                           "or unset it when only one process serves the app")
    token = app.config.get("METRICS_TOKEN")
    if token == "":  # SURVEYS_METRICS_TOKEN= in an environment file: not set
        app.config["METRICS_TOKEN"] = token = None
    if token is not None and len(str(token)) < MIN_TOKEN_LENGTH:
        raise RuntimeError(f"SURVEYS_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters long, for "
                           'example the output of: python -c "import secrets; print(secrets.token_hex(32))"')


def _metrics() -> Metrics:
    return current_app.extensions["surveys.metrics"]


def _endpoint() -> str:
    # A name from the app's own list of views; "none" when no view matched (a 404 or 405 from routing).
    return request.endpoint or "none"


def _start(sender, **extra) -> None:
    if STARTED not in request.environ:
        request.environ[STARTED] = time.perf_counter()
        _metrics().in_progress.labels(_endpoint()).inc()


def _finish(response: Response) -> Response:
    metrics = _metrics()
    endpoint = _endpoint()
    method = request.method if request.method in METHODS else "other"
    metrics.requests.labels(endpoint, method, f"{response.status_code // 100}xx").inc()
    if response.status_code == 503:
        metrics.unavailable.labels(endpoint).inc()
    started = request.environ.get(STARTED)
    if started is not None:
        metrics.duration.labels(endpoint).observe(time.perf_counter() - started)
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def _done(error) -> None:
    if request.environ.pop(STARTED, None) is not None:
        _metrics().in_progress.labels(_endpoint()).dec()


def response_stored(questionnaire: str, channel: str) -> None:
    """Count one response a respondent page stored."""
    _metrics().responses.labels(questionnaire, channel).inc()


def metrics_view():
    """The figures in Prometheus' text format, summed over all workers when they share a directory."""
    if not _may_read_metrics():
        return Response("/metrics is read from this machine, or with the token of SURVEYS_METRICS_TOKEN.\n",
                        403, mimetype="text/plain")
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _metrics().registry
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                        "Cache-Control": "no-store"})


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token is not None:
        given = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(given, f"Bearer {token}".encode())
    if any(header in request.headers for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False  # came through a proxy: its client is somewhere else
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # a Unix socket, or no address at all
        return False


# --- request ids and the log ----------------------------------------------------------------------------


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it has a proxy's shape, else a new one."""
    environ = request.environ
    found = environ.get("surveys.request_id")
    if found is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        found = environ["surveys.request_id"] = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(16)
    return found


class RequestLogFilter(logging.Filter):
    """Puts the request id on each record, and the route in place of the path: Flask's own "Exception on
    /r/<the code> [POST]" would otherwise put a code in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not has_request_context():
            record.request_id = "-"
            return True
        record.request_id = request_id()
        if request.url_rule is not None and request.view_args:
            message = record.getMessage()
            if request.path in message:
                record.msg, record.args = message.replace(request.path, request.url_rule.rule), ()
        return True


class RequestLogHandler(logging.StreamHandler):
    """The app's log, to the server's error stream (gunicorn's error log; stderr outside a request)."""

    def __init__(self):
        super().__init__(wsgi_errors_stream)
        self.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
        self.addFilter(RequestLogFilter())


def configure_logging(app: Flask) -> None:
    """Once per process: the app's logger (shared by every app object) writes through RequestLogHandler."""
    logger = app.logger
    if not any(isinstance(handler, RequestLogHandler) for handler in logger.handlers):
        logger.removeHandler(default_handler)
        logger.addHandler(RequestLogHandler())


# --- gunicorn hooks (gunicorn.conf.py) --------------------------------------------------------------------


def gunicorn_starting(workers: int, log) -> None:
    """Empty the metrics directory of a previous run (its counts would be added to this one's), or say
    that each worker will count alone."""
    directory = os.environ.get(MULTIPROC_DIR)
    if not directory:
        if workers > 1:
            log.warning("%s is not set: /metrics shows the figures of whichever worker answers", MULTIPROC_DIR)
        return
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)


def gunicorn_worker_exited(pid: int) -> None:
    """Drop the live figures (requests in progress) of a worker that is gone; its counts stay."""
    if os.environ.get(MULTIPROC_DIR):
        multiprocess.mark_process_dead(pid)

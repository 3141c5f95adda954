"""gunicorn settings for surveys, inside the package so an installed service needs no checkout:
`gunicorn -c python:surveys.gunicorn_conf surveys.wsgi:app` (production, README.md), and through the
top-level gunicorn.conf.py for `make run` and the tests' real server. Options given on the command line
(--workers, --bind) override the ones here.

Production runs behind nginx (deploy/nginx.conf), which buffers whole requests and replies: a sync worker
then never waits on a slow client, and gunicorn listens on loopback or a unix socket only, so nothing but
nginx can reach it (and set X-Forwarded-For)."""

from gunicorn.http import wsgi

workers = 2
bind = "127.0.0.1:5000"
# No access log: a request line of /r/<code> holds an invitation code (DESIGN.md section 6).
accesslog = None
errorlog = "-"
# A request that takes longer than this is stuck (the slowest honest one, 300 letters, takes some 10 s).
timeout = 30
# Load the app once in the master and fork the workers from it: a worker starts (or is replaced after a crash)
# in a fraction of the time, and they share the imported code. Safe here: create_app() opens no database
# connection (engines connect on first use, in each worker).
preload_app = True
graceful_timeout = 10
# No control socket (gunicorn 24+ opens one in the home directory): nothing here uses it, and it is one more
# way to stop or reconfigure the server. Older gunicorns skip the unknown setting.
control_socket_disable = True

# No version banner. gunicorn writes "Server: gunicorn" (older releases "gunicorn/x.y.z") into every reply
# itself, before the app's headers, and has no setting for it; the line is dropped here, in the master, so
# every worker it forks inherits the change. The app's own headers are set in surveys/security.py.
_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server


# /metrics with several workers (surveys/monitoring.py): each worker writes its figures to files in
# PROMETHEUS_MULTIPROC_DIR. A new server starts from an empty directory; a worker that is gone leaves its counts
# but not its requests in progress.
def on_starting(server):
    from surveys import monitoring

    monitoring.gunicorn_starting(server.num_workers, server.log)


def child_exit(server, worker):
    from surveys import monitoring

    monitoring.gunicorn_worker_exited(worker.pid)

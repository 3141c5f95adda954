"""Entry point for WSGI servers from a checkout: `gunicorn wsgi:app`. Installed: `surveys.wsgi:app`."""

from surveys.wsgi import app  # noqa: F401

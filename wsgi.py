"""Entry point for WSGI servers: `gunicorn wsgi:app`."""

from surveys import create_app

app = create_app()

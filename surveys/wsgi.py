"""The app for WSGI servers: `gunicorn -c python:surveys.gunicorn_conf surveys.wsgi:app`."""

from surveys import create_app

app = create_app()

"""gunicorn settings for `make run` and the tests' real server, from a checkout: the settings themselves live in
the package (surveys/gunicorn_conf.py), so an installed service uses the same ones with
`gunicorn -c python:surveys.gunicorn_conf surveys.wsgi:app`."""

from surveys.gunicorn_conf import *  # noqa: F403

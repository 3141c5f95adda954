"""surveys: the waardering measurement service of a lokaal team (its name and contact details are data: the
organisation profile, services/organisation.py)."""

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config in order (defaults, instance/config.py, SURVEYS_* environment, the test
    mapping), then extensions, blueprints, error pages and CLI commands."""
    # The instance folder holds config.py and the SQLite database: beside the package in a checkout,
    # $PREFIX/var/surveys-instance for an installed package, or wherever SURVEYS_INSTANCE_PATH says.
    instance_path = os.environ.get("SURVEYS_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance_path) if instance_path else None)

    from . import config

    app.config.from_object(config.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SURVEYS")
    if test_config:
        app.config.from_mapping(test_config)
    config.finish(app)

    from .extensions import csrf, db, init_database, limiter, login_manager, migrate

    init_database(app)
    from . import database

    database.init_app(app)  # every wait for PostgreSQL bounded, so a hanging database gives a 503
    migrate.init_app(app, db, directory=config.MIGRATIONS_DIR)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    i18n.init_app(app)  # Flask-Babel: the locale selector and the English catalogue

    from . import api, auth, errors, formatting, health, manage, respond, security

    auth.sso.init_app(app)  # single sign-on, when SURVEYS_OIDC_ISSUER names a provider

    app.register_blueprint(respond.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    errors.register(app)
    from .services import organisation

    # Every page names the organisation and its contact details: read once per request (flask.g).
    app.context_processor(lambda: {"organisation": organisation.current()})
    formatting.register(app)
    security.init_app(app)  # headers on every reply, client address behind a proxy

    from . import monitoring

    monitoring.init_app(app)  # /metrics for Prometheus, request ids in the log; no codes in either

    from . import cli

    cli.register(app)
    return app

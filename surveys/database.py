"""A bound on every wait for PostgreSQL, so that a database that hangs gives the 503 page within seconds
(DESIGN.md section 10).

connect_timeout covers a new connection and statement_timeout a statement the server is working on;
neither helps when the server stops answering on a connection that is already open (the kernel still
accepts what is sent, and no reply ever comes): the worker waited until gunicorn killed it. Here each wait
for the server ends: the ping that checks a pooled connection before a request uses it after
SURVEYS_DATABASE_TIMEOUT seconds, the request's own statements after SURVEYS_STATEMENT_TIMEOUT +
SURVEYS_DATABASE_TIMEOUT (so that a statement the server stops itself is never cut short by us first). The
connection is then closed, which the pool takes as a lost connection: the next request connects anew."""

import inspect

import psycopg
from flask import Flask
from sqlalchemy import event

from .extensions import db


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after `answer_within` seconds."""

    answer_within: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        bound = self.answer_within if timeout is None else timeout
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except psycopg.OperationalError as error:
            if timeout is not None or bound is None or type(error).__name__ != "_WaitTimeout":
                raise  # psycopg raises its private _WaitTimeout when a wait's timeout expires
            # The request is in flight and its answer may still come: the connection cannot be used again.
            self.close()
            raise psycopg.OperationalError(f"the database did not answer within {bound:g} s") from None


#: psycopg 3.2 and later bound a wait with `timeout`; 3.1 gave that name to the poll interval.
BOUNDED_WAITS = "interval" in inspect.signature(psycopg.Connection.wait).parameters


def init_app(app: Flask) -> None:
    """Connect to PostgreSQL with BoundedConnection. SQLite needs none: it is a file, and its only wait, for
    the write lock, is bounded by its busy timeout."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql" or not BOUNDED_WAITS:
        return
    quick = app.config["DATABASE_TIMEOUT"]
    statements = app.config["STATEMENT_TIMEOUT"] + quick if app.config["STATEMENT_TIMEOUT"] else None

    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_within = quick  # the dialect's first queries, then the pool's ping
        return connection

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, connection_record, connection_proxy):
        dbapi_connection.answer_within = statements  # pinged: the request's own statements follow

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection, connection_record):
        if dbapi_connection is not None:
            dbapi_connection.answer_within = quick  # the next use is the ping

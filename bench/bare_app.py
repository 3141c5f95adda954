"""The baseline for submission throughput: a bare Flask endpoint that parses the same form body and does
one INSERT of a response-shaped row in its own transaction, and nothing else (no CSRF, no templates, no
validation, no ORM session). Served by the same gunicorn settings as the app:

    BENCH_DATABASE_URL=sqlite:///... gunicorn --workers 4 'bench.bare_app:create_app()'

Call ``prepare(url)`` once before starting it: it creates the table, which workers starting together
could not do without racing each other.
"""

import os
import sqlite3
from datetime import date

from flask import Flask, redirect, request
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, event, insert, text
from sqlalchemy.engine import Engine

metadata = MetaData()
bare_response = Table(
    "bench_bare_response", metadata,
    Column("id", Integer, primary_key=True),
    Column("questionnaire", String(20), nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("half_year", String(7), nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("channel", String(10), nullable=False),
)


def engine_for(url: str) -> Engine:
    """An engine set up as the app sets up its own (surveys/config.py, surveys/extensions.py)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def prepare(url: str) -> None:
    """Create the baseline's table (empty) in the database under test."""
    engine = engine_for(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    engine = engine_for(os.environ["BENCH_DATABASE_URL"])

    @app.post("/insert")
    def insert_one():
        """Parse the posted form, store one row, redirect like the real form does."""
        if not request.form.get("C1"):
            return "missing C1", 400
        today = date.today()
        half = 1 if today.month <= 6 else 2
        with engine.begin() as connection:
            connection.execute(insert(bare_response).values(
                questionnaire="client", submitted_on=today, half_year=f"{today.year}-H{half}",
                quarter=f"{today.year}-Q{(today.month - 1) // 3 + 1}", channel="open"))
        return redirect("/bedankt", code=303)

    @app.get("/healthz")
    def healthz():
        """200 when the database answers."""
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app

"""Scratch databases for the benchmark: SQLite files in a temporary folder, PostgreSQL databases of this
run's own on the server BENCH_POSTGRES_URL names. Every one is removed when the run ends."""

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .servers import app_env, flask_cli, run_measured


class Databases:
    def __init__(self, postgres_url: str | None, workdir: str | None = None):
        self.folder = Path(workdir or tempfile.mkdtemp(prefix="surveys-bench-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.postgres_url = postgres_url
        self.postgres_problem: str | None = None
        self.created: list[str] = []
        self._admin = None
        if postgres_url:
            try:
                self._admin = create_engine(_psycopg(postgres_url), isolation_level="AUTOCOMMIT")
                with self._admin.connect() as connection:
                    self.postgres_version = connection.execute(text("SHOW server_version")).scalar()
            except Exception as error:  # no server: the PostgreSQL rows say so instead of failing the run
                self.postgres_problem = f"PostgreSQL not reachable at {postgres_url}: {type(error).__name__}"
                self._admin = None
        else:
            self.postgres_problem = "PostgreSQL skipped: BENCH_POSTGRES_URL is empty"

    @property
    def kinds(self) -> list[str]:
        return ["sqlite", "postgresql"] if self._admin is not None else ["sqlite"]

    def new(self, kind: str, label: str) -> str:
        """An empty database of this kind with the app's schema (migrations) and questionnaires (seed)."""
        if kind == "sqlite":
            path = self.folder / f"{label}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            name = f"bench_surveys_{label}_{int(time.time())}"
            with self._admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            url = make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)
        env = app_env(url)
        run_measured(flask_cli("db", "upgrade"), env)
        run_measured(flask_cli("seed"), env)
        return url

    def backend_pids(self, url: str) -> list[int]:
        """PostgreSQL's server processes serving this database now: their CPU is part of a request's cost."""
        if not url.startswith("postgresql"):
            return []
        with self._admin.connect() as connection:
            return list(connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                           {"name": make_url(url).database}).scalars())

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        if self._admin is not None:
            for name in list(self.created):
                with self._admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def copy_floor(source_url: str, scratch: Path) -> float:
    """Seconds SQLite alone takes to write the rows a demo fill wrote (responses and answers, with the
    same schema and indexes, one transaction): the part of the fill no Python code can avoid."""
    source = source_url.removeprefix("sqlite:///")
    target = scratch / "copy-floor.sqlite3"
    target.unlink(missing_ok=True)
    # The empty schema: the source's own CREATE statements, so tables and indexes are the same.
    with sqlite3.connect(source) as src:
        ddl = [sql for (sql,) in src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('response', 'answer') AND sql IS NOT NULL "
            "ORDER BY type = 'index'")]
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        connection.execute(sql)
    connection.execute("ATTACH DATABASE ? AS src", (source,))
    began = time.perf_counter()
    connection.execute("BEGIN")
    connection.execute("INSERT INTO main.response SELECT * FROM src.response")
    connection.execute("INSERT INTO main.answer SELECT * FROM src.answer")
    connection.execute("COMMIT")
    seconds = time.perf_counter() - began
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return seconds


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)

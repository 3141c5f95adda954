"""`python -m bench` (or `make bench`): measure the budgets of DESIGN.md section 9 and print one table.

Environment:
  BENCH_QUICK=1           a smoke run: small sizes, short cells (writes bench/results-quick.md)
  BENCH_WORKERS=4         gunicorn sync workers for the app and for the bare baseline
  BENCH_SECONDS=12        measured seconds per throughput cell, split into BENCH_TURNS=3 turns taken in
                          rotation with the other cells (each after BENCH_WARMUP=1 s unmeasured)
  BENCH_SIZES=10000,100000,1000000   SQLite fills; BENCH_PG_SIZES=10000,100000 the PostgreSQL ones
  BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres   ('' skips PostgreSQL)
  BENCH_ONLY=submit,invite,data  which parts to run
"""

import os
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from . import bare_app, nginx
from .databases import Databases, copy_floor
from .inproc import summary, timed
from .load import CSRF_PATTERN, percentile
from .servers import ROOT, SECRET, Server, app_env, cpu_seconds, flask_cli, gunicorn, register_tablet, run_measured
from .table import LoadSampler, Row, code_fingerprint, cpu_busy_during, git_head, machine, markdown, write_results

QUICK = os.environ.get("BENCH_QUICK") == "1"
APP = "surveys:create_app()"
BARE = "bench.bare_app:create_app()"
LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _sizes(name: str, default: str) -> list[int]:
    return [int(n) for n in os.environ.get(name, default).split(",") if n.strip()]


@dataclass
class Settings:
    workers: int = int(os.environ.get("BENCH_WORKERS", "4"))
    seconds: float = float(os.environ.get("BENCH_SECONDS", "3" if QUICK else "12"))  # per cell, all turns
    rounds: int = int(os.environ.get("BENCH_TURNS", "1" if QUICK else "3"))
    warmup: float = float(os.environ.get("BENCH_WARMUP", "1"))
    clients: tuple[int, ...] = (8, 32)
    sizes: list[int] = field(default_factory=lambda: _sizes("BENCH_SIZES", "2000,10000" if QUICK else
                                                            "10000,100000,1000000"))
    # DESIGN.md section 9 names SQLite for the report; PostgreSQL is measured beside it up to 100,000.
    pg_sizes: list[int] = field(default_factory=lambda: _sizes("BENCH_PG_SIZES", "2000" if QUICK else
                                                               "10000,100000"))
    repeat: int = 3 if QUICK else 5
    chart_repeat: int = 5 if QUICK else 20
    postgres_url: str = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    only: set = field(default_factory=lambda: set(os.environ.get("BENCH_ONLY", "submit,invite,data").split(",")))


class Bench:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.rows: dict[str, list[Row]] = {key: [] for key in
                                           ("submit", "invite", "report", "api", "dashboard", "export", "chart",
                                            "demo")}
        self.notes: list[str] = []
        self.began = time.perf_counter()
        self.code = code_fingerprint()
        self.code_changes: list[str] = []

    def check_code(self, section: str) -> None:
        """Note when the app's code on disk changed while `section` was measured (a shared tree)."""
        now = code_fingerprint()
        if now != self.code:
            self.code_changes.append(f"{section} (fingerprint {self.code} → {now}, commit now {git_head()})")
            self.say(f"  the app's code changed during: {section}")
            self.code = now

    def say(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.began:6.0f} s] {text}", file=sys.stderr, flush=True)

    # --- submissions ---------------------------------------------------------------------------------------

    def load(self, server: Server, db_pids, mode: str, clients: int, *, seconds: float | None = None,
             quiet: bool = False, label: str | None = None, tablet: str | None = None,
             env: dict | None = None) -> dict:
        """One cell: the load generator against one server. Besides rates and latencies, the CPU time the
        server spent per request (gunicorn master and workers, plus PostgreSQL's backends for this database):
        unlike a rate, that moves little when other work on the machine takes CPU away."""
        seconds = seconds or self.settings.seconds / self.settings.rounds
        args = [sys.executable, "-m", "bench.load", "--base", server.base, "--mode", mode,
                "--clients", str(clients), "--seconds", str(seconds), "--warmup", str(self.settings.warmup)]
        if getattr(server, "cafile", None):
            args += ["--cafile", server.cafile]
        if tablet:
            args += ["--tablet", tablet, "--secret", SECRET]
        before_pids = db_pids()
        cpu_before = server.cpu_seconds() + cpu_seconds(before_pids)
        load_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
        measured, busy = cpu_busy_during(lambda: run_measured(args, load_env))
        # Backends that were there before and after; one that started meanwhile counts from zero.
        cpu_after = server.cpu_seconds() + cpu_seconds(set(before_pids) | set(db_pids()))
        result = measured.json() | {"machine_busy": busy, "server_cpu_s": cpu_after - cpu_before}
        if not quiet:
            self.say(f"  {label or mode:7} {clients:2} clients: {result['requests_per_s']:7.1f} req/s, "
                     f"{result['completed_per_s']:6.1f} completed/s, p50 {result['p50_ms']} ms, "
                     f"p99 {result['p99_ms']} ms, errors {result['errors']}, server CPU "
                     f"{1000 * result['server_cpu_s'] / max(result['requests_sent'], 1):.1f} ms/request, "
                     f"client CPU {100 * result['client_cpu_share']:.0f} %, machine busy {100 * busy:.0f} %")
        return result

    def submissions(self, databases: Databases, kind: str) -> None:
        self.say(f"submissions on {LABEL[kind]}")
        url = databases.new(kind, f"{kind}_submit")
        bare_app.prepare(url)
        tablet = register_tablet(url)
        by_clients = {}
        db_pids = lambda: databases.backend_pids(url)  # noqa: E731
        # The app as production runs it also counts every post against a rate limit (per worker, in memory);
        # the load comes from one address, so that app gets a limit it never reaches.
        limited_env = {"SURVEYS_RATELIMIT_ENABLED": "true", "SURVEYS_OPEN_LINK_LIMIT": "100000000 per hour"}
        with ExitStack() as servers:
            bare = servers.enter_context(gunicorn(BARE, url, workers=self.settings.workers))
            app = servers.enter_context(gunicorn(APP, url, workers=self.settings.workers))
            limited = servers.enter_context(gunicorn(APP, url, workers=self.settings.workers, **limited_env))
            # The same app behind nginx with TLS (deploy/nginx.conf), as production runs it.
            fronted = servers.enter_context(nginx.nginx_in_front(app)) if nginx.available() else None
            if fronted is None and not any("nginx" in note for note in self.notes):
                self.notes.append(f"nginx not found at {nginx.NGINX}: the row through nginx with TLS is missing.")
            # A worker compiles templates and fills its caches on its first requests: run those unmeasured.
            self.load(bare, db_pids, "bare", 8, seconds=2 * self.settings.warmup, quiet=True)
            for server in (app, limited, fronted):
                if server is not None:
                    self.load(server, db_pids, "session", 8, seconds=2 * self.settings.warmup, quiet=True,
                              tablet=tablet)
            for clients in self.settings.clients:
                cells: dict[str, list[dict]] = {"bare": [], "post": [], "session": []}
                turn = [("bare", bare), ("post", app), ("session", app)]
                if clients == min(self.settings.clients):
                    cells["limited"] = []
                    turn.append(("limited", limited))
                    if fronted is not None:
                        cells["nginx"] = []
                        turn.append(("nginx", fronted))
                # Short cells in turns (bare, POST, session, bare, …): other work on the machine then weighs
                # on all of them alike, not on whichever happened to run at a bad moment.
                for _ in range(self.settings.rounds):
                    for cell, server in turn:
                        mode = {"limited": "post", "nginx": "session"}.get(cell, cell)
                        cells[cell].append(self.load(server, db_pids, mode, clients, label=cell, tablet=tablet))
                by_clients[clients] = {cell: combine(results) for cell, results in cells.items()}
        databases.drop(url)
        self._submission_rows(kind, by_clients)

    def _submission_rows(self, kind: str, by_clients: dict) -> None:
        db, rows = LABEL[kind], self.rows["submit"]
        low, high = min(by_clients), max(by_clients)
        cores = len(os.sched_getaffinity(0))
        for clients, cells in by_clients.items():
            bare, post, session = cells["bare"], cells["post"], cells["session"]
            errors = session["errors"] + post["errors"]
            rows.append(Row(
                f"completed responses/s, open link (GET form + POST), {db}, {clients} clients",
                f"{session['completed_per_s']:.0f}/s ({session['requests_per_s']:.0f} req/s; turns "
                f"{_turns(session, 'completed_per_s')}), errors {errors}",
                f"bare INSERT {bare['requests_per_s']:.0f} req/s (turns {_turns(bare, 'requests_per_s')})",
                f"{session['requests_per_s'] / bare['requests_per_s']:.0%} of bare req/s",
                "≥ 200/s", session["completed_per_s"] >= 200 and errors == 0))
            rows.append(Row(
                f"POST alone (a new response each) vs bare INSERT, {db}, {clients} clients",
                f"{post['requests_per_s']:.0f} req/s (turns {_turns(post, 'requests_per_s')}), "
                f"p50 {post['post_p50_ms']:.1f} ms, p99 {post['post_p99_ms']:.1f} ms",
                f"{bare['requests_per_s']:.0f} req/s, p50 {bare['post_p50_ms']:.1f} ms, "
                f"p99 {bare['post_p99_ms']:.1f} ms",
                f"{post['requests_per_s'] / bare['requests_per_s']:.0%}", "≥ 50 %",
                post["requests_per_s"] >= 0.5 * bare["requests_per_s"]))
            if clients != low:
                continue
            if "nginx" in cells:
                fronted = cells["nginx"]
                share = fronted["completed_per_s"] / session["completed_per_s"]
                # CPU per completed response (nginx and gunicorn together against gunicorn alone) moves little
                # when other work takes the cores: what the two would give on cores of their own.
                cpu = {name: 1000 * cell["server_cpu_s"] / max(cell["completed_sent"], 1)
                       for name, cell in (("nginx", fronted), ("direct", session))}
                rows.append(Row(
                    f"completed responses/s through nginx with TLS (deploy/nginx.conf; a new TLS connection per "
                    f"respondent, kept for its GET and POST), {db}, {clients} clients",
                    f"{fronted['completed_per_s']:.0f}/s (turns {_turns(fronted, 'completed_per_s')}), "
                    f"p50 {fronted['p50_ms']:.1f} ms, p99 {fronted['p99_ms']:.1f} ms, errors {fronted['errors']}; "
                    f"{cpu['nginx']:.1f} ms CPU per response (nginx + gunicorn)",
                    f"direct to gunicorn {session['completed_per_s']:.0f}/s (turns "
                    f"{_turns(session, 'completed_per_s')}), {cpu['direct']:.1f} ms CPU per response",
                    f"{share:.0%} (by CPU per response: {cpu['direct'] / cpu['nginx']:.0%})", "≥ 70 % of direct",
                    share >= 0.7 and fronted["errors"] == 0))
            limited = cells["limited"]
            rows.append(Row(
                f"POST alone with the rate limit on (as in production; memory storage), {db}, {clients} clients",
                f"{limited['requests_per_s']:.0f} req/s (turns {_turns(limited, 'requests_per_s')}), "
                f"{limited['server_cpu_ms']:.1f} ms CPU",
                f"{bare['requests_per_s']:.0f} req/s, {bare['server_cpu_ms']:.1f} ms CPU",
                f"{limited['requests_per_s'] / bare['requests_per_s']:.0%}", "— (the row above is the budget's)",
                None))
            # CPU time per request moves far less than a rate when other work takes the cores away, so it
            # tells what the same code would do with the cores to itself: capacity = cores / CPU per response.
            per_response = 1000 * session["server_cpu_s"] / max(session["completed_sent"], 1)
            capacity = 1000 * cores / per_response
            rows.append(Row(
                f"server CPU per completed response (GET + POST), {db}: the rate {cores} free cores would give",
                f"{per_response:.1f} ms CPU → {capacity:.0f}/s",
                f"bare INSERT {bare['server_cpu_ms']:.1f} ms CPU → {1000 * cores / bare['server_cpu_ms']:.0f} req/s",
                f"POST alone {post['server_cpu_ms']:.1f} ms CPU: "
                f"{bare['server_cpu_ms'] / post['server_cpu_ms']:.0%} of bare req/s",
                f"≥ 200/s (≤ {1000 * cores / 200:.0f} ms CPU per response)", capacity >= 200))
        session_low, session_high = by_clients[low]["session"], by_clients[high]["session"]
        rows.append(Row(
            f"request latency (GET and POST), {db}, {low} clients",
            f"p50 {session_low['p50_ms']:.1f} ms, p99 {session_low['p99_ms']:.1f} ms "
            f"(POST p99 {session_low['post_p99_ms']:.1f} ms)",
            f"bare p99 {by_clients[low]['bare']['p99_ms']:.1f} ms", "", "p99 ≤ 50 ms", session_low["p99_ms"] <= 50))
        holds = session_high["completed_per_s"] / max(session_low["completed_per_s"], 1e-9)
        errors = session_high["errors"] + by_clients[high]["post"]["errors"]
        rows.append(Row(
            f"at {high} clients: errors, throughput against {low} clients, {db}",
            f"{errors} errors; {session_high['completed_per_s']:.0f}/s; p50 {session_high['p50_ms']:.1f} ms, "
            f"p99 {session_high['p99_ms']:.1f} ms",
            f"{session_low['completed_per_s']:.0f}/s at {low} clients", f"{holds:.0%}",
            "no errors, throughput holds (≥ 90 %)", errors == 0 and holds >= 0.9))
        cells = [cell for by_mode in by_clients.values() for cell in by_mode.values()]
        self.notes.append(
            f"{db}: the load generator (one process) used at most {max(c['client_cpu_share'] for c in cells):.0%}"
            f" of one CPU in any turn; the machine's CPUs were at least {min(c['machine_busy'] for c in cells):.0%}"
            " busy in every turn (other work on the shared machine included).")

    # --- invitations from a registration system --------------------------------------------------------------

    def invitations(self, databases: Databases, kind: str) -> None:
        """POST /api/v1/invitations (link, a new Idempotency-Key each) at 8 clients, rate limits off as for
        the submissions; beside it the bare INSERT on the same database, for scale."""
        db = LABEL[kind]
        self.say(f"invitations on {db}")
        url = databases.new(kind, f"{kind}_invite")
        bare_app.prepare(url)
        token = {"BENCH_API_TOKEN": self.inproc("prepare-invite", app_env(url))["token"]}
        db_pids = lambda: databases.backend_pids(url)  # noqa: E731
        clients = min(self.settings.clients)
        with ExitStack() as servers:
            bare = servers.enter_context(gunicorn(BARE, url, workers=self.settings.workers))
            app = servers.enter_context(gunicorn(APP, url, workers=self.settings.workers))
            self.load(app, db_pids, "invite", clients, seconds=2 * self.settings.warmup, quiet=True, env=token)
            cells: dict[str, list[dict]] = {"bare": [], "invite": []}
            for _ in range(self.settings.rounds):
                cells["bare"].append(self.load(bare, db_pids, "bare", clients, label="bare"))
                cells["invite"].append(self.load(app, db_pids, "invite", clients, label="invite", env=token))
        databases.drop(url)
        invite, bare = combine(cells["invite"]), combine(cells["bare"])
        cores = len(os.sched_getaffinity(0))
        self.rows["invite"].append(Row(
            f"POST /api/v1/invitations (link, Idempotency-Key, invite token), {db}, {clients} clients",
            f"{invite['completed_per_s']:.0f}/s (turns {_turns(invite, 'completed_per_s')}), p50 "
            f"{invite['post_p50_ms']:.1f} ms, p99 {invite['post_p99_ms']:.1f} ms, errors {invite['errors']}; "
            f"{invite['server_cpu_ms']:.1f} ms CPU → {1000 * cores / invite['server_cpu_ms']:.0f}/s on {cores} cores",
            f"bare INSERT {bare['requests_per_s']:.0f} req/s, {bare['server_cpu_ms']:.1f} ms CPU",
            f"{invite['completed_per_s'] / bare['requests_per_s']:.0%} of bare req/s", "≥ 200/s",
            invite["completed_per_s"] >= 200 and invite["errors"] == 0))

    # --- data sizes ----------------------------------------------------------------------------------------

    def data(self, databases: Databases, kind: str, size: int, largest: bool) -> None:
        db = LABEL[kind]
        self.say(f"{db}, {size:,} responses: demo fill")
        url = databases.new(kind, f"{kind}_{size}")
        env = app_env(url)
        # The command's start-up (imports, app) is part of its time; `seed` with nothing to do shows it.
        startup = run_measured(flask_cli("seed"), env).seconds
        demo = run_measured(flask_cli("demo", "--responses", str(size)), env)
        self.say(f"  demo {demo.seconds:.1f} s, peak RSS {demo.peak_rss_mb:.0f} MB; start-up {startup:.1f} s")
        floor, ratio = f"start-up alone (`seed`, nothing to do) {startup:.1f} s", ""
        if kind == "sqlite" and largest:
            self.say("  floor: the same rows copied by INSERT … SELECT")
            copy = copy_floor(url, databases.folder)
            floor += f"; SQLite writes the same rows (INSERT … SELECT, same indexes) in {copy:.1f} s"
            ratio = f"{times(demo.seconds, startup + copy)} start-up + copy"
        budget = "≤ 60 s" if size == 1_000_000 else "— (≤ 60 s at 1,000,000)"
        self.rows["demo"].append(Row(
            f"`demo --responses {size:,}`, {db}", f"{demo.seconds:.1f} s (peak RSS {demo.peak_rss_mb:.0f} MB)",
            floor, ratio, budget, demo.seconds <= 60 if size == 1_000_000 else None))

        report = self.inproc("report", env)
        self.say(f"  kpi_results: first {report['first_ms']} ms, median {report['report']['median_ms']} ms; "
                 f"floor {report['floor']['median_ms']} ms")
        report_budget = kind == "sqlite"
        self.rows["report"].append(Row(
            f"half-year report `kpi_results({report['period']})` in-process, {db}, {size:,} responses",
            f"{report['report']['median_ms']:.0f} ms (first call {report['first_ms']:.0f} ms; "
            f"{report['kpis']} KPIs, {report['responses_in_period']:,} responses in the half-year)",
            f"the half-year's answers grouped in one query {report['floor']['median_ms']:.0f} ms",
            times(report["report"]["median_ms"], report["floor"]["median_ms"]),
            "≤ 250 ms" if report_budget else "— (§9 names SQLite)",
            report["report"]["median_ms"] <= 250 if report_budget else None))

        credentials = self.inproc("prepare", env)
        with gunicorn(APP, url, workers=self.settings.workers) as server:
            http = self.http_times(server.base, credentials, report["period"])
        self.say(f"  API {http['api']['median_ms']} ms, dashboard {http['dashboard']['median_ms']} ms, "
                 f"/healthz {http['floor']['median_ms']} ms")
        for key, label in (("api", f"GET /api/v1/kpis?period={report['period']} (token)"),
                           ("dashboard", "dashboard GET /beheer/ (manager, logged in)")):
            self.rows[key].append(Row(
                f"{label}, {db}, {size:,} responses",
                f"{http[key]['median_ms']:.0f} ms (first {http[key + '_first_ms']:.0f} ms)",
                f"GET /healthz {http['floor']['median_ms']:.1f} ms; in-process report "
                f"{report['report']['median_ms']:.0f} ms",
                f"{times(http[key]['median_ms'], report['report']['median_ms'])} the in-process report",
                "≤ 250 ms (the report's)" if report_budget else "—",
                http[key]["median_ms"] <= 250 if report_budget else None))

        if kind == "sqlite" and largest:
            self.export_rows(env, size)
            self.chart_rows(env, size)
        databases.drop(url)

    def inproc(self, task: str, env: dict, repeat: int | None = None):
        args = [sys.executable, "-m", "bench.inproc", task, "--repeat", str(repeat or self.settings.repeat)]
        return run_measured(args, env).json()

    def http_times(self, base: str, credentials: dict, period: str) -> dict:
        """Sequential requests, one at a time: the time one user waits."""
        repeat = self.settings.repeat
        result = {}
        with httpx.Client(base_url=base, timeout=600) as client:
            result["floor"] = summary(timed(lambda: client.get("/healthz").raise_for_status(), repeat))
            api = lambda: _ok(client.get(f"/api/v1/kpis?period={period}",  # noqa: E731
                                         headers={"Authorization": f"Bearer {credentials['token']}"}))
            result["api_first_ms"] = timed(api, 1)[0]
            result["api"] = summary(timed(api, repeat))
            page = client.get("/beheer/inloggen")
            token = CSRF_PATTERN.search(page.text).group(1)
            login = client.post("/beheer/inloggen", data={"email": credentials["email"], "csrf_token": token,
                                                          "password": credentials["password"]})
            if login.status_code != 303:
                raise RuntimeError(f"login failed: {login.status_code}")
            dashboard = lambda: _ok(client.get(f"/beheer/?periode={period}"))  # noqa: E731
            result["dashboard_first_ms"] = timed(dashboard, 1)[0]
            result["dashboard"] = summary(timed(dashboard, repeat))
        return result

    def export_rows(self, env: dict, size: int) -> None:
        self.say("  raw CSV export of every response")
        export = run_measured([sys.executable, "-m", "bench.inproc", "export"], env)
        result = export.json()
        floor = run_measured([sys.executable, "-m", "bench.inproc", "export-floor"], env)
        idle = run_measured([sys.executable, "-m", "bench.inproc", "idle"], env)
        self.say(f"  export {result['seconds']} s, {result['rows']:,} rows, peak RSS {export.peak_rss_mb:.0f} MB; "
                 f"floor {floor.json()['seconds']} s; idle app {idle.peak_rss_mb:.0f} MB")
        self.rows["export"].append(Row(
            f"raw CSV export (`raw_responses_csv`, every questionnaire) of {result['rows']:,} responses: time",
            f"{result['seconds']:.1f} s ({result['mb']:.0f} MB of CSV; first chunk after "
            f"{result['first_chunk_ms']:.0f} ms)",
            f"the same pivot in hand-written SQL, read by the bare driver and written by the csv module "
            f"({floor.json()['answer_rows']:,} answers): {floor.json()['seconds']:.1f} s",
            times(result["seconds"], floor.json()["seconds"]), "≤ 15 s, streamed",
            result["seconds"] <= 15 if size >= 1_000_000 else None))
        self.rows["export"].append(Row(
            f"raw CSV export of {result['rows']:,} responses: peak memory (RSS of the exporting process)",
            f"{export.peak_rss_mb:.0f} MB", f"the same process without exporting: {idle.peak_rss_mb:.0f} MB",
            f"+{export.peak_rss_mb - idle.peak_rss_mb:.0f} MB", "≤ 200 MB",
            export.peak_rss_mb <= 200 if size >= 1_000_000 else None))

    def chart_rows(self, env: dict, size: int) -> None:
        self.say("  charts")
        chart = self.inproc("chart", env, self.settings.chart_repeat)
        floor = chart["floor"]["median_ms"]
        for fmt in ("png", "svg", "pdf"):
            self.rows["chart"].append(Row(
                f"one chart, `kpi_chart` {fmt.upper()} ({chart['kpi']}, {chart['periods']} half-years), "
                f"median of {chart[fmt]['runs']}",
                f"{chart[fmt]['median_ms']:.0f} ms", f"empty figure, same size, to PNG: {floor:.0f} ms",
                times(chart[fmt]["median_ms"], floor), "≤ 150 ms", chart[fmt]["median_ms"] <= 150))
        self.notes.append(f"Chart data: `kpi_history({chart['kpi']})` (the six half-years a chart draws) took "
                          f"{chart['history_ms']:.0f} ms at {size:,} responses, before any drawing.")

    # --- the run -------------------------------------------------------------------------------------------

    def run(self) -> str:
        s = self.settings
        sampler = LoadSampler().start()
        databases = Databases(s.postgres_url or None)
        machine_lines = machine(getattr(databases, "postgres_version", None), s.workers)
        if databases.postgres_problem:
            self.notes.append(databases.postgres_problem)
        try:
            if "submit" in s.only:
                for kind in databases.kinds:
                    self.submissions(databases, kind)
                    self.check_code(f"submissions on {LABEL[kind]}")
            if "invite" in s.only:
                for kind in databases.kinds:
                    self.invitations(databases, kind)
                    self.check_code(f"invitations on {LABEL[kind]}")
            if "data" in s.only:
                for kind in databases.kinds:
                    sizes = s.sizes if kind == "sqlite" else s.pg_sizes
                    for size in sizes:
                        self.data(databases, kind, size, largest=size == max(sizes))
                        self.check_code(f"{LABEL[kind]} at {size:,} responses")
        finally:
            databases.close()
        machine_lines.append(sampler.stop())
        if self.code_changes:
            self.notes.insert(0, "**The app's code changed on disk during this run** (other developers at work in "
                                 "the same tree), so rows measured before and after the change are not comparable. "
                                 "Changed during: " + "; ".join(self.code_changes) + ".")
        minutes = (time.perf_counter() - self.began) / 60
        self.notes[:0] = [
            f"Submissions use the open link /q/client (no per-request code needed); each completed response is "
            f"a new session: GET the form, POST the answers with its CSRF token, 303 to the thank-you page "
            f"(not followed). Closed loop; each cell measured {s.seconds:.0f} s in {s.rounds} turns taken in "
            f"rotation with the other cells (each turn after {s.warmup:.0f} s unmeasured), the workers warmed "
            f"up before; latency is measured by the client (bench/load.py, plain HTTP/1.1 on asyncio). "
            f"Rate limits off (SURVEYS_RATELIMIT_ENABLED=false), as the budget compares the app's own work "
            f"with the bare INSERT; the row \"with the rate limit on\" measures the same posts to an app "
            f"counting them, as production does, against a limit the load never reaches.",
            "The bare baseline (bench/bare_app.py) parses the same form body and does one INSERT of a "
            "response-shaped row in its own transaction, under the same gunicorn settings and on the same "
            "database. Server CPU per request = CPU time of the gunicorn master and workers (and, on "
            "PostgreSQL, of the database's backends) over the requests sent in a turn.",
            "API and dashboard: sequential requests against gunicorn, median of warm runs; they serve the "
            "report, so the report's budget is applied to them.",
            f"Whole run: {minutes:.1f} min.",
        ]
        rows = [row for key in self.rows for row in self.rows[key]]
        title = "surveys benchmark" + (" (BENCH_QUICK smoke run: small sizes)" if QUICK else "")
        out = Path(__file__).parent / ("results-quick.md" if QUICK else "results.md")
        write_results(out, title, machine_lines, rows, self.notes)
        return "\n".join(["", *machine_lines, "", markdown(rows), "", *self.notes, "", f"(written to {out})"])


def combine(turns: list[dict]) -> dict:
    """Several turns of one cell as one: rates over the summed time, percentiles over all latencies."""
    seconds = sum(t["seconds"] for t in turns)
    gets = [ms for t in turns for ms in t["get_ms"]]
    posts = [ms for t in turns for ms in t["post_ms"]]
    total = {key: sum(t[key] for t in turns) for key in ("requests", "requests_sent", "completed", "errors",
                                                         "server_cpu_s")}
    sent = total["requests_sent"]
    return total | {
        "turns": turns, "seconds": seconds,
        "requests_per_s": total["requests"] / seconds, "completed_per_s": total["completed"] / seconds,
        # a session is two requests, the others one: CPU per completed response follows from the mix
        "completed_sent": sum(t["completed_sent"] for t in turns),
        "server_cpu_ms": 1000 * total["server_cpu_s"] / max(sent, 1),
        "p50_ms": percentile(gets + posts, 0.50), "p99_ms": percentile(gets + posts, 0.99),
        "post_p50_ms": percentile(posts, 0.50), "post_p99_ms": percentile(posts, 0.99),
        "client_cpu_share": max(t["client_cpu_share"] for t in turns),
        "machine_busy": min(t["machine_busy"] for t in turns),
    }


def times(value: float, baseline: float) -> str:
    """A ratio with two significant digits: 3.1×, 0.0025×."""
    return f"{value / baseline:.2g}×" if baseline else "—"


def _turns(cell: dict, key: str) -> str:
    return "/".join(f"{turn[key]:.0f}" for turn in cell["turns"])


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return response


def main() -> None:
    # make and nohup leave SIGINT ignored in the background; on SIGTERM the run still removes its databases
    # and stops its servers on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    print(Bench(Settings()).run())


if __name__ == "__main__":
    main()

"""Measurements inside the app, each in a process of its own (so memory and caches start clean):

    python -m bench.inproc prepare | prepare-invite | report | chart | export | export-floor | idle [--repeat N]

The app and its database come from the environment (SURVEYS_DATABASE_URL, SURVEYS_SECRET_KEY). Each
task prints one JSON object on its last line; times are in milliseconds unless named otherwise.
"""

import argparse
import csv
import io
import json
import os
import resource
import statistics
import time

MANAGER_EMAIL = "bench-manager@example.org"
MANAGER_PASSWORD = "bench-manager-password"


def timed(action, repeat: int, max_seconds: float = 10.0) -> list[float]:
    """Milliseconds per call over `repeat` calls, or fewer (at least one) once `max_seconds` are spent:
    a slow case is still measured, without holding up the whole run."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (not times or time.perf_counter() - started < max_seconds):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2), "runs": len(times)}


def rss_mb() -> float:
    """Resident set size now, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_half_year():
    from surveys.periods import half_year_of, today

    return half_year_of(today())


def published_half_year():
    """The half-year the report is measured on: the last one the demo published (the running half-year
    shows only response counts, DESIGN.md §6), so every privacy rule is in force: publication, the
    half-year held apart from its published quarters, hidden groups, the reference from published groups."""
    return current_half_year().previous()


def task_prepare(args) -> dict:
    """A manager account for /beheer and an API token for /api/v1."""
    from surveys.extensions import db
    from surveys.models import ApiToken, User
    from surveys.services.tokens import create_token
    from surveys.services.users import create_user

    db.session.query(ApiToken).filter_by(name="bench").delete()
    db.session.query(User).filter_by(email=MANAGER_EMAIL).delete()
    db.session.commit()
    create_user(MANAGER_EMAIL, MANAGER_PASSWORD, "manager", actor="bench")
    return {"token": create_token("bench"), "email": MANAGER_EMAIL, "password": MANAGER_PASSWORD}


def task_prepare_invite(args) -> dict:
    """An open cliënt round for today and an invite token, for POST /api/v1/invitations."""
    from surveys.periods import today
    from surveys.services.rounds import create_round, open_round_for
    from surveys.services.tokens import create_token

    period = current_half_year()
    if open_round_for("client", today()) is None:
        create_round("client", str(period), opens_on=today(), closes_on=period.end, population=None)
    return {"token": create_token("bench-invite", "invite")}


def task_report(args) -> dict:
    """kpi_results(the last published half-year): the first call (cold caches) and the median of warm calls;
    next to it the floor: one GROUP BY over the same half-year's answers, the least a report could read."""
    from sqlalchemy import func, select, text

    from surveys.extensions import db
    from surveys.models import Response
    from surveys.services.reports import kpi_results

    period = published_half_year()
    first = timed(lambda: kpi_results(period), 1)[0]
    warm = timed(lambda: kpi_results(period), args.repeat)
    floor_sql = text("SELECT item, COALESCE(CAST(value AS VARCHAR), code), COUNT(*) FROM answer "
                     "JOIN response ON response.id = answer.response_id "
                     "WHERE response.half_year = :period AND text IS NULL GROUP BY 1, 2")
    floor = timed(lambda: db.session.execute(floor_sql, {"period": str(period)}).all(), args.repeat)
    responses = db.session.scalar(select(func.count()).select_from(Response))
    in_period = db.session.scalar(select(func.count()).select_from(Response)
                                  .where(Response.half_year == str(period)))
    return {"period": str(period), "kpis": len(kpi_results(period)), "responses": responses,
            "responses_in_period": in_period, "first_ms": round(first, 2), "report": summary(warm),
            "floor": summary(floor)}


def task_chart(args) -> dict:
    """kpi_chart of one KPI over six half-years: the median render per format; the floor is an empty
    figure of the same size through the same Agg canvas and PNG writer."""
    from matplotlib.figure import Figure

    from surveys import charts
    from surveys.questionnaires import load_kpis
    from surveys.services.reports import kpi_history

    kpi = next(k for k in load_kpis() if k.statistic == "mean")
    began = time.perf_counter()
    history = kpi_history(kpi.key)
    history_ms = (time.perf_counter() - began) * 1000
    charts.kpi_chart(history, "png")  # first call: fonts and caches
    result = {"kpi": kpi.key, "periods": len(history), "history_ms": round(history_ms, 2)}
    for fmt in charts.FORMATS:
        result[fmt] = summary(timed(lambda fmt=fmt: charts.kpi_chart(history, fmt), args.repeat))

    def empty_png():
        figure = Figure(figsize=(charts.WIDTH_IN, charts.HEIGHT_IN), dpi=charts.PNG_DPI, facecolor="white")
        figure.add_subplot()
        charts._save_png(figure, io.BytesIO())

    result["floor"] = summary(timed(empty_png, args.repeat))
    return result


def task_export(args) -> dict:
    """exports.raw_responses_csv of every questionnaire (all periods), written to /dev/null."""
    from surveys import exports
    from surveys.questionnaires import QUESTIONNAIRE_KEYS

    before = rss_mb()
    rows = size = 0
    first_chunk_ms = None
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for key in QUESTIONNAIRE_KEYS:
            for chunk in exports.raw_responses_csv(key):
                if first_chunk_ms is None:
                    first_chunk_ms = (time.perf_counter() - began) * 1000
                data = chunk.encode("utf-8")
                sink.write(data)
                size += len(data)
                rows += chunk.count("\r\n")
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 2), "rows": rows - len(QUESTIONNAIRE_KEYS), "mb": round(size / 1e6, 1),
            "first_chunk_ms": round(first_chunk_ms or 0, 1), "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def task_export_floor(args) -> dict:
    """The floor of a raw export: the same file (one row per response in id order, the answers pivoted into
    item columns, formula-like text neutralised, periods below the minimum n left out) from one hand-written
    statement per questionnaire, read from the bare driver's cursor (server-side on PostgreSQL) and written
    by the csv module: no SQLAlchemy rows, no app code. The statements are the fastest shapes measured:
    SQLite finds each cell by the answer primary key, PostgreSQL aggregates the merged answers per response."""
    from sqlalchemy import text

    from surveys.extensions import db
    from surveys.questionnaires import QUESTIONNAIRE_KEYS, load_questionnaire

    sqlite = db.engine.dialect.name == "sqlite"
    plans = []  # (questionnaire key, item keys, periods passing the minimum n): the file's shape, untimed
    for key in QUESTIONNAIRE_KEYS:
        questionnaire = load_questionnaire(key)
        periods = db.session.execute(text("SELECT half_year FROM response WHERE questionnaire = :key "
                                          "GROUP BY half_year HAVING count(*) >= :min_n ORDER BY half_year"),
                                     {"key": key, "min_n": questionnaire.min_n}).scalars().all()
        plans.append((key, [item.key for item in questionnaire.items], periods))
    answers = sum(db.session.execute(text(
        "SELECT count(*) FROM answer JOIN response ON response.id = answer.response_id "
        f"WHERE response.questionnaire = {_quoted(key)} AND response.half_year IN ({_quoted_list(periods)})")
    ).scalar() for key, _, periods in plans if periods)
    db.session.rollback()

    began = time.perf_counter()
    connection = db.engine.raw_connection()
    rows = 0
    with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink)
        for key, items, periods in plans:
            sink.write("\ufeff")
            writer.writerow(["response_id", "questionnaire_version", "period", "quarter", "submitted_on",
                             "channel", *items])
            if not periods:
                continue
            cursor = connection.cursor() if sqlite else connection.cursor(name=f"export_floor_{key}")
            cursor.execute(_floor_sql(key, items, periods, sqlite))
            while partition := cursor.fetchmany(5000):
                writer.writerows(partition)
                rows += len(partition)
            cursor.close()
    connection.close()
    return {"seconds": round(time.perf_counter() - began, 2), "answer_rows": answers, "rows": rows,
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quoted_list(values) -> str:
    return ", ".join(map(_quoted, values))


def _floor_sql(key: str, items: list[str], periods: list[str], sqlite: bool) -> str:
    """The export's statement written out: the pivot and the neutralisation in SQL, as literals only."""
    tab, cr = ("char(9)", "char(13)") if sqlite else ("chr(9)", "chr(13)")
    word = "COALESCE(a.code, a.text)"
    number = "a.value" if sqlite else "CAST(a.value AS VARCHAR)"
    cell = (f"COALESCE({number}, CASE WHEN substr({word}, 1, 1) IN ('=', '+', '-', '@', {tab}, {cr}) "
            f"THEN {_quoted(chr(39))} || {word} ELSE {word} END)")
    head = ("SELECT r.id, v.version, r.half_year, r.quarter, r.submitted_on, r.channel, {cells} "
            "FROM response r JOIN questionnaire_version v ON v.id = r.questionnaire_version_id ")
    # SQLite, several periods: walk the table in id order rather than sort what the period index gives.
    plus = "+" if sqlite and len(periods) > 1 else ""
    where = f"WHERE {plus}r.questionnaire = {_quoted(key)} AND {plus}r.half_year IN ({_quoted_list(periods)}) "
    if sqlite:
        cells = ", ".join(f"(SELECT {cell} FROM answer a WHERE a.response_id = r.id AND a.item = {_quoted(item)})"
                          for item in items)
        return head.format(cells=cells) + where + "ORDER BY r.id"
    cells = ", ".join(f"MAX({cell}) FILTER (WHERE a.item = {_quoted(item)})" for item in items)
    return (head.format(cells=cells) + "LEFT JOIN answer a ON a.response_id = r.id " + where
            + "GROUP BY r.id, v.version ORDER BY r.id")


def task_idle(args) -> dict:
    """The app created and nothing done: the memory every process of it starts with."""
    from surveys import exports  # noqa: F401  (the export's own imports, so only the work differs)

    return {"peak_rss_mb": round(peak_rss_mb(), 1)}


TASKS = {"prepare": task_prepare, "prepare-invite": task_prepare_invite, "report": task_report, "chart": task_chart,
         "export": task_export, "export-floor": task_export_floor, "idle": task_idle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from surveys import create_app

    app = create_app()
    with app.app_context():
        result = TASKS[args.task](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Measurements inside the app, each in a process of its own (so memory and caches start clean):

    python -m bench.inproc prepare | report | chart | export | export-floor | idle [--repeat N]

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
from datetime import date

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
    from surveys.periods import half_year_of

    return half_year_of(date.today())


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


def task_report(args) -> dict:
    """kpi_results(current half-year): the first call (cold caches) and the median of warm calls; next to
    it the floor: one GROUP BY over the same half-year's answers, the least a report could read."""
    from sqlalchemy import func, select, text

    from surveys.extensions import db
    from surveys.models import Response
    from surveys.services.reports import kpi_results

    period = current_half_year()
    first = timed(lambda: kpi_results(period), 1)[0]
    warm = timed(lambda: kpi_results(period), args.repeat)
    floor_sql = text("SELECT item, COALESCE(CAST(value AS VARCHAR), code), COUNT(*) FROM answer "
                     "WHERE half_year = :period AND text IS NULL GROUP BY 1, 2")
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
    """The floor of a raw export: every stored answer row read by the bare driver through a server-side
    cursor and written by the csv module, no pivot, no app code."""
    from sqlalchemy import text

    from surveys.extensions import db

    began = time.perf_counter()
    connection = db.engine.connect().execution_options(stream_results=True, yield_per=5000)
    result = connection.execute(text("SELECT response_id, item, value, code, text FROM answer"))
    rows = 0
    with open(os.devnull, "w", newline="") as sink:
        writer = csv.writer(sink)
        for partition in result.partitions():
            writer.writerows(partition)
            rows += len(partition)
    connection.close()
    return {"seconds": round(time.perf_counter() - began, 2), "answer_rows": rows,
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def task_idle(args) -> dict:
    """The app created and nothing done: the memory every process of it starts with."""
    from surveys import exports  # noqa: F401  (the export's own imports, so only the work differs)

    return {"peak_rss_mb": round(peak_rss_mb(), 1)}


TASKS = {"prepare": task_prepare, "report": task_report, "chart": task_chart, "export": task_export,
         "export-floor": task_export_floor, "idle": task_idle}


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

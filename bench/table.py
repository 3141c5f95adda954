"""The one table the benchmark prints, the machine it ran on, and bench/results.md."""

import hashlib
import os
import platform
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .servers import ROOT


@dataclass
class Row:
    what: str
    measured: str
    baseline: str = ""  # the same-run baseline this row is read against
    ratio: str = ""
    budget: str = "—"
    met: bool | None = None  # None: no budget for this row

    def cells(self) -> list[str]:
        met = {True: "yes", False: "**no**", None: "—"}[self.met]
        return [self.what, self.measured, self.baseline or "—", self.ratio or "—", self.budget, met]


HEADER = ["what", "measured", "baseline (same run)", "ratio", "budget (DESIGN §9)", "met"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


class LoadSampler:
    """The machine is shared: the 1-minute load average every few seconds, and the share of CPU time the
    whole machine was busy, so a reader can tell a quiet run from a noisy one."""

    def __init__(self, every: float = 5.0):
        self.samples: list[float] = []
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu_start = _cpu_times()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(self.every)

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        busy = _busy_share(self._cpu_start, _cpu_times())
        if not self.samples:
            return "no samples"
        mean = sum(self.samples) / len(self.samples)
        return (f"load average (1 min) during the run: min {min(self.samples):.1f}, mean {mean:.1f}, "
                f"max {max(self.samples):.1f} over {len(self.samples)} samples; all CPUs busy "
                f"{100 * busy:.0f} % of the time (this benchmark and everything else on the machine)")


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def cpu_busy_during(action):
    """Run action(); return (its result, the machine's CPU busy share meanwhile)."""
    before = _cpu_times()
    result = action()
    return result, _busy_share(before, _cpu_times())


def machine(postgres_version: str | None, workers: int) -> list[str]:
    """What the numbers were measured on."""
    memory = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    gunicorn = _version("gunicorn")
    lines = [
        f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; commit {git_head()}; code fingerprint "
        f"{code_fingerprint()} (surveys/ and migrations/ on disk)",
        f"CPU: {os.cpu_count()} × {model} (nproc {len(os.sched_getaffinity(0))}); memory {memory}; "
        f"{platform.system()} {platform.release()}",
        f"load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in os.getloadavg())}",
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"PostgreSQL {postgres_version or 'not used'}; gunicorn {gunicorn}, {workers} sync workers",
    ]
    return lines


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def git_head() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "unknown"


def code_fingerprint() -> str:
    """A digest of the app's code and migrations as they are on disk, committed or not: other developers
    work in the same tree, and a run must be able to tell that the code changed under it."""
    digest = hashlib.sha256()
    for folder in ("surveys", "migrations"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def write_results(path: Path, title: str, machine_lines: list[str], rows: list[Row], notes: list[str]) -> str:
    text = "\n".join([
        f"# {title}", "",
        "Produced by `make bench` (`python -m bench`); every ratio compares with a baseline measured in the "
        "same run, because the machine is shared and absolute numbers move.", "",
        "## Machine", "", *[f"- {line}" for line in machine_lines], "",
        "## Results", "", markdown(rows), "",
        "## Notes", "", *[f"- {note}" for note in notes], "",
    ])
    path.write_text(text)
    return text

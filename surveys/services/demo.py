"""Realistic demonstration data: rounds and responses over the last four half-years.

The figures are drawn from skewed grade distributions like real satisfaction data (many 7s and 8s, a
tail of low grades), with the levels moving a little between half-years, so trends and verdicts of
every kind appear. The gemeente group is small by nature and falls below its minimum n (3) in one
half-year, so suppression shows too. Same seed, same data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ..answers import AnswerValue
from ..periods import Period, half_year_of
from ..questionnaires import Questionnaire, load_questionnaires
from .questionnaires import current_version, seed
from .responses import NewResponse, store_many
from .rounds import create_round

HALF_YEARS = 4
# Realistic group sizes per half-year; the cliënten take whatever the requested total leaves.
GROUP_SIZES = {"partner": (24, 31, 18, 27), "gemeente": (4, 2, 5, 3), "medewerker": (44, 51, 38, 47)}
POPULATIONS = {"client": 420, "partner": 45, "gemeente": 6, "medewerker": 58}
# Centre of the grade distribution per questionnaire and half-year (oldest first).
GRADE_LEVEL = {"client": (7.4, 7.6, 7.3, 7.7), "partner": (7.0, 7.3, 6.8, 7.4),
               "gemeente": (6.9, 7.2, 7.6, 7.1), "medewerker": (6.6, 6.9, 7.2, 7.0)}
OPEN_TEXTS = (
    "Ik had graag sneller antwoord gehad op mijn vraag.",
    "Fijn dat er echt naar mij werd geluisterd.",
    "Meer contact tussen de hulpverleners zou helpen.",
    "Het duurde lang voordat er iemand langs kwam.",
    "Duidelijke afspraken, dat werkte goed.",
    "Bereikbaarheid per telefoon kan beter.",
)
BATCH = 5000


@dataclass(frozen=True)
class DemoPlan:
    periods: tuple[Period, ...]
    counts: dict[str, tuple[int, ...]]

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.counts.values())


def plan(total: int, today: date) -> DemoPlan:
    """How many responses of each questionnaire fall in each of the last four half-years."""
    periods = [half_year_of(today)]
    while len(periods) < HALF_YEARS:
        periods.insert(0, periods[0].previous())
    others = dict(GROUP_SIZES)
    fixed = sum(sum(sizes) for sizes in others.values())
    if fixed * 2 > total:  # a small demo keeps the same shape, scaled down
        scale = total / (fixed * 2)
        others = {key: tuple(max(1, round(n * scale)) for n in sizes) for key, sizes in others.items()}
        fixed = sum(sum(sizes) for sizes in others.values())
        if fixed > total - HALF_YEARS:  # too small for a response in every group: some rounds stay empty
            others = {key: tuple(round(n * scale) for n in sizes) for key, sizes in GROUP_SIZES.items()}
            fixed = sum(sum(sizes) for sizes in others.values())
    client_total = max(0, total - fixed)
    weights = np.array([0.22, 0.26, 0.24, 0.28])
    client = np.floor(weights * client_total).astype(int)
    client[-1] += client_total - client.sum()
    return DemoPlan(tuple(periods), {"client": tuple(int(n) for n in client), **others})


def _grades(rng: np.random.Generator, level: float, size: int) -> np.ndarray:
    """Left-skewed whole grades 1-10 around `level`: 10 minus a gamma-distributed shortfall."""
    shortfall = rng.gamma(shape=2.2, scale=(10.5 - level) / 2.2, size=size)
    return np.clip(np.rint(10.5 - shortfall), 1, 10).astype(int)


def _agree(rng: np.random.Generator, level: float, size: int) -> np.ndarray:
    # Map the grade level onto the 5-point scale's usual positive lean.
    p_top = min(0.9, max(0.4, (level - 5.0) / 3.0))
    choices = rng.random(size)
    return np.where(choices < p_top * 0.45, 5, np.where(choices < p_top, 4,
                    np.where(choices < p_top + 0.15, 3, np.where(choices < 0.97, 2, 1))))


def _days(rng: np.random.Generator, period: Period, today: date, size: int) -> list[date]:
    last = min(period.end, today)
    span = (last - period.start).days + 1
    offsets = rng.integers(0, span, size=size)
    return [period.start + timedelta(days=int(offset)) for offset in offsets]


def _responses(rng, questionnaire: Questionnaire, level: float, days: list[date],
               round_id: int) -> list[NewResponse]:
    size = len(days)
    columns: dict[str, list] = {}
    for item in questionnaire.items:
        if item.type == "grade":
            values = _grades(rng, level, size).tolist()
            missing = rng.random(size)
            nvt_share = 0.2 if "nvt" in item.missing else 0.0
            columns[item.key] = [
                AnswerValue(item.key, code="nvt") if m < nvt_share else
                AnswerValue(item.key, code="weet_niet") if m < nvt_share + 0.03 else
                AnswerValue(item.key, value=v) for v, m in zip(values, missing, strict=True)]
        elif item.type == "agree":
            values = _agree(rng, level, size).tolist()
            missing = rng.random(size)
            columns[item.key] = [AnswerValue(item.key, code="weet_niet") if m < 0.04 else
                                 AnswerValue(item.key, value=v) for v, m in zip(values, missing, strict=True)]
        elif item.type == "choice":
            codes = [option.code for option in item.options] + list(item.missing)
            if item.key == "C4":
                probabilities = np.array([0.62, 0.27, 0.11] + [0.0] * len(item.missing))
            else:
                probabilities = np.ones(len(codes))
            picks = rng.choice(len(codes), size=size, p=probabilities / probabilities.sum())
            skipped = rng.random(size) < (0.15 if item.background else 0.0)
            columns[item.key] = [None if s else AnswerValue(item.key, code=codes[p])
                                 for p, s in zip(picks.tolist(), skipped, strict=True)]
        else:
            picks = rng.integers(0, len(OPEN_TEXTS), size=size).tolist()
            written = rng.random(size) < 0.25
            columns[item.key] = [AnswerValue(item.key, text=OPEN_TEXTS[p]) if w else None
                                 for p, w in zip(picks, written, strict=True)]
    rows = zip(*columns.values(), strict=True)
    return [NewResponse(day, tuple(a for a in row if a is not None), round_id)
            for day, row in zip(days, rows, strict=True)]


def fill(total: int, *, seed_value: int = 2026, today: date | None = None,
         progress: Callable[[int], None] = lambda n: None) -> DemoPlan:
    """Create the demo rounds and responses; calls `progress(n)` after each stored batch of n."""
    today = today or date.today()
    seed()
    rng = np.random.default_rng(seed_value)
    demo = plan(total, today)
    questionnaires = load_questionnaires()
    for key, counts in demo.counts.items():
        version = current_version(key)
        for index, (period, count) in enumerate(zip(demo.periods, counts, strict=True)):
            round_ = create_round(key, str(period), opens_on=period.start, closes_on=period.end,
                                  population=max(POPULATIONS[key], count) if key != "client" else
                                  max(POPULATIONS[key], round(count * 1.6)))
            for start in range(0, count, BATCH):
                size = min(BATCH, count - start)
                days = _days(rng, period, today, size)
                batch = _responses(rng, questionnaires[key], GRADE_LEVEL[key][index], days, round_.id)
                store_many(version, batch, channel="code" if key != "client" else "open")
                progress(size)
    return demo


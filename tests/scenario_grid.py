"""The scenario grid of DESIGN.md section 5: how often a mean-grade method covers the true mean and how often
it says ``boven_norm`` when the truth is exactly on the norm, for skewed 1-10 grades.

Each cell draws ``reps`` judged half-years of ``n`` answers (multinomial counts, so only the integer sums
reach the method, as in the service) and, for the histories, three earlier half-years of 30 answers each.
The method under test is a callable ``(GradeAggregate, previous aggregates) → MeanResult``; the test suite
runs the service's own, ``python -m tests.scenario_grid`` prints the table the README shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from surveys.scoring import means

GRADES = np.arange(1, 11)
NORM_VALUE = 7


def _pmf(text: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(p) for p in text.split())


# Left-skewed distributions with a mean of exactly 7 (checked in the tests), from the statistics audit.
ALIKE = _pmf(".01 .01 .04 .04 .07 .10 .26 .34 .10 .03")  # SD 1.73: the usual half-year
CALM = _pmf(".001 .0043 .0086 .0218 .0513 .1932 .363 .2959 .0555 .0054")  # SD 1.20
POLARISED = _pmf(".0204 .0343 .0495 .0541 .068 .08 .1339 .3116 .186 .0622")  # SD 2.20
# Mean exactly 7.4, SD 1.62: the power check.
GOOD = _pmf(".005 .005 .03 .03 .05 .08 .205 .395 .15 .05")


@dataclass(frozen=True)
class Scenario:
    name: str
    now: tuple[Fraction, ...]
    earlier: tuple[Fraction, ...] | None  # None: no history


SCENARIOS = (
    Scenario("no earlier half-years", ALIKE, None),
    Scenario("no earlier half-years, polarised now (SD 2.2)", POLARISED, None),
    Scenario("three alike earlier half-years", ALIKE, ALIKE),
    Scenario("earlier SD smaller (1.2, now 2.2)", POLARISED, CALM),
    Scenario("earlier SD larger (2.2, now 1.2)", CALM, POLARISED),
)
SIZES = (5, 10, 30, 100)
EARLIER_HALF_YEARS, EARLIER_N = 3, 30
SEED = 20261201


@dataclass(frozen=True)
class Cell:
    scenario: str
    n: int
    coverage: float
    false_above: float
    no_interval: float


def _sums(rng: np.random.Generator, pmf: Sequence[Fraction], n: int, reps: int) -> np.ndarray:
    counts = rng.multinomial(n, [float(p) for p in pmf], size=reps)
    return np.stack([counts @ GRADES, counts @ (GRADES * GRADES)], axis=1)


def draw(scenario: Scenario, n: int, reps: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(Σx, Σx²) of ``reps`` judged half-years, and of each earlier half-year (empty without history)."""
    rng = np.random.default_rng([seed, n, sum(ord(c) for c in scenario.name)])
    now = _sums(rng, scenario.now, n, reps)
    earlier = ([_sums(rng, scenario.earlier, EARLIER_N, reps) for _ in range(EARLIER_HALF_YEARS)]
               if scenario.earlier is not None else [])
    return now, earlier


def scalar_results(method: Callable, aggregate: Callable, n: int, now: np.ndarray, earlier: list[np.ndarray],
                   reps: int) -> list:
    """The first ``reps`` draws through ``method(aggregate, previous aggregates) → MeanResult``."""
    results = []
    for i in range(reps):
        previous = [aggregate(EARLIER_N, int(e[i, 0]), int(e[i, 1])) for e in earlier]
        results.append(method(aggregate(n, int(now[i, 0]), int(now[i, 1])), previous))
    return results


def vector_bounds(n: int, now: np.ndarray, earlier: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every draw at once through the service's own arithmetic: ``reference_from_pool`` and ``t_interval``
    of surveys.scoring.means, bounds cut off at the grade scale as ``grade_result`` does."""
    squares = (n * now[:, 1] - now[:, 0] ** 2) / n
    pooled_df = sum(EARLIER_N - 1 for _ in earlier)
    pooled_squares = sum(((EARLIER_N * e[:, 1] - e[:, 0] ** 2) / EARLIER_N for e in earlier), np.zeros(len(now)))
    reference = means.reference_from_pool(pooled_df, pooled_squares)
    low, high, *_ = means.t_interval(n, now[:, 0] / n, squares, reference)
    return np.maximum(low, means.GRADE_SCALE[0]), np.minimum(high, means.GRADE_SCALE[1])


def rates(scenario: Scenario, n: int, low: Sequence[float | None], high: Sequence[float | None], above,
          true_mean: float = NORM_VALUE) -> Cell:
    """Coverage and the share judged ``boven_norm``; a draw without an interval covers nothing."""
    covered = sum(lo is not None and lo <= true_mean <= hi for lo, hi in zip(low, high, strict=True))
    without = sum(lo is None for lo in low)
    return Cell(scenario.name, n, covered / len(low), sum(above) / len(low), without / len(low))


def scalar_cell(method: Callable, aggregate: Callable, scenario: Scenario, n: int, reps: int,
                seed: int = SEED, true_mean: float = NORM_VALUE) -> Cell:
    now, earlier = draw(scenario, n, reps, seed)
    results = scalar_results(method, aggregate, n, now, earlier, reps)
    return rates(scenario, n, [r.ci_low for r in results], [r.ci_high for r in results],
                 [r.verdict == "boven_norm" for r in results], true_mean)


def vector_cell(scenario: Scenario, n: int, reps: int, seed: int = SEED, true_mean: float = NORM_VALUE) -> Cell:
    now, earlier = draw(scenario, n, reps, seed)
    low, high = vector_bounds(n, now, earlier)
    return rates(scenario, n, list(low), list(high), list(low > NORM_VALUE), true_mean)


def grid(reps: int, seed: int = SEED) -> list[Cell]:
    """The service's method over every cell of the grid."""
    return [vector_cell(scenario, n, reps, seed) for scenario in SCENARIOS for n in SIZES]


POWER = Scenario("power", GOOD, ALIKE)


def markdown(cells: list[Cell]) -> str:
    lines = ["| history | n | coverage | false boven norm |", "|---|---|---|---|"]
    for cell in cells:
        lines.append(f"| {cell.scenario} | {cell.n} | {cell.coverage * 100:.1f} % | {cell.false_above * 100:.1f} % |")
    return "\n".join(lines)


if __name__ == "__main__":
    cells = grid(reps=40_000)
    print(markdown(cells))
    worst = min(cells, key=lambda c: c.coverage), max(cells, key=lambda c: c.false_above)
    print("worst coverage", worst[0], "\nworst false boven", worst[1])
    for size in (5, 10, 30, 100):
        print("P(boven) at 7.4, n =", size, vector_cell(POWER, size, 40_000, true_mean=7.4).false_above)

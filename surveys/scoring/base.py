"""Shared parts of the statistics: integer aggregates in, frozen result dataclasses out, the norm, the verdict.

Only the standard library and scipy (with numpy) are imported in this package; a test holds that. Of scipy
only the special functions that scipy.stats itself computes its quantiles with (``stdtrit`` for t.ppf,
``ndtri`` for norm.ppf): scipy.stats would add some 50 MB and 0.3 s to every process that loads the app.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction

from scipy.special import ndtri, stdtrit

ABOVE, BELOW = "boven_norm", "onder_norm"
UNDECIDED, TOO_FEW = "niet_te_onderscheiden", "te_weinig_respons"
RISE, FALL, EQUAL = "stijging", "daling", "gelijk"

DEFAULT_MIN_N = 5
DEFAULT_D0 = 30
INDICATIVE_BELOW_N = 30  # "indicatief" for min_n ≤ n < 30
AGREE_CODES = ("1", "2", "3", "4", "5")
AGREE_HITS = ("4", "5")  # (helemaal) mee eens
GRADE_CODES = tuple(str(grade) for grade in range(1, 11))
NO_ANSWER_CODES = ("weet_niet", "nvt")


# --- inputs ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GradeAggregate:
    """Integer sums of a grade (or 5-point) item over one group: count, Σx and Σx²."""

    n: int
    total: int
    total_sq: int

    def __post_init__(self) -> None:
        # Plain Python ints: numpy int64 would overflow in n·Σx² at a few million responses.
        for name in ("n", "total", "total_sq"):
            object.__setattr__(self, name, operator.index(getattr(self, name)))
        if self.n < 0 or (self.n == 0 and (self.total or self.total_sq)):
            raise ValueError(f"impossible aggregate {self}")
        if self.n * self.total_sq < self.total**2:  # Cauchy-Schwarz: would be a negative variance
            raise ValueError(f"inconsistent aggregate {self}")

    @classmethod
    def from_values(cls, values: Iterable[int]) -> GradeAggregate:
        """Aggregate raw answers (tests, imports); reports get their sums from the database."""
        xs = [operator.index(x) for x in values]
        return cls(len(xs), sum(xs), sum(x * x for x in xs))

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def squares_float(self) -> float:
        """Σ(x − mean)² as a float, from the exact integer numerator: one rounding."""
        return (self.n * self.total_sq - self.total**2) / self.n if self.n else 0.0

    @property
    def squares_about_mean(self) -> Fraction:
        """Σ(x − mean)² = (n·Q − S²)/n, exact: the numerator never leaves the integers."""
        return Fraction(self.n * self.total_sq - self.total**2, self.n) if self.n else Fraction(0)

    @property
    def variance(self) -> float | None:
        """Sample variance (ddof = 1); None below two answers."""
        if self.n < 2:
            return None
        return (self.n * self.total_sq - self.total**2) / (self.n * (self.n - 1))  # int / int: one rounding

    @property
    def sd(self) -> float | None:
        return None if self.variance is None else math.sqrt(self.variance)


@dataclass(frozen=True)
class ShareAggregate:
    """Count of valid answers and of the answers that count as a hit (e.g. C4 "ja")."""

    n: int
    hits: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", operator.index(self.n))
        object.__setattr__(self, "hits", operator.index(self.hits))
        if not 0 <= self.hits <= self.n:
            raise ValueError(f"impossible share aggregate {self}")


@dataclass(frozen=True)
class Norm:
    """A KPI norm such as "> 7" or "> 0.7" (shares are fractions, not percentages)."""

    operator: str
    value: float

    def __post_init__(self) -> None:
        if self.operator not in (">", ">="):
            raise ValueError(f"norm operator must be '>' or '>=', not {self.operator!r}")
        if not math.isfinite(float(self.value)):
            raise ValueError(f"norm value must be finite, not {self.value!r}")

    @functools.cached_property
    def exact(self) -> Fraction:
        # Through str() so that 0.7 means 7/10, not the binary float just below it.
        return Fraction(str(self.value))

    def holds(self, x: float | Fraction) -> bool:
        """Whether a value meets the norm, compared exactly (float against Fraction is exact)."""
        return x > self.exact if self.operator == ">" else x >= self.exact

    def _order(self, total: int, n: int) -> int:
        """The sign of total/n − value, from integers: total·q − p·n for value = p/q."""
        exact = self.exact
        return (total * exact.denominator > exact.numerator * n) - (total * exact.denominator < exact.numerator * n)

    def met_by_sums(self, total: int, n: int) -> bool | None:
        """The descriptive check on exact sums: for '>' that is total > value·n. None without answers."""
        if n <= 0:
            return None
        order = self._order(total, n)
        return order > 0 or (order == 0 and self.operator == ">=")

    def side(self, total: int, n: int) -> str:
        """Where the point estimate lies: "boven", "onder" or "gelijk" (exactly on the norm)."""
        order = self._order(total, n)
        return "boven" if order > 0 else "onder" if order < 0 else "gelijk"


# --- results ---------------------------------------------------------------------------------------------

def _json_value(value: object) -> object:
    if isinstance(value, Norm):
        return {"operator": value.operator, "value": float(value.value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    return value


class _JsonResult:
    def to_dict(self) -> dict[str, object]:
        """JSON-safe values: mappings as dicts, tuples as lists, and never NaN or inf."""
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class KpiResult(_JsonResult):
    """What mean and share KPIs have in common. Figures are None when suppressed or not computable."""

    n: int
    norm: Norm
    verdict: str  # boven_norm | onder_norm | niet_te_onderscheiden | te_weinig_respons
    suppressed: bool
    method: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    meets_norm: bool | None = None  # the exact descriptive check on the sums
    side: str | None = None  # boven | onder | gelijk: where the point estimate lies
    indicative: bool = False
    population: int | None = None
    response_rate: float | None = None
    # census | n_exceeds_population | zero_spread | single_response | clipped_to_scale
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeanResult(KpiResult):
    """A mean-grade KPI; method t | t-moderated | t-fpc | t-moderated-fpc | descriptive."""

    mean: float | None = None
    sd: float | None = None  # the group's own sample SD
    interval_sd: float | None = None  # the SD behind the interval: moderated, or the own SD where larger
    se: float | None = None
    df: int | None = None


@dataclass(frozen=True)
class ShareResult(KpiResult):
    """A share KPI; method wilson | wilson-fpc | descriptive."""

    hits: int | None = None
    share: float | None = None


@dataclass(frozen=True)
class TrendResult(_JsonResult):
    """Change since the previous period (current − previous) with its interval: Welch for means,
    Newcombe's hybrid score interval for shares (then the estimates are shares, 0-1)."""

    current_n: int
    previous_n: int
    difference: float
    verdict: str  # stijging | daling | niet_te_onderscheiden | gelijk (two censuses, equal figures)
    method: str  # welch | welch-fpc | newcombe | newcombe-fpc | descriptive
    current_mean: float | None = None
    previous_mean: float | None = None
    current_share: float | None = None
    previous_share: float | None = None
    se: float | None = None
    df: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class GradeDistribution(_JsonResult):
    """How often each answer was given; weet_niet/nvt are kept out of n. All but n hidden when suppressed."""

    n: int
    suppressed: bool
    distribution: Mapping[str, int] | None = None
    weet_niet: int | None = None
    nvt: int | None = None


@dataclass(frozen=True)
class AgreeSummary(GradeDistribution):
    """A 5-point agree item: the share (helemaal) mee eens (4 or 5) with its Wilson interval."""

    agree: int | None = None
    share: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    method: str | None = None


# --- shared steps ----------------------------------------------------------------------------------------

def _check(min_n: int, confidence: float = 0.95, population: int | None = None,
           responses: int | None = None) -> None:
    if responses is not None and operator.index(responses) < 0:
        raise ValueError("responses must be a count or None")
    if operator.index(min_n) < 1:
        raise ValueError("min_n must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if population is not None and operator.index(population) < 1:
        raise ValueError("population must be a positive count or None")


@functools.lru_cache(maxsize=4096)
def _t_quantile(confidence: float, df: float) -> float:
    # Cached: the quantile is most of the cost of a result, and a report repeats the same few df values.
    return float(stdtrit(df, 0.5 + confidence / 2))


@functools.lru_cache(maxsize=16)
def _z_quantile(confidence: float) -> float:
    return float(ndtri(0.5 + confidence / 2))


def _interval_verdict(low: float, high: float, norm: Norm) -> str:
    if norm.holds(low):
        return ABOVE  # every value in the interval meets the norm
    if not norm.holds(high):
        return BELOW  # no value in the interval meets it
    return UNDECIDED


def _frame(n: int, norm: Norm, population: int | None, confidence: float, responses: int | None) -> dict:
    """The fields every KPI result carries, suppressed or not. No response rate above 100 %: more
    responses than the population is a data problem, not a rate."""
    counted = n if responses is None else max(n, responses)
    rate = None if population is None or counted > population else counted / population
    return dict(n=n, norm=norm, confidence=confidence, population=population, response_rate=rate)


def _described(total: int, n: int, norm: Norm, min_n: int) -> dict:
    """The descriptive fields of a result that passed the minimum n."""
    return dict(suppressed=False, meets_norm=norm.met_by_sums(total, n), side=norm.side(total, n),
                indicative=min_n <= n < INDICATIVE_BELOW_N)


def _coverage(n: int, population: int | None, responses: int | None) -> str | None:
    """"census" when everyone responded, "n_exceeds_population" when more did than there are, else None.

    Decided on responses: a person who answered "weet ik niet" to the item was still asked, so 30 of
    30 staff with three "weet ik niet" is a census of the 27 opinions, not a sample of them.
    """
    if population is None:
        return None
    counted = n if responses is None else max(n, responses)
    if counted > population:
        return "n_exceeds_population"
    return "census" if counted == population else None


def _without_sampling(state: str, meets_norm: bool | None) -> dict:
    """Verdict fields for a census (the exact comparison) or for n > N (a data problem: no verdict)."""
    if state == "census":
        return dict(verdict=ABOVE if meets_norm else BELOW, method="descriptive", notes=("census",))
    # The population count is out of date or the rounds are mixed up: nothing about the norm can be said.
    return dict(verdict=UNDECIDED, method="descriptive", notes=("n_exceeds_population",), meets_norm=None,
                side=None)


def _clip(low: float, high: float, scale: tuple[float, float] | None) -> tuple[float, float, tuple[str, ...]]:
    """Bounds inside the scale; a note says when the interval was cut off (coverage is unchanged)."""
    if scale is None or (scale[0] <= low and high <= scale[1]):
        return low, high, ()
    return max(low, scale[0]), min(high, scale[1]), ("clipped_to_scale",)

"""KPI statistics from integer aggregates: pure functions, frozen dataclasses in and out.

Everything starts from what the database sums exactly: ``n``, ``Σx`` and ``Σx²`` for a grade item, ``n``
and the hits for a share. Methods and evidence: ``shared/reference/statistics.md``; rules: DESIGN.md §5.
Choices made here:

- The SD is moderated towards the reference SD at every n, not only below 30 as DESIGN.md §5 has it:
  plain t at n = 30 still gives about 5 % false ``boven_norm`` on skewed grades (the tests allow 3.5 %),
  and at large n the group's own SD dominates anyway. ``moderate_below=30`` restores the literal rule.
- ``boven_norm`` means the whole 95 % interval meets the norm, ``onder_norm`` that the whole interval fails
  it, judged with the norm's own operator: for ``> 7`` an upper bound of exactly 7 already fails.
- A sample without spread (s = 0, or n = 1) and no reference SD claims no certainty: no interval and
  ``niet_te_onderscheiden`` (scipy would report an infinite t and p = 0).
- A census (n ≥ N) needs no inference: no interval, method ``descriptive``, and the verdict is the exact
  comparison (``boven_norm`` when the norm is met, else ``onder_norm``); n > N is flagged in ``notes``.
- Shares get no finite-population correction: Wilson without it is conservative, and share KPIs describe
  a process rather than a fixed population (statistics.md §1.6).
- Below the minimum n a result carries no figure at all, not even ``meets_norm``.

Only the standard library and scipy (with numpy) are imported; a test holds that. Of scipy only the
special functions that scipy.stats itself computes these quantiles with (``stdtrit`` for t.ppf, ``ndtri``
for norm.ppf): scipy.stats would add some 50 MB and 0.3 s to every process that loads the app.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from types import MappingProxyType

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

    @property
    def exact(self) -> Fraction:
        # Through str() so that 0.7 means 7/10, not the binary float just below it.
        return Fraction(str(self.value))

    def holds(self, x: float | Fraction) -> bool:
        """Whether a value meets the norm, compared exactly (float against Fraction is exact)."""
        return x > self.exact if self.operator == ">" else x >= self.exact

    def met_by_sums(self, total: int, n: int) -> bool | None:
        """The descriptive check on exact sums: for '>' that is total > value·n. None without answers."""
        return self.holds(Fraction(total, n)) if n > 0 else None

    def side(self, total: int, n: int) -> str:
        """Where the point estimate lies: "boven", "onder" or "gelijk" (exactly on the norm)."""
        point = Fraction(total, n)
        return "boven" if point > self.exact else "onder" if point < self.exact else "gelijk"


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
    notes: tuple[str, ...] = ()  # census | n_exceeds_population | zero_spread | single_response


@dataclass(frozen=True)
class MeanResult(KpiResult):
    """A mean-grade KPI; method t | t-moderated | t-fpc | t-moderated-fpc | descriptive."""

    mean: float | None = None
    sd: float | None = None  # the group's own sample SD
    interval_sd: float | None = None  # the SD behind the interval (moderated when a reference is given)
    se: float | None = None
    df: int | None = None


@dataclass(frozen=True)
class ShareResult(KpiResult):
    """A share KPI; method wilson | descriptive."""

    hits: int | None = None
    share: float | None = None


@dataclass(frozen=True)
class TrendResult(_JsonResult):
    """Change of a mean since the previous period (current − previous) with its Welch interval."""

    current_n: int
    previous_n: int
    current_mean: float
    previous_mean: float
    difference: float
    verdict: str  # stijging | daling | niet_te_onderscheiden | gelijk (two censuses, equal means)
    method: str  # welch | welch-fpc | descriptive
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

def _check(min_n: int, confidence: float = 0.95, population: int | None = None) -> None:
    if operator.index(min_n) < 1:
        raise ValueError("min_n must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if population is not None and operator.index(population) < 1:
        raise ValueError("population must be a positive count or None")


@functools.lru_cache(maxsize=1024)
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


def _frame(n: int, norm: Norm, population: int | None, confidence: float) -> dict:
    """The fields every KPI result carries, suppressed or not."""
    rate = None if population is None else n / population
    return dict(n=n, norm=norm, confidence=confidence, population=population, response_rate=rate)


def _described(total: int, n: int, norm: Norm, min_n: int) -> dict:
    """The descriptive fields of a result that passed the minimum n."""
    return dict(suppressed=False, meets_norm=norm.met_by_sums(total, n), side=norm.side(total, n),
                indicative=min_n <= n < INDICATIVE_BELOW_N)


def _is_census(n: int, population: int | None) -> bool:
    return population is not None and n >= population


def _census(n: int, population: int, meets_norm: bool) -> dict:
    """Verdict fields for a census, which has no sampling error."""
    # n > N means the headcount is out of date; the result is still shown, but flagged.
    notes = ("census",) if n == population else ("census", "n_exceeds_population")
    return dict(verdict=ABOVE if meets_norm else BELOW, method="descriptive", notes=notes)


# --- means -----------------------------------------------------------------------------------------------

def pooled_sd(aggregates: Iterable[GradeAggregate], *, min_df: int = DEFAULT_D0) -> float | None:
    """Reference SD of an item: the within-group variance Σ(n_i−1)s_i² / Σ(n_i−1), pooled.

    Feed it the item's groups over the last four half-years. None with fewer than ``min_df`` pooled
    degrees of freedom (a reference weighted as d0 = 30 should rest on at least that many) or zero spread.
    """
    aggregates = list(aggregates)
    df = sum(max(agg.n - 1, 0) for agg in aggregates)
    squares = sum((agg.squares_about_mean for agg in aggregates), Fraction(0))
    return math.sqrt(squares / df) if df >= max(min_df, 1) and squares > 0 else None


def _spread(agg: GradeAggregate, reference_sd: float | None, d0: int,
            moderate_below: int | None) -> tuple[float, int, bool] | None:
    """(variance, df, moderated) behind the interval, or None when the data cannot carry an interval."""
    if reference_sd is not None and (moderate_below is None or agg.n < moderate_below):
        # A small sample that misses the rare low grades has a high mean *and* a small SD, so the plain
        # t-interval claims "boven_norm" far too often; shrinking towards the reference SD prevents that.
        own = float(agg.squares_about_mean)  # (n − 1)·s², exact; 0 for a single answer
        return (d0 * reference_sd**2 + own) / (d0 + agg.n - 1), d0 + agg.n - 1, True
    if agg.n < 2 or agg.variance == 0:
        return None
    return agg.variance, agg.n - 1, False


def mean_result(agg: GradeAggregate, norm: Norm, *, min_n: int, population: int | None = None,
                reference_sd: float | None = None, d0: int = DEFAULT_D0, confidence: float = 0.95,
                moderate_below: int | None = None) -> MeanResult:
    """Mean-grade KPI with a two-sided t-interval: SD moderated with a ``reference_sd``, FPC with N."""
    _check(min_n, confidence, population)
    if reference_sd is not None and not (math.isfinite(reference_sd) and reference_sd > 0):
        raise ValueError("reference_sd must be a positive finite number or None")
    if operator.index(d0) < 1:
        raise ValueError("d0 must be at least 1")
    n = agg.n
    base = _frame(n, norm, population, confidence)
    if n < min_n:
        return MeanResult(verdict=TOO_FEW, suppressed=True, **base)
    base |= _described(agg.total, n, norm, min_n) | dict(mean=agg.mean, sd=agg.sd)
    if _is_census(n, population):
        return MeanResult(**_census(n, population, base["meets_norm"]), **base)
    spread = _spread(agg, reference_sd, d0, moderate_below)
    if spread is None:
        note = "single_response" if n == 1 else "zero_spread"
        return MeanResult(verdict=UNDECIDED, method="descriptive", notes=(note,), **base)

    variance, df, moderated = spread
    fpc = 1.0 if population is None else 1 - n / population
    se = math.sqrt(variance / n * fpc)
    half_width = _t_quantile(confidence, df) * se
    low, high = agg.total / n - half_width, agg.total / n + half_width
    method = "t" + ("-moderated" if moderated else "") + ("-fpc" if population is not None else "")
    return MeanResult(verdict=_interval_verdict(low, high, norm), method=method,
                      interval_sd=math.sqrt(variance), se=se, df=df, ci_low=low, ci_high=high, **base)


# --- shares ----------------------------------------------------------------------------------------------

def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided Wilson score interval, as scipy's ``binomtest(k, n).proportion_ci(method='wilson')``."""
    if n < 1:
        raise ValueError("a Wilson interval needs at least one answer")
    z = _z_quantile(confidence)
    p = hits / n
    denominator = 2 * (n + z * z)
    centre = (2 * n * p + z * z) / denominator
    delta = z / denominator * math.sqrt(4 * n * p * (1 - p) + z * z)
    # At 0 and at n hits the bound is exactly 0 or 1; the formula would leave a rounding crumb.
    return (0.0 if hits == 0 else centre - delta), (1.0 if hits == n else centre + delta)


def share_result(agg: ShareAggregate, norm: Norm, *, min_n: int, population: int | None = None,
                 confidence: float = 0.95) -> ShareResult:
    """Share KPI with a Wilson interval; the verdict compares the interval with the norm."""
    _check(min_n, confidence, population)
    n = agg.n
    base = _frame(n, norm, population, confidence)
    if n < min_n:
        return ShareResult(verdict=TOO_FEW, suppressed=True, **base)
    base |= _described(agg.hits, n, norm, min_n) | dict(hits=agg.hits, share=agg.hits / n)
    if _is_census(n, population):
        return ShareResult(**_census(n, population, base["meets_norm"]), **base)
    low, high = wilson_interval(agg.hits, n, confidence)
    return ShareResult(verdict=_interval_verdict(low, high, norm), method="wilson",
                       ci_low=low, ci_high=high, **base)


# --- trend -----------------------------------------------------------------------------------------------

def _welch_term(agg: GradeAggregate, population: int | None) -> float:
    """f·s²/n, the period's share of the variance of the difference (f = 1 − n/N, or 1)."""
    fpc = 1.0 if population is None else max(1 - agg.n / population, 0.0)
    return fpc * agg.variance / agg.n


def trend(current: GradeAggregate, previous: GradeAggregate, *, current_population: int | None = None,
          previous_population: int | None = None, confidence: float = 0.95,
          min_n: int = DEFAULT_MIN_N) -> TrendResult | None:
    """Welch interval of the current minus the previous mean; None if either period is under min_n or 2.

    The trend has its own ``min_n`` because a difference shown next to one mean would reveal the other.
    """
    _check(min_n, confidence, current_population)
    _check(min_n, confidence, previous_population)
    if min(current.n, previous.n) < max(min_n, 2):
        return None
    a_cur, a_prev = _welch_term(current, current_population), _welch_term(previous, previous_population)
    difference = current.total / current.n - previous.total / previous.n
    base = dict(current_n=current.n, previous_n=previous.n, current_mean=current.mean,
                previous_mean=previous.mean, difference=difference, confidence=confidence)
    if a_cur + a_prev == 0:
        if not (_is_census(current.n, current_population) and _is_census(previous.n, previous_population)):
            return TrendResult(verdict=UNDECIDED, method="descriptive", **base)  # zero spread: no claim
        order = current.total * previous.n - previous.total * current.n  # exact: cross-multiplied sums
        verdict = RISE if order > 0 else FALL if order < 0 else EQUAL
        return TrendResult(verdict=verdict, method="descriptive", **base)

    se = math.sqrt(a_cur + a_prev)
    df = (a_cur + a_prev) ** 2 / (a_cur**2 / (current.n - 1) + a_prev**2 / (previous.n - 1))
    half_width = _t_quantile(confidence, df) * se
    low, high = difference - half_width, difference + half_width
    verdict = RISE if low > 0 else FALL if high < 0 else UNDECIDED
    uses_fpc = current_population is not None or previous_population is not None
    return TrendResult(verdict=verdict, method="welch-fpc" if uses_fpc else "welch",
                       se=se, df=df, ci_low=low, ci_high=high, **base)


# --- suppression in breakdowns ---------------------------------------------------------------------------

def suppress_breakdown(counts: Mapping[str, int], min_n: int) -> frozenset[str]:
    """The groups of a breakdown to hide, so that no group below ``min_n`` can be seen or derived.

    Every group with 0 < n < min_n is hidden. While the hidden groups together hold fewer than ``min_n``
    answers, the smallest visible group is hidden too, or subtracting the visible groups from the total
    would reveal them (complementary suppression). Empty groups are neither hidden nor used as the
    complement: they have no figures, and hiding one would protect nothing.
    """
    _check(min_n)
    hidden = {group for group, n in counts.items() if 0 < n < min_n}
    visible = sorted((n, group) for group, n in counts.items() if n >= min_n)
    while hidden and visible and sum(counts[group] for group in hidden) < min_n:
        hidden.add(visible.pop(0)[1])
    return frozenset(hidden)


# --- item summaries --------------------------------------------------------------------------------------

def _tally(counts: Mapping[int | str, int], codes: tuple[str, ...]) -> dict[str, int]:
    """Counts per answer code (keys may be ints or strings); an unknown code is an error, not a skip."""
    tally = dict.fromkeys(codes + NO_ANSWER_CODES, 0)
    for key, count in counts.items():
        if str(key) not in tally or operator.index(count) < 0:
            raise ValueError(f"bad answer count {key!r}: {count!r}")
        tally[str(key)] += operator.index(count)
    return tally


def _distribution(tally: dict[str, int], codes: tuple[str, ...]) -> dict:
    return dict(suppressed=False, distribution=MappingProxyType({code: tally[code] for code in codes}),
                weet_niet=tally["weet_niet"], nvt=tally["nvt"])


def agree_summary(counts: Mapping[int | str, int], *, min_n: int, confidence: float = 0.95) -> AgreeSummary:
    """Share (helemaal) mee eens with its Wilson interval, and the distribution over codes 1..5."""
    _check(min_n, confidence)
    tally = _tally(counts, AGREE_CODES)
    n = sum(tally[code] for code in AGREE_CODES)
    if n < min_n:
        return AgreeSummary(n=n, suppressed=True)
    agree = sum(tally[code] for code in AGREE_HITS)
    low, high = wilson_interval(agree, n, confidence)
    return AgreeSummary(n=n, agree=agree, share=agree / n, ci_low=low, ci_high=high, method="wilson",
                        **_distribution(tally, AGREE_CODES))


def grade_distribution(counts: Mapping[int | str, int], *, min_n: int) -> GradeDistribution:
    """How often each grade 1..10 was given, plus weet_niet/nvt; only n below ``min_n``."""
    _check(min_n)
    tally = _tally(counts, GRADE_CODES)
    n = sum(tally[code] for code in GRADE_CODES)
    if n < min_n:
        return GradeDistribution(n=n, suppressed=True)
    return GradeDistribution(n=n, **_distribution(tally, GRADE_CODES))

"""Mean grades: the t-interval with an honest SD, the reference SD from earlier half-years, the Welch trend.

The method (DESIGN.md §5, chosen by the scenario-grid simulation in ``tests/scenario_grid.py``, whose
table is in the README):

- The reference SD of an item is pooled over the half-years *before* the one judged, from groups that
  were themselves published (n ≥ min n), and is never below the prior SD of 2.0 for 1-10 grades. With
  fewer than 30 pooled degrees of freedom the prior alone is the reference.
- The group's SD is moderated towards the reference with weight d0 = 30:
  s̃² = (d0·s_ref² + (n − 1)·s²) / (d0 + n − 1), df = d0 + n − 1.
- The SD used is never below the group's own: when s² > s̃² the plain t-interval (df n − 1) is used.
  Moderation may widen an interval, never narrow a polarised half-year's own spread.
- Finite population: SE × √(1 − n/N). Bounds are cut off at the scale (1-10) and a note says so.
- Zero spread (every answer the same) gets the moderated interval like any other group, because the
  prior is always there for grades; only a caller without any reference gets no interval then.

Why the prior and the floor: small samples of skewed grades miss the rare low grades, so they have a
high mean *and* a small SD, and plain t says ``boven_norm`` some 7 % of the time at a true mean of 7.
A reference from calm earlier half-years (SD 1.2) does worse when a polarised half-year follows (13 %).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable

import numpy as np
from scipy.special import stdtrit

from .base import (
    BELOW,
    DEFAULT_D0,
    EQUAL,
    FALL,
    RISE,
    TOO_FEW,
    UNDECIDED,
    GradeAggregate,
    MeanResult,
    Norm,
    TrendResult,
    _check,
    _clip,
    _coverage,
    _described,
    _frame,
    _interval_verdict,
    _t_quantile,
    _without_sampling,
)

PRIOR_SD = 2.0  # the documented prior SD of 1-10 grades, and the floor of the reference
GRADE_SCALE = (1.0, 10.0)
REFERENCE_HALF_YEARS = 3  # the reference pools the three half-years before the one judged

__all__ = ["BELOW", "GRADE_SCALE", "PRIOR_SD", "REFERENCE_HALF_YEARS", "grade_reference_sd", "grade_result",
           "mean_result", "pooled_sd", "reference_from_pool", "t_interval", "trend"]


# --- the reference SD ------------------------------------------------------------------------------------

def pooled_sd(aggregates: Iterable[GradeAggregate], *, min_df: int = DEFAULT_D0) -> float | None:
    """The within-group SD pooled over groups, √(Σ(n_i−1)s_i² / Σ(n_i−1)).

    None with fewer than ``min_df`` pooled degrees of freedom (a reference weighted as d0 = 30 should rest
    on at least that many) or zero spread.
    """
    df, squares = 0, 0.0
    for agg in aggregates:
        df += max(agg.n - 1, 0)
        squares += agg.squares_float
    return math.sqrt(squares / df) if df >= max(min_df, 1) and squares > 0 else None


def reference_from_pool(df, squares, prior_sd: float = PRIOR_SD, min_df: int = DEFAULT_D0):
    """max(prior, pooled SD) where the pool holds ≥ ``min_df`` df, else the prior. Takes numbers or arrays."""
    df, squares = np.asarray(df, dtype=float), np.asarray(squares, dtype=float)
    pooled = np.sqrt(np.divide(squares, df, out=np.zeros_like(squares), where=df > 0))
    return np.where(df >= min_df, np.maximum(pooled, prior_sd), prior_sd)


def grade_reference_sd(previous: Iterable[GradeAggregate], *, min_n: int, prior_sd: float = PRIOR_SD) -> float:
    """The reference SD of a grade item from its groups in the half-years before the one judged.

    Only groups that pass ``min_n`` count: a suppressed group's spread must not be recoverable from a
    published interval. Never below ``prior_sd``.
    """
    published = [agg for agg in previous if agg.n >= min_n]
    df = sum(agg.n - 1 for agg in published)
    squares = sum(agg.squares_float for agg in published)
    return float(reference_from_pool(df, squares, prior_sd))


# --- the interval ----------------------------------------------------------------------------------------

def t_interval(n, mean, squares, reference_sd=None, *, d0: int = DEFAULT_D0, population=None,
               confidence: float = 0.95):
    """(low, high, variance, df, moderated) of the t-interval; numbers or numpy arrays alike.

    ``squares`` is Σ(x − mean)². With a ``reference_sd`` the variance is the moderated one, or the group's
    own where that is larger. The simulation calls this on arrays, ``mean_result`` on one group.
    """
    n = np.asarray(n, dtype=float)
    squares = np.asarray(squares, dtype=float)
    own = np.divide(squares, n - 1, out=np.zeros_like(squares), where=n > 1)
    if reference_sd is None:
        variance, df, moderated = own, n - 1, np.zeros_like(own, dtype=bool)
    else:
        shrunk = (d0 * np.asarray(reference_sd, dtype=float) ** 2 + squares) / (d0 + n - 1)
        moderated = shrunk >= own
        variance = np.where(moderated, shrunk, own)
        df = np.where(moderated, d0 + n - 1, n - 1)
    fpc = 1.0 if population is None else 1 - n / population
    se = np.sqrt(variance / n * fpc)
    half_width = stdtrit(df, 0.5 + confidence / 2) * se
    return mean - half_width, mean + half_width, variance, df, moderated


def mean_result(agg: GradeAggregate, norm: Norm, *, min_n: int, population: int | None = None,
                responses: int | None = None, reference_sd: float | None = None, d0: int = DEFAULT_D0,
                confidence: float = 0.95, moderate_below: int | None = None,
                scale: tuple[float, float] | None = None) -> MeanResult:
    """Mean-grade KPI with a two-sided t-interval: SD moderated with a ``reference_sd`` (never below the
    group's own), FPC with N, bounds cut off at ``scale``. ``responses`` (default n) decides a census."""
    _check(min_n, confidence, population, responses)
    if reference_sd is not None and not (math.isfinite(reference_sd) and reference_sd > 0):
        raise ValueError("reference_sd must be a positive finite number or None")
    if operator.index(d0) < 1:
        raise ValueError("d0 must be at least 1")
    n = agg.n
    base = _frame(n, norm, population, confidence, responses)
    if n < min_n:
        return MeanResult(verdict=TOO_FEW, suppressed=True, **base)
    base |= _described(agg.total, n, norm, min_n) | dict(mean=agg.mean, sd=agg.sd)
    state = _coverage(n, population, responses)
    if state is not None:
        return MeanResult(**(base | _without_sampling(state, base["meets_norm"])))
    if moderate_below is not None and n >= moderate_below:
        reference_sd = None
    if reference_sd is None and (n < 2 or agg.variance == 0):
        # No spread and nothing to moderate with: scipy would say t = inf, p = 0; we claim nothing.
        note = "single_response" if n == 1 else "zero_spread"
        return MeanResult(verdict=UNDECIDED, method="descriptive", notes=(note,), **base)

    low, high, variance, df, moderated = (
        float(x) for x in t_interval(n, agg.total / n, agg.squares_float, reference_sd, d0=d0,
                                     population=population, confidence=confidence))
    low, high, notes = _clip(low, high, scale)
    fpc = 1.0 if population is None else 1 - n / population
    method = "t" + ("-moderated" if moderated else "") + ("-fpc" if population is not None else "")
    return MeanResult(verdict=_interval_verdict(low, high, norm), method=method, notes=notes,
                      interval_sd=math.sqrt(variance), se=math.sqrt(variance / n * fpc), df=int(df),
                      ci_low=low, ci_high=high, **base)


def grade_result(agg: GradeAggregate, norm: Norm, *, previous: Iterable[GradeAggregate], min_n: int,
                 population: int | None = None, responses: int | None = None,
                 confidence: float = 0.95) -> MeanResult:
    """A 1-10 grade KPI as the service reports it: reference from the ``previous`` half-years' groups
    (prior 2.0, never below), moderation d0 = 30, never below the own SD, bounds within 1-10."""
    reference = grade_reference_sd(previous, min_n=min_n)
    return mean_result(agg, norm, min_n=min_n, population=population, responses=responses,
                       reference_sd=reference, confidence=confidence, scale=GRADE_SCALE)


# --- trend -----------------------------------------------------------------------------------------------

def _welch_term(agg: GradeAggregate, population: int | None) -> float:
    """f·s²/n, the period's share of the variance of the difference (f = 1 − n/N, or 1)."""
    fpc = 1.0 if population is None else max(1 - agg.n / population, 0.0)
    return fpc * agg.variance / agg.n


def trend(current: GradeAggregate, previous: GradeAggregate, *, current_population: int | None = None,
          previous_population: int | None = None, confidence: float = 0.95,
          min_n: int = 5) -> TrendResult | None:
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
        censuses = (current_population is not None and current.n >= current_population
                    and previous_population is not None and previous.n >= previous_population)
        if not censuses:
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

"""Shares (C4 "ja", agree items as % (helemaal) eens): Wilson intervals with a finite-population
correction, and the trend of a share by Newcombe's hybrid score interval.

- With a known population N the Wilson score interval uses the variance p(1 − p)/n · (N − n)/(N − 1) of
  sampling without replacement, which is Wilson's formula with n replaced by n·(N − 1)/(N − n). The bounds
  are then intersected with what the population can hold at all: with h hits among n of N, its share lies
  between h/N and (h + N − n)/N. So 15 "ja" of 19 from 20 gives 75 % – 80 %: every possible share.
- A census (every member of the population responded) is exact: no interval.
- Newcombe (1998, method 10): the difference of two shares with the bounds built from each share's own
  Wilson interval; it stays within −1 … 1 and behaves at 0 and 100 %.
"""

from __future__ import annotations

import math

from .base import (
    EQUAL,
    FALL,
    RISE,
    TOO_FEW,
    UNDECIDED,
    Norm,
    ShareAggregate,
    ShareResult,
    TrendResult,
    _check,
    _coverage,
    _described,
    _frame,
    _interval_verdict,
    _without_sampling,
    _z_quantile,
)


def wilson_interval(hits: int, n: int, confidence: float = 0.95,
                    population: int | None = None) -> tuple[float, float]:
    """Two-sided Wilson score interval, as scipy's ``binomtest(k, n).proportion_ci(method='wilson')``;
    with a ``population`` (N > n) the finite-population version described in the module docstring."""
    if n < 1:
        raise ValueError("a Wilson interval needs at least one answer")
    if population is not None and population <= n:
        raise ValueError("a finite-population interval needs N > n; n = N is a census")
    z = _z_quantile(confidence)
    p = hits / n
    size = n if population is None else n * (population - 1) / (population - n)
    denominator = 2 * (size + z * z)
    centre = (2 * size * p + z * z) / denominator
    delta = z / denominator * math.sqrt(4 * size * p * (1 - p) + z * z)
    # At 0 and at n hits the bound is exactly 0 or 1; the formula would leave a rounding crumb.
    low, high = (0.0 if hits == 0 else centre - delta), (1.0 if hits == n else centre + delta)
    if population is not None:
        low = max(low, hits / population)
        high = min(high, (hits + population - n) / population)
    return low, high


def share_result(agg: ShareAggregate, norm: Norm, *, min_n: int, population: int | None = None,
                 responses: int | None = None, confidence: float = 0.95) -> ShareResult:
    """Share KPI with a Wilson interval (FPC with N); the verdict compares the interval with the norm."""
    _check(min_n, confidence, population, responses)
    n = agg.n
    base = _frame(n, norm, population, confidence, responses)
    if n < min_n:
        return ShareResult(verdict=TOO_FEW, suppressed=True, **base)
    base |= _described(agg.hits, n, norm, min_n) | dict(hits=agg.hits, share=agg.hits / n)
    state = _coverage(n, population, responses)
    if state is not None:
        return ShareResult(**(base | _without_sampling(state, base["meets_norm"])))
    low, high = wilson_interval(agg.hits, n, confidence, population)
    return ShareResult(verdict=_interval_verdict(low, high, norm),
                       method="wilson-fpc" if population is not None else "wilson",
                       ci_low=low, ci_high=high, **base)


def share_trend(current: ShareAggregate, previous: ShareAggregate, *, current_population: int | None = None,
                previous_population: int | None = None, confidence: float = 0.95,
                min_n: int = 5) -> TrendResult | None:
    """Newcombe's hybrid score interval of the current minus the previous share, with the same three
    outcomes as the mean's trend; None if either period is under ``min_n``."""
    _check(min_n, confidence, current_population)
    _check(min_n, confidence, previous_population)
    if min(current.n, previous.n) < min_n:
        return None
    p1, p2 = current.hits / current.n, previous.hits / previous.n
    base = dict(current_n=current.n, previous_n=previous.n, current_share=p1, previous_share=p2,
                difference=p1 - p2, confidence=confidence)
    census = [pop is not None and agg.n >= pop for agg, pop in
              ((current, current_population), (previous, previous_population))]
    if all(census):
        order = current.hits * previous.n - previous.hits * current.n
        return TrendResult(verdict=RISE if order > 0 else FALL if order < 0 else EQUAL, method="descriptive",
                           **base)
    # A census period contributes no sampling error: its interval is the point itself.
    l1, u1 = (p1, p1) if census[0] else wilson_interval(current.hits, current.n, confidence, current_population)
    l2, u2 = (p2, p2) if census[1] else wilson_interval(previous.hits, previous.n, confidence,
                                                        previous_population)
    low = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = (p1 - p2) + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    verdict = RISE if low > 0 else FALL if high < 0 else UNDECIDED
    uses_fpc = current_population is not None or previous_population is not None
    return TrendResult(verdict=verdict, method="newcombe-fpc" if uses_fpc else "newcombe",
                       ci_low=low, ci_high=high, **base)

"""Suppression in breakdowns and item summaries (distributions, agree shares)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from types import MappingProxyType

from .base import AGREE_CODES, AGREE_HITS, GRADE_CODES, NO_ANSWER_CODES, AgreeSummary, GradeDistribution, _check
from .shares import wilson_interval

# --- suppression in breakdowns ---------------------------------------------------------------------------

def suppress_breakdown(counts: Mapping[str, int], min_n: int, forced=frozenset()) -> frozenset[str]:
    """The groups of a breakdown to hide, so that no group below ``min_n`` can be seen or derived.

    Every group with 0 < n < min_n is hidden, and so is every non-empty group in ``forced`` (hidden in a
    nested table, such as a quarter of this half-year). While the hidden groups together hold fewer than ``min_n``
    answers, the smallest visible group is hidden too, or subtracting the visible groups from the total
    would reveal them (complementary suppression). Empty groups are neither hidden nor used as the
    complement: they have no figures, and hiding one would protect nothing.
    """
    _check(min_n)
    hidden = {group for group, n in counts.items() if 0 < n < min_n or (n > 0 and group in forced)}
    visible = sorted((n, group) for group, n in counts.items() if group not in hidden and n >= min_n)
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

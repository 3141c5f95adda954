"""KPI statistics from integer aggregates: pure functions, frozen dataclasses in and out.

Everything starts from what the database sums exactly: ``n``, ``Σx`` and ``Σx²`` for a grade item, ``n``
and the hits for a share. Methods and evidence: ``shared/reference/statistics.md``; rules: DESIGN.md §5.
The parts: ``base`` (aggregates, norm, results, verdict rules), ``means`` (the grade method, chosen by
simulation), ``shares`` (Wilson with finite-population correction, Newcombe trend), ``summaries`` (item
summaries, suppression in breakdowns) and ``display`` (how many decimals a figure needs).

Rules shared by every KPI:

- ``boven_norm`` means the whole 95 % interval meets the norm, ``onder_norm`` that the whole interval fails
  it, judged with the norm's own operator: for ``> 7`` an upper bound of exactly 7 already fails.
- A census (every member of the population responded, counted in responses, not in item answers) needs no
  inference: no interval, method ``descriptive``, verdict the exact comparison. More responses than the
  population is a data problem: no verdict, no response rate, the note ``n_exceeds_population``.
- Below the minimum n a result carries no figure at all, not even ``meets_norm``.

Only the standard library and scipy (with numpy) are imported anywhere in this package; a test holds that.
"""

from .base import (
    ABOVE,
    AGREE_CODES,
    AGREE_HITS,
    BELOW,
    DEFAULT_D0,
    DEFAULT_MIN_N,
    EQUAL,
    FALL,
    GRADE_CODES,
    INDICATIVE_BELOW_N,
    NO_ANSWER_CODES,
    RISE,
    TOO_FEW,
    UNDECIDED,
    AgreeSummary,
    GradeAggregate,
    GradeDistribution,
    KpiResult,
    MeanResult,
    Norm,
    ShareAggregate,
    ShareResult,
    TrendResult,
    _json_value,
    _JsonResult,
)
from .display import decimals_for
from .means import (
    GRADE_SCALE,
    PRIOR_SD,
    REFERENCE_HALF_YEARS,
    grade_reference_sd,
    grade_result,
    mean_result,
    pooled_sd,
    reference_from_pool,
    t_interval,
    trend,
)
from .shares import share_result, share_trend, wilson_interval
from .summaries import agree_summary, grade_distribution, suppress_breakdown

__all__ = [
    "ABOVE", "AGREE_CODES", "AGREE_HITS", "BELOW", "DEFAULT_D0", "DEFAULT_MIN_N", "EQUAL", "FALL", "GRADE_CODES",
    "GRADE_SCALE", "INDICATIVE_BELOW_N", "NO_ANSWER_CODES", "PRIOR_SD", "REFERENCE_HALF_YEARS", "RISE", "TOO_FEW",
    "UNDECIDED", "AgreeSummary", "GradeAggregate", "GradeDistribution", "KpiResult", "MeanResult", "Norm",
    "ShareAggregate", "ShareResult", "TrendResult", "_JsonResult", "_json_value", "agree_summary",
    "decimals_for", "grade_distribution", "grade_reference_sd", "grade_result", "mean_result", "pooled_sd",
    "reference_from_pool", "share_result", "share_trend", "suppress_breakdown", "t_interval", "trend",
    "wilson_interval",
]

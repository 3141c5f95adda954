"""The statistics core: KPI figures a manager reads, checked against scipy, R `survey` and hand arithmetic."""

import ast
import json
import math
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from surveys.scoring import (
    ABOVE,
    BELOW,
    TOO_FEW,
    UNDECIDED,
    GradeAggregate,
    Norm,
    ShareAggregate,
    agree_summary,
    grade_distribution,
    mean_result,
    pooled_sd,
    share_result,
    suppress_breakdown,
    trend,
)

SCORING_DIR = Path(__file__).resolve().parents[1] / "surveys" / "scoring"
SCORING_MODULES = sorted(SCORING_DIR.glob("*.py"))
ABOVE_7 = Norm(">", 7)
ABOVE_70_PERCENT = Norm(">", 0.7)

grade_lists = st.lists(st.integers(1, 10), min_size=2, max_size=300)


def assert_json_safe(result):
    """What the API and the JSON report do with a result must work: no NaN, no inf."""
    json.dumps(result.to_dict(), allow_nan=False)


# --- agreement with scipy on raw data ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(grade_lists)
def test_mean_interval_from_sums_equals_scipy_on_the_raw_answers(grades):
    assume(len(set(grades)) > 1)  # zero spread deliberately gets no interval (see below)
    result = mean_result(GradeAggregate.from_values(grades), ABOVE_7, min_n=2)
    expected = stats.ttest_1samp(grades, 7).confidence_interval(0.95)
    assert result.method == "t"
    assert result.df == len(grades) - 1
    assert result.ci_low == pytest.approx(expected.low, abs=1e-9)
    assert result.ci_high == pytest.approx(expected.high, abs=1e-9)
    assert result.mean == pytest.approx(np.mean(grades), abs=1e-12)
    assert result.sd == pytest.approx(np.std(grades, ddof=1), abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_share_interval_equals_scipy_wilson(n_and_hits):
    n, hits = n_and_hits
    result = share_result(ShareAggregate(n, hits), ABOVE_70_PERCENT, min_n=1)
    expected = stats.binomtest(hits, n).proportion_ci(0.95, method="wilson")
    assert result.method == "wilson"
    assert result.ci_low == pytest.approx(expected.low, abs=1e-9)
    assert result.ci_high == pytest.approx(expected.high, abs=1e-9)


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, on one zero-spread sample
@settings(max_examples=300, deadline=None)
@given(grade_lists, grade_lists)
def test_trend_interval_equals_scipy_welch(current, previous):
    assume(len(set(current)) > 1 or len(set(previous)) > 1)
    result = trend(GradeAggregate.from_values(current), GradeAggregate.from_values(previous), min_n=2)
    expected = stats.ttest_ind(current, previous, equal_var=False)
    low, high = expected.confidence_interval(0.95)
    assert result.method == "welch"
    assert result.df == pytest.approx(expected.df, rel=1e-9)
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)


def test_worked_examples_from_the_statistics_note():
    grades = [8, 8, 7, 9, 6, 8, 8, 3, 8, 9]  # statistics.md §4: two-sided CI (6.129, 8.671)
    result = mean_result(GradeAggregate.from_values(grades), ABOVE_7, min_n=5)
    assert (round(result.ci_low, 3), round(result.ci_high, 3)) == (6.129, 8.671)
    assert result.verdict == UNDECIDED and result.side == "boven" and result.indicative

    # statistics.md §1.6 and §4: 36/45 → (0.662, 0.891); even 5/5 is not significantly above 70 %.
    share = share_result(ShareAggregate(45, 36), ABOVE_70_PERCENT, min_n=5)
    assert (round(share.ci_low, 3), round(share.ci_high, 3)) == (0.662, 0.891)
    all_yes = share_result(ShareAggregate(5, 5), ABOVE_70_PERCENT, min_n=5)
    assert (round(all_yes.ci_low, 3), all_yes.ci_high) == (0.566, 1.0)
    assert all_yes.verdict == UNDECIDED and all_yes.meets_norm is True


# --- finite population: the R `survey` package's own example ---------------------------------------------


def test_fpc_reproduces_r_survey_fpc_example():
    """`svymean(~x, svydesign(ids=~psuid, strata=~stratid, weights=~weight, fpc=~Nh, data=fpc, nest=TRUE))`.

    R's `fpc` data: stratum 1 samples 5 of Nh = 15, stratum 2 samples 3 of Nh = 12 (weights 3 and 4, so
    each stratum's weights add up to Nh). With those weights the linearised SE of the mean is the stratified
    Σ (Nh/N)² · SE_h², where SE_h is a stratum's simple-random-sample SE, × √(1 − nh/Nh) with the FPC.
    R prints SE 0.616 with the FPC and 0.7413 without it (mean 5.4481).
    """
    strata = {15: [2.8, 4.1, 6.8, 6.8, 9.2], 12: [3.7, 6.6, 4.2]}
    total_population = sum(strata)

    def stratified_se(with_fpc):
        variance = 0.0
        for population, xs in strata.items():
            # The aggregates are integers, so feed tenths: every figure scales by exactly 10.
            tenths = GradeAggregate.from_values(round(10 * x) for x in xs)
            result = mean_result(tenths, Norm(">", 50), min_n=3,
                                 population=population if with_fpc else None)
            assert result.method == ("t-fpc" if with_fpc else "t")
            variance += (population / total_population) ** 2 * (result.se / 10) ** 2
        return math.sqrt(variance)

    assert round(stratified_se(with_fpc=True), 3) == 0.616
    assert round(stratified_se(with_fpc=False), 4) == 0.7413
    # The full-precision figures the R package prints with more digits.
    assert stratified_se(with_fpc=True) == pytest.approx(0.6160407, abs=1e-7)
    assert stratified_se(with_fpc=False) == pytest.approx(0.7412683, abs=1e-7)


def test_fpc_shrinks_the_se_of_a_staff_survey():
    # 40 of 50 staff answered: the factor is √(1 − 40/50) = √0.2, so the SE is 0.447× the plain one.
    grades = [8] * 20 + [7] * 10 + [6] * 6 + [9] * 4
    agg = GradeAggregate.from_values(grades)
    plain = mean_result(agg, ABOVE_7, min_n=5)
    corrected = mean_result(agg, ABOVE_7, min_n=5, population=50)
    assert corrected.method == "t-fpc" and corrected.response_rate == 0.8
    assert corrected.se == pytest.approx(plain.se * math.sqrt(0.2), rel=1e-12)
    assert corrected.df == 39


# --- moderated SD below n = 30 ----------------------------------------------------------------------------


def test_moderated_sd_worked_by_hand():
    # Grades 8, 8, 9, 8, 7: n = 5, Σx = 40, Σx² = 64+64+81+64+49 = 322.
    #   n·Σx² − (Σx)² = 1610 − 1600 = 10, so s² = 10 / (5·4) = 0.5; mean 8.
    # Reference SD 1.5 (s_ref² = 2.25), d0 = 30:
    #   s̃² = (30·2.25 + 4·0.5) / (30 + 4) = (67.5 + 2) / 34 = 69.5 / 34 = 2.0441176…
    #   df = 34, SE = √(2.0441176 / 5) = √0.4088235 = 0.6393931
    #   t(0.975, 34) = 2.0322445 (t-table; R: qt(0.975, 34))
    #   CI = 8 ± 2.0322445 · 0.6393931 = 8 ± 1.2994031 = (6.7005969, 9.2994031): not above 7.
    # Plain t would say boven_norm: t(0.975, 4) = 2.7764451, SE √0.1 → low 8 − 0.8779890 = 7.122011.
    agg = GradeAggregate.from_values([8, 8, 9, 8, 7])
    assert (agg.n, agg.total, agg.total_sq, agg.variance) == (5, 40, 322, 0.5)

    moderated = mean_result(agg, ABOVE_7, min_n=5, reference_sd=1.5)
    assert moderated.method == "t-moderated" and moderated.df == 34
    assert moderated.interval_sd**2 == pytest.approx(69.5 / 34, abs=1e-12)
    assert moderated.se == pytest.approx(0.6393931, abs=1e-7)
    assert moderated.ci_low == pytest.approx(6.7005969, abs=1e-6)
    assert moderated.ci_high == pytest.approx(9.2994031, abs=1e-6)
    assert moderated.verdict == UNDECIDED and moderated.meets_norm is True and moderated.indicative

    plain = mean_result(agg, ABOVE_7, min_n=5)
    assert plain.ci_low == pytest.approx(7.122011, abs=1e-6) and plain.verdict == ABOVE


def test_moderation_fades_with_n():
    # n = 30, s² = 20/29: s̃² = (30·2.25 + 20) / 59, df = 59; the group's own SD already weighs 29/59.
    agg = GradeAggregate.from_values([8, 7, 9] * 10)
    result = mean_result(agg, ABOVE_7, min_n=5, reference_sd=1.5, population=100)
    assert result.method == "t-moderated-fpc" and result.df == 59 and not result.indicative
    assert result.se == pytest.approx(math.sqrt((67.5 + 20) / 59 / 30 * 0.7), abs=1e-12)
    literal = mean_result(agg, ABOVE_7, min_n=5, reference_sd=1.5, population=100, moderate_below=30)
    assert literal.method == "t-fpc" and literal.df == 29


def test_pooled_reference_sd_by_hand():
    # [6, 8]: Σ(x − mean)² = 2 over 1 df; [5, 7, 9]: 8 over 2 df; pooled s² = (2 + 8) / 3.
    groups = [GradeAggregate.from_values(xs) for xs in ([6, 8], [5, 7, 9], [7], [])]
    assert pooled_sd(groups, min_df=3) == pytest.approx(math.sqrt(10 / 3), abs=1e-15)
    assert pooled_sd(groups) is None  # 3 df is too little to be weighted as d0 = 30
    assert pooled_sd([GradeAggregate.from_values([8] * 40)]) is None  # zero spread
    assert pooled_sd([]) is None


# --- edge cases: the right verdict, no crash, no NaN in JSON ----------------------------------------------


def test_zero_spread_gets_no_significance_verdict():
    agg = GradeAggregate.from_values([8] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert stats.ttest_1samp([8] * 10, 7).pvalue == 0.0  # the pitfall: scipy calls this significant
    result = mean_result(agg, ABOVE_7, min_n=5)
    assert result.verdict == UNDECIDED and result.notes == ("zero_spread",)
    assert (result.ci_low, result.ci_high, result.se, result.method) == (None, None, None, "descriptive")
    assert result.sd == 0.0 and result.meets_norm is True and result.side == "boven"
    assert_json_safe(result)
    # With a reference SD the moderated interval exists: 8 ± t(0.975, 39)·1.5·√(30/39)/√10.
    moderated = mean_result(agg, ABOVE_7, min_n=5, reference_sd=1.5)
    assert moderated.se == pytest.approx(1.5 * math.sqrt(30 / 39) / math.sqrt(10), abs=1e-12)
    assert moderated.verdict == ABOVE
    assert_json_safe(moderated)


def test_single_answer():
    agg = GradeAggregate.from_values([9])
    result = mean_result(agg, ABOVE_7, min_n=1)
    assert result.verdict == UNDECIDED and result.notes == ("single_response",)
    assert (result.sd, result.ci_low, result.ci_high) == (None, None, None)
    assert result.mean == 9.0 and result.meets_norm is True
    assert_json_safe(result)
    # The reference SD alone carries the interval: df = d0 = 30, SE = 1.5 / √1.
    moderated = mean_result(agg, ABOVE_7, min_n=1, reference_sd=1.5)
    assert moderated.df == 30 and moderated.se == 1.5
    assert moderated.verdict == UNDECIDED
    assert_json_safe(moderated)
    assert mean_result(agg, ABOVE_7, min_n=5).verdict == TOO_FEW


def test_below_minimum_n_nothing_is_shown():
    four = GradeAggregate.from_values([9, 9, 10, 9])
    result = mean_result(four, ABOVE_7, min_n=5, reference_sd=1.5, population=60)
    assert result.verdict == TOO_FEW and result.suppressed
    figures = ("mean", "sd", "interval_sd", "se", "df", "ci_low", "ci_high", "meets_norm", "side", "method")
    assert all(getattr(result, name) is None for name in figures)
    assert not result.indicative
    assert_json_safe(result)
    share = share_result(ShareAggregate(4, 4), ABOVE_70_PERCENT, min_n=5)
    assert share.verdict == TOO_FEW and (share.hits, share.share, share.ci_low) == (None, None, None)
    # The gemeente questionnaire uses 3: the same three answers are then shown, marked indicative.
    gemeente = mean_result(GradeAggregate.from_values([8, 7, 9]), ABOVE_7, min_n=3)
    assert not gemeente.suppressed and gemeente.indicative and gemeente.verdict == UNDECIDED


def test_census_is_descriptive():
    staff = GradeAggregate.from_values([8] * 30 + [6] * 10)  # everyone answered: mean 7.5
    result = mean_result(staff, ABOVE_7, min_n=5, population=40, reference_sd=1.5)
    assert (result.method, result.verdict, result.notes) == ("descriptive", ABOVE, ("census",))
    assert (result.ci_low, result.ci_high, result.se) == (None, None, None)
    assert result.response_rate == 1.0
    assert_json_safe(result)
    at_norm = mean_result(GradeAggregate.from_values([7] * 40), ABOVE_7, min_n=5, population=40)
    assert at_norm.verdict == BELOW and at_norm.side == "gelijk"  # exactly 7 does not meet "> 7"
    # 40 answers from a population of 38 is a data problem: no verdict and no response rate above 100 %.
    outdated = mean_result(staff, ABOVE_7, min_n=5, population=38)
    assert outdated.notes == ("n_exceeds_population",) and outdated.verdict == UNDECIDED
    assert (outdated.meets_norm, outdated.side, outdated.response_rate, outdated.ci_low) == (None, None, None, None)
    assert outdated.mean == 7.5  # the answers themselves are still described
    share = share_result(ShareAggregate(40, 29), ABOVE_70_PERCENT, min_n=5, population=40)
    assert (share.method, share.verdict) == ("descriptive", ABOVE)  # 72.5 % of everyone


def test_empty_period():
    empty = GradeAggregate(0, 0, 0)
    result = mean_result(empty, ABOVE_7, min_n=3)
    assert result.verdict == TOO_FEW and result.mean is None
    assert_json_safe(result)
    assert_json_safe(share_result(ShareAggregate(0, 0), ABOVE_70_PERCENT, min_n=5))
    previous = GradeAggregate.from_values([7, 8, 9, 8, 6])
    assert trend(previous, empty) is None and trend(empty, previous) is None
    assert agree_summary({}, min_n=5).suppressed and grade_distribution({}, min_n=5).suppressed
    assert_json_safe(agree_summary({}, min_n=5))


def test_impossible_aggregates_are_refused():
    with pytest.raises(ValueError):
        GradeAggregate(3, 30, 200)  # 3·200 < 30²: would be a negative variance
    with pytest.raises(ValueError):
        ShareAggregate(5, 6)
    with pytest.raises(ValueError):
        Norm("<", 7)


# --- the norm: strict, exact, and the same at the bounds --------------------------------------------------


def test_greater_than_is_strict_and_exact():
    ten_sevens = GradeAggregate.from_values([7] * 10)
    assert mean_result(ten_sevens, ABOVE_7, min_n=5).meets_norm is False
    assert mean_result(ten_sevens, Norm(">=", 7), min_n=5).meets_norm is True
    assert mean_result(ten_sevens, ABOVE_7, min_n=5).verdict == UNDECIDED  # zero spread: no verdict
    seven_of_ten = ShareAggregate(10, 7)
    assert share_result(seven_of_ten, ABOVE_70_PERCENT, min_n=5).meets_norm is False
    assert share_result(seven_of_ten, Norm(">=", 0.7), min_n=5).meets_norm is True
    assert Norm(">", 0.7).exact == Fraction(7, 10)
    # 7.04 shows as "7,0" but meets the norm; the check uses the sums 704 > 7·100.
    assert mean_result(GradeAggregate(100, 704, 5000), ABOVE_7, min_n=5).meets_norm is True


def test_bounds_are_judged_with_the_norms_own_operator():
    # Wilson bounds are exactly 0 and 1 at no hits and at all hits, so the operators meet the bounds.
    none = ShareAggregate(20, 0)
    assert share_result(none, Norm(">=", 0), min_n=5).verdict == ABOVE  # every share meets ">= 0"
    assert share_result(none, Norm(">", 0), min_n=5).verdict == UNDECIDED
    everyone = ShareAggregate(20, 20)
    assert share_result(everyone, Norm(">", 1), min_n=5).verdict == BELOW  # no share is "> 100 %"
    assert share_result(everyone, Norm(">=", 1), min_n=5).verdict == UNDECIDED


# --- false "boven_norm" when the truth is exactly on the norm ---------------------------------------------


GRADES = np.arange(1, 11)
# Scenario B of statistics.md §5: left-skewed (many 8s, a few 2s and 3s), mean exactly 7, variance exactly 3.
SKEWED_AT_7 = [Fraction(p) for p in ("0.01 0.01 0.04 0.04 0.07 0.10 0.26 0.34 0.10 0.03".split())]


def false_above_rate(n, reference_sd, moderate_below=None, draws=10_000, seed=20260701):
    rng = np.random.default_rng(seed + n)
    samples = rng.choice(GRADES, size=(draws, n), p=[float(p) for p in SKEWED_AT_7])
    sums, squares = samples.sum(axis=1), (samples * samples).sum(axis=1)
    verdicts = [
        mean_result(GradeAggregate(n, int(s), int(q)), ABOVE_7, min_n=5, reference_sd=reference_sd,
                    moderate_below=moderate_below).verdict
        for s, q in zip(sums, squares, strict=True)
    ]
    return verdicts.count(ABOVE) / draws


def test_simulation_false_boven_norm_stays_near_nominal():
    assert sum(SKEWED_AT_7) == 1
    assert sum(p * g for p, g in zip(SKEWED_AT_7, range(1, 11), strict=True)) == 7
    variance = sum(p * g * g for p, g in zip(SKEWED_AT_7, range(1, 11), strict=True)) - 49
    assert variance == 3
    for n in (5, 10, 30):
        assert false_above_rate(n, reference_sd=math.sqrt(3)) <= 0.035, n
    # The same draws with the plain t-interval break the limit: the test can fail. That includes plain t
    # from n = 30 on (DESIGN.md's literal rule), which is why moderation continues past 30.
    assert false_above_rate(10, reference_sd=None) > 0.05
    assert false_above_rate(30, reference_sd=math.sqrt(3), moderate_below=30) > 0.04


# --- suppression in breakdowns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 3, "b": 10, "c": 12}, {"a", "b"}),  # a alone would follow from total − b − c
        ({"a": 3, "b": 4, "c": 20}, {"a", "b"}),  # together 7: subtracting reveals no group below 5
        ({"a": 5, "b": 6, "c": 40}, set()),
        ({"wijk_noord": 2, "wijk_zuid": 8, "centrum": 9, "overig": 30}, {"wijk_noord", "wijk_zuid"}),
        ({"a": 3}, {"a"}),  # nothing to pair with; the total is the same group and is suppressed itself
        ({"a": 0, "b": 3, "c": 10, "d": 12}, {"b", "c"}),  # an empty group hides nothing
        ({"a": 1, "b": 1, "c": 20, "d": 30}, {"a", "b", "c"}),  # a + b = 2 would still be recoverable
    ],
)
def test_suppress_breakdown(counts, hidden):
    assert suppress_breakdown(counts, 5) == frozenset(hidden)


def test_suppress_breakdown_gemeente_threshold():
    assert suppress_breakdown({"beleid": 2, "account": 4}, 3) == frozenset({"beleid", "account"})


# --- item summaries ---------------------------------------------------------------------------------------


def test_agree_item_summary():
    counts = {5: 3, 4: 4, "3": 1, 2: 1, 1: 1, "weet_niet": 2}
    summary = agree_summary(counts, min_n=5)
    assert (summary.n, summary.agree, summary.share, summary.weet_niet) == (10, 7, 0.7, 2)
    expected = stats.binomtest(7, 10).proportion_ci(0.95, method="wilson")
    assert summary.ci_low == pytest.approx(expected.low, abs=1e-12)
    assert summary.ci_high == pytest.approx(expected.high, abs=1e-12)
    assert dict(summary.distribution) == {"1": 1, "2": 1, "3": 1, "4": 4, "5": 3}
    assert summary.to_dict()["distribution"]["4"] == 4
    assert_json_safe(summary)
    hidden = agree_summary({5: 3, 4: 1, "weet_niet": 9}, min_n=5)  # 4 real answers
    assert hidden.suppressed and (hidden.share, hidden.distribution, hidden.weet_niet) == (None, None, None)
    with pytest.raises(ValueError):
        agree_summary({6: 1}, min_n=5)


def test_grade_item_distribution():
    dist = grade_distribution({8: 3, "7": 2, 10: 1, "nvt": 4}, min_n=5)
    assert dist.n == 6 and dist.nvt == 4 and dist.weet_niet == 0
    assert dict(dist.distribution) == {str(g): {8: 3, 7: 2, 10: 1}.get(g, 0) for g in range(1, 11)}
    assert_json_safe(dist)
    assert grade_distribution({8: 4, "nvt": 4}, min_n=5).distribution is None


# --- trend details ----------------------------------------------------------------------------------------


def test_trend_with_fpc_and_census():
    previous = GradeAggregate.from_values([6, 7, 8, 7, 6, 7, 8, 9, 5, 7])  # mean 7, s² = 12/9
    current = GradeAggregate.from_values([8] * 20 + [7] * 20)  # mean 7.5: all 40 staff answered
    result = trend(current, previous, current_population=40, previous_population=50)
    # The census contributes no variance, so the SE is previous s/√n · √(1 − 10/50) and df = 10 − 1.
    assert result.method == "welch-fpc" and result.df == pytest.approx(9, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(12 / 9 / 10 * 0.8), abs=1e-12)
    assert result.difference == 0.5
    both = trend(current, GradeAggregate.from_values([7] * 40), current_population=40, previous_population=40)
    assert (both.method, both.verdict, both.ci_low) == ("descriptive", "stijging", None)
    assert_json_safe(both)
    flat = trend(GradeAggregate.from_values([8] * 9), GradeAggregate.from_values([7] * 9))
    assert flat.verdict == UNDECIDED and flat.se is None  # zero spread in both: nothing to claim
    assert trend(current, GradeAggregate.from_values([8, 9, 7, 8])) is None  # 4 < minimum 5


# --- the module stays pure --------------------------------------------------------------------------------


def test_scoring_imports_no_flask_sqlalchemy_or_matplotlib():
    # Load the package on its own in a fresh interpreter, under another name, so surveys/__init__.py (which
    # builds the Flask app) cannot pull those packages in on its behalf. Every module is loaded and used.
    probe = textwrap.dedent(
        f"""
        import importlib, importlib.util, sys
        spec = importlib.util.spec_from_file_location("scoring_probe", {str(SCORING_DIR / "__init__.py")!r},
                                                      submodule_search_locations=[{str(SCORING_DIR)!r}])
        module = sys.modules["scoring_probe"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in {sorted(path.stem for path in SCORING_MODULES)!r}:
            importlib.import_module("scoring_probe." + name)
        module.grade_result(module.GradeAggregate(3, 21, 149), module.Norm(">", 7), previous=[], min_n=3)
        module.share_result(module.ShareAggregate(19, 15), module.Norm(">", 0.7), min_n=5, population=20)
        print(" ".join(sorted(name for name in ("flask", "sqlalchemy", "matplotlib") if name in sys.modules)))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""

    # And by reading the source of every module: only the standard library, numpy, scipy and each other.
    assert {path.stem for path in SCORING_MODULES} >= {"__init__", "base", "means", "shares", "summaries"}
    for path in SCORING_MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        roots |= {node.module.split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert roots - set(sys.stdlib_module_names) <= {"numpy", "scipy"}, path.name
        # Relative imports only within the package itself (level 1), never up into the app.
        assert all(node.level <= 1 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)), path.name
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name

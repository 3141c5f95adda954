"""The defects of version 1's statistics, each as the manager met it, and what the reports say now:
intervals on the scale, a closed quarter that stays closed, census and n > N, shares with a known
population, share trends, and zero spread treated alike with and without history."""

import math
from datetime import date

import pytest
from scipy import stats

from surveys.answers import AnswerValue
from surveys.scoring import ABOVE, UNDECIDED, Norm, ShareAggregate, share_result
from surveys.services.questionnaires import current_version
from surveys.services.reports import kpi_results
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import create_round
from tests.helpers import publish
from tests.test_reports import store_grades

CALM = [7] * 10 + [8] * 10 + [6] * 5 + [9] * 5  # SD 1.05: an earlier half-year of 30


def store_codes(questionnaire, item, codes, day):
    version = current_version(questionnaire)
    store_many(version, [NewResponse(day, [AnswerValue(item, code=code)]) for code in codes], channel="paper")


def entry(period, kpi):
    (report,) = kpi_results(period, [kpi])
    return report.to_dict(), report


def test_intervals_stay_on_the_grade_scale(app):
    with app.app_context():
        store_grades("gemeente", "G1", [10, 10, 9], date(2026, 2, 1))
        store_grades("gemeente", "G1", [1, 1, 2], date(2025, 9, 1))
        publish("2025-H2", "2026-H1")
        high, _ = entry("2026-H1", "gemeente_cooperation")
        low, _ = entry("2025-H2", "gemeente_cooperation")
    # [10, 10, 9]: mean 29/3, squares 2/3; the prior SD 2.0: s̃² = (120 + 2/3) / 32, SE = √(s̃²/3) = 1.1211353,
    # t(0.975, 32) = 2.0369333: 9.6666667 ± 2.2836779 = 7.3829887 – 11.9503446, shown as 7.38 – 10.
    # Version 1 printed 8.23 – 11.10 (plain t). (The reference of 2026-H1 has too few df to count.)
    assert high["ci_low"] == pytest.approx(7.3829887, abs=1e-6) and high["ci_high"] == 10.0
    assert high["notes"] == ["clipped_to_scale"]
    # [1, 1, 2]: 4/3 ± 2.2836779 → lower bound −0.95, shown as 1.
    assert low["ci_low"] == 1.0 and low["ci_high"] == pytest.approx(3.6170113, abs=1e-6)


def test_a_closed_quarter_keeps_its_interval_when_the_next_quarter_arrives(app):
    with app.app_context():
        for half_year_day in (date(2024, 9, 1), date(2025, 3, 1), date(2025, 9, 1)):
            store_grades("client", "C1", CALM, half_year_day)
        store_grades("client", "C1", [7, 8, 6, 9, 5, 8, 7, 6], date(2026, 2, 1))
        publish("2024-H2", "2025-H1", "2025-H2", "2026-Q1")  # the quarter on its own, the half-year still open
        before, _ = entry("2026-Q1", "client_support")
        store_grades("client", "C1", [1, 10] * 20, date(2026, 5, 1))  # a polarised second quarter
        after, _ = entry("2026-Q1", "client_support")
    assert before["ci_low"] is not None
    assert (after["ci_low"], after["ci_high"]) == (before["ci_low"], before["ci_high"])


def test_a_polarised_half_year_is_not_narrowed_towards_calm_ones(app):
    with app.app_context():
        for day in (date(2024, 9, 1), date(2025, 3, 1), date(2025, 9, 1)):
            store_grades("partner", "P1", CALM, day)
        store_grades("partner", "P1", [2, 10, 3, 9, 10, 2, 10, 9, 3, 10], date(2026, 3, 1))
        publish("2024-H2", "2025-H1", "2025-H2", "2026-H1")
        _, report = entry("2026-H1", "partner_cooperation")
    result = report.result
    # Own s² = 13.9555556; moderated towards the prior 2.0 it would be (120 + 125.6) / 39 = 6.2974359: the
    # group's own spread is the larger, so plain t with df 9. Version 1 shrank it towards the calm SD.
    assert result.method == "t" and result.df == 9
    assert result.interval_sd == pytest.approx(result.sd, abs=1e-12)
    assert result.sd == pytest.approx(math.sqrt(13.9555556), abs=1e-6)


def test_zero_spread_is_treated_alike_with_and_without_history(app):
    # The rule: the prior SD 2.0 is always there for grades, so 49 identical 8s get the same moderated
    # interval whether the item has calm history or none: s̃² = 30·4 / 78, SE = √(s̃²/49) = 0.1771925,
    # t(0.975, 78) = 1.9908471: 8 ± 0.3527631.
    with app.app_context():
        store_grades("medewerker", "M1", [8] * 49, date(2026, 3, 1))
        publish("2026-H1")
        without, _ = entry("2026-H1", "staff_house_in_order")
        for day in (date(2024, 9, 1), date(2025, 3, 1), date(2025, 9, 1)):
            store_grades("medewerker", "M1", CALM, day)
        publish("2024-H2", "2025-H1", "2025-H2")
        with_history, _ = entry("2026-H1", "staff_house_in_order")
    assert (without["ci_low"], without["ci_high"]) == (pytest.approx(7.6472369, abs=1e-6),
                                                       pytest.approx(8.3527631, abs=1e-6))
    assert {k: with_history[k] for k in ("ci_low", "ci_high", "verdict", "method")} == \
        {k: without[k] for k in ("ci_low", "ci_high", "verdict", "method")}
    assert without["verdict"] == "boven_norm"


def test_census_is_decided_on_responses_not_on_item_answers(app, client):
    from surveys.services.users import create_user
    from tests.test_manage import PASSWORD, log_in

    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        create_round("medewerker", "2026-H1", opens_on=date(2026, 1, 1), closes_on=date(2026, 6, 30), population=30)
        store_grades("medewerker", "M1", [8] * 15 + [7] * 6 + [6] * 6, date(2026, 3, 1))
        store_codes("medewerker", "M1", ["weet_niet"] * 3, date(2026, 3, 1))
        publish("2026-H1")
        staff, _ = entry("2026-H1", "staff_house_in_order")
    # All 30 staff responded; 27 gave a grade: mean 198/27 = 7.33, the exact figure for everyone who has one.
    assert (staff["n"], staff["responses"], staff["population"], staff["response_rate"]) == (27, 30, 30, 1.0)
    assert (staff["method"], staff["verdict"], staff["notes"]) == ("descriptive", "boven_norm", ["census"])
    assert staff["ci_low"] is None
    # The manager reads why there is no interval, in words.
    log_in(client, "manager@example.nl")
    page = client.get("/beheer/kpi/staff_house_in_order?periode=2026-H1").get_data(as_text=True)
    assert "Iedereen uit de populatie heeft gereageerd: het cijfer is exact" in page


def test_more_responses_than_the_population_is_a_data_problem(app):
    with app.app_context():
        create_round("medewerker", "2025-H2", opens_on=date(2025, 7, 1), closes_on=date(2025, 12, 31), population=12)
        store_grades("medewerker", "M1", [7, 8] * 6, date(2025, 9, 1))
        create_round("medewerker", "2026-H1", opens_on=date(2026, 1, 1), closes_on=date(2026, 6, 30), population=10)
        store_grades("medewerker", "M1", [8] * 10 + [9] * 2, date(2026, 3, 1))
        publish("2025-H2", "2026-H1")
        staff, report = entry("2026-H1", "staff_house_in_order")
    # 12 responses from a population of 10: no verdict, no rate above 100 %, no trend; the note says why.
    assert (staff["responses"], staff["population"], staff["response_rate"]) == (12, 10, None)
    assert (staff["verdict"], staff["meets_norm"], staff["ci_low"]) == ("niet_te_onderscheiden", None, None)
    assert staff["notes"] == ["n_exceeds_population"] and staff["trend"] is None
    assert report.data_problem and report.response_rate is None


def test_share_with_a_known_population_hand_worked():
    # 15 "ja" among 19 of a population of 20: the one member not heard from answers ja or not, so the
    # population's share is 15/20 = 75 % or 16/20 = 80 % (hypergeometric: P(15 of 19 | 15 of 20) = 5/20,
    # P(15 of 19 | 16 of 20) = 16/20, every other population count gives 0). Both are above 70 %.
    result = share_result(ShareAggregate(19, 15), Norm(">", 0.7), min_n=5, population=20)
    assert (result.ci_low, result.ci_high) == (0.75, 0.8)
    assert (result.verdict, result.method) == (ABOVE, "wilson-fpc")
    # Without the population (version 1) the same answers were "niet te onderscheiden".
    assert share_result(ShareAggregate(19, 15), Norm(">", 0.7), min_n=5).verdict == UNDECIDED
    # The correction is Wilson's with n·(N − 1)/(N − n) answers: 36 of 45 from 90 → n_eff = 45·89/45 = 89.
    halfway = share_result(ShareAggregate(45, 36), Norm(">", 0.7), min_n=5, population=90)
    z = stats.norm.ppf(0.975)
    size, p = 89, 0.8
    centre = (p + z * z / (2 * size)) / (1 + z * z / size)
    delta = z / (1 + z * z / size) * math.sqrt(p * (1 - p) / size + z * z / (4 * size * size))
    assert (halfway.ci_low, halfway.ci_high) == (pytest.approx(centre - delta, abs=1e-12),
                                                 pytest.approx(centre + delta, abs=1e-12))


def test_self_reliance_gets_a_trend_by_newcombe(app):
    with app.app_context():
        store_codes("client", "C4", ["ja"] * 10 + ["nee"] * 15 + ["een_beetje"] * 5, date(2025, 9, 1))
        store_codes("client", "C4", ["ja"] * 24 + ["nee"] * 4 + ["een_beetje"] * 2 + ["weet_niet"] * 3,
                    date(2026, 3, 1))
        publish("2025-H2", "2026-H1")
        share, _ = entry("2026-H1", "client_self_reliance")
    # Newcombe's hybrid score interval from scipy's Wilson intervals: 24/30 − 10/30 = 0.4667.
    p1, p2 = 24 / 30, 10 / 30
    l1, u1 = stats.binomtest(24, 30).proportion_ci(0.95, method="wilson")
    l2, u2 = stats.binomtest(10, 30).proportion_ci(0.95, method="wilson")
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    trend = share["trend"]
    assert (trend["method"], trend["verdict"]) == ("newcombe", "stijging")
    assert trend["difference"] == pytest.approx(p1 - p2, abs=1e-12)
    assert (trend["ci_low"], trend["ci_high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert (trend["current_share"], trend["previous_share"]) == (p1, p2)


def test_the_kpi_page_refuses_a_quarter_for_a_half_yearly_questionnaire(app, client):
    from surveys.services.users import create_user
    from tests.test_manage import PASSWORD, log_in

    with app.app_context():
        store_grades("gemeente", "G1", [8, 9, 7], date(2026, 5, 1))
        create_user("manager@example.nl", PASSWORD, "manager")
    log_in(client, "manager@example.nl")
    reply = client.get("/beheer/kpi/gemeente_cooperation?periode=2026-Q2")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "wordt per halfjaar gerapporteerd, niet per kwartaal: u ziet 2026-H1" in page
    assert '<span class="period">2026-H1</span>' in page
    assert client.get("/beheer/kpi/client_support?periode=2026-Q2").status_code == 200

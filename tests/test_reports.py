"""KPI results from the database: equal to scipy on the raw answers, checked by hand on an import,
suppressed where the group is small, and the same through the report command and the API."""

import json
import math
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sqlalchemy import delete

from surveys import aggregates, periods, scoring
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import Answer, AnswerTally, Response, ResponseTally
from surveys.periods import parse_period
from surveys.services.questionnaires import current_version
from surveys.services.reports import kpi_breakdown, kpi_results, select_kpis
from surveys.services.responses import NewResponse, import_responses, store_many
from surveys.services.rounds import create_round
from surveys.services.tokens import create_token

from .helpers import publish

H1, H2 = parse_period("2025-H2"), parse_period("2026-H1")


def store_grades(questionnaire: str, item: str, grades, day: date, extra=None) -> None:
    version = current_version(questionnaire)
    store_many(version, [NewResponse(day, [AnswerValue(item, value=int(g)), *(extra or [])]) for g in grades],
               channel="paper")


def clear_responses() -> None:
    """Empty the answers with their tallies (the app itself never deletes a counted answer)."""
    for model in (Answer, Response, AnswerTally, ResponseTally):
        db.session.execute(delete(model))
    db.session.commit()


grades = st.lists(st.integers(1, 10), min_size=2, max_size=120)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy on nearly equal data
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=grades, before=grades, yes=st.integers(0, 60), no=st.integers(0, 60))
def test_database_aggregates_give_scipys_intervals(app, now, before, yes, no):
    with app.app_context():
        clear_responses()
        store_grades("partner", "P1", now, date(2026, 3, 1))
        store_grades("partner", "P1", before, date(2025, 9, 1))
        version = current_version("client")
        store_many(version, [NewResponse(date(2026, 2, 2), [AnswerValue("C4", code=c)])
                             for c in ["ja"] * yes + ["nee"] * no], channel="paper")
        counts = aggregates.answer_counts(["P1", "C4"], [H2, H1])
        # the tallies kept with every insert agree with grouping the stored answers themselves
        assert counts == aggregates.answer_counts_from_answers(["P1", "C4"], [H2, H1])
        current = counts[("P1", "2026-H1", aggregates.ALL)].grade()
        previous = counts[("P1", "2025-H2", aggregates.ALL)].grade()
    assert (current.n, current.total, current.total_sq) == (len(now), sum(now), sum(g * g for g in now))
    norm = scoring.Norm(">", 7)
    if np.std(now) > 0:
        result = scoring.mean_result(current, norm, min_n=2)
        expected = stats.ttest_1samp(now, 7).confidence_interval(0.95)
        assert result.ci_low == pytest.approx(expected.low, abs=1e-9)
        assert result.ci_high == pytest.approx(expected.high, abs=1e-9)
    if np.std(now) > 0 or np.std(before) > 0:
        change = scoring.trend(current, previous, min_n=2)
        expected = stats.ttest_ind(now, before, equal_var=False).confidence_interval(0.95)
        assert change.ci_low == pytest.approx(expected.low, abs=1e-9)
        assert change.ci_high == pytest.approx(expected.high, abs=1e-9)
    if yes + no:
        share = counts[("C4", "2026-H1", aggregates.ALL)].share(["ja"])
        assert (share.n, share.hits) == (yes + no, yes)
        result = scoring.share_result(share, scoring.Norm(">", 0.7), min_n=1)
        expected = stats.binomtest(yes, yes + no).proportion_ci(0.95, method="wilson")
        assert result.ci_low == pytest.approx(expected.low, abs=1e-9)
        assert result.ci_high == pytest.approx(expected.high, abs=1e-9)


PAPER_FORMS = (
    "date;P1;P2;P3;P4;P5;P6;P7;organisation_type\n"
    "2026-02-03;8;4;4;4;4;4;4;onderwijs\n"
    "2026-02-04;7;4;4;4;4;4;4;ggd\n"
    "2026-03-10;9;5;5;5;5;5;5;welzijn\n"
    "2026-04-01;6;2;2;2;2;2;2;onderwijs\n"
    "2026-06-30;8;3;3;3;3;3;3;anders\n"
    "2026-05-15;weet_niet;4;4;4;4;4;4;ggd\n"
)


def test_paper_forms_imported_then_reported_with_hand_computed_figures(app):
    with app.app_context():
        create_round("partner", "2026-H1", opens_on=date(2026, 1, 1), closes_on=date(2026, 6, 30), population=10)
        assert import_responses("partner", PAPER_FORMS.encode(), today=date(2026, 7, 1)) == 6
        publish("2026-H1")
        (report,) = kpi_results("2026-H1", ["partner_cooperation"])
    entry = report.to_dict()
    # Grades 8, 7, 9, 6, 8 (weet_niet left out): n 5, Σx 38, mean 7.6; squares about the mean
    # 0.16 + 0.36 + 1.96 + 2.56 + 0.16 = 5.2, s² = 5.2 / 4 = 1.3. No earlier half-years, so the reference is
    # the prior SD 2.0 with d0 = 30: s̃² = (30·4 + 5.2) / (30 + 4) = 125.2 / 34 = 3.6823529 (above the own
    # 1.3, so it is used), df 34; FPC √(1 − 5/10): SE = √(3.6823529/5 · 0.5) = 0.6068239;
    # t(0.975, 34) = 2.0322445 (R: qt(0.975, 34)); half-width 1.2332146.
    half_width = 2.0322445 * math.sqrt(125.2 / 34 / 5) * math.sqrt(0.5)
    assert entry["n"] == 5 and entry["mean"] == pytest.approx(7.6, abs=1e-12)
    assert entry["ci_low"] == pytest.approx(7.6 - half_width, abs=1e-6)
    assert entry["ci_high"] == pytest.approx(7.6 + half_width, abs=1e-6)
    assert (entry["ci_low"], entry["ci_high"]) == (pytest.approx(6.366785, abs=1e-6), pytest.approx(8.833215, abs=1e-6))
    assert entry["verdict"] == "niet_te_onderscheiden" and entry["side"] == "boven"
    assert entry["meets_norm"] is True  # 38 > 7 · 5
    assert entry["indicative"] is True and entry["method"] == "t-moderated-fpc" and entry["suppressed"] is False
    assert (entry["responses"], entry["population"], entry["response_rate"]) == (6, 10, 0.6)


def test_a_group_below_the_minimum_shows_no_figure_in_report_or_api(app, runner):
    with app.app_context():
        store_grades("gemeente", "G1", [9, 9], date(2026, 2, 1))  # 2 < min_n 3
        store_grades("partner", "P1", [8, 8, 7, 9], date(2026, 2, 1))  # 4 < min_n 5
        publish("2026-H1")
        token = create_token("dashboard")
    by_kpi = {entry["kpi"]: entry for entry in
              json.loads(runner.invoke(args=["report", "--period", "2026-H1", "--format", "json"]).output)}
    for key in ("gemeente_cooperation", "partner_cooperation"):
        entry = by_kpi[key]
        # Neither the n nor the response count of a hidden group is shown (DESIGN.md §6).
        assert entry["n"] is entry["responses"] is entry["response_rate"] is None
        assert entry["suppressed"] is True and entry["verdict"] == "te_weinig_respons"
        assert entry["mean"] is entry["ci_low"] is entry["ci_high"] is entry["meets_norm"] is None
        assert entry["trend"] is None
    api = app.test_client().get("/api/v1/kpis?period=2026-H1", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert {e["kpi"]: e for e in api.get_json()} == by_kpi
    table = runner.invoke(args=["report", "--period", "2026-H1"]).output
    assert "9,00" not in table and "8,00" not in table and "9.00" not in table and "8.00" not in table
    assert table.count("te weinig respons") == 2 + 5  # the two small groups and the five empty KPIs


def test_zero_spread_single_answer_and_empty_periods_give_honest_json(app, runner):
    with app.app_context():
        store_grades("medewerker", "M1", [8] * 12, date(2026, 3, 1))
        store_grades("partner", "P1", [9], date(2026, 3, 1))
        publish("2026-H1")
    result = runner.invoke(args=["report", "--period", "2026-H1", "--format", "json"])
    assert result.exit_code == 0
    by_kpi = {entry["kpi"]: entry for entry in json.loads(result.output)}
    staff = by_kpi["staff_house_in_order"]
    assert staff["mean"] == 8.0 and staff["meets_norm"] is True
    # No spread, no history: the prior SD 2.0 carries the interval, as it would with history (see
    # test_zero_spread_is_treated_alike_with_and_without_history). s̃² = 30·4 / 41, df 41,
    # SE = √(120/41/12) = 0.4938648, t(0.975, 41) = 2.0195410: 8 ± 0.9973802.
    assert staff["method"] == "t-moderated"
    assert (staff["ci_low"], staff["ci_high"]) == (pytest.approx(7.0026198, abs=1e-6),
                                                   pytest.approx(8.9973802, abs=1e-6))
    assert staff["verdict"] == "boven_norm"
    assert by_kpi["partner_cooperation"]["suppressed"] is True
    # DESIGN.md §7: a suppressed entry carries no n, also when it is empty.
    assert by_kpi["client_support"] == {**by_kpi["client_support"], "n": None, "responses": 0,
                                        "verdict": "te_weinig_respons"}
    assert "NaN" not in result.output and "Infinity" not in result.output


def test_quarters_only_for_client_kpis_and_bad_periods_refused(app, runner):
    with app.app_context():
        store_grades("client", "C1", [8, 7, 9, 6, 8, 7], date(2026, 8, 4),
                     extra=[AnswerValue("C2", value=7), AnswerValue("C3", code="nvt"), AnswerValue("C4", code="ja")])
        publish("2026-Q3")
    quarter = json.loads(runner.invoke(args=["report", "--period", "2026-Q3", "--format", "json"]).output)
    assert [entry["kpi"] for entry in quarter] == ["client_support", "client_goals", "client_coordination",
                                                    "client_self_reliance"]
    assert quarter[0]["n"] == 6 and quarter[0]["mean"] == pytest.approx(45 / 6)
    # every C3 answer was "er hielp geen andere organisatie": no answers, so no figure (and no n)
    assert quarter[2]["suppressed"] is True and quarter[2]["n"] is None and quarter[2]["responses"] == 6
    for bad in ("2026-H3", "H1-2026", "2026", "2026-Q5"):
        result = runner.invoke(args=["report", "--period", bad])
        assert result.exit_code != 0 and "geen periode" in result.output
    result = runner.invoke(args=["report", "--period", "2026-H1", "--kpi", "happiness"])
    assert result.exit_code != 0 and "onbekende KPI happiness" in result.output


def test_api_needs_a_valid_token_and_a_period(app, client):
    with app.app_context():
        token = create_token("rapportage")
    assert client.get("/api/v1/kpis?period=2026-H1").status_code == 401
    wrong = client.get("/api/v1/kpis?period=2026-H1", headers={"Authorization": "Bearer svy_guess"})
    assert wrong.status_code == 401 and "API token" in wrong.get_json()["detail"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/kpis", headers=auth).status_code == 400
    bad = client.get("/api/v1/kpis?period=2026-H9", headers=auth)
    assert bad.status_code == 400 and "geen periode" in bad.get_json()["detail"]
    unknown = client.get("/api/v1/kpis?period=2026-H1&kpi=nope", headers=auth)
    assert unknown.status_code == 400 and "onbekende KPI" in unknown.get_json()["detail"]
    only = client.get("/api/v1/kpis?period=2026-H1&kpi=gemeente_cooperation", headers=auth)
    assert [entry["kpi"] for entry in only.get_json()] == ["gemeente_cooperation"]


def test_api_errors_are_json_too(database_url):
    """An error the API itself did not write (a wrong path, a wrong method, the rate limit) is a problem
    (RFC 9457) as well, never the respondents' HTML error page."""
    from .conftest import make_app

    app = make_app(database_url, RATELIMIT_ENABLED=True, API_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        token = create_token("rapportage")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    missing = client.get("/api/v1/results", headers=auth)
    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
    assert "not found" in missing.get_json()["detail"].lower()
    posted = client.post("/api/v1/kpis?period=2026-H1", headers=auth)
    assert (posted.status_code, posted.mimetype) == (405, "application/problem+json")
    assert "GET" in posted.headers["Allow"]
    statuses = [client.get("/api/v1/kpis?period=2026-H1", headers=auth).status_code for _ in range(3)]
    limited = client.get("/api/v1/kpis?period=2026-H1", headers=auth)
    assert statuses == [200, 200, 429]
    assert (limited.status_code, limited.mimetype) == (429, "application/problem+json")
    assert limited.get_json() == {"type": "about:blank", "title": "Too Many Requests", "status": 429,
                                  "detail": "too many requests from this address; try again after the seconds in "
                                            "Retry-After"}
    assert 1 <= int(limited.headers["Retry-After"]) <= 60  # the window of "2 per minute"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_breakdown_hides_a_small_group_and_its_complement(app):
    with app.app_context():
        for organisation, grades_given in (("onderwijs", [8, 8, 9]), ("ggd", [7] * 6 + [6]),
                                           ("welzijn", [9, 8, 7, 8, 9, 8, 8, 9])):
            store_grades("partner", "P1", grades_given, date(2026, 3, 1),
                         extra=[AnswerValue("organisation_type", code=organisation)])
        publish(str(H2))
        (kpi,) = select_kpis(["partner_cooperation"])
        groups = {group.group: group.result for group in kpi_breakdown(kpi, H2, "organisation_type")}
    # onderwijs (3) is below 5; ggd (7) is the smallest other group, hidden so 18 − 8 − 7 cannot reveal it.
    assert groups["onderwijs"].suppressed and groups["ggd"].suppressed
    assert groups["onderwijs"].mean is None and groups["ggd"].mean is None
    assert not groups["welzijn"].suppressed and groups["welzijn"].mean == pytest.approx(66 / 8)


def test_answers_from_the_web_form_count_in_the_report_at_once(app, client):
    from .helpers import GOOD_ANSWERS, codes_for, fill_in, open_round

    with app.app_context():
        codes = codes_for(open_round("medewerker", population=8), 2)
    for code, grade in zip(codes, ("9", "6"), strict=True):
        assert fill_in(client, f"/r/{code}", {**GOOD_ANSWERS["medewerker"], "M1": grade}).status_code == 303
    today = periods.today()
    with app.app_context():
        (report,) = kpi_results(f"{today.year}-H{1 if today.month <= 6 else 2}", ["staff_house_in_order"])
    # The running half-year is not published: its response count and rate show at once, no figure.
    assert (report.responses, report.population, report.published) == (2, 8, False)
    assert report.result.suppressed and report.result.mean is None and report.response_rate == 0.25

"""The response planner, checked against a simulation of the service's own method: rounds of the planned
size, drawn without replacement from a population whose mean lies the stated distance above the norm, give
a conclusive verdict in at least 80 % of cases."""

import numpy as np
import pytest

from surveys.scoring import GradeAggregate, Norm, grade_result, means, planner
from tests.scenario_grid import ALIKE

GRADES = np.arange(1, 11)


def population_at(mean_target: float, size: int) -> np.ndarray:
    """``size`` skewed grades (the usual half-year's shape) raised one point at a time to ``mean_target``."""
    counts = np.round(np.array([float(p) for p in ALIKE]) * size).astype(int)
    counts[7] += size - counts.sum()
    while (counts * GRADES).sum() < mean_target * size:
        grade = int(np.argmax(counts[:-1]))  # the most common grade below 10 goes up by one
        counts[grade] -= 1
        counts[grade + 1] += 1
    return np.repeat(GRADES, counts)


@pytest.mark.parametrize("size", [2000, 150])
@pytest.mark.parametrize("distance", planner.DISTANCES)
def test_the_planned_number_of_responses_is_conclusive_in_80_percent_of_simulated_rounds(distance, size):
    population = population_at(7 + distance, size)
    truth = population.mean()
    assert 7 + distance <= truth < 7 + distance + 0.01
    row = planner.plan(truth - 7, population.std(ddof=1), response_rate=0.4, population=size)
    n = row.responses
    assert n is not None and 5 <= n <= size and row.invitations == min(size, -(-n * 10 // 4))
    if n == size:
        return  # a census is exact
    rng = np.random.default_rng([20261201, size, int(distance * 10)])
    draws = np.array([rng.choice(population, n, replace=False) for _ in range(2000)])
    sums, squares = draws.sum(axis=1), (draws * draws).sum(axis=1)
    low, _, *_ = means.t_interval(n, sums / n, (n * squares - sums**2) / n, means.PRIOR_SD, population=size)
    assert (low > 7).mean() >= 0.8, (distance, size, n)
    # And one of those rounds through the whole service path gives the same lower bound.
    one = grade_result(GradeAggregate(n, int(sums[0]), int(squares[0])), Norm(">", 7), previous=[], min_n=5,
                       population=size)
    assert one.ci_low == pytest.approx(low[0], abs=1e-12)


def test_the_plan_grows_as_the_distance_shrinks_and_stops_at_the_population():
    rows = planner.plan_table(1.7, response_rate=0.5, population=None)
    assert [row.distance for row in rows] == [0.3, 0.5, 1.0]
    assert rows[0].responses > rows[1].responses > rows[2].responses >= 5
    assert all(row.invitations == 2 * row.responses for row in rows)
    small = planner.plan(0.3, 1.7, response_rate=0.5, population=12)
    assert small.responses <= 12 and small.invitations <= 12
    with pytest.raises(ValueError):
        planner.plan(0.3, 1.7, response_rate=0)


def test_plan_command_and_round_page_show_the_plan(app, runner, client):
    from datetime import date

    from surveys.services.rounds import create_round
    from surveys.services.users import create_user
    from tests.test_manage import PASSWORD, log_in

    with app.app_context():
        round_id = create_round("partner", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 6, 30),
                                population=40).id
        create_user("manager@example.nl", PASSWORD, "manager")
    expected = planner.plan_table(2.0, response_rate=0.5, population=40, min_n=5)
    result = runner.invoke(args=["plan", str(round_id)])
    assert result.exit_code == 0, result.output
    assert "expected SD 2.00 (prior), response rate 50% (aangenomen" in result.output
    for row in expected:
        assert f"{row.distance:>8.1f}  {row.responses:>9}  {row.invitations:>11}" in result.output
    # At 1.0 point from the norm 40 partners need fewer answers than at 0.3, where nearly all must answer.
    assert expected[2].responses < expected[0].responses <= 40
    assert runner.invoke(args=["plan", "999"]).exit_code == 2
    assert runner.invoke(args=["plan", str(round_id), "--response-rate", "0"]).exit_code == 2
    log_in(client, "manager@example.nl")
    page = client.get(f"/beheer/rondes/{round_id}").get_data(as_text=True)
    assert "Hoeveel reacties zijn nodig?" in page and f"<td>{expected[2].responses}</td>" in page


def test_a_second_round_for_the_same_questionnaire_and_period_is_refused(app, runner):
    from datetime import date

    from surveys.services.rounds import RoundError, create_round

    with app.app_context():
        first = create_round("partner", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 6, 30),
                             population=40)
        with pytest.raises(RoundError, match=f"er is al een meetronde voor partner in 2026-H1 \\(ronde {first.id}\\)"):
            create_round("partner", "2026-H1", opens_on=date(2026, 2, 1), closes_on=date(2026, 6, 30), population=40)
    result = runner.invoke(args=["rounds", "create", "partner", "2026-H1", "--population", "10"])
    assert result.exit_code == 2 and "er is al een meetronde" in result.output

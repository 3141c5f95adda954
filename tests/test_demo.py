"""The demo data a manager fills a fresh database with: its tallies are exactly the answers it stored,
the same seed stores the same rows, and the answers have the shape the demo promises."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from surveys import aggregates, periods
from surveys.extensions import db
from surveys.models import Answer, AnswerTally, Response, ResponseTally, Round
from surveys.periods import Period, half_year_of
from surveys.questionnaires import load_questionnaires
from surveys.services import demo

from .conftest import another_app


def demo_periods() -> tuple[list[Period], list[Period]]:
    """The demo's four half-years, oldest first, and their eight quarters."""
    this = half_year_of(periods.today())
    half_years = [this.previous().previous().previous(), this.previous().previous(), this.previous(), this]
    return half_years, [Period(h.year, "Q", q) for h in half_years for q in (2 * h.index - 1, 2 * h.index)]


def stored_rows():
    """Every response with its answers, as stored, in the order stored; ids replaced by the response's place."""
    ids = db.session.scalars(select(Response.id).order_by(Response.id))
    place = {response_id: n for n, response_id in enumerate(ids)}
    responses = db.session.execute(
        select(Response.questionnaire, Round.period, Response.submitted_on, Response.half_year, Response.quarter,
               Response.channel).join(Round, Round.id == Response.round_id).order_by(Response.id)).all()
    answers = db.session.execute(select(Answer.response_id, Answer.item, Answer.value, Answer.code, Answer.text)
                                 .order_by(Answer.response_id, Answer.item)).all()
    return ([tuple(row) for row in responses],
            [(place[response_id], *rest) for response_id, *rest in answers],
            sorted(tuple(row) for row in db.session.execute(select(AnswerTally.__table__))))


@pytest.fixture
def small_batches(monkeypatch):
    """Several batches per round, and statements of several rows with a remainder in every batch, so each
    way the demo writes rows is taken."""
    monkeypatch.setattr(demo, "BATCH", 97)
    monkeypatch.setattr(demo, "ROWS_PER_STATEMENT", 7)


def test_demo_tallies_are_exactly_the_stored_answers(app, runner, small_batches):
    result = runner.invoke(args=["demo", "--responses", "1500", "--seed", "4"])

    assert result.exit_code == 0, result.output
    half_years, quarters = demo_periods()
    items = [item.key for questionnaire in load_questionnaires().values() for item in questionnaire.items
             if item.type != "open"]
    with app.app_context():
        for periods in (half_years, quarters):
            tallied = aggregates.answer_counts(items, periods)
            assert tallied == aggregates.answer_counts_from_answers(items, periods)
            for key in load_questionnaires():
                column = Response.half_year if periods is half_years else Response.quarter
                grouped = dict(db.session.execute(select(column, func.count())
                                                  .where(Response.questionnaire == key).group_by(column)).all())
                assert aggregates.response_counts(key, periods) == grouped
        # Not two empty dictionaries: every answer that is not a text is counted once.
        answers = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.text.is_(None)))
        assert answers > 1500 * 9
        assert db.session.scalar(select(func.sum(AnswerTally.count))) == answers
        assert db.session.scalar(select(func.sum(ResponseTally.count))) == 1500


def test_demo_with_the_same_seed_stores_the_same_rows(app, runner, database_url, tmp_path, small_batches):
    assert runner.invoke(args=["demo", "--responses", "800", "--seed", "7"]).exit_code == 0
    with app.app_context():
        first = stored_rows()
        db.session.remove()
        db.engine.dispose()
    assert len(first[0]) == 800 and len(first[1]) > 800 * 9

    def fill_again(seed: int):
        again = another_app(database_url, tmp_path, f"again-{seed}")
        assert again.test_cli_runner().invoke(args=["demo", "--responses", "800", "--seed", str(seed)]).exit_code == 0
        with again.app_context():
            rows = stored_rows()
            db.session.remove()
            db.engine.dispose()
        return rows

    assert fill_again(7) == first
    other = fill_again(8)
    assert other[0] != first[0] and other[1] != first[1]


def test_demo_answers_have_the_promised_shape(app, runner):
    # 4,000 less the 294 of the other groups (see test_cli) are cliënten. With the seed fixed the figures
    # are fixed; the margins (about four standard errors) say which draws the demo's description allows.
    assert runner.invoke(args=["demo", "--responses", "4000", "--seed", "11"]).exit_code == 0
    with app.app_context():
        clients = db.session.scalar(select(func.count()).select_from(Response)
                                    .where(Response.questionnaire == "client"))
        given = Counter({(item, value if value is not None else code or "text"): n for item, value, code, n in
                         db.session.execute(select(Answer.item, Answer.value, Answer.code, func.count())
                                            .join(Response, Response.id == Answer.response_id)
                                            .where(Response.questionnaire == "client")
                                            .group_by(Answer.item, Answer.value, Answer.code))})
        means = dict(db.session.execute(
            select(Response.half_year, func.avg(Answer.value)).join(Response, Response.id == Answer.response_id)
            .where(Answer.item == "C1").group_by(Response.half_year)).all())
    assert clients == 3706

    def share(item, answer):
        return given[(item, answer)] / clients

    assert share("C3", "nvt") == pytest.approx(0.20, abs=0.03)  # "er hielp geen andere organisatie"
    for item in ("C1", "C2", "C3"):
        assert share(item, "weet_niet") == pytest.approx(0.03, abs=0.012)
    for item in ("C5", "C6", "C7", "C8", "C9"):
        assert share(item, "weet_niet") == pytest.approx(0.04, abs=0.014)
    assert [share("C4", code) for code in ("ja", "een_beetje", "nee")] == [
        pytest.approx(0.62, abs=0.035), pytest.approx(0.27, abs=0.03), pytest.approx(0.11, abs=0.025)]
    assert share("C10", "text") == pytest.approx(0.25, abs=0.03)
    assert sum(share("respondent_role", code) for code in ("client", "ouder_verzorger", "jongere", "naaste")) == \
        pytest.approx(0.85, abs=0.03)  # background questions are skipped now and then
    # Grades lean left around each half-year's level: many 7s and 8s, a tail of low grades.
    half_years, _ = demo_periods()
    for half_year, level in zip(half_years, demo.GRADE_LEVEL["client"], strict=True):
        assert float(means[str(half_year)]) == pytest.approx(level, abs=0.2)
    grades = [given[("C1", v)] for v in range(1, 11)]
    assert sum(grades[6:9]) / sum(grades) > 0.55  # 7, 8 and 9
    assert 0.01 < sum(grades[:3]) / sum(grades) < 0.1  # 1, 2 and 3

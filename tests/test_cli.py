"""A manager's command line: seed the questionnaires, open a round, make invitation links, fill demo data.
Everything through app.test_cli_runner(), as `flask --app surveys …` runs it."""

import csv
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

import surveys.questionnaires as questionnaire_files
from surveys import periods
from surveys.extensions import db
from surveys.models import Answer, InvitationCode, QuestionnaireVersion, Response, Round
from surveys.periods import half_year_of
from surveys.periods import today as local_today
from surveys.questionnaires import load_kpis, load_questionnaire
from surveys.services.rounds import hash_code, new_code

from .conftest import another_app, make_app
from .helpers import GOOD_ANSWERS, fill_in, register_tablet

ORIGINAL_C1 = "Wat vindt u van de hulp van het Sociaal Team? Geef een rapportcijfer van 1 tot 10."
NEW_C1 = "Welk rapportcijfer geeft u de hulp van het Sociaal Team?"


def versions() -> list[tuple[str, int]]:
    return [tuple(row) for row in db.session.execute(
        select(QuestionnaireVersion.questionnaire, QuestionnaireVersion.version).order_by(QuestionnaireVersion.id))]


def response_versions() -> list[int]:
    """The version number each stored response answered, oldest response first."""
    return list(db.session.scalars(select(QuestionnaireVersion.version)
                                   .join(Response, Response.questionnaire_version_id == QuestionnaireVersion.id)
                                   .order_by(Response.id)))


@pytest.fixture
def wording(monkeypatch):
    """Edit or restore the wording of client.toml as the loader reads it; the loader's caches are
    emptied on every change and after the test, so no other test sees the edit."""
    read_original = questionnaire_files._read_toml

    def clear_caches():
        load_questionnaire.cache_clear()
        load_kpis.cache_clear()

    def edit(c1_text: str | None) -> None:
        def read(name):
            data = read_original(name)
            if name == "client.toml" and c1_text is not None:
                assert data["items"][0]["key"] == "C1"
                data["items"][0]["text"]["nl"] = c1_text
            return data

        monkeypatch.setattr(questionnaire_files, "_read_toml", read)
        clear_caches()

    yield edit
    clear_caches()


UNCHANGED = ("client: version 1 (unchanged)\npartner: version 1 (unchanged)\n"
             "gemeente: version 1 (unchanged)\nmedewerker: version 1 (unchanged)\n")


def test_seed_twice_changes_nothing(app, runner):
    with app.app_context():
        before = db.session.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.checksum)).all()

    first, second = runner.invoke(args=["seed"]), runner.invoke(args=["seed"])

    assert (first.exit_code, first.output) == (0, UNCHANGED)
    assert (second.exit_code, second.output) == (0, UNCHANGED)
    with app.app_context():
        assert versions() == [("client", 1), ("partner", 1), ("gemeente", 1), ("medewerker", 1)]
        assert db.session.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.checksum)).all() == before


def test_new_wording_is_a_new_version_and_old_responses_keep_theirs(app, client, runner, wording):
    register_tablet(client)
    assert fill_in(client, "/q/client", GOOD_ANSWERS["client"]).status_code == 303

    wording(NEW_C1)
    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert result.output == ("client: version 2 (new version)\npartner: version 1 (unchanged)\n"
                             "gemeente: version 1 (unchanged)\nmedewerker: version 1 (unchanged)\n")
    with app.app_context():
        assert versions() == [("client", 1), ("partner", 1), ("gemeente", 1), ("medewerker", 1), ("client", 2)]
        stored = {v.version: v.definition["items"][0]["text"]["nl"]
                  for v in db.session.scalars(select(QuestionnaireVersion).filter_by(questionnaire="client"))}
        assert stored == {1: ORIGINAL_C1, 2: NEW_C1}
        assert response_versions() == [1]

    # A respondent now sees the new wording, and their answers point at version 2.
    page = client.get("/q/client").get_data(as_text=True)
    assert NEW_C1 in page and ORIGINAL_C1 not in page
    assert fill_in(client, "/q/client", GOOD_ANSWERS["client"]).status_code == 303
    with app.app_context():
        assert response_versions() == [1, 2]

    # Taking the edit back serves version 1 again (it cannot be stored a second time as version 3).
    wording(None)
    result = runner.invoke(args=["seed"])
    assert (result.exit_code, result.output) == (0, UNCHANGED)
    page = client.get("/q/client").get_data(as_text=True)
    assert ORIGINAL_C1 in page and NEW_C1 not in page
    assert fill_in(client, "/q/client", GOOD_ANSWERS["client"]).status_code == 303
    with app.app_context():
        assert response_versions() == [1, 2, 1]
        assert len(versions()) == 5


def test_rounds_create_prints_the_id_and_stores_the_period(app, runner):
    result = runner.invoke(args=["rounds", "create", "partner", "2026-H1", "--population", "40"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        round_ = db.session.scalars(select(Round)).one()
        assert result.output == f"{round_.id}\n"
        assert (round_.questionnaire, round_.period, round_.opens_on, round_.closes_on, round_.population) == (
            "partner", "2026-H1", date(2026, 1, 1), date(2026, 6, 30), 40)


def test_rounds_list_shows_each_round_with_its_id_and_state(app, runner):
    running = half_year_of(periods.today())
    ids = [runner.invoke(args=["rounds", "create", *args]).output.strip() for args in (
        ["partner", "2020-H1", "--population", "40"], ["medewerker", str(running)], ["gemeente", "2099-H2"])]

    result = runner.invoke(args=["rounds", "list"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{ids[2]:>5}  gemeente    2099-H2  2099-07-01 – 2099-12-31  not yet open N unknown",
        f"{ids[1]:>5}  medewerker  {running}  {running.start} – {running.end}  open         N unknown",
        f"{ids[0]:>5}  partner     2020-H1  2020-01-01 – 2020-06-30  closed       N = 40",
    ]


def test_rounds_create_takes_own_dates_and_quarters_for_the_client(app, runner):
    result = runner.invoke(args=["rounds", "create", "client", "2026-Q3", "--opens", "2026-07-15",
                                 "--closes", "2026-08-31"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        round_ = db.session.get(Round, int(result.output))
        assert (round_.questionnaire, round_.period, round_.opens_on, round_.closes_on, round_.population) == (
            "client", "2026-Q3", date(2026, 7, 15), date(2026, 8, 31), None)


@pytest.mark.parametrize(("args", "message"), [
    (["klant", "2026-H1"],
     "Invalid value for '{client|partner|gemeente|medewerker}': 'klant' is not one of 'client', 'partner', "
     "'gemeente', 'medewerker'."),
    (["partner", "2026-H3"],
     "Invalid value for PERIOD: '2026-H3' is geen periode: gebruik bijvoorbeeld 2026-H1 (halfjaar) of "
     "2026-Q3 (kwartaal)"),
    (["partner", "26-H1"],
     "Invalid value for PERIOD: '26-H1' is geen periode: gebruik bijvoorbeeld 2026-H1 (halfjaar) of "
     "2026-Q3 (kwartaal)"),
    (["partner", "2026-H1", "--opens", "2026-04-01", "--closes", "2026-03-01"],
     "Invalid value for '--opens' / '--closes': de sluitdatum 2026-03-01 ligt vóór de openingsdatum 2026-04-01"),
    (["partner", "2026-Q1"],
     "Invalid value for PERIOD: de vragenlijst 'partner' werkt met halfjaren, niet met kwartalen"),
    (["partner", "2026-H1", "--population", "0"],
     "Invalid value for '--population': 0 is not in the range x>=1."),
    (["partner", "2026-H1", "--opens", "1-4-2026"],
     "Invalid value for '--opens': '1-4-2026' does not match the format '%Y-%m-%d'."),
], ids=["unknown questionnaire", "H3", "two-digit year", "closes before opens", "quarter for partner",
        "population 0", "date not ISO"])
def test_rounds_create_refuses_bad_input_clearly(app, runner, args, message):
    result = runner.invoke(args=["rounds", "create", *args])

    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: {message}"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_invite_writes_working_links_and_stores_only_hashes(app, client, runner, tmp_path):
    period = str(half_year_of(periods.today()))
    round_id = int(runner.invoke(args=["rounds", "create", "partner", period, "--population", "40"]).output)
    out = tmp_path / "links.csv"

    result = runner.invoke(args=["invite", str(round_id), "--count", "5", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"5 links for round {round_id} (partner {period}) written to {out}"
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["code", "url"]
    codes = [code for code, _ in rows[1:]]
    assert len(codes) == 5 and len(set(codes)) == 5
    for code, url in rows[1:]:
        assert url == f"http://127.0.0.1:5000/r/{code}"
    with app.app_context():
        stored = db.session.execute(select(InvitationCode)).scalars().all()
        assert {(c.round_id, c.code_hash, c.used) for c in stored} == {(round_id, hash_code(c), False) for c in codes}
        every_cell = " ".join(str(value) for row in db.session.execute(select(InvitationCode.__table__)).all()
                              for value in row)
        assert not [code for code in codes if code in every_cell]
    for _, url in rows[1:]:
        page = client.get(urlsplit(url).path)
        assert page.status_code == 200
        assert "Samenwerken met het Sociaal Team" in page.get_data(as_text=True)


def test_invite_links_use_the_configured_base_url(database_url, tmp_path):
    app = make_app(database_url, BASE_URL="https://waardering.example.nl/")
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    round_id = runner.invoke(args=["rounds", "create", "medewerker", str(half_year_of(periods.today()))]).output.strip()
    out = tmp_path / "links.csv"

    assert runner.invoke(args=["invite", round_id, "--count", "2", "--out", str(out)]).exit_code == 0

    rows = list(csv.reader(out.open(newline="", encoding="utf-8")))[1:]
    assert [url for _, url in rows] == [f"https://waardering.example.nl/r/{code}" for code, _ in rows]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_invite_for_an_unknown_round_fails_and_writes_nothing(app, runner, tmp_path):
    out = tmp_path / "links.csv"

    result = runner.invoke(args=["invite", "99", "--count", "5", "--out", str(out)])

    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: Invalid value for ROUND_ID: there is no round 99"
    assert not out.exists()


def test_invite_for_a_closed_round_fails(app, runner, tmp_path):
    round_id = runner.invoke(args=["rounds", "create", "partner", "2024-H1"]).output.strip()
    out = tmp_path / "links.csv"

    result = runner.invoke(args=["invite", round_id, "--count", "5", "--out", str(out)])

    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for ROUND_ID: round {round_id} (partner 2024-H1) closed on 2024-06-30; "
        "open a new round for new invitations")
    assert not out.exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 0


def test_a_code_is_four_groups_of_four_unambiguous_characters_with_80_random_bits():
    codes = [new_code() for _ in range(2000)]
    assert all(re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", code) for code in codes)
    assert len(set(codes)) == 2000
    # Every one of the 32 characters turns up in every position: 5 bits each, 16 positions.
    for position in (0, 5, 18):
        assert {code[position] for code in codes} == set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def demo_figures() -> dict[tuple[str, str], int]:
    """Responses per (questionnaire, half-year)."""
    rows = db.session.execute(select(Response.questionnaire, Response.half_year, func.count())
                              .group_by(Response.questionnaire, Response.half_year))
    return {(questionnaire, half_year): n for questionnaire, half_year, n in rows}


def c1_figures() -> dict[str, tuple[int, int, int]]:
    """Per half-year: C1 grades given, their sum, and C1 answered 'weet niet'."""
    rows = db.session.execute(select(Response.half_year, func.count(Answer.value), func.sum(Answer.value),
                                     func.count(Answer.code))
                              .join(Response, Response.id == Answer.response_id)
                              .where(Answer.item == "C1").group_by(Response.half_year))
    return {half_year: (n, int(total), unknown) for half_year, n, total, unknown in rows}


def test_demo_fills_four_half_years_with_every_questionnaire(app, runner):
    this = half_year_of(local_today())
    periods = [this.previous().previous().previous(), this.previous().previous(), this.previous(), this]

    result = runner.invoke(args=["demo", "--responses", "500", "--seed", "1"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"500 demo responses in {', '.join(str(p) for p in periods)}"
    # The plan, by hand: partner, gemeente and medewerker (100, 14 and 180 over four half-years) take
    # more than half of 500, so they are scaled by 500 / 588 and rounded: partner 24 31 18 27 -> 20 26 15
    # 23, gemeente 4 2 5 3 -> 3 2 4 3, medewerker 44 51 38 47 -> 37 43 32 40, together 248. The cliënten
    # get the other 252 in shares 0.22, 0.26, 0.24, the rest: floor(55.44, 65.52, 60.48) = 55 65 60, 72.
    expected = {"client": (55, 65, 60, 72), "partner": (20, 26, 15, 23), "gemeente": (3, 2, 4, 3),
                "medewerker": (37, 43, 32, 40)}
    with app.app_context():
        assert demo_figures() == {(key, str(period)): n for key, counts in expected.items()
                                  for period, n in zip(periods, counts, strict=True)}
        assert db.session.scalar(select(func.count()).select_from(Response)) == 500
        rounds = db.session.execute(select(Round.questionnaire, Round.period, Round.opens_on, Round.closes_on)
                                    .order_by(Round.id)).all()
        assert sorted(rounds) == sorted((key, str(p), p.start, p.end) for key in expected for p in periods)
        # The gemeente group falls below its minimum n of 3 in the second half-year.
        assert load_questionnaire("gemeente").min_n == 3
        assert demo_figures()[("gemeente", str(periods[1]))] == 2
        # No response lies in the future, and C1 (required) is answered in every cliënt response.
        assert db.session.scalar(select(func.max(Response.submitted_on))) <= local_today()
        c1 = c1_figures()
        assert {half_year: n + unknown for half_year, (n, _, unknown) in c1.items()} == {
            str(p): n for p, n in zip(periods, expected["client"], strict=True)}


def test_demo_with_the_same_seed_gives_the_same_figures(app, runner, database_url, tmp_path):
    assert runner.invoke(args=["demo", "--responses", "500", "--seed", "1"]).exit_code == 0
    with app.app_context():
        first = (demo_figures(), c1_figures())
        db.session.remove()
        db.engine.dispose()

    second = another_app(database_url, tmp_path, "second")
    assert second.test_cli_runner().invoke(args=["demo", "--responses", "500", "--seed", "1"]).exit_code == 0
    with second.app_context():
        assert (demo_figures(), c1_figures()) == first
        assert sum(n for n, _, _ in c1_figures().values()) > 200  # figures, not empty dictionaries
        db.session.remove()
        db.engine.dispose()


def test_demo_with_another_seed_gives_other_figures(app, runner, database_url, tmp_path):
    assert runner.invoke(args=["demo", "--responses", "500", "--seed", "1"]).exit_code == 0
    with app.app_context():
        first = c1_figures()
        db.session.remove()
        db.engine.dispose()
    second = another_app(database_url, tmp_path, "second")
    assert second.test_cli_runner().invoke(args=["demo", "--responses", "500", "--seed", "2"]).exit_code == 0
    with second.app_context():
        assert c1_figures() != first
        db.session.remove()
        db.engine.dispose()


def test_demo_if_empty_leaves_a_filled_database_alone(app, runner):
    assert runner.invoke(args=["demo", "--responses", "100", "--seed", "3", "--if-empty"]).exit_code == 0
    with app.app_context():
        before = (demo_figures(), db.session.scalar(select(func.count()).select_from(Round)))
        assert sum(before[0].values()) == 100

    result = runner.invoke(args=["demo", "--responses", "500", "--if-empty"])

    assert (result.exit_code, result.output) == (0, "the database already holds responses; no demo data added\n")
    with app.app_context():
        assert (demo_figures(), db.session.scalar(select(func.count()).select_from(Round))) == before


@pytest.mark.parametrize("total", [10, 16, 17])
def test_a_tiny_demo_stores_exactly_what_was_asked(app, runner, total):
    # The scaled-down groups used to stay at one response each, 12 in all: --responses 10 stored 12.
    result = runner.invoke(args=["demo", "--responses", str(total), "--seed", "1"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == total
        assert db.session.scalar(select(func.count()).select_from(Round)) == 16

"""The digest mail of `run-due` (DESIGN.md section 6 and issue 16): managers hear once a week, without opening the
dashboard, how the open rounds go, what was published and which KPI fell below its norm; never a figure of a
period that is not published, and only those who want it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import User
from surveys.services import digest
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import create_round
from surveys.services.users import create_user

from .helpers import publish
from .test_admin import PASSWORD, log_in, post_form

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=AMSTERDAM), tick=False)


def grades(version, day: date, round_id: int, values: list[int]) -> None:
    store_many(version, [NewResponse(day, [AnswerValue("P1", value=value)], round_id) for value in values],
               channel="paper")


def test_the_weekly_digest_holds_published_verdicts_and_alerts_and_nothing_of_an_unpublished_period(app, smtp):
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        create_user("lezer@example.nl", PASSWORD, "lezer")
        beheerder = create_user("beheerder@example.nl", PASSWORD, "beheerder")
        digest.choose(beheerder, False)
        version = current_version("partner")
        with at(date(2026, 6, 1)):
            first = create_round("partner", "2026-H1", opens_on=date(2026, 5, 1), closes_on=date(2026, 6, 30),
                                 population=40)
            grades(version, date(2026, 6, 1), first.id, [7, 8, 9, 8, 7, 8, 9, 8, 7, 9])  # mean 8.0
        with at(date(2026, 7, 10)):
            publish("2026-H1", questionnaires=["partner"])  # long before the digest: not news any more
            db.session.commit()
        with at(date(2026, 12, 1)):
            second = create_round("partner", "2026-H2", opens_on=date(2026, 11, 15), closes_on=date(2027, 1, 15),
                                  population=40)
            grades(version, date(2026, 12, 1), second.id, [4, 5, 6, 4, 5, 6, 4, 5, 6, 5])  # mean 5.0
        with at(date(2027, 1, 20)):
            third = create_round("partner", "2027-H1", opens_on=date(2027, 1, 20), closes_on=date(2027, 3, 31),
                                 population=40)
            grades(version, date(2027, 1, 20), third.id, [9, 9, 9])  # running: its figures are nobody's business

    # Monday 1 February 2027, ISO week 5; 2026-H2 ended 32 days ago, its round closed: run-due publishes it.
    with at(date(2027, 2, 1)):
        result = app.test_cli_runner().invoke(args=["run-due"])
        again = app.test_cli_runner().invoke(args=["run-due"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "vrijgegeven: partner 2026-H2; overzichtsmail (week 5) aan 1"
    assert again.output.strip() == "niets te doen"  # the same week: no second digest

    (mail,) = smtp.mails
    assert mail.recipients == ["manager@example.nl"]  # not the lezer, not the beheerder who switched it off
    assert mail.message["Subject"] == "Overzicht waarderingsonderzoeken Sociaal Team Houten"
    text = mail.message.get_content()
    lines = text.splitlines()
    assert "- Partnerwaardering voor de samenwerking is in 2026-H2 onder de norm." in lines
    (published,) = [line for line in lines if line.startswith("- Partnerwaardering voor de samenwerking, 2026-H2: ")]
    value = published.split(": ")[1].split(" ")[0]
    assert float(value.replace(",", ".")) == 5.0 and published.endswith("(norm > 7): onder de norm")
    assert "- partner 2027-H1: 3 ingevuld van 40 (8 %), open tot en met 31-03-2027" in lines
    # Nothing of the running half-year but its count: no mean of 9, no verdict, no line for 2027-H1's KPI.
    assert "9,0" not in text and "2027-H1:" not in text.replace("partner 2027-H1: 3 ingevuld", "")
    assert "2026-H1" not in text  # published long ago: not news


def test_a_manager_switches_the_digest_off_and_on_again(app, client):
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
    assert log_in(client, "manager@example.nl").status_code == 303
    page = client.get("/beheer/overzichtsmail").get_data(as_text=True)
    assert "U krijgt de overzichtsmail nu <strong>wel</strong>." in page
    assert post_form(client, "/beheer/overzichtsmail", "/beheer/overzichtsmail", {"digest": "0"}).status_code == 303
    assert "U krijgt de overzichtsmail niet meer." in client.get("/beheer/overzichtsmail").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.digest).filter_by(email="manager@example.nl")) is False
    assert post_form(client, "/beheer/overzichtsmail", "/beheer/overzichtsmail", {"digest": "ja"}).status_code == 400
    assert post_form(client, "/beheer/overzichtsmail", "/beheer/overzichtsmail", {"digest": "1"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.digest).filter_by(email="manager@example.nl")) is True


def test_a_round_that_closed_gets_its_own_digest_the_day_after(app, smtp):
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        with at(date(2027, 3, 1)):
            create_round("partner", "2027-H1", opens_on=date(2027, 3, 1), closes_on=date(2027, 3, 10), population=5)
    with at(date(2027, 3, 8)):  # Monday, week 10
        assert app.test_cli_runner().invoke(args=["run-due"]).output.strip() == "overzichtsmail (week 10) aan 1"
    with at(date(2027, 3, 11)):
        output = app.test_cli_runner().invoke(args=["run-due"]).output.strip()
    assert output == "overzichtsmail (meetronde 1 (partner 2027-H1) is gesloten) aan 1"  # no codes: no purge
    assert len(smtp.mails) == 2
    assert ("Dit is het overzicht van de waarderingsonderzoeken van Sociaal Team Houten (meetronde 1 (partner "
            "2027-H1) is gesloten).") in smtp.mails[1].message.get_content()

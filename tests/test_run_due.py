"""`run-due` runs a round without anyone clicking (DESIGN.md sections 4 and 7): reminders to unused mailed codes
N days after the invitation, at most M times, then the codes and addresses gone when the round closed. Safe to
start every few minutes, also from two machines at the same moment: every job happens once."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from surveys import periods
from surveys.extensions import db
from surveys.models import AuditEvent, InvitationCode, Round, ScheduledRun
from surveys.services.mail import Address, Mailer, MailSettings, send_invitations
from surveys.services.rounds import create_round, hash_code

from .helpers import GOOD_ANSWERS, fill_in, open_round
from .server import ROOT, SERVER_SECRET

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ADDRESSES = ["ans@example.nl", "bram@example.nl", "cor@example.nl"]


def at(day: date, hour: int = 10):
    """The clock at `hour` o'clock in Amsterdam on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM), tick=False)


def invite(app, round_id: int, addresses: list[str]) -> None:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        with Mailer(MailSettings.from_config(app.config)) as mailer:
            report = send_invitations(round_, [Address(n, a) for n, a in enumerate(addresses, 2)], mailer,
                                      app.config["BASE_URL"], periods.today())
        assert report.sent == len(addresses)


def run(app) -> str:
    result = app.test_cli_runner().invoke(args=["run-due"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def code_rows(app) -> list[tuple[str | None, bool, int]]:
    with app.app_context():
        return [(c.email, c.used, c.reminders_sent) for c in db.session.scalars(
            select(InvitationCode).order_by(InvitationCode.email))]


def test_reminders_go_after_n_days_only_to_unused_codes_at_most_twice_then_the_round_closes_clean(app, smtp):
    opens, closes = date(2027, 3, 1), date(2027, 3, 31)
    with at(opens), app.app_context():
        round_id = create_round("partner", "2027-H1", opens_on=opens, closes_on=closes, population=3).id
    with at(opens):
        invite(app, round_id, ADDRESSES)
    invitations = {mail.recipients[0]: mail.code for mail in smtp.mails}
    with at(opens + timedelta(days=2)):
        answered = fill_in(app.test_client(), f"/r/{invitations['bram@example.nl']}", GOOD_ANSWERS["partner"])
        assert answered.status_code == 303

    with at(opens + timedelta(days=6)):
        assert run(app) == "niets te doen"  # 6 days: not yet (reminder_days is 7)
    assert len(smtp.mails) == 3
    with at(opens + timedelta(days=7)):
        assert run(app) == "2 herinneringen ronde 1 (partner 2027-H1)"
        assert run(app) == "niets te doen"  # the same day again: nothing twice
    first = {mail.recipients[0]: mail.code for mail in smtp.mails[3:]}
    assert sorted(first) == ["ans@example.nl", "cor@example.nl"]  # never bram, who answered
    assert all("herinnering" in mail.message["Subject"].lower() for mail in smtp.mails[3:])
    assert first["ans@example.nl"] != invitations["ans@example.nl"]  # a new link; the old one stops working
    with at(opens + timedelta(days=7)):
        assert app.test_client().get(f"/r/{invitations['ans@example.nl']}").status_code == 404
        assert app.test_client().get(f"/r/{first['ans@example.nl']}").status_code == 200

    with at(opens + timedelta(days=13)):
        assert run(app) == "niets te doen"
    with at(opens + timedelta(days=14)):
        assert run(app) == "2 herinneringen ronde 1 (partner 2027-H1)"
    with at(opens + timedelta(days=28)):
        assert run(app) == "niets te doen"  # two reminders is the most (max_reminders)
    assert len(smtp.mails) == 7
    assert code_rows(app) == [("ans@example.nl", False, 2), ("bram@example.nl", True, 0), ("cor@example.nl", False, 2)]

    with at(closes + timedelta(days=1)):
        output = run(app)
    assert output == ("opgeschoond: codes verwijderd: 3 (met e-mailadres: 3); open antwoorden verwijderd: 0 "
                      "(ingevuld vóór 2025-04-01)")  # FREE_TEXT_MONTHS: 24
    assert code_rows(app) == []
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).filter_by(action="purge")).all()
        assert event.actor == "run-due"
        last = db.session.get(ScheduledRun, "run-due")
        assert last.last_summary == output and last.leased_until is None


def test_the_round_page_shows_the_next_reminder_and_what_run_due_did_last(app, smtp):
    from .test_admin import log_in
    opens = date(2027, 3, 1)
    with at(opens), app.app_context():
        from surveys.services.users import create_user
        create_user("manager@example.nl", "een lang wachtwoord", "manager")
        round_id = create_round("partner", "2027-H1", opens_on=opens, closes_on=date(2027, 3, 31), population=1).id
    with at(opens):
        invite(app, round_id, ADDRESSES[:1])
        client = app.test_client()
        assert log_in(client, "manager@example.nl").status_code == 303
        page = client.get(f"/beheer/rondes/{round_id}").get_data(as_text=True)
    assert "<dt>Volgende herinnering</dt><dd>08-03-2027</dd>" in page
    assert "Nog nooit. De taak <code>run-due</code> draait nog niet" in page
    with at(opens + timedelta(days=7)):
        run(app)
        assert log_in(client, "manager@example.nl").status_code == 303  # a week later: a new session
        page = client.get(f"/beheer/rondes/{round_id}").get_data(as_text=True)
    assert "<dt>Volgende herinnering</dt><dd>15-03-2027</dd>" in page
    # 8 March 2027 is in ISO week 10 (week 1 began on Monday 4 January): the manager gets that digest too.
    assert ("<dd>08-03-2027 10:00:00: 1 herinnering ronde 1 (partner 2027-H1); overzichtsmail (week 10) aan 1</dd>"
            in page)


def test_a_mail_server_that_fails_is_reported_and_the_run_fails_so_cron_shows_it(app):
    from .server import free_port
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nobody listens there
    with app.app_context():
        round_ = open_round("partner")
        db.session.add(InvitationCode(round_id=round_.id, code_hash=hash_code("x"), email="ans@example.nl",
                                      invited_on=periods.today() - timedelta(days=7)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["run-due"])
    assert result.exit_code == 1
    assert "herinneringen ronde 1 (partner" in result.output and "niet bereikbaar" in result.output
    assert code_rows(app) == [("ans@example.nl", False, 0)]  # nothing rotated: the old link still works


def test_two_run_due_processes_at_the_same_moment_send_each_reminder_once(app, smtp, database_url):
    """Two machines' cron fire together: whichever gets the lease reminds, the other says so and stops,
    or comes after and finds nothing due; either way each unused code gets exactly one reminder."""
    with app.app_context():
        round_ = open_round("partner")
        for number in range(40):
            db.session.add(InvitationCode(round_id=round_.id, code_hash=hash_code(f"code {number}"),
                                          email=f"persoon{number}@example.nl",
                                          invited_on=periods.today() - timedelta(days=7)))
        db.session.commit()
        reminded = f"40 herinneringen ronde {round_.id} (partner {round_.period})"
    environment = {**os.environ, "SURVEYS_DATABASE_URL": database_url, "SURVEYS_SECRET_KEY": SERVER_SECRET,
                   "SURVEYS_SMTP_HOST": "127.0.0.1", "SURVEYS_SMTP_PORT": str(app.config["SMTP_PORT"])}
    command = [sys.executable, "-m", "flask", "--app", "surveys", "run-due"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = sorted(process.communicate(timeout=120)[0].strip().splitlines()[-1] for process in runs)
    assert [process.returncode for process in runs] == [0, 0], outputs
    assert outputs[0] == reminded
    assert outputs[1] in ("niets te doen", "another run-due is busy (it holds the lease for at most 15 minutes); "
                                           "nothing done")
    assert sorted(mail.recipients[0] for mail in smtp.mails) == sorted(f"persoon{n}@example.nl" for n in range(40))
    with app.app_context():
        assert db.session.scalar(select(func.sum(InvitationCode.reminders_sent))) == 40


def test_run_due_publishes_a_period_thirty_days_after_its_end_once_its_round_closed(app):
    """SURVEYS_PUBLISH_AFTER_DAYS (30): 2026-H1 ends on 30 June; its partner round closes on 10 July."""
    from surveys.answers import AnswerValue
    from surveys.models import PublishedPeriod
    from surveys.services.questionnaires import current_version
    from surveys.services.responses import NewResponse, store_many

    with app.app_context():
        create_round("partner", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 7, 10), population=9)
        store_many(current_version("partner"), [NewResponse(date(2026, 3, 2), [AnswerValue("P1", value=7)])],
                   channel="paper")
    with at(date(2026, 7, 29)):
        assert "vrijgegeven" not in run(app)  # 29 days after the end
    with at(date(2026, 7, 30)):
        assert run(app) == "vrijgegeven: partner 2026-H1"
    with at(date(2026, 7, 31)):
        assert run(app) == "niets te doen"
    with app.app_context():
        assert [(p.questionnaire, p.period, p.published_by) for p in db.session.scalars(select(PublishedPeriod))] == [
            ("partner", "2026-H1", "run-due")]

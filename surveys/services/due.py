"""`run-due`: everything that must happen on a date without anyone clicking, for cron, a systemd timer or a
Kubernetes CronJob every few minutes.

Rounds open and close by their dates alone (Round.is_open_on); what follows from the dates is done here:
reminders to unused mailed codes N days after their invitation or last reminder, periods published
SURVEYS_PUBLISH_AFTER_DAYS after their end (publication.publish_due), the codes and addresses of closed
rounds deleted and old free text purged (the retention settings).

Safe to run from several machines at once. One run works at a time: it takes a lease on a row of
`scheduled_run` by a conditional UPDATE (a database lock, not a process lock), and a second run finds it
taken and does nothing. Each job is also idempotent on its own, for a run that outlives its lease: a reminder
rotates a code only by a conditional UPDATE that still finds it due, and a purge deletes what is there."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import InvitationCode, Round, ScheduledRun, utcnow
from ..questionnaires import Questionnaire
from . import digest, letters, publication, retention, transaction
from .mail import Mailer, MailError, MailSettings, send_reminders
from .questionnaires import current_version, definition_of

NAME = "run-due"
#: Longer than a run takes (a few hundred reminder mails); a run that died frees the lease after this.
LEASE = timedelta(minutes=15)


@dataclass
class DueReport:
    """What one run did, a line per job that did something, for the CLI and the round page."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(self.lines + self.failures) or "niets te doen"


def run_due(today: date, base_url: str) -> DueReport | None:
    """Do every job that is due today; None when another run holds the lease."""
    if not _take_lease(utcnow()):
        return None
    report = DueReport()
    try:
        _remind(today, base_url, report)
        _publish(today, report)
        _purge(today, report)
        _digest(today, report)  # last: it tells what the jobs above published
    finally:
        _release(report)
    return report


def last_run() -> ScheduledRun | None:
    return db.session.get(ScheduledRun, NAME)


def _take_lease(now: datetime) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ScheduledRun).values(name=NAME))
    except IntegrityError:
        pass  # the row exists since the first run
    taken = db.session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.name == NAME, or_(ScheduledRun.leased_until.is_(None), ScheduledRun.leased_until < now))
        .values(leased_until=now + LEASE, last_started_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return taken


def _release(report: DueReport) -> None:
    db.session.rollback()  # whatever a failing job left open
    db.session.execute(update(ScheduledRun).where(ScheduledRun.name == NAME).values(
        leased_until=None, last_finished_at=utcnow(), last_summary=report.summary()[:2000])
        .execution_options(synchronize_session=False))
    db.session.commit()


# --- reminders --------------------------------------------------------------------------------------------

def due_reminder_rules(questionnaire: Questionnaire, today: date) -> tuple:
    """The conditions under which a mailed code of this questionnaire's round gets a reminder today: fewer
    than max_reminders so far, and reminder_days since the invitation or the last reminder."""
    last = func.coalesce(InvitationCode.reminded_on, InvitationCode.invited_on)
    return (InvitationCode.reminders_sent < questionnaire.max_reminders,
            last <= today - timedelta(days=questionnaire.reminder_days))


def next_reminder(round_: Round) -> date | None:
    """The day `run-due` sends this round's next reminder: the earliest due day among unused mailed codes
    that may still get one, within the round's dates; None when no reminder is coming."""
    questionnaire = definition_of(current_version(round_.questionnaire))
    last = func.coalesce(InvitationCode.reminded_on, InvitationCode.invited_on)
    earliest = db.session.scalar(select(func.min(last)).where(
        InvitationCode.round_id == round_.id, InvitationCode.used.is_(False), InvitationCode.email.is_not(None),
        InvitationCode.reminders_sent < questionnaire.max_reminders))
    if earliest is None:
        return None
    day = max(earliest + timedelta(days=questionnaire.reminder_days), round_.opens_on)
    return day if day <= round_.closes_on else None


def _remind(today: date, base_url: str, report: DueReport) -> None:
    rounds = list(db.session.scalars(select(Round).where(Round.opens_on <= today, Round.closes_on >= today)
                                     .order_by(Round.id)))
    if not rounds:
        return
    mailer = Mailer(MailSettings.from_config(current_app.config))
    for round_ in rounds:
        rules = due_reminder_rules(definition_of(current_version(round_.questionnaire)), today)
        if not db.session.scalar(select(func.count()).select_from(InvitationCode).where(
                InvitationCode.round_id == round_.id, InvitationCode.used.is_(False),
                InvitationCode.email.is_not(None), *rules)):
            continue
        label = f"ronde {round_.id} ({round_.questionnaire} {round_.period})"
        try:
            with mailer:
                sent = send_reminders(round_, mailer, base_url, today, only=rules)
        except MailError as error:
            report.failures.append(f"herinneringen {label} niet verstuurd: {error}")
            continue
        if sent.sent:
            report.lines.append(f"{sent.sent} herinnering{'en' if sent.sent != 1 else ''} {label}")
        if sent.failure:
            report.failures.append(f"herinneringen {label}: {sent.failure} ({sent.not_sent} niet verstuurd)")


# --- publication ------------------------------------------------------------------------------------------

def _publish(today: date, report: DueReport) -> None:
    """Publish the periods that ended SURVEYS_PUBLISH_AFTER_DAYS ago or more and whose rounds have closed."""
    done = publication.publish_due(today, current_app.config["PUBLISH_AFTER_DAYS"], by=NAME)
    if done:
        report.lines.append("vrijgegeven: " + ", ".join(f"{questionnaire} {period}" for questionnaire, period in done))


# --- retention --------------------------------------------------------------------------------------------

def _purge(today: date, report: DueReport) -> None:
    """Purge when there is something to purge (so the audit log gets a line only for a real purge). Cliënt
    letters past their minutes go on every run: sealed links, no personal data to audit."""
    with transaction():
        letters.delete_expired_letters()
    waiting = retention.status(today)
    if not (waiting.codes_due or waiting.free_texts_due):
        return
    result = retention.purge(today, actor=NAME)
    report.lines.append(f"opgeschoond: {result.summary()}")


# --- the digest -------------------------------------------------------------------------------------------

def _digest(today: date, report: DueReport) -> None:
    try:
        report.lines.extend(digest.send_due(today))
    except MailError as error:
        report.failures.append(f"overzichtsmail niet verstuurd: {error}")

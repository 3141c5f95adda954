"""The digest mail of `run-due` for managers and beheerders: weekly (the first run of each ISO week) and the
day after a round closes. It holds the responses so far per open round, the KPIs of periods published since
the previous digest with their verdicts, and an alert for each KPI now below its norm or falling. It goes
through the same report service as every other channel, so it never holds a figure of an unpublished
period (DESIGN.md section 6), and never answers.

Each digest is sent once: its row in done_job (job "digest", a key per week or round) is inserted in the
transaction that sends it, so a second run finds the row (or waits for it and then finds it), and a mail
server failure rolls the row back for the next run to try again."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from .. import formatting
from ..extensions import db
from ..models import DoneJob, PublishedPeriod, Round, User, utcnow
from ..periods import parse_period
from . import audit, invitations, organisation, transaction
from .mail import Mailer, MailSettings, message_id
from .reports import KpiReport, ReportError, kpi_results

JOB = "digest"
#: A round that closed longer ago than this gets no digest of its own (the first run after an upgrade
#: must not mail one for every round in the database).
RECENT_CLOSE = timedelta(days=7)
VERDICTS = {"boven_norm": "boven de norm", "onder_norm": "onder de norm",
            "niet_te_onderscheiden": "niet te onderscheiden van de norm", "te_weinig_respons": "te weinig reacties"}


@dataclass
class Digest:
    """What one digest says, in lines of plain Dutch text."""

    reason: str
    rounds: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    def text(self, name: str) -> str:
        parts = [f"Goedendag,\n\nDit is het overzicht van de waarderingsonderzoeken van {name} ({self.reason})."]
        if self.alerts:
            parts.append("Let op:\n" + "\n".join(f"- {line}" for line in self.alerts))
        parts.append("Open meetrondes:\n" + ("\n".join(f"- {line}" for line in self.rounds) or "- geen"))
        if self.published:
            parts.append("Net vrijgegeven:\n" + "\n".join(f"- {line}" for line in self.published))
        parts.append("U krijgt deze mail omdat u manager of beheerder bent. Zet hem uit onder Overzichtsmail op de "
                     "beheerpagina's.")
        return "\n\n".join(parts) + "\n"


def choose(user: User, wanted: bool) -> None:
    """A manager switches the digest on or off for their own account (audited)."""
    with transaction():
        db.session.execute(update(User).where(User.id == user.id).values(digest=wanted)
                           .execution_options(synchronize_session=False))
        audit.record("digest_on" if wanted else "digest_off", actor=user.email, commit=False)


def due_keys(today: date) -> list[tuple[str, str]]:
    """(key, reason) of each digest due today: this ISO week's, and one per round closed in the last week."""
    year, week, _ = today.isocalendar()
    keys = [(f"week-{year}-{week:02d}", f"week {week}")]
    closed = db.session.scalars(select(Round).where(Round.closes_on < today, Round.closes_on >= today - RECENT_CLOSE)
                                .order_by(Round.closes_on, Round.id))
    keys += [(f"round-{round_.id}", f"meetronde {round_.id} ({round_.questionnaire} {round_.period}) is gesloten")
             for round_ in closed]
    return keys


def send_due(today: date) -> list[str]:
    """Send each digest due today that was not sent yet (with nobody to send it to, it counts as sent);
    returns a line per digest sent. MailError when the mail server fails (that digest is tried again next
    run)."""
    done = set(db.session.scalars(select(DoneJob.key).where(DoneJob.job == JOB)))
    sent = []
    for key, reason in due_keys(today):
        if key in done:
            continue
        recipients = list(db.session.scalars(select(User.email).where(
            User.active.is_(True), User.digest.is_(True), User.role.in_(("manager", "beheerder")))))
        try:
            with transaction():
                db.session.execute(insert(DoneJob).values(job=JOB, key=key))
                if recipients:
                    _mail(compose(today, reason, _since()), recipients)
        except IntegrityError:  # another run sent it a moment ago
            db.session.rollback()
            continue
        if recipients:
            sent.append(f"overzichtsmail ({reason}) aan {len(recipients)}")
    return sent


def _since() -> datetime:
    """When the previous digest went (periods published after it are news to the readers); for the first
    digest ever, a week ago, so it does not list every period published before the digest existed."""
    previous = db.session.scalars(select(DoneJob.done_at).where(DoneJob.job == JOB)
                                  .order_by(DoneJob.done_at.desc()).limit(2)).all()
    return previous[1] if len(previous) > 1 else utcnow() - timedelta(days=7)  # [0]: the digest being sent


def compose(today: date, reason: str, since: datetime) -> Digest:
    digest = Digest(reason)
    for stats in invitations.round_stats():
        round_ = stats.round
        if round_.is_open_on(today):
            rate = f" van {round_.population} ({formatting.nl_percent(stats.response_rate)})" \
                if stats.response_rate is not None else ""
            digest.rounds.append(f"{round_.questionnaire} {round_.period}: {stats.responses} ingevuld{rate}, "
                                 f"open tot en met {round_.closes_on.strftime('%d-%m-%Y')}")
    query = (select(PublishedPeriod).where(PublishedPeriod.published_at > since)
             .order_by(PublishedPeriod.period, PublishedPeriod.questionnaire))
    for published in db.session.scalars(query):
        for report in _reports(published.questionnaire, published.period):
            digest.published.append(_line(report))
            alert = _alert(report)
            if alert:
                digest.alerts.append(alert)
    return digest


def _reports(questionnaire: str, period: str) -> list[KpiReport]:
    try:
        reports = kpi_results(parse_period(period))
    except ReportError:  # no KPI is reported in periods of this kind
        return []
    return [report for report in reports if report.kpi.questionnaire == questionnaire and report.published]


def _line(report: KpiReport) -> str:
    result = report.result
    if result.suppressed:
        return f"{report.kpi.label.nl}, {report.period}: te weinig reacties om een cijfer te tonen"
    kpi = report.kpi
    value = formatting.kpi_figures(result, kpi.statistic)["value"]
    return (f"{kpi.label.nl}, {report.period}: {value} (norm {formatting.norm_text(result.norm, kpi.statistic)}): "
            f"{VERDICTS.get(result.verdict, result.verdict)}")


def _alert(report: KpiReport) -> str | None:
    if report.result.suppressed:
        return None
    if report.result.verdict == "onder_norm":
        return f"{report.kpi.label.nl} is in {report.period} onder de norm."
    if report.trend is not None and report.trend.verdict == "daling":
        return f"{report.kpi.label.nl} is in {report.period} gedaald ten opzichte van {report.period.previous()}."
    return None


def _mail(digest: Digest, recipients: list[str]) -> None:
    profile = organisation.current()
    settings = MailSettings.from_config(current_app.config)
    with Mailer(settings) as mailer:
        for recipient in recipients:
            message = EmailMessage()
            message["Subject"] = f"Overzicht waarderingsonderzoeken {profile.short_name}"
            message["From"] = settings.sender
            message["To"] = recipient
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = message_id(settings.sender)
            message.set_content(digest.text(profile.short_name))
            mailer.send(message)

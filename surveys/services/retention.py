"""Retention (AVG): what the service keeps and for how long. Invitation codes and the e-mail addresses
beside them go once their round has closed; free-text answers go after FREE_TEXT_MONTHS months. Grades,
choices and the responses themselves stay: they hold nothing that points at a person."""

import calendar
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Answer, AuditEvent, InvitationCode, Response, Round, UsedFormToken
from . import audit, letters, transaction


class RetentionError(ValueError):
    """The retention settings cannot be used as they are; the message says why."""


@dataclass(frozen=True)
class PurgeResult:
    """What one purge removed."""

    codes_deleted: int
    addresses_deleted: int  # codes among codes_deleted that carried an e-mail address
    free_texts_deleted: int
    free_text_cutoff: date  # free text submitted before this day was removed

    def summary(self) -> str:
        """The counts in words, for the audit log and the retention page."""
        return (f"codes verwijderd: {self.codes_deleted} (met e-mailadres: {self.addresses_deleted}); "
                f"open antwoorden verwijderd: {self.free_texts_deleted} "
                f"(ingevuld vóór {self.free_text_cutoff.isoformat()})")


def free_text_months() -> int:
    """FREE_TEXT_MONTHS as a whole number of at least 1; anything else would purge all free text."""
    value = current_app.config["FREE_TEXT_MONTHS"]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if type(value) is not int or value < 1:  # bool is an int too, and must not pass
        raise RetentionError(f"FREE_TEXT_MONTHS moet een heel aantal maanden van minstens 1 zijn, niet {value!r}")
    return value


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier; the month's last day where it is shorter
    (31 March minus one month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def free_text_cutoff(today: date) -> date:
    """Free text submitted before this day is older than FREE_TEXT_MONTHS months."""
    return months_before(today, free_text_months())


def _closed_rounds(today: date):
    return select(Round.id).where(Round.closes_on < today)


def _old_responses(cutoff: date):
    return select(Response.id).where(Response.submitted_on < cutoff)


def purge(today: date, *, actor: str | None = None) -> PurgeResult:
    """Delete the codes (and so the addresses) of rounds closed before today and the free-text answers
    older than FREE_TEXT_MONTHS months, audit the counts, and return them. One transaction: all or none.
    The rounds keep their population, the responses all their other answers."""
    cutoff = free_text_cutoff(today)
    closed = InvitationCode.round_id.in_(_closed_rounds(today))
    with transaction():
        # Two statements so each count is exactly what its own DELETE removed, not a separate COUNT
        # that a concurrent writer could make stale.
        addresses = db.session.execute(
            delete(InvitationCode).where(closed, InvitationCode.email.is_not(None))
            .execution_options(synchronize_session=False)).rowcount
        other_codes = db.session.execute(
            delete(InvitationCode).where(closed).execution_options(synchronize_session=False)).rowcount
        texts = db.session.execute(
            delete(Answer).where(Answer.text.is_not(None), Answer.response_id.in_(_old_responses(cutoff)))
            .execution_options(synchronize_session=False)).rowcount
        # The office tablet's used form tokens past their day: only hashes, so not counted as personal data.
        db.session.execute(delete(UsedFormToken).where(UsedFormToken.expires_on < today)
                           .execution_options(synchronize_session=False))
        # Cliënt letters never downloaded: their sealed links, past their minutes.
        letters.delete_expired_letters()
        result = PurgeResult(addresses + other_codes, addresses, texts, cutoff)
        audit.record("purge", actor=actor or "cli", detail=result.summary(), commit=False)
    return result


@dataclass(frozen=True)
class RetentionStatus:
    """What the retention page shows: the settings, what a purge would remove now, and the last run."""

    free_text_months: int
    free_text_cutoff: date
    codes_due: int
    addresses_due: int
    free_texts_due: int
    last_purge: AuditEvent | None


def status(today: date) -> RetentionStatus:
    """The settings and what is waiting to be purged today (counted, nothing changed)."""
    cutoff = free_text_cutoff(today)
    closed = InvitationCode.round_id.in_(_closed_rounds(today))
    codes, addresses = db.session.execute(
        select(func.count(), func.count(InvitationCode.email)).select_from(InvitationCode).where(closed)).one()
    texts = db.session.scalar(select(func.count()).select_from(Answer).where(
        Answer.text.is_not(None), Answer.response_id.in_(_old_responses(cutoff))))
    return RetentionStatus(free_text_months(), cutoff, codes, addresses, texts, audit.last("purge"))

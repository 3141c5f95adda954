"""The audit log: who did what, when. It records actions, never answers or codes."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from .. import periods
from ..extensions import db
from ..models import AuditEvent


def record(action: str, *, actor: str | None = None, detail: str | None = None, commit: bool = True) -> None:
    """Add an event; with commit=False it joins the caller's transaction (so both land or neither)."""
    db.session.add(AuditEvent(action=action, actor=actor, detail=(detail or None) and detail[:500]))
    if commit:
        db.session.commit()


def recent(limit: int = 200, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def last(action: str) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class Selection:
    """Which events the beheerder looks at: one kind, one person (part of the address), local days."""

    action: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None

    def query(self):
        query = select(AuditEvent)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.actor:
            pattern = self.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(AuditEvent.actor).like(f"%{pattern}%", escape="\\"))
        if self.since:
            query = query.where(AuditEvent.at >= _utc_start_of(self.since))
        if self.until:
            query = query.where(AuditEvent.at < _utc_start_of(self.until + timedelta(days=1)))
        return query


def _utc_start_of(day: date) -> datetime:
    """Midnight of a day in the organisation's time zone, as the stored (naive UTC) times count."""
    local = datetime.combine(day, time(), tzinfo=periods.local_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def page(selection: Selection, number: int, size: int) -> tuple[list[AuditEvent], int]:
    """One page of the selected events, newest first, and how many there are in all."""
    total = db.session.scalar(select(func.count()).select_from(selection.query().subquery()))
    events = db.session.scalars(selection.query().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .limit(size).offset((number - 1) * size))
    return list(events), total


def every(selection: Selection) -> Iterator[AuditEvent]:
    """Every selected event, newest first, fetched in batches (for the export)."""
    yield from db.session.scalars(selection.query().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                  .execution_options(yield_per=1000))

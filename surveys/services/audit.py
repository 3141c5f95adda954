"""The audit log: who did what, when. It records actions, never answers or codes."""

from sqlalchemy import select

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

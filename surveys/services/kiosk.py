"""The office tablet (DESIGN.md §4): devices a manager registered for the open link, and the one-time
token of each open-link form page.

A device holds a random token in a long-lived cookie; the database keeps only its SHA-256 hash, so a copy
of the database cannot make a tablet. A form page carries a token of its own, signed with the app's secret
and the moment it was made: its answers are stored only in the transaction that inserts the token's hash
into used_form_token, whose primary key lets one insert win, whichever worker or database."""

import hashlib
import secrets
from datetime import date, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import insert, select, update

from ..extensions import db
from ..models import KioskDevice, UsedFormToken
from . import audit, transaction

COOKIE = "surveys_tablet"
COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chromium caps it there); renewed by each response
NAME_LENGTH = 80
#: How long a form page may stay open. A used token is remembered until it would have expired anyway.
FORM_TOKEN_SECONDS = 12 * 3600
_SALT = "surveys.kiosk.form-token"


class DeviceError(ValueError):
    """A registration that cannot be made as asked; the message says why, in Dutch."""


class FormTokenExpired(Exception):
    """The page's token is missing, unreadable or too old: the answers may be sent again from a new page."""


class FormAlreadySent(Exception):
    """The page's token was used: its answers are stored already."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def register_device(name: str, *, actor: str) -> str:
    """Register a tablet and return its token, for the cookie; the only time the plain token exists."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_LENGTH or not name.isprintable():
        raise DeviceError(f"Geef de tablet een naam van 1 tot {NAME_LENGTH} gewone tekens, zoals 'Tablet balie'.")
    token = secrets.token_urlsafe(32)
    with transaction():
        db.session.add(KioskDevice(name=name, token_hash=_hash(token), registered_by=actor))
        audit.record("kiosk_registered", actor=actor, detail=name, commit=False)
    return token


def revoke_device(device_id: int, *, actor: str) -> KioskDevice | None:
    """Stop a tablet's cookie from opening the open link; None when there is no such device."""
    with transaction():
        device = db.session.get(KioskDevice, device_id)
        if device is None:
            return None
        if not device.revoked:
            db.session.execute(update(KioskDevice).where(KioskDevice.id == device_id).values(revoked=True))
            audit.record("kiosk_revoked", actor=actor, detail=device.name, commit=False)
    return device


def devices() -> list[KioskDevice]:
    return list(db.session.scalars(select(KioskDevice).order_by(KioskDevice.revoked, KioskDevice.id)))


def is_registered(token: str | None) -> bool:
    """Whether a device cookie belongs to a registered tablet that was not revoked."""
    if not token or len(token) > 100:
        return False
    return db.session.scalar(select(KioskDevice.id).where(
        KioskDevice.token_hash == _hash(token), KioskDevice.revoked.is_(False))) is not None


def form_token_signer(secret_key: str) -> TimestampSigner:
    """What signs the form pages' tokens of an app with this secret (bench/load.py signs its own with it)."""
    return TimestampSigner(secret_key, salt=_SALT)


def _signer() -> TimestampSigner:
    return form_token_signer(current_app.config["SECRET_KEY"])


def new_form_token() -> str:
    """A token for one form page: random, signed with the moment it was made."""
    return _signer().sign(secrets.token_urlsafe(16)).decode("ascii")


def form_token_hash(token: str | None) -> str:
    """The hash under which a form page's token is used up; FormTokenExpired for one that is not ours or
    too old (its answers can be checked and sent again from a fresh page)."""
    if not token or len(token) > 200:
        raise FormTokenExpired()
    try:
        _signer().unsign(token, max_age=FORM_TOKEN_SECONDS)
    except (SignatureExpired, BadSignature):
        raise FormTokenExpired() from None
    return _hash(token)


def use_form_token(token_hash: str, day: date) -> None:
    """Mark a form page's token used, inside the caller's transaction (the one that stores its answers).

    A plain INSERT into the primary key: a second one, from this worker or another, at the same moment or
    later, fails in the database (on PostgreSQL it waits for the first transaction and then fails), and
    services.responses turns that into FormAlreadySent, so one page stores one response. The row keeps only
    the hash and a day: two days after the day of storing, later than the token could still be accepted
    (FORM_TOKEN_SECONDS is less than a day), and derived from the day the response holds already.
    retention.purge deletes the rows past that day."""
    db.session.execute(insert(UsedFormToken).values(token_hash=token_hash, expires_on=day + timedelta(days=2)))


def is_used_form_token(error: Exception) -> bool:
    """Whether a database error is the second use of a form token (use_form_token)."""
    return UsedFormToken.__tablename__ in str(getattr(error, "orig", error))


def set_device_cookie(reply, token: str) -> None:
    """The device cookie on a reply: for the whole site (the open link and the management page), never
    readable by a script, sent along with a link from elsewhere but not with another site's form post,
    and over HTTPS only wherever the session cookie is."""
    reply.set_cookie(COOKIE, token, max_age=COOKIE_DAYS * 24 * 3600, path="/", httponly=True, samesite="Lax",
                     secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))

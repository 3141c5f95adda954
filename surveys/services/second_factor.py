"""The second factor for password logins (DESIGN.md section 11, BIO 5.17.1): TOTP codes from an
authenticator app (RFC 6238, pyotp), ten one-time recovery codes, the beheerder's "required for everyone"
setting, and a reset by a beheerder. Every change is audited."""

import hashlib
import secrets
import time

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, insert, or_, select, update

from ..extensions import db
from ..models import RecoveryCode, Setting, User
from . import audit, organisation, transaction
from .users import end_sessions_of

RECOVERY_CODES = 10
REQUIRED_KEY = "second_factor_required"
# Codes of the step before and after the current one are accepted too: a phone's clock may be 30 s off.
CLOCK_STEPS = 1
# Recovery codes: 10 characters of Crockford base32 (50 bits), shown as two groups of five.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MISREAD = str.maketrans("OIL", "011")


class SecondFactorError(ValueError):
    """A code that was not accepted; the message says why, in Dutch."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(email: str, secret: str) -> str:
    # The app lists the account under the organisation's short name, so staff of two teams tell them apart.
    issuer = f"Waardering {organisation.current().short_name}"
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code(uri: str) -> Markup:
    """The enrolment link as an inline SVG QR code (no script, no image request)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR-code voor uw authenticator-app"))


def enrol(user: User, secret: str, code: str) -> list[str]:
    """Switch the second factor on with the secret the user's app now holds, once a code from the app
    proves it; returns the ten recovery codes, shown once (only their hashes are kept)."""
    step = _matching_step(secret, code)
    if step is None:
        raise SecondFactorError("deze code klopt niet; kijk of de tijd op uw telefoon goed staat en probeer de "
                                "nieuwste code")
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    with transaction():
        db.session.execute(update(User).where(User.id == user.id)
                           .values(totp_secret=secret, totp_last_step=step))
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == user.id))
        db.session.execute(insert(RecoveryCode), [{"account_id": user.id, "code_hash": _hash(code)}
                                                  for code in codes])
        audit.record("second_factor_enrolled", actor=user.email, commit=False)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def verify(user: User, code: str) -> None:
    """Accept a code from the app (each at most once) or a recovery code (used up); SecondFactorError
    otherwise. Both by a conditional UPDATE or DELETE, so two logins at once cannot both use one code."""
    # As typed from paper: spaces and dashes left out, any case, and O, I, L read as 0, 1, 1 (Crockford).
    typed = "".join((code or "").split()).replace("-", "").upper().translate(_MISREAD)
    if typed.isdigit() and len(typed) == 6:
        step = _matching_step(user.totp_secret, typed)
        if step is not None and db.session.execute(
                update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount == 1:
            audit.record("login_second_factor", actor=user.email, commit=False)
            db.session.commit()
            return
        db.session.rollback()
    elif len(typed) == 10:
        used = db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == user.id,
                                                             RecoveryCode.code_hash == _hash(typed))).rowcount
        if used == 1:
            left = db.session.scalar(select(db.func.count()).select_from(RecoveryCode)
                                     .where(RecoveryCode.account_id == user.id))
            audit.record("recovery_code_used", actor=user.email, detail=f"nog {left} over", commit=False)
            db.session.commit()
            return
        db.session.rollback()
    audit.record("login_second_factor_failed", actor=user.email)
    raise SecondFactorError("deze code klopt niet (of is al gebruikt); gebruik de nieuwste code uit uw app, of "
                            "een van uw herstelcodes")


def reset(user: User, *, actor: str) -> None:
    """A beheerder switches the account's second factor off (a lost phone): the account enrols again at its
    next login, and its sessions end."""
    with transaction():
        db.session.execute(update(User).where(User.id == user.id).values(totp_secret=None, totp_last_step=None))
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == user.id))
        end_sessions_of(user)
        audit.record("second_factor_reset", actor=actor, detail=user.email, commit=False)


def required() -> bool:
    """Whether every account must use the second factor (the beheerder's setting)."""
    setting = db.session.get(Setting, REQUIRED_KEY)
    return setting is not None and setting.value == "true"


def set_required(value: bool, *, actor: str) -> None:
    with transaction():
        setting = db.session.get(Setting, REQUIRED_KEY) or Setting(key=REQUIRED_KEY, value="false")
        setting.value = "true" if value else "false"
        db.session.add(setting)
        audit.record("second_factor_required" if value else "second_factor_optional", actor=actor, commit=False)


def _matching_step(secret: str | None, code: str) -> int | None:
    """The 30-second step within CLOCK_STEPS of now whose code this is, or None."""
    if not secret or not (code or "").strip().isdigit():
        return None
    totp, now = pyotp.TOTP(secret), int(time.time())
    step_now = now // totp.interval
    for step in range(step_now - CLOCK_STEPS, step_now + CLOCK_STEPS + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code.strip()):
            return step
    return None


def _new_recovery_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()

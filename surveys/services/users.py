"""Staff accounts: creation, password checks and role changes. Passwords are hashed with scrypt."""

import re
import secrets

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, User
from . import audit, transaction

MIN_PASSWORD_LENGTH = 12
# A fixed hash to compare against when the account does not exist, so both cases take as long.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class UserError(ValueError):
    """An account that cannot be made or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


#: zxcvbn's score (0-4) a password needs: 4, "very unguessable" (about 10^10 guesses and more). Score 3
#: still let through "Welkom01!2024" and "janssen.houten" for p.janssen@houten.nl; a passphrase of three
#: or four words reaches 4.
MIN_PASSWORD_SCORE = 4
# Words of this service that a guesser tries first, on top of zxcvbn's lists of common passwords and words.
SERVICE_WORDS = ("sociaal", "team", "houten", "waardering", "surveys", "beheer", "wachtwoord")


def check_new_password(password: str, email: str = "") -> None:
    """At least 12 characters, and not easy to guess: zxcvbn (common passwords, words, names, keyboard
    patterns, repeats, dates), with the account's own e-mail address and this service's words counted as
    known to the guesser."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens lang zijn")
    from zxcvbn import zxcvbn  # its word lists take memory; only password changes need them

    known = [*SERVICE_WORDS, *(part for part in re.split(r"[@._+-]", email.lower()) if len(part) > 2)]
    # zxcvbn refuses more than 72 characters; the first 72 of a longer password say enough of its strength.
    if zxcvbn(password[:72], user_inputs=known)["score"] < MIN_PASSWORD_SCORE:
        raise UserError("dit wachtwoord is te makkelijk te raden (het lijkt op een veelgebruikt wachtwoord, een "
                        "woord, uw e-mailadres of een patroon); kies bijvoorbeeld vier losse woorden")


def valid_email(email: str) -> str:
    """The address as it will be stored (lower case, trimmed), if it is a real address's shape (a domain
    with a dot, no spaces); UserError otherwise."""
    from email_validator import EmailNotValidError, validate_email

    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise UserError(f"'{email}' is geen geldig e-mailadres") from None
    return email


def unusable_password() -> str:
    """The stored hash of an account that has no password yet: no password matches it (werkzeug's check
    refuses a value without a method), and it differs per account, so the fingerprint of its one-time link
    (services/password_links.py) does too."""
    return "!" + secrets.token_hex(16)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith("!")


def create_user(email: str, password: str | None, role: str, *, actor: str | None = None) -> User:
    """A new account. Without a password (how the CLI and the users page make them), it gets one only
    through a one-time link: nobody but its owner ever knows it."""
    email = valid_email(email)
    if role not in ROLES:
        raise UserError(f"onbekende rol '{role}'; kies uit {', '.join(ROLES)}")
    if password is not None:
        check_new_password(password, email)
    if db.session.scalar(select(User).where(func.lower(User.email) == email)):
        raise UserError(f"er is al een account voor {email}")
    stored = unusable_password() if password is None else generate_password_hash(password, method="scrypt")
    user = User(email=email, password_hash=stored, role=role)
    db.session.add(user)
    audit.record("user_created", actor=actor or "cli", detail=f"{email} als {role}", commit=False)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None; the attempt is audited either way."""
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.active:
        audit.record("login_failed", actor=email[:254] or None)
        return None
    audit.record("login", actor=user.email)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password first, then a new one that passes the rules. Every
    session of the account ends (the caller logs this browser in again)."""
    if not check_password_hash(user.password_hash, current or ""):
        audit.record("password_change_failed", actor=user.email)
        raise UserError("het huidige wachtwoord klopt niet")
    if new == current:
        raise UserError("kies een ander wachtwoord dan het huidige")
    check_new_password(new, user.email)
    with transaction():
        user.password_hash = generate_password_hash(new, method="scrypt")
        end_sessions_of(user)
        audit.record("password_changed", actor=user.email, commit=False)
    db.session.refresh(user)


def sso_account(email: str, role: str | None = None) -> User | None:
    """The active account with this e-mail address, for a login the organisation's identity provider
    confirmed (audited); with a role from the provider's claim, the account takes it (unless that would
    leave no beheerder). None when there is no such account: the provider cannot make accounts."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        audit.record("login_sso_failed", actor=normalise_email(email)[:254] or None)
        return None
    if role in ROLES and role != user.role:
        try:
            change_role(user, role, actor="sso")
        except UserError:
            db.session.rollback()
        db.session.refresh(user)
    audit.record("login_sso", actor=user.email)
    return user


def get_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def user_of_session(session_id: str) -> User | None:
    """The active account a session's id ("<account id>.<session version>", User.get_id) belongs to, or
    None once that account's sessions were ended (or it was deactivated)."""
    account_id, _, version = (session_id or "").partition(".")
    user = get_user(account_id) if version.isdigit() else None
    return user if user is not None and user.active and user.session_version == int(version) else None


def end_sessions_of(user: User) -> None:
    """End every session of the account, in the caller's transaction (one UPDATE, so two at once both
    count)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))


def end_sessions(user: User, *, actor: str) -> None:
    """Log the account out everywhere: every browser that holds one of its session cookies."""
    end_sessions_of(user)
    audit.record("logout", actor=actor, commit=False)
    db.session.commit()


def email_taken(email: str) -> bool:
    """Whether an account with this e-mail address (in any case) exists already."""
    email = normalise_email(email)
    return db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)) > 0


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def change_role(user: User, role: str, *, actor: str) -> None:
    """Give the account another role and end its sessions; never the last active beheerder's."""
    if role not in ROLES:
        raise UserError(f"onbekende rol '{role}'")
    with transaction():
        _keep_a_beheerder(user, losing=role != "beheerder")
        old = user.role
        user.role = role
        end_sessions_of(user)  # a session keeps no rights its account no longer has
        audit.record("role_changed", actor=actor, detail=f"{user.email}: {old} → {role}", commit=False)


def set_active(user: User, active: bool, *, actor: str) -> None:
    """(De)activate the account and end its sessions; never the last active beheerder."""
    with transaction():
        _keep_a_beheerder(user, losing=not active)
        user.active = active
        end_sessions_of(user)  # and a reactivated account does not bring its old sessions back
        audit.record("user_activated" if active else "user_deactivated", actor=actor, detail=user.email,
                     commit=False)


def _keep_a_beheerder(user: User, *, losing: bool) -> None:
    """Refuse a change that would leave no active beheerder. Two beheerders demoting each other at the same
    moment must not both succeed, so the check runs under a lock on every active beheerder's row (a no-op
    UPDATE: row locks on PostgreSQL, the write lock on SQLite) taken before anything is read: the second
    change waits for the first, then counts what the first left."""
    db.session.commit()  # end the reads of this request, so the count below comes after the lock
    if not losing or user.role != "beheerder" or not user.active:
        return
    beheerders = (User.role == "beheerder", User.active.is_(True))
    db.session.execute(update(User).where(*beheerders).values(role=User.role)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user)
    others = db.session.scalar(select(func.count()).select_from(User).where(*beheerders, User.id != user.id))
    if user.role == "beheerder" and user.active and others == 0:
        raise UserError("er moet altijd minstens één actieve beheerder zijn; maak eerst iemand anders beheerder")

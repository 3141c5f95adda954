"""One-time links to set a staff password: for a new account (nobody else ever knows its password) and when
someone forgot theirs.

A link carries a signed, timed token (itsdangerous, with the secret key) naming the account, the purpose and a
fingerprint of the account's password hash as it was when the link was made. Setting the password changes the
hash, so a link works once: a second use finds another fingerprint. The change itself is a conditional UPDATE
on the old hash, so two tabs (or two workers) using the same link at the same moment both pass the check, but
only one write lands. Nothing is stored for a link, so there is nothing to purge."""

import hashlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import User
from . import audit
from .mail import Mailer, MailSettings
from .users import check_new_password, normalise_email

#: How long a link works. A new colleague may read the mail only after a weekend; a forgotten password is
#: reset right away, and a mailbox someone else reads later should hold no working link.
HOURS = {"set": 72, "reset": 2}
PATH = "/beheer/wachtwoord-instellen/"


class LinkError(ValueError):
    """A link that does not work (any more); the message says why in plain Dutch."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-link")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:20]


def token_for(user: User, purpose: str) -> str:
    return _serializer().dumps({"a": user.id, "p": purpose, "f": _fingerprint(user)})


def url_for_token(token: str, base_url: str) -> str:
    return base_url.rstrip("/") + PATH + token


def account_of(token: str) -> tuple[User, str]:
    """The active account a link is for, with its purpose ("set" or "reset"); LinkError when the link was
    changed, has expired, was used already, or its account was deactivated."""
    serializer = _serializer()
    try:
        payload = serializer.loads(token)
        purpose = payload["p"]
        serializer.loads(token, max_age=HOURS[purpose] * 3600)
        user = db.session.get(User, int(payload["a"]))
        fingerprint = payload["f"]
    except SignatureExpired:
        raise LinkError("deze link is verlopen; vraag een nieuwe link aan") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("deze link klopt niet; kopieer de hele link uit de mail") from None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise LinkError("deze link is al gebruikt of werkt niet meer; vraag een nieuwe link aan")
    return user, purpose


def set_password(token: str, password: str) -> User:
    """Give the link's account this password and end every session it had. UserError when the password
    does not pass the rules (the link still works then); LinkError when the link does not work."""
    user, purpose = account_of(token)
    check_new_password(password, user.email)
    changed = db.session.execute(
        update(User).where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=generate_password_hash(password, method="scrypt"),
                session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:  # the same link, used at the same moment elsewhere
        db.session.rollback()
        raise LinkError("deze link is al gebruikt of werkt niet meer; vraag een nieuwe link aan")
    audit.record("password_set_by_link" if purpose == "set" else "password_reset_by_link", actor=user.email,
                 commit=False)
    db.session.commit()
    db.session.refresh(user)
    return user


def link_mail(user: User, purpose: str, url: str, sender: str) -> EmailMessage:
    """Plain-text mail with the link, what it is for and how long it works."""
    message = EmailMessage()
    new = purpose == "set"
    message["Subject"] = "Kies uw wachtwoord" if new else "Nieuw wachtwoord kiezen"
    message["From"] = sender
    message["To"] = user.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    reason = ("Er is een account voor u gemaakt om de resultaten van de waarderingsonderzoeken te bekijken."
              if new else "Iemand vroeg een nieuw wachtwoord aan voor uw account. Was u dat niet? Dan kunt u "
              "deze mail weggooien; uw wachtwoord blijft hetzelfde.")
    message.set_content(
        f"Goedendag,\n\n{reason}\n\nKies uw wachtwoord via deze link:\n\n{url}\n\n"
        f"De link werkt één keer, en {HOURS[purpose]} uur lang.\n")
    return message


def mail_link(user: User, purpose: str, base_url: str) -> None:
    """Mail the account a link; MailError when the mail server fails."""
    settings = MailSettings.from_config(current_app.config)
    with Mailer(settings) as mailer:
        mailer.send(link_mail(user, purpose, url_for_token(token_for(user, purpose), base_url), settings.sender))
    audit.record("password_link_sent", actor=user.email, detail="nieuw account" if purpose == "set" else "vergeten")


def active_account(email: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    return user if user is not None and user.active else None

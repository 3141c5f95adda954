"""Invitations made by a registration system at afsluiting (POST /api/v1/invitations): one code in the
questionnaire's open round, handed back as a link, e-mailed, or printed as a letter.

Idempotency: a call with an Idempotency-Key stores, in the same transaction as its code, the key's hash per
token, a keyed hash of the request and the code sealed under the key. The unique constraint on (token, key
hash) settles every repeat, a retry later or a concurrent call at the same moment alike: its insert fails
(the concurrent one after waiting for the first to commit), its own code is rolled back with it, and it
returns the stored code, so one code is ever made. (No look-up first: a retry is the rare case.)

The plain code is never stored as such (DESIGN.md section 4): the sealed form is the code XORed with an
HMAC of the Idempotency-Key under the secret key, so it opens only for whoever holds both the key the client
sent (never stored) and the server's secret. The row goes with its code when the code is purged."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey, InvitationCode, Round
from . import transaction
from .invitations import link, wording
from .letters import letter_for_code
from .mail import Mailer, MailSettings, invitation_mail
from .rounds import hash_code, new_code, open_round_for

DELIVERIES = ("link", "email", "letter")
MAX_KEY_LENGTH = 200


class NoOpenRound(LookupError):
    """The questionnaire has no round open today: a code could only say "closed"."""


class KeyReused(ValueError):
    """The Idempotency-Key was used before by this token for another request."""


@dataclass(frozen=True)
class InvitationRequest:
    questionnaire: str
    delivery: str
    email: str | None = None


@dataclass(frozen=True)
class Invitation:
    round: Round  # read before the commit: nothing of it is loaded again
    url: str
    delivery: str
    replayed: bool = False

    def to_dict(self) -> dict:
        """The JSON answer (schemas.InvitationSchema); the link only when it was asked for."""
        body = {"delivery": self.delivery, "questionnaire": self.round.questionnaire, "round": self.round.id,
                "period": self.round.period, "closes_on": self.round.closes_on.isoformat()}
        return body | {"url": self.url} if self.delivery == "link" else body

    def letter(self, today: date) -> bytes:
        return letter_for_code(self.round, self.url, today)


def normalised_address(email: str) -> str:
    """The address as email-validator normalises it (domain lower-cased and IDNA-checked); no DNS lookup,
    so a call never waits on a resolver. Raises ValueError with a plain Dutch message."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Dit is geen geldig e-mailadres. Controleer het adres, bijvoorbeeld naam@voorbeeld.nl.") \
            from None


def invite(request: InvitationRequest, *, token_id: int, key: str | None, secret: str, base_url: str,
           mail: MailSettings, today: date) -> Invitation:
    """Make (or, for a known Idempotency-Key, find) the code and deliver it. Raises NoOpenRound, KeyReused,
    and for e-mail MailError or RecipientRefused (then nothing is stored)."""
    fingerprint = _request_hash(request, secret)
    round_ = open_round_for(request.questionnaire, today)
    if round_ is None:
        # A retry of a call that made its code before the round closed still gets that code.
        earlier = _earlier(token_id, key, fingerprint, secret, base_url) if key is not None else None
        if earlier is not None:
            return earlier
        raise NoOpenRound(f"De vragenlijst '{request.questionnaire}' heeft vandaag geen open meetronde. "
                          "Een beheerder of manager moet eerst een meetronde openen.")
    db.session.expunge(round_)  # keeps what was read, so the commit below does not make it load again
    code = new_code()
    try:
        with transaction():
            # A mailed code keeps its address and day, as the round page's mailings do, so `run-due` reminds
            # it after the questionnaire's reminder_days, until the round closes and the address is erased.
            mailed = request.delivery == "email"
            code_id = db.session.execute(insert(InvitationCode).values(
                round_id=round_.id, code_hash=hash_code(code), used=False, email=request.email if mailed else None,
                invited_on=today if mailed else None).returning(InvitationCode.id)).scalar_one()
            if key is not None:
                db.session.execute(insert(IdempotencyKey).values(
                    token_id=token_id, key_hash=_key_hash(key), request_hash=fingerprint, code_id=code_id,
                    sealed_code=_seal(code, token_id, key, secret), delivery=request.delivery))
            if request.delivery == "email":
                _send(round_, request.email, link(base_url, code), mail, today)
    except IntegrityError:  # the key was used before (a retry), or a moment ago by a concurrent call: its code
        earlier = _earlier(token_id, key, fingerprint, secret, base_url) if key is not None else None
        if earlier is None:
            raise
        return earlier
    return Invitation(round_, link(base_url, code), request.delivery)


def _send(round_: Round, address: str, url: str, settings: MailSettings, today: date) -> None:
    with Mailer(settings) as mailer:
        mailer.send(invitation_mail(wording(round_, today, channel="mail"), settings.sender, address, url))


def _earlier(token_id: int, key: str, fingerprint: str, secret: str, base_url: str) -> Invitation | None:
    found = db.session.execute(
        select(IdempotencyKey, Round)
        .join(InvitationCode, InvitationCode.id == IdempotencyKey.code_id)
        .join(Round, Round.id == InvitationCode.round_id)
        .where(IdempotencyKey.token_id == token_id, IdempotencyKey.key_hash == _key_hash(key))).first()
    if found is None:
        return None
    record, round_ = found
    if not hmac.compare_digest(record.request_hash, fingerprint):
        raise KeyReused("Deze Idempotency-Key is al gebruikt voor een ander verzoek. Gebruik per nieuwe "
                        "uitnodiging een nieuwe sleutel; stuur bij een nieuwe poging precies hetzelfde verzoek.")
    return Invitation(round_, link(base_url, _unseal(record.sealed_code, token_id, key, secret)), record.delivery,
                      replayed=True)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _request_hash(request: InvitationRequest, secret: str) -> str:
    """Keyed, so the stored hash of a request holding an address cannot be tested against guessed addresses."""
    body = json.dumps([request.questionnaire, request.delivery, request.email], separators=(",", ":"))
    return hmac.new(secret.encode("utf-8"), b"request:" + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _pad(token_id: int, key: str, secret: str) -> bytes:
    message = f"seal:{token_id}:".encode("ascii") + key.encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _seal(code: str, token_id: int, key: str, secret: str) -> str:
    """One pad per token and key, and one code per token and key (the unique constraint): a one-time pad.
    A code is 23 characters, within the pad's 32 bytes."""
    plain = code.encode("ascii").ljust(32, b"\0")
    return bytes(a ^ b for a, b in zip(plain, _pad(token_id, key, secret), strict=True)).hex()


def _unseal(sealed: str, token_id: int, key: str, secret: str) -> str:
    plain = bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), _pad(token_id, key, secret), strict=True))
    return plain.rstrip(b"\0").decode("ascii")

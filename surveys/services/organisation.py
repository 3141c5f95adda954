"""The organisation profile: the name, contact details and logo that pages, letters, e-mails and the PDF
report show. One row in the database, set by a beheerder (/beheer/organisatie or `organisation set`);
until it is set, the shipped default in surveys/defaults/organisation.toml.

Every respondent page reads it, so it is read once per request (flask.g) and without the logo's bytes."""

import hashlib
import re
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import g
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from .. import logos
from ..extensions import db
from ..models import Organisation
from . import audit, transaction

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "defaults" / "organisation.toml"


@dataclass(frozen=True)
class Profile:
    name: str  # the full name: letters, the report, e-mail signatures ("Stichting Wijkteam Voorbeeld")
    short_name: str  # page titles, the site header and sentences ("Wijkteam Voorbeeld")
    phone: str
    email: str
    address: str  # postal address, lines separated by newlines; may be empty
    website: str
    privacy_url: str
    sender: str  # the From address of e-mails; empty: `email`
    logo_type: str | None = None
    logo_hash: str | None = None

    @property
    def sender_address(self) -> str:
        return self.sender or self.email

    @property
    def phone_link(self) -> str:
        """tel: with the digits only (and a leading +), which every phone dials."""
        return "tel:" + re.sub(r"[^\d+]", "", self.phone)

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.splitlines() if line.strip()]


#: The fields a beheerder sets, with their label (as the page shows it) and greatest length.
FIELDS = {
    "name": ("Volledige naam", 200),
    "short_name": ("Korte naam", 80),
    "phone": ("Telefoonnummer", 40),
    "email": ("E-mailadres", 254),
    "address": ("Postadres", 300),
    "website": ("Website", 300),
    "privacy_url": ("Privacyverklaring (webadres)", 300),
    "sender": ("Afzender van e-mails", 254),
}
OPTIONAL = ("address", "sender")


class ProfileInvalid(ValueError):
    """Nothing was stored; `problems` maps each field to what is wrong with it, in plain Dutch."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{FIELDS[name][0]}: {message}" for name, message in problems.items()))
        self.problems = problems


# --- reading ----------------------------------------------------------------------------------------------

@cache
def default_profile() -> Profile:
    """The shipped default, from the data file."""
    with DEFAULT_FILE.open("rb") as source:
        data = tomllib.load(source)
    return Profile(**{name: str(data.get(name, "")) for name in FIELDS})


_PROFILE_COLUMNS = [getattr(Organisation, field.name) for field in fields(Profile)]
# The profile last read by this process: what an error page shows while the database is down.
_last_read: Profile | None = None


def current() -> Profile:
    """The profile, read once per request (or CLI command) and kept in flask.g."""
    if "organisation" not in g:
        g.organisation = _read()
    return g.organisation


def _read() -> Profile:
    """The stored profile. While the database is unreachable, the one this process read last (else the
    default): a page that needs nothing else from the database, such as the login page, still works."""
    global _last_read
    try:
        row = db.session.execute(select(*_PROFILE_COLUMNS).where(Organisation.id == 1)).first()
    except DBAPIError as error:
        if not (isinstance(error, OperationalError) or error.connection_invalidated):
            raise
        db.session.rollback()
        return _last_read or default_profile()
    _last_read = Profile(*row) if row is not None else default_profile()
    return _last_read


def use_without_database() -> None:
    """For a page drawn while the database is unreachable: the profile this process read last (else the
    default), so the page still names the right organisation without waiting for the database again."""
    g.organisation = _last_read or default_profile()


def logo() -> tuple[bytes, str, str] | None:
    """The logo's bytes, media type and SHA-256, or None when there is none."""
    row = db.session.execute(select(Organisation.logo, Organisation.logo_type, Organisation.logo_hash)
                             .where(Organisation.id == 1)).first()
    return tuple(row) if row is not None and row.logo is not None else None


# --- checking ---------------------------------------------------------------------------------------------

def problems(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with each field of a profile, as the page shows it next to the field; {} when none.
    The one check for the page and the CLI."""
    found = {}
    for name, (label, longest) in FIELDS.items():
        value = values.get(name, "")
        if not value and name not in OPTIONAL:
            found[name] = f"Vul de {label.lower()} in."
        elif len(value) > longest:
            found[name] = f"Dit is {len(value)} tekens lang; hoogstens {longest} tekens kunnen."
        elif re.search(r"[\x00-\x09\x0b-\x1f\x7f]" if name == "address" else r"[\x00-\x1f\x7f]", value):
            found[name] = "Gebruik geen tabs of andere onzichtbare tekens." if name == "address" else \
                "Schrijf dit op één regel, zonder tabs of andere onzichtbare tekens."
        elif value and name in CHECKS:
            message = CHECKS[name](value)
            if message:
                found[name] = message
    return found


def _email_problem(value: str) -> str | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return "Vul een geldig e-mailadres in, zoals info@voorbeeld.nl."
    return None


def _url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        scheme, hostname = parts.scheme, parts.hostname
    except ValueError:  # a broken port or IPv6 address
        scheme, hostname = None, None
    if scheme not in ("http", "https") or not hostname or not re.fullmatch(r"[A-Za-z0-9.-]+", hostname) \
            or re.search(r"\s", value):
        return "Vul een webadres in dat begint met https:// (of http://), zoals https://www.voorbeeld.nl/privacy."
    return None


# A Dutch number (10 digits from 0: 030 123 45 67, 06 12345678), a municipal 14 number (14 030), an
# information number (0800, 0900), or an international one (+31 30 123 4567, 0031…).
PLAUSIBLE_PHONE = re.compile(r"0[1-9]\d{8}|14\d{3,4}|0[89]00\d{4,7}|(\+|00)[1-9]\d{7,14}")


def _phone_problem(value: str) -> str | None:
    digits = re.sub(r"[\s().-]", "", value)
    if not re.fullmatch(r"[\d\s().+-]+", value) or not PLAUSIBLE_PHONE.fullmatch(digits):
        return "Vul een telefoonnummer in, zoals 030 123 45 67 of +31 30 123 45 67."
    return None


CHECKS = {"email": _email_problem, "sender": _email_problem, "website": _url_problem,
          "privacy_url": _url_problem, "phone": _phone_problem}


def _cleaned(values: dict[str, str | None]) -> dict[str, str]:
    """Each field trimmed; the address line by line (a textarea sends \\r\\n)."""
    cleaned = {name: (values.get(name) or "").strip() for name in FIELDS}
    cleaned["address"] = "\n".join(line.strip() for line in cleaned["address"].splitlines() if line.strip())
    return cleaned


# --- changing ---------------------------------------------------------------------------------------------

def update(values: dict[str, str | None], *, actor: str) -> Profile:
    """Store a new profile (every field; the logo stays) and audit what changed, before and after.
    Raises ProfileInvalid, with every problem, and stores nothing then."""
    cleaned = _cleaned(values)
    found = problems(cleaned)
    if found:
        raise ProfileInvalid(found)
    before = _stored_or_default()
    after = replace(before, **cleaned)
    if after != before:
        with transaction():
            row = _row()
            for name, value in cleaned.items():
                setattr(row, name, value)
            audit.record("organisation_changed", actor=actor, detail=_changes(before, after), commit=False)
    g.organisation = after
    return after


def changed(values: dict[str, str | None], *, actor: str) -> Profile:
    """As update, for the fields given (not None); the others keep their value (`organisation set`)."""
    profile = asdict(current())
    profile.update({name: value for name, value in values.items() if value is not None})
    return update(profile, actor=actor)


def set_logo(content: bytes, *, actor: str) -> str:
    """Check and store a new logo; returns its media type. Raises logos.LogoRefused, storing nothing."""
    checked = logos.check(content)
    digest = hashlib.sha256(checked.content).hexdigest()
    with transaction():
        row = _row()
        before = _logo_words(row.logo_type, row.logo_hash)
        row.logo, row.logo_type, row.logo_hash = checked.content, checked.media_type, digest
        audit.record("organisation_logo_changed", actor=actor, commit=False,
                     detail=f"logo: {before} → {_logo_words(checked.media_type, digest)} "
                            f"({logos.kilobytes(checked.content)} kB)")
    g.pop("organisation", None)
    return checked.media_type


def remove_logo(*, actor: str) -> bool:
    """Take the logo away; False when there was none."""
    with transaction():
        row = db.session.get(Organisation, 1)
        if row is None or row.logo_hash is None:
            return False
        before = _logo_words(row.logo_type, row.logo_hash)
        row.logo = row.logo_type = row.logo_hash = None
        audit.record("organisation_logo_changed", actor=actor, detail=f"logo: {before} → geen", commit=False)
    g.pop("organisation", None)
    return True


def seed_default() -> bool:
    """Store the shipped default when the database has no profile yet; True when it did."""
    with transaction():
        if db.session.get(Organisation, 1) is not None:
            return False
        _row()
    return True


def _stored_or_default() -> Profile:
    g.pop("organisation", None)
    return current()


def _row() -> Organisation:
    """The profile's row, made from the default when there is none yet (in the caller's transaction)."""
    row = db.session.get(Organisation, 1)
    if row is None:
        row = Organisation(id=1, **{name: getattr(default_profile(), name) for name in FIELDS})
        db.session.add(row)
        db.session.flush()
    return row


def _changes(before: Profile, after: Profile) -> str:
    """The audit detail: each changed field, before → after."""
    return "; ".join(f"{name}: {getattr(before, name)!r} → {getattr(after, name)!r}"
                     for name in FIELDS if getattr(before, name) != getattr(after, name))


def _logo_words(media_type: str | None, digest: str | None) -> str:
    if digest is None:
        return "geen"
    return f"{'SVG' if media_type == logos.SVG else 'PNG'} {digest[:12]}"

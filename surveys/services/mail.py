"""Invitations by e-mail through SMTP, with reminders that rotate only unused codes.

Plain codes are never stored (only their hashes, see rounds.py): a code made or rotated here goes straight
into its e-mail. Nothing here logs a code or an address; the callers audit counts only."""

import csv
import io
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from markupsafe import escape
from sqlalchemy import func, insert, select, update

from ..extensions import db
from ..models import InvitationCode, Round
from . import transaction
from .invitations import Wording, check_open, link, wording
from .rounds import hash_code, new_code

#: Per uploaded list: every address is one SMTP conversation inside the request.
MAX_ADDRESSES = 500
SMTP_TIMEOUT = 10  # seconds for connecting and for each SMTP command; a request must not hang


# --- address lists ----------------------------------------------------------------------------------------

# A practical check, not all of RFC 5322: what a person types as an address, ASCII only.
ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                     r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
EMAIL_COLUMNS = ("email", "e-mail", "emailadres", "e-mailadres")


@dataclass(frozen=True)
class Address:
    line: int
    email: str


class AddressListRejected(ValueError):
    """Nothing was sent or stored; `problems` names every bad line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_address_list(content: bytes) -> list[Address]:
    """One address per line, or a CSV (`,` or `;`) with a column named email. All lines or none:
    raises AddressListRejected listing every bad line (not an address, a duplicate)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AddressListRejected(["Het bestand is geen tekst in UTF-8. Sla het op als tekst (UTF-8) of CSV "
                                   "(UTF-8) en probeer het opnieuw."]) from None
    rows = list(_rows(text))
    problems, addresses, seen = [], [], {}
    for line, value in rows:
        if value is None:
            problems.append(f"regel {line}: geen e-mailadres ingevuld")
            continue
        value = value.strip()
        if not value:
            continue
        if len(value) > 254 or not ADDRESS.match(value) or len(value.split("@")[0]) > 64:
            shown = value if len(value) <= 80 else value[:80] + "…"
            problems.append(f"regel {line}: '{shown}' is geen e-mailadres")
        elif value.lower() in seen:
            problems.append(f"regel {line}: {value} staat ook al op regel {seen[value.lower()]}")
        else:
            seen[value.lower()] = line
            addresses.append(Address(line, value))
    if not problems and not addresses:
        problems.append("Het bestand bevat geen e-mailadressen.")
    if len(addresses) > MAX_ADDRESSES:
        problems.append(f"Het bestand bevat {len(addresses)} adressen. Stuur er per keer hoogstens "
                        f"{MAX_ADDRESSES}: verdeel de lijst over meer bestanden.")
    if problems:
        raise AddressListRejected(problems)
    return addresses


def _rows(text: str) -> Iterable[tuple[int, str | None]]:
    """(line number, address text): the email column of a CSV with a header (None where a row leaves
    it empty), or each whole line."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [cell.strip().lower() for cell in next(csv.reader([first], delimiter=delimiter), [])]
    column = next((header.index(name) for name in EMAIL_COLUMNS if name in header), None)
    if column is None:
        yield from enumerate(lines, start=1)
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)  # the header
    for row in reader:
        if any(cell.strip() for cell in row):
            value = row[column].strip() if column < len(row) else ""
            yield reader.line_num, value or None


# --- sending mail -----------------------------------------------------------------------------------------

class MailError(Exception):
    """The mail server could not be reached or stopped working; the message says so in plain Dutch."""


class RecipientRefused(MailError):
    """The server refused this one address; the others may still go."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str

    @classmethod
    def from_config(cls, config: Mapping) -> "MailSettings":
        # SURVEYS_* values are read as JSON: a password of only digits arrives as a number.
        username, password = config.get("SMTP_USERNAME"), config.get("SMTP_PASSWORD")
        return cls(str(config["SMTP_HOST"]), int(config["SMTP_PORT"]), None if username is None else str(username),
                   None if password is None else str(password), bool(config.get("SMTP_STARTTLS")),
                   str(config["MAIL_FROM"]))


class Mailer:
    """One SMTP connection for a batch of messages: `with Mailer(settings) as mailer: mailer.send(m)`.
    Errors become MailError without the server's reply, which may quote an address."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        s = self.settings
        try:
            self._smtp = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
            if s.starttls:
                self._smtp.starttls(context=ssl.create_default_context())
            if s.username:
                self._smtp.login(s.username, s.password or "")
        except (OSError, smtplib.SMTPException):
            self._close()
            raise MailError(f"De mailserver ({s.host}, poort {s.port}) is niet bereikbaar of weigert de "
                            "verbinding.") from None
        return self

    def send(self, message: EmailMessage) -> None:
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise RecipientRefused("De mailserver weigerde dit adres.") from None
        except (OSError, smtplib.SMTPException):
            raise MailError(f"De mailserver ({self.settings.host}, poort {self.settings.port}) stopte tijdens "
                            "het versturen.") from None

    def __exit__(self, *exc_info) -> None:
        try:
            if self._smtp is not None:
                self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._close()

    def _close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()


def invitation_mail(text: Wording, sender: str, recipient: str, url: str) -> EmailMessage:
    """Plain text and HTML with the same words and the link."""
    message = EmailMessage()
    message["Subject"] = text.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    parts = [text.greeting, *text.before_link, url, *text.after_link, "\n".join(text.closing)]
    message.set_content("\n\n".join(parts) + "\n")
    html = "".join(f"<p>{escape(p)}</p>" for p in (text.greeting, *text.before_link))
    html += f'<p><a href="{escape(url)}">{escape(url)}</a></p>'
    html += "".join(f"<p>{escape(p)}</p>" for p in text.after_link)
    html += "<p>" + "<br>".join(str(escape(line)) for line in text.closing) + "</p>"
    message.add_alternative(f'<!doctype html><html lang="nl"><body>{html}</body></html>', subtype="html")
    return message


@dataclass
class SendReport:
    """What a batch of invitations or reminders did. `failure` is set when the server stopped working:
    `not_sent` addresses then got nothing and have nothing stored."""

    sent: int = 0
    skipped: int = 0  # already invited (invitations) or used in the meantime (reminders)
    refused: list[Address] = field(default_factory=list)
    failure: str | None = None
    not_sent: int = 0


def send_invitations(round_: Round, addresses: list[Address], mailer: Mailer, base_url: str,
                     today: date) -> SendReport:
    """A new code for each address not yet invited in this round, stored with the address and mailed.
    Each address is one transaction around its mail: if the mail fails, nothing stays for it."""
    check_open(round_, today)
    round_id, text = round_.id, wording(round_, today, channel="mail")
    invited = {email.lower() for email in db.session.scalars(
        select(InvitationCode.email).where(InvitationCode.round_id == round_id, InvitationCode.email.is_not(None)))}
    db.session.rollback()  # end the read, so no transaction stays open while the first mail goes out
    report = SendReport()
    for done, address in enumerate(addresses):
        if address.email.lower() in invited:
            report.skipped += 1
            continue
        code = new_code()
        try:
            with transaction():
                db.session.execute(insert(InvitationCode).values(
                    round_id=round_id, code_hash=hash_code(code), used=False, email=address.email, invited_on=today))
                mailer.send(invitation_mail(text, mailer.settings.sender, address.email, link(base_url, code)))
        except RecipientRefused:
            report.refused.append(address)
            continue
        except MailError as error:
            report.failure, report.not_sent = str(error), len(addresses) - done
            return report
        invited.add(address.email.lower())
        report.sent += 1
    return report


# A code a reminder may go to: still unused, and with an address.
_REMINDABLE = (InvitationCode.used.is_(False), InvitationCode.email.is_not(None))


def reminder_targets(round_id: int) -> int:
    """How many codes of a round a reminder would go to: unused, with an address."""
    return db.session.scalar(select(func.count()).select_from(InvitationCode).where(
        InvitationCode.round_id == round_id, *_REMINDABLE))


def send_reminders(round_: Round, mailer: Mailer, base_url: str, today: date, *, only: tuple = ()) -> SendReport:
    """Remind every unused code with an address (and, for `run-due`, only those the conditions `only` say
    are due). The plain code is not stored, so the reminder rotates it: one conditional UPDATE gives the row
    a new hash only while it is still unused and due (a code used meanwhile, or reminded by another run at
    the same moment, is skipped), and the new link is mailed; the old link stops working. If the mail
    fails, the rotation is rolled back and the old link keeps working."""
    check_open(round_, today)
    round_id, text = round_.id, wording(round_, today, channel="mail", reminder=True)
    remindable = (*_REMINDABLE, *only)
    ids = list(db.session.scalars(select(InvitationCode.id).where(InvitationCode.round_id == round_id, *remindable)
                                  .order_by(InvitationCode.id)))
    db.session.rollback()
    report = SendReport()
    for done, code_id in enumerate(ids):
        code = new_code()
        try:
            with transaction():
                email = db.session.execute(
                    update(InvitationCode)
                    .where(InvitationCode.id == code_id, *remindable)
                    .values(code_hash=hash_code(code), reminders_sent=InvitationCode.reminders_sent + 1,
                            reminded_on=today)
                    .returning(InvitationCode.email)
                    .execution_options(synchronize_session=False)
                ).scalar_one_or_none()
                if email is not None:  # else used (or erased) since the list was read: nothing changed
                    mailer.send(invitation_mail(text, mailer.settings.sender, email, link(base_url, code)))
        except RecipientRefused:
            report.refused.append(Address(0, email))
            continue
        except MailError as error:
            report.failure, report.not_sent = str(error), len(ids) - done
            return report
        if email is None:
            report.skipped += 1
        else:
            report.sent += 1
    return report



"""Invitations for a round: links as CSV, printable letters with a QR code, e-mail through SMTP with
reminders, and erasing the addresses once a round has closed.

Plain codes are never stored (only their hashes, see rounds.py), so every function here that makes or
rotates a code hands it straight to what goes out: a file, a letter, an e-mail. Nothing here logs a
code or an address; the callers audit counts only."""

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
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import case, func, insert, select, update

from ..extensions import db
from ..models import InvitationCode, QuestionnaireVersion, Response, Round
from ..periods import half_year_of
from .rounds import RoundError, create_round, hash_code, issue_codes, new_code, open_round_for

#: Per request: links are cheap; a letter takes some 30 ms (its QR code is computed in pure Python), so
#: 300 letters stay well inside a worker's 30-second timeout.
MAX_LINKS = 5000
MAX_LETTERS = 300
#: Per uploaded list: every address is one SMTP conversation inside the request.
MAX_ADDRESSES = 500
SMTP_TIMEOUT = 10  # seconds for connecting and for each SMTP command; a request must not hang


class RoundClosedError(RoundError):
    """New codes or mails for a round whose close date has passed: they could only show "closed"."""


def link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/r/{code}"


def check_open(round_: Round, today: date) -> None:
    if round_.closes_on < today:
        raise RoundClosedError(f"Deze meetronde is gesloten sinds {dutch_date(round_.closes_on)}. "
                               "Maak een nieuwe meetronde voor nieuwe uitnodigingen.", "round")


# --- wording: one text for letters and e-mails, plain Dutch at B1 level ---------------------------------

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")


def dutch_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Audience:
    greeting: str
    subject: str
    why: str
    privacy: str


ANONYMOUS = "Uw antwoorden zijn anoniem. Wij weten niet wie welke antwoorden gaf."
AUDIENCES = {
    "client": Audience(
        "Beste inwoner,", "Wat vond u van de hulp van het Sociaal Team?",
        "U kreeg hulp van Stichting Sociaal Team Houten. Wij willen graag weten wat u van die hulp vond. "
        "Zo kunnen wij ons werk beter doen.", ANONYMOUS),
    "partner": Audience(
        "Beste samenwerkingspartner,", "Wat vindt u van de samenwerking met het Sociaal Team?",
        "U werkt samen met Stichting Sociaal Team Houten. Wij willen graag weten wat u vindt van die "
        "samenwerking in het afgelopen halfjaar. Zo kunnen wij samen beter werken.", ANONYMOUS),
    "gemeente": Audience(
        "Beste collega van de gemeente,", "Wat vindt u van de samenwerking met het Sociaal Team?",
        "Stichting Sociaal Team Houten wil graag weten wat u vindt van de samenwerking met de gemeente "
        "in het afgelopen halfjaar. Zo kunnen wij onze afspraken beter nakomen.",
        "Wij gaan vertrouwelijk om met uw antwoorden. Maar de groep is klein. Daarom zijn uw antwoorden "
        "niet helemaal anoniem."),
    "medewerker": Audience(
        "Beste collega,", "Huis op orde: wat vindt u van onze organisatie?",
        "Stichting Sociaal Team Houten wil graag weten wat u vindt van hoe onze organisatie geregeld is. "
        "Zo kunnen wij samen verbeteren wat nodig is.",
        "Uw antwoorden zijn anoniem. Wij vragen niet naar uw team, functie of leeftijd."),
}
REMINDER = ("Een tijdje geleden kreeg u een e-mail met een vragenlijst van het Sociaal Team Houten. "
            "Hebt u die nog niet ingevuld? Dan vragen wij het u nog één keer.")
NEW_LINK = "Gebruik deze nieuwe link. De link uit de eerste e-mail werkt niet meer."


@dataclass(frozen=True)
class Wording:
    subject: str
    greeting: str
    before_link: tuple[str, ...]  # paragraphs above the link
    after_link: tuple[str, ...]
    closing: tuple[str, ...] = ("Met vriendelijke groet,", "Sociaal Team Houten")


def wording(round_: Round, today: date, *, channel: str, reminder: bool = False) -> Wording:
    """The invitation's text for a round's audience; `channel` is "letter" or "mail"."""
    audience = AUDIENCES[round_.questionnaire]
    when = f"tot en met {dutch_date(round_.closes_on)}"
    if round_.opens_on > today:
        when = f"van {dutch_date(round_.opens_on)} {when}"
    before = (REMINDER,) if reminder else (audience.why,)
    before += (f"Het invullen duurt ongeveer 3 minuten. {audience.privacy}",
               NEW_LINK if reminder else ("Ga naar deze website:" if channel == "letter" else "Klik op deze link:"))
    after = (f"De link is alleen voor u en werkt één keer. U kunt de vragenlijst invullen {when}.",)
    subject = f"Herinnering: {audience.subject}" if reminder else audience.subject
    return Wording(subject, audience.greeting, before, after)


# --- downloads: a CSV of links, letters as PDF ------------------------------------------------------------

def check_count(count: int, limit: int, what: str) -> None:
    if not 1 <= count <= limit:
        raise RoundError(f"Maak per keer 1 tot {limit} {what}. Hebt u er meer nodig? Maak ze dan in delen.",
                         "count")


def links_csv(round_: Round, count: int, base_url: str) -> bytes:
    """Make `count` codes and return their links as CSV (code,url; UTF-8 with BOM for spreadsheets)."""
    check_count(count, MAX_LINKS, "links")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "url"])
    for codes in issue_codes(round_, count):
        writer.writerows([code, link(base_url, code)] for code in codes)
    return out.getvalue().encode("utf-8-sig")


def letters_pdf(round_: Round, count: int, base_url: str, today: date) -> bytes:
    """Make `count` codes and return one printable invitation letter per code, one per A4 page."""
    check_count(count, MAX_LETTERS, "brieven")
    text = wording(round_, today, channel="letter")
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Uitnodigingen {round_.questionnaire} {round_.period}")
    canvas.setAuthor("Stichting Sociaal Team Houten")
    for codes in issue_codes(round_, count):
        for code in codes:
            _draw_letter(canvas, text, link(base_url, code))
    canvas.save()
    return out.getvalue()


def client_letter(today: date, base_url: str) -> tuple[int, bytes]:
    """One cliënt code and its letter, for the professional at afsluiting: in the cliënt round open
    today, or in a new one for the rest of this half-year (population unknown) when none is open.
    Returns the round's id and the PDF."""
    round_ = open_round_for("client", today) or _open_client_round(today)
    round_id = round_.id
    return round_id, letters_pdf(round_, 1, base_url, today)


def _open_client_round(today: date) -> Round:
    """A cliënt round for the rest of this half-year, unless another request made one a moment ago: two
    professionals asking at once must share one round. The check and the insert run in one transaction
    that first takes the write lock on the cliënt questionnaire's rows (a no-op update; a row lock on
    PostgreSQL, the database's write lock on SQLite), so the second request waits, then finds the round."""
    db.session.commit()  # start the locking transaction afresh, so its reads see every committed round
    db.session.execute(update(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire == "client")
                       .values(version=QuestionnaireVersion.version))
    round_ = open_round_for("client", today)
    if round_ is None:
        period = half_year_of(today)
        round_ = create_round("client", str(period), opens_on=today, closes_on=period.end, population=None)
    db.session.commit()
    return round_


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 25 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BODY = ("Helvetica", 12, 17)  # font, size, leading
QR_SIZE = 45 * mm


def _draw_letter(canvas: Canvas, text: Wording, url: str) -> None:
    y = PAGE_HEIGHT - MARGIN
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(MARGIN, y, "Stichting Sociaal Team Houten")
    y -= 18 * mm
    canvas.setFont("Helvetica-Bold", 16)
    for line in simpleSplit(text.subject, "Helvetica-Bold", 16, TEXT_WIDTH):
        canvas.drawString(MARGIN, y, line)
        y -= 21
    y -= 10
    y = _paragraphs(canvas, (text.greeting, *text.before_link), y)
    size = _fitting_size(url, "Courier-Bold", 13, TEXT_WIDTH)
    canvas.setFont("Courier-Bold", size)
    canvas.drawString(MARGIN, y, url)
    y -= 12 + 10
    y = _paragraphs(canvas, ("Of scan deze QR-code met de camera van uw telefoon:",), y)
    _draw_qr(canvas, url, MARGIN, y - QR_SIZE + 12, QR_SIZE)
    y -= QR_SIZE + 10
    y = _paragraphs(canvas, text.after_link, y)
    canvas.setFont(*BODY[:2])
    for line in text.closing:
        canvas.drawString(MARGIN, y, line)
        y -= BODY[2]
    canvas.showPage()


def _paragraphs(canvas: Canvas, paragraphs: Iterable[str], y: float) -> float:
    font, size, leading = BODY
    canvas.setFont(font, size)
    for paragraph in paragraphs:
        for line in simpleSplit(paragraph, font, size, TEXT_WIDTH):
            canvas.drawString(MARGIN, y, line)
            y -= leading
        y -= leading / 2
    return y


def _fitting_size(text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which the text fits on one line (a link must never wrap)."""
    while size > 6 and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    """A QR code (error correction M, the quiet zone of 4 modules inside `size`). Reportlab's encoder
    picks the mask as the standard says; the modules are drawn as one filled path, which is much
    faster than rendering the widget's drawing of one shape per module."""
    qr = QrCodeWidget(value, barLevel="M").qr
    qr.make()
    count = qr.getModuleCount()
    runs = []
    for row, modules in enumerate(qr.modules):
        col = 0
        while col < count:
            if modules[col]:
                start = col
                while col < count and modules[col]:
                    col += 1
                runs.append(f"{start} {row} {col - start} 1 re")
            else:
                col += 1
    canvas.saveState()
    module = size / (count + 8)
    canvas.translate(x + 4 * module, y + size - 4 * module)
    canvas.scale(module, -module)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(" ".join(runs) + " f")
    canvas.restoreState()


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
            db.session.execute(insert(InvitationCode).values(
                round_id=round_id, code_hash=hash_code(code), used=False, email=address.email))
            mailer.send(invitation_mail(text, mailer.settings.sender, address.email, link(base_url, code)))
            db.session.commit()
        except RecipientRefused:
            db.session.rollback()
            report.refused.append(address)
            continue
        except MailError as error:
            db.session.rollback()
            report.failure, report.not_sent = str(error), len(addresses) - done
            return report
        except BaseException:
            db.session.rollback()
            raise
        invited.add(address.email.lower())
        report.sent += 1
    return report


# A code a reminder may go to: still unused, and with an address.
_REMINDABLE = (InvitationCode.used.is_(False), InvitationCode.email.is_not(None))


def reminder_targets(round_id: int) -> int:
    """How many codes of a round a reminder would go to: unused, with an address."""
    return db.session.scalar(select(func.count()).select_from(InvitationCode).where(
        InvitationCode.round_id == round_id, *_REMINDABLE))


def send_reminders(round_: Round, mailer: Mailer, base_url: str, today: date) -> SendReport:
    """Remind every unused code with an address. The plain code is not stored, so the reminder rotates
    it: one conditional UPDATE gives the row a new hash only while it is still unused (a code used
    meanwhile is skipped, never reminded), and the new link is mailed; the old link stops working.
    If the mail fails, the rotation is rolled back and the old link keeps working."""
    check_open(round_, today)
    round_id, text = round_.id, wording(round_, today, channel="mail", reminder=True)
    ids = list(db.session.scalars(select(InvitationCode.id).where(InvitationCode.round_id == round_id, *_REMINDABLE)
                                  .order_by(InvitationCode.id)))
    db.session.rollback()
    report = SendReport()
    for done, code_id in enumerate(ids):
        code = new_code()
        try:
            email = db.session.execute(
                update(InvitationCode)
                .where(InvitationCode.id == code_id, *_REMINDABLE)
                .values(code_hash=hash_code(code), reminders_sent=InvitationCode.reminders_sent + 1)
                .returning(InvitationCode.email)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if email is None:  # used (or erased) since the list was read
                db.session.rollback()
                report.skipped += 1
                continue
            mailer.send(invitation_mail(text, mailer.settings.sender, email, link(base_url, code)))
            db.session.commit()
        except RecipientRefused:
            db.session.rollback()
            report.refused.append(Address(0, email))
            continue
        except MailError as error:
            db.session.rollback()
            report.failure, report.not_sent = str(error), len(ids) - done
            return report
        except BaseException:
            db.session.rollback()
            raise
        report.sent += 1
    return report


# --- retention and overview -------------------------------------------------------------------------------

def erase_closed_round_contacts(today: date) -> int:
    """Forget the e-mail addresses of rounds that closed before today; returns how many were erased."""
    try:
        erased = db.session.execute(
            update(InvitationCode)
            .where(InvitationCode.email.is_not(None),
                   InvitationCode.round_id.in_(select(Round.id).where(Round.closes_on < today)))
            .values(email=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return erased


@dataclass(frozen=True)
class RoundStats:
    round: Round
    codes: int
    used: int
    addresses: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        population = self.round.population
        return self.responses / population if population else None


def round_stats(round_id: int | None = None) -> list[RoundStats]:
    """Each round (or just one) with its codes made, used and with an address, and its responses;
    newest first. Counted by the database, two GROUP BYs joined to the rounds."""
    codes = (select(InvitationCode.round_id, func.count().label("codes"),
                    func.sum(case((InvitationCode.used, 1), else_=0)).label("used"),
                    func.count(InvitationCode.email).label("addresses"))
             .group_by(InvitationCode.round_id))
    responses = select(Response.round_id, func.count().label("responses")).group_by(Response.round_id)
    if round_id is not None:
        codes = codes.where(InvitationCode.round_id == round_id)
        responses = responses.where(Response.round_id == round_id)
    else:
        responses = responses.where(Response.round_id.is_not(None))
    codes, responses = codes.subquery(), responses.subquery()
    query = (select(Round, func.coalesce(codes.c.codes, 0), func.coalesce(codes.c.used, 0),
                    func.coalesce(codes.c.addresses, 0), func.coalesce(responses.c.responses, 0))
             .outerjoin(codes, codes.c.round_id == Round.id)
             .outerjoin(responses, responses.c.round_id == Round.id)
             .order_by(Round.id.desc()))
    if round_id is not None:
        query = query.where(Round.id == round_id)
    return [RoundStats(*row) for row in db.session.execute(query)]

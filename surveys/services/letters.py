"""Invitations on paper or as a file: a CSV of links, and printable letters with a QR code, one per code;
the cliënt letter a professional prints at afsluiting.

Plain codes are never stored (only their hashes, see rounds.py): the codes made here go straight into the
file or the letters. The one cliënt letter waits up to LETTER_MINUTES for its download, sealed: its link
encrypted in the database with a key that only the manager's session holds (seal_letter, open_letter)."""

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from datetime import date, timedelta

from cryptography.fernet import Fernet, InvalidToken
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import delete, update

from ..exports import neutralise
from ..extensions import db
from ..models import QuestionnaireVersion, Round, WaitingLetter, utcnow
from ..periods import half_year_of
from . import transaction
from .invitations import Wording, link, wording
from .rounds import RoundError, create_round, issue_codes, open_round_for

#: Per request: links are cheap; a letter takes some 30 ms (its QR code is computed in pure Python), so
#: 300 letters stay well inside a worker's 30-second timeout.
MAX_LINKS = 5000
MAX_LETTERS = 300
#: How long a cliënt letter waits for its download after its code was made.
LETTER_MINUTES = 10


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
        # Codes and links hold no formula character where a field can start; neutralised all the same,
        # so every CSV the service writes passes the one rule (a BASE_URL is configured text).
        writer.writerows([neutralise(code), neutralise(link(base_url, code))] for code in codes)
    return out.getvalue().encode("utf-8-sig")


def letters_pdf(round_: Round, count: int, base_url: str, today: date) -> bytes:
    """Make `count` codes and return one printable invitation letter per code, one per A4 page."""
    check_count(count, MAX_LETTERS, "brieven")
    return _letters(round_, today, (link(base_url, code) for codes in issue_codes(round_, count) for code in codes))


def letter_for_code(round_: Round, url: str, today: date) -> bytes:
    """The letter for one code made elsewhere (by the API), given as its link."""
    return _letters(round_, today, [url])


def _letters(round_: Round, today: date, urls: Iterable[str]) -> bytes:
    text = wording(round_, today, channel="letter")
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Uitnodigingen {round_.questionnaire} {round_.period}")
    canvas.setAuthor(text.sender_name)
    for url in urls:
        _draw_letter(canvas, text, url)
    canvas.save()
    return out.getvalue()


def client_code(today: date, base_url: str) -> tuple[int, str]:
    """One cliënt code, for the professional at afsluiting: in the cliënt round open today, or in a new
    one for the rest of this half-year (population unknown) when none is open. Returns the round's id
    and the code's link; the letter is drawn from that link (letter_for_code) when it is downloaded."""
    round_ = open_round_for("client", today) or _open_client_round(today)
    round_id = round_.id
    (code,) = (code for codes in issue_codes(round_, 1) for code in codes)
    return round_id, link(base_url, code)


class LetterExpired(Exception):
    """The letter waited longer than LETTER_MINUTES: it is gone, and its code with it."""


def _letter_hash(letter_id: str) -> str:
    return hashlib.sha256(letter_id.encode()).hexdigest()


def seal_letter(round_id: int, url: str) -> tuple[str, str]:
    """Keep a cliënt code's link until its letter is downloaded: (the letter's random id, for its address,
    and the key, for the manager's session only). The database gets the link encrypted with that key, under
    the hash of the id; so neither the cookie, the address, the logs nor the database holds the code.
    Letters that waited too long are deleted on the way."""
    letter_id, key = secrets.token_urlsafe(16), Fernet.generate_key()
    with transaction():
        delete_expired_letters()
        db.session.add(WaitingLetter(letter_hash=_letter_hash(letter_id), round_id=round_id,
                                     sealed_link=Fernet(key).encrypt(url.encode()),
                                     expires_at=utcnow() + timedelta(minutes=LETTER_MINUTES)))
    return letter_id, key.decode()


def letter_waiting(letter_id: str) -> int | None:
    """The round of a letter still waiting for its download; None when it was downloaded, never made, or
    waited too long (LetterExpired then)."""
    letter = db.session.get(WaitingLetter, _letter_hash(letter_id))
    if letter is None:
        return None
    if letter.expires_at <= utcnow():
        raise LetterExpired
    return letter.round_id


def open_letter(letter_id: str, key: str) -> tuple[int, str] | None:
    """(round id, link) of a waiting letter, once: the row goes with it. None when there is no such letter
    or the key does not open it; LetterExpired when it waited too long (and is deleted now)."""
    with transaction():
        letter = db.session.get(WaitingLetter, _letter_hash(letter_id), with_for_update=True)
        if letter is None:
            return None
        round_id, sealed, expired = letter.round_id, letter.sealed_link, letter.expires_at <= utcnow()
        db.session.delete(letter)
    if expired:
        raise LetterExpired
    try:
        return round_id, Fernet(key.encode()).decrypt(sealed, ttl=LETTER_MINUTES * 60).decode()
    except (InvalidToken, ValueError):  # another session's letter, or past its time by the key's own clock
        return None


def delete_expired_letters() -> int:
    """Delete the letters past LETTER_MINUTES (in the caller's transaction); how many."""
    return db.session.execute(delete(WaitingLetter).where(WaitingLetter.expires_at <= utcnow())
                              .execution_options(synchronize_session=False)).rowcount


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
CODE_PAGE = "/code"  # the page where a code from a letter is typed (respond.type_code)


def _draw_letter(canvas: Canvas, text: Wording, url: str) -> None:
    y = PAGE_HEIGHT - MARGIN
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(MARGIN, y, text.sender_name)
    y -= 18 * mm
    canvas.setFont("Helvetica-Bold", 16)
    for line in simpleSplit(text.subject, "Helvetica-Bold", 16, TEXT_WIDTH):
        canvas.drawString(MARGIN, y, line)
        y -= 21
    y -= 10
    y = _paragraphs(canvas, (text.greeting, *text.before_link), y)
    size = _fitting_size(url, "Helvetica-Bold", 13, TEXT_WIDTH)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawString(MARGIN, y, url)
    y -= 12 + 10
    y = _paragraphs(canvas, ("Of scan deze QR-code met de camera van uw telefoon:",), y)
    _draw_qr(canvas, url, MARGIN, y - QR_SIZE + 12, QR_SIZE)
    y -= QR_SIZE + 10
    # The code alone, for whoever types rather than scans: a short address and 16 characters in groups.
    base, _, code = url.rpartition("/r/")
    y = _paragraphs(canvas, (f"Lukt dat niet? Ga dan naar {base}{CODE_PAGE} en vul deze code in. Hoofdletters of "
                             "kleine letters maakt niet uit:",), y)
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(MARGIN, y - 4, code)
    y -= 18 + 16
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



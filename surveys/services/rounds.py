"""Rounds (meetrondes) and their one-time invitation codes."""

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy import Date, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import InvitationCode, Response, Round
from ..periods import PeriodError, parse_period
from . import questionnaires as questionnaire_service


class RoundError(ValueError):
    """A round that cannot be made as asked; the message says why, `field` which input it is about
    (questionnaire, period, dates, population or count)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


#: The largest population a round can have; a larger number is a typing error (and would not fit the column).
MAX_POPULATION = 1_000_000


#: Crockford's base32: digits and capitals without I, L, O and U, so nothing looks like something else.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 × 5 = 80 random bits, the least DESIGN.md section 4 allows
# What a person may type instead: lower case, and the letters that look like a digit.
_TYPED = str.maketrans("abcdefghjkmnpqrstvwxyzIiLlOo", "ABCDEFGHJKMNPQRSTVWXYZ111100")


def normalise_code(code: str) -> str:
    """A code as typed from a letter (any case, with or without the dashes or spaces, O for 0, I or L for
    1) in its one canonical form; anything else unchanged (the older 23-character codes, which are exact)."""
    compact = "".join(code.split()).replace("-", "").translate(_TYPED)
    if len(compact) == CODE_LENGTH and all(character in CODE_ALPHABET for character in compact):
        return compact
    return code


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def new_code() -> str:
    """80 bits from the system's secure random source, as four groups of four characters a person can type
    from a letter without mistaking one for another: K7Q2-M9XD-4HNP-W3RT. Never a leading '-' (which a
    spreadsheet would read as a formula)."""
    compact = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(compact[start:start + 4] for start in range(0, CODE_LENGTH, 4))


def create_round(questionnaire: str, period: str, *, opens_on: date, closes_on: date,
                 population: int | None) -> Round:
    """Open a round; checks the questionnaire, the period and the dates first."""
    served = questionnaire_service.current(questionnaire)
    if served is None:
        raise RoundError(f"onbekende vragenlijst '{questionnaire}'; bekend: "
                         f"{', '.join(questionnaire_service.known_keys())}", "questionnaire")
    reporting = served.reporting
    try:
        parsed = parse_period(period)
    except PeriodError as error:
        raise RoundError(str(error), "period") from None
    if not parsed.is_half_year and "quarter" not in reporting:
        raise RoundError(f"de vragenlijst '{questionnaire}' werkt met halfjaren, niet met kwartalen", "period")
    _check_dates_and_population(opens_on, closes_on, population)
    existing = find_round(questionnaire, str(parsed))
    if existing is not None:
        raise RoundError(_duplicate_message(existing), "period")
    round_ = Round(questionnaire=questionnaire, period=str(parsed), opens_on=opens_on, closes_on=closes_on,
                   population=population)
    db.session.add(round_)
    try:
        db.session.commit()
    except IntegrityError:  # made at the same moment by someone else: the unique index refused it
        db.session.rollback()
        existing = find_round(questionnaire, str(parsed))
        if existing is None:
            raise
        raise RoundError(_duplicate_message(existing), "period") from None
    return round_


def _check_dates_and_population(opens_on: date, closes_on: date, population: int | None) -> None:
    if closes_on < opens_on:
        raise RoundError(f"de sluitdatum {closes_on.isoformat()} ligt vóór de openingsdatum "
                         f"{opens_on.isoformat()}", "dates")
    if population is not None and population < 1:
        raise RoundError("de populatie (aantal uitgenodigden) moet minstens 1 zijn", "population")
    if population is not None and population > MAX_POPULATION:
        raise RoundError("de populatie (aantal uitgenodigden) kan hoogstens 1.000.000 zijn; is er een cijfer te "
                         "veel getypt?", "population")


def _still_open(round_: Round, today: date) -> None:
    if round_.closes_on < today:
        raise RoundError(f"meetronde {round_.id} is gesloten op {round_.closes_on.isoformat()}; een gesloten "
                         "ronde verandert niet meer", "dates")


def update_round(round_: Round, *, opens_on: date, closes_on: date, population: int | None, today: date) -> Round:
    """Change a round's dates and population N, until it has closed. Nothing is stored when refused."""
    _still_open(round_, today)
    _check_dates_and_population(opens_on, closes_on, population)
    if closes_on < today:
        raise RoundError("de sluitdatum ligt in het verleden; gebruik 'nu sluiten' om een ronde te sluiten", "dates")
    round_.opens_on, round_.closes_on, round_.population = opens_on, closes_on, population
    db.session.commit()
    return round_


def close_round(round_: Round, today: date) -> Round:
    """Close an open round now: from today on it takes no more responses and no codes work."""
    _still_open(round_, today)
    yesterday = date.fromordinal(today.toordinal() - 1)
    round_.opens_on, round_.closes_on = min(round_.opens_on, yesterday), yesterday
    db.session.commit()
    return round_


def delete_round(round_: Round) -> None:
    """Delete a round that has no responses (its codes go with it); one with responses stays."""
    responses = db.session.scalar(select(func.count()).select_from(Response).where(Response.round_id == round_.id))
    if responses:
        raise RoundError(f"meetronde {round_.id} heeft {responses} reacties en blijft bestaan; "
                         "alleen een ronde zonder reacties kan weg", "round")
    db.session.delete(round_)
    db.session.commit()


def _duplicate_message(existing: Round) -> str:
    return (f"er is al een meetronde voor {existing.questionnaire} in {existing.period} (ronde {existing.id}); "
            "één ronde per vragenlijst en periode: pas die ronde aan in plaats van een tweede te maken")


def issue_codes(round_: Round, count: int, batch: int = 1000) -> Iterator[list[str]]:
    """Make `count` new codes for a round, yielding them per committed batch so a caller can show
    progress. Only the hashes are stored: the plain codes exist only in what the caller writes out."""
    if count < 1:
        raise RoundError("het aantal codes moet minstens 1 zijn", "count")
    made = 0
    while made < count:
        codes = [new_code() for _ in range(min(batch, count - made))]
        db.session.execute(insert(InvitationCode), [
            {"round_id": round_.id, "code_hash": hash_code(code), "used": False} for code in codes
        ])
        db.session.commit()
        made += len(codes)
        yield codes


class CodeStatus(Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    # Unknown, but shaped as a code we make, while some round has closed: the code may have been deleted
    # with its closed round (DESIGN.md §6), or mistyped; nothing kept can tell which, and nothing is kept to.
    UNKNOWN_OR_CLOSED = "unknown_or_closed"
    USED = "used"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


@dataclass(frozen=True)
class CodeLookup:
    status: CodeStatus
    code_id: int | None = None
    round: Round | None = None


def look_up_code(code: str, today: date) -> CodeLookup:
    """What a respondent's code allows today. Only its hash is ever compared."""
    if not code or len(code) > 64:
        return CodeLookup(CodeStatus.UNKNOWN)
    # hash_code folds a typed code to its canonical form, so K7Q2-m9xd-4hnp-w3rt finds K7Q2-M9XD-4HNP-W3RT.
    row = db.session.execute(
        select(InvitationCode.id, InvitationCode.used, Round)
        .join(Round, Round.id == InvitationCode.round_id)
        .where(InvitationCode.code_hash == hash_code(code))
    ).first()
    if row is None:
        return CodeLookup(_unknown_code_status(code, today))
    code_id, used, round_ = row
    if used:
        status = CodeStatus.USED
    elif today < round_.opens_on:
        status = CodeStatus.NOT_YET_OPEN
    elif today > round_.closes_on:
        status = CodeStatus.CLOSED
    else:
        status = CodeStatus.VALID
    return CodeLookup(status, code_id, round_)


def _unknown_code_status(code: str, today: date) -> CodeStatus:
    """UNKNOWN_OR_CLOSED for a code of our shape once any round has closed (its codes are gone then)."""
    compact = normalise_code(code)
    if len(compact) != CODE_LENGTH or not set(compact) <= set(CODE_ALPHABET):
        return CodeStatus.UNKNOWN
    closed = db.session.scalar(select(Round.id).where(Round.closes_on < today).limit(1))
    return CodeStatus.UNKNOWN if closed is None else CodeStatus.UNKNOWN_OR_CLOSED


def open_round_for(questionnaire: str, today: date) -> Round | None:
    """The round an open-link response counts towards: the latest one open today, if any."""
    found = text(open_round_sql(":questionnaire", ":day")).bindparams(bindparam("day", type_=Date))
    round_id = db.session.execute(found, {"questionnaire": questionnaire, "day": today}).scalar()
    return db.session.get(Round, round_id) if round_id is not None else None


def open_round_sql(questionnaire: str, day: str) -> str:
    """SQL for the id of the round open_round_for() gives, with `questionnaire` and `day` as the
    parameter marks (the day's mark comes twice): a form post looks it up inside its INSERT."""
    return (f"SELECT id FROM {Round.__tablename__} WHERE questionnaire = {questionnaire} AND opens_on <= {day} "
            f"AND closes_on >= {day} ORDER BY opens_on DESC, id DESC LIMIT 1")


def get_round(round_id: int) -> Round | None:
    return db.session.get(Round, round_id)


def find_round(questionnaire: str, period: str) -> Round | None:
    """The one round of a questionnaire in a period, if it exists."""
    return db.session.scalar(select(Round).where(Round.questionnaire == questionnaire, Round.period == period))

"""Storing responses: one at a time from the respondent pages, in bulk from paper and demo data.

A response and its answers go in one transaction. A code is marked used in that same transaction by
a conditional update (never read-then-write), so one code can never yield two responses, and a
failure anywhere stores nothing. On PostgreSQL the used codes are then written again, so the database keeps
no trace of which code produced which response (see _blur_used_codes)."""

import csv
import io
import logging
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.datastructures import MultiDict

from ..answers import AnswerValue, check_answers
from ..extensions import db
from ..models import Answer, InvitationCode, QuestionnaireVersion, Response
from ..periods import half_year_of, quarter_of
from . import kiosk, publication, tallies, transaction
from .questionnaires import current_version, definition_of
from .rounds import open_round_sql
from .sql import driver_cursor, insert_rows, mark, one_round_trip


class CodeAlreadyUsed(Exception):
    """Another submission with the same code was stored first."""


class OpenRound(Enum):
    """NewResponse.round_id for a response on the open link: it counts towards the questionnaire's round
    open on its day, if any (rounds.open_round_for), which the INSERT itself looks up."""

    ON_ITS_DAY = "on its day"


@dataclass(frozen=True)
class NewResponse:
    """A checked response waiting to be stored."""

    submitted_on: date
    answers: Sequence[AnswerValue]
    round_id: int | OpenRound | None = None


def store_response(version: QuestionnaireVersion, response: NewResponse, *, channel: str,
                   code_id: int | None = None, form_token_hash: str | None = None) -> None:
    """Store one response; with a code, only if this transaction is the one that marks it used; with a
    form page's token (the office tablet), only if it is the one that marks the token used
    (kiosk.FormAlreadySent otherwise)."""
    try:
        with transaction():
            if form_token_hash is not None:
                kiosk.use_form_token(form_token_hash, response.submitted_on)
            if code_id is not None:
                claimed = db.session.execute(
                    update(InvitationCode)
                    .where(InvitationCode.id == code_id, InvitationCode.used.is_(False))
                    .values(used=True)
                )
                if claimed.rowcount != 1:
                    raise CodeAlreadyUsed()
            _insert(version, [response], channel)
    except IntegrityError as error:
        if form_token_hash is not None and kiosk.is_used_form_token(error):
            raise kiosk.FormAlreadySent() from None
        raise
    if code_id is not None and db.session.get_bind().dialect.name == "postgresql":
        _blur_used_codes(response.round_id)


def _blur_used_codes(round_id: int) -> None:
    """Write every used code of the round again, one statement each, in random order, in a transaction of
    its own. PostgreSQL stamps each row version with the id of the transaction that wrote it (xmin) and
    puts a new version in the next free place (ctid): the code marked used in the response's own
    transaction would carry that response's xmin, and the places of used codes would follow the order in
    which they were used, which response ids follow too. Afterwards every used code of the round carries
    one xmin that is no response's, and their places are shuffled. SQLite keeps neither (an UPDATE
    rewrites the row under its own rowid). If this fails, the response is stored all the same, and the
    next code used in the round writes them all again."""
    try:
        with transaction():
            ids = list(db.session.scalars(select(InvitationCode.id).where(
                InvitationCode.round_id == round_id, InvitationCode.used.is_(True))))
            secrets.SystemRandom().shuffle(ids)
            db.session.execute(update(InvitationCode), [{"id": code_id, "used": True} for code_id in ids])
    except SQLAlchemyError as error:
        logging.getLogger(__name__).warning("used codes of a round not rewritten: %s", type(error).__name__)


def store_many(version: QuestionnaireVersion, responses: Sequence[NewResponse], *, channel: str) -> int:
    """Store many responses in one transaction: all of them, or (on any error) none. Responses for a period
    already published are refused (PublicationError), so its figures never change. (store_response needs
    no such check: a form is stored on the day it is sent, and a period is published only after its end.)"""
    late = publication.refusal(version.questionnaire, [response.submitted_on for response in responses])
    if late:
        raise publication.PublicationError(late)
    with transaction():
        _insert(version, responses, channel)
    return len(responses)


def _insert(version: QuestionnaireVersion, responses: Sequence[NewResponse], channel: str) -> None:
    if not responses:
        return
    rows = []
    for response in responses:
        rows.append({
            "questionnaire_version_id": version.id, "questionnaire": version.questionnaire,
            "round_id": response.round_id, "submitted_on": response.submitted_on, "channel": channel,
            "half_year": str(half_year_of(response.submitted_on)),
            "quarter": str(quarter_of(response.submitted_on)),
        })
    with driver_cursor() as cursor:
        ids = _insert_responses(rows, cursor)
        answer_rows = [
            (response_id, answer.item, answer.value, answer.code, answer.text)
            for response_id, response in zip(ids, responses, strict=True)
            for answer in response.answers
        ]
        with one_round_trip(cursor):
            # Plain tuples through the driver: a paper import stores many answers, and building an ORM
            # parameter dict per answer cost most of the time.
            insert_rows(cursor, f"INSERT INTO {Answer.__tablename__} (response_id, item, value, code, text)",
                        answer_rows)
            tallies.add(((answer.item, row["quarter"], str(answer.value) if answer.value is not None else answer.code)
                         for row, response in zip(rows, responses, strict=True)
                         for answer in response.answers if answer.text is None),
                        ((row["questionnaire"], row["quarter"]) for row in rows), cursor=cursor)


def _insert_responses(rows: list[dict], cursor) -> list[int]:
    """Insert response rows on `cursor` (a driver cursor of the session's connection) and return their
    ids in order. A round_id of OpenRound.ON_ITS_DAY becomes that round's id.

    PostgreSQL returns them from INSERT … RETURNING (through the driver for the single row of a form
    post). SQLite has one writer at a time and gives each new row the largest rowid plus one, so inside
    this write transaction the ids of one executemany are consecutive and end at the last row's id."""
    sqlite = mark(cursor) == "?"
    if len(rows) > 1:
        rows = [_with_open_round(row, cursor) for row in rows]
        if not sqlite:
            return list(db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True),
                                           rows))
    columns = list(rows[0])
    values = [tuple(_driver_value(row[column], sqlite) for column in columns) for row in rows]
    marks = [mark(cursor)] * len(columns)
    if len(rows) == 1 and rows[0]["round_id"] is OpenRound.ON_ITS_DAY:
        # One statement instead of two: the open round's id is a subquery of the INSERT.
        at = columns.index("round_id")
        marks[at] = f"({open_round_sql(mark(cursor), mark(cursor))})"
        day = values[0][columns.index("submitted_on")]
        values = [values[0][:at] + (rows[0]["questionnaire"], day, day) + values[0][at + 1:]]
    sql = f"INSERT INTO {Response.__tablename__} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
    if not sqlite:
        cursor.execute(sql + " RETURNING id", values[0])
        return [cursor.fetchone()[0]]
    if len(values) == 1:
        cursor.execute(sql, values[0])
        return [cursor.lastrowid]
    cursor.executemany(sql, values)
    cursor.execute("SELECT last_insert_rowid()")
    last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def _with_open_round(row: dict, cursor) -> dict:
    if row["round_id"] is not OpenRound.ON_ITS_DAY:
        return row
    day = _driver_value(row["submitted_on"], mark(cursor) == "?")
    cursor.execute(open_round_sql(mark(cursor), mark(cursor)), (row["questionnaire"], day, day))
    found = cursor.fetchone()
    return {**row, "round_id": found[0] if found else None}


def _driver_value(value, sqlite: bool):
    return value.isoformat() if sqlite and isinstance(value, date) else value


@dataclass(frozen=True)
class ImportProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"regel {self.line}: {self.reason}" if self.line else self.reason


class ImportRejected(ValueError):
    """The file was not imported; `problems` lists every bad row."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def import_responses(questionnaire_key: str, content: bytes, *, today: date,
                     round_for_day=None) -> int:
    """Import paper forms from CSV: all rows or none. Returns the number stored; raises ImportRejected
    naming every bad line. `round_for_day(day)` may link a response to its round."""
    version = current_version(questionnaire_key)
    if version is None:
        raise ImportRejected([ImportProblem(0, f"de vragenlijst '{questionnaire_key}' staat nog niet in de "
                                               "database; voer eerst 'flask --app surveys seed' uit")])
    questionnaire = definition_of(version)
    text = _decode(content)
    responses, problems = _parse_rows(questionnaire, text, today, round_for_day)
    if problems:
        raise ImportRejected(problems)
    if not responses:
        raise ImportRejected([ImportProblem(0, "het bestand bevat geen antwoorden, alleen een kopregel")])
    late = publication.refusal(questionnaire_key, [response.submitted_on for response in responses])
    if late:
        raise ImportRejected([ImportProblem(0, late)])
    return store_many(version, responses, channel="paper")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportRejected([ImportProblem(line, "het bestand is geen geldige UTF-8-tekst; sla het op als "
                                                  "'CSV UTF-8'")]) from None


def _parse_rows(questionnaire, text: str, today: date, round_for_day) -> tuple[list[NewResponse], list]:
    """Check every row; line numbers are physical lines, so a quoted text over several lines counts
    as all of them, as in the editor the person fixing the file uses."""
    delimiter = _delimiter(text)
    # strict: a quote opened and never closed is an error, not a field that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = _rows(reader)
    header_line, header, problem = next(rows, (1, None, None))
    if problem:
        return [], [problem]
    if header is None:
        return [], [ImportProblem(1, "het bestand is leeg; de eerste regel moet de kolomnamen geven")]
    header = [name.strip() for name in header]
    problems = _header_problems(questionnaire, header, header_line)
    if problems:
        return [], problems
    responses = []
    for line, row, problem in rows:
        if problem:
            problems.append(problem)
            continue
        if len(row) != len(header):
            problems.append(ImportProblem(line, f"{len(row)} velden, de kopregel heeft er {len(header)}"))
            continue
        values = dict(zip(header, (cell.strip() for cell in row), strict=True))
        day, reason = _parse_day(values.pop("date"), today)
        row_problems = [ImportProblem(line, reason)] if reason else []
        answers, errors = check_answers(questionnaire, MultiDict({k: v for k, v in values.items() if v}))
        row_problems.extend(ImportProblem(line, _answer_problem(questionnaire.item(key), values.get(key, ""),
                                                                messages[0]))
                            for key, messages in errors.items())
        if row_problems:
            problems.extend(row_problems)
            continue
        round_id = round_for_day(day) if round_for_day else None
        responses.append(NewResponse(day, answers, round_id))
    return responses, problems


def _delimiter(text: str) -> str:
    """';' when the header (the first line with text) holds more of them than commas, as Dutch Excel
    writes it; else ','."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _rows(reader) -> Iterator[tuple[int, list[str] | None, ImportProblem | None]]:
    """(first physical line, cells, problem) per row that holds anything; blank lines are skipped."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = reader.line_num
            yield start, None, ImportProblem(start, _csv_problem(error))
            continue
        line = reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row, None


def _csv_problem(error: csv.Error) -> str:
    message = str(error)
    if "field larger than field limit" in message:
        return f"een veld is langer dan {csv.field_size_limit()} tekens; is er een aanhalingsteken vergeten?"
    if "unexpected end of data" in message:
        return "een aanhalingsteken (\") wordt geopend maar nergens gesloten"
    return f"geen geldige CSV-regel ({message}); controleer de aanhalingstekens"


def _header_problems(questionnaire, header: list[str], line: int) -> list[ImportProblem]:
    """Unknown, repeated or missing columns. Rows are not checked against a wrong header: with a
    column too many or repeated, which cell answers which question is a guess."""
    keys = [item.key for item in questionnaire.items]
    problems = []
    if "date" not in header:
        problems.append(ImportProblem(line, "de kolom 'date' (datum als JJJJ-MM-DD) ontbreekt"))
    missing = [item.key for item in questionnaire.items if item.required and item.key not in header]
    if missing:
        problems.append(ImportProblem(line, f"verplichte kolommen ontbreken: {', '.join(missing)}"))
    unknown = [name for name in header if name != "date" and name not in keys]
    if unknown:
        problems.append(ImportProblem(line, f"onbekende kolommen {', '.join(_shown(n) for n in unknown)}; "
                                            f"bekend zijn date, {', '.join(keys)}"))
    repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if repeated:
        problems.append(ImportProblem(line, f"kolommen komen dubbel voor: {', '.join(_shown(n) for n in repeated)}"))
    return problems


def _answer_problem(item, value: str, message: str) -> str:
    """Why a cell is refused, in the terms of the file (codes), not of the web form (buttons)."""
    if not value:
        return f"{item.key} is leeg, maar deze vraag is verplicht"
    if item.type == "open":
        return f"{item.key}: {message}"
    codes = [option.code for option in item.answer_options()]
    if item.type == "grade":
        codes = ["1 t/m 10", *codes[10:]]
    return f"{item.key} = {_shown(value)} is geen geldig antwoord; toegestaan: {', '.join(codes)}"


def _shown(value: str, limit: int = 40) -> str:
    """A cell as quoted in a message: invisible characters made visible, long text cut short."""
    visible = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)
    return "'" + (visible if len(visible) <= limit else visible[:limit] + "…") + "'"


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY = date(2000, 1, 1)  # periods are reported from 2000 on (surveys.periods)


def _parse_day(text: str, today: date) -> tuple[date | None, str | None]:
    # fromisoformat alone would also take 20260331 and week dates such as 2026-W13-2.
    try:
        day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        return None, f"datum {_shown(text)} is geen geldige datum als JJJJ-MM-DD"
    if day > today:
        return None, f"datum {text} ligt in de toekomst"
    if day < FIRST_DAY:
        return None, f"datum {text} ligt vóór {FIRST_DAY.isoformat()}"
    return day, None


def count_responses(questionnaire: str | None = None) -> int:
    from sqlalchemy import func, select

    query = select(func.count(Response.id))
    if questionnaire:
        query = query.where(Response.questionnaire == questionnaire)
    return db.session.scalar(query)


def iter_answer_keys(responses: Iterable[NewResponse]) -> set[str]:
    return {answer.item for response in responses for answer in response.answers}

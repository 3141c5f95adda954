"""Storing responses: one at a time from the respondent pages, in bulk from paper and demo data.

A response and its answers go in one transaction. A code is marked used in that same transaction by
a conditional update (never read-then-write), so one code can never yield two responses, and a
failure anywhere stores nothing."""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, update
from werkzeug.datastructures import MultiDict

from ..answers import AnswerValue, check_answers
from ..extensions import db
from ..models import Answer, InvitationCode, QuestionnaireVersion, Response
from ..periods import half_year_of, quarter_of
from .questionnaires import current_version, definition_of


class CodeAlreadyUsed(Exception):
    """Another submission with the same code was stored first."""


@dataclass(frozen=True)
class NewResponse:
    """A checked response waiting to be stored."""

    submitted_on: date
    answers: Sequence[AnswerValue]
    round_id: int | None = None


def store_response(version: QuestionnaireVersion, response: NewResponse, *, channel: str,
                   code_id: int | None = None) -> None:
    """Store one response; with a code, only if this transaction is the one that marks it used."""
    try:
        if code_id is not None:
            claimed = db.session.execute(
                update(InvitationCode)
                .where(InvitationCode.id == code_id, InvitationCode.used.is_(False))
                .values(used=True)
            )
            if claimed.rowcount != 1:
                raise CodeAlreadyUsed()
        _insert(version, [response], channel)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def store_many(version: QuestionnaireVersion, responses: Sequence[NewResponse], *, channel: str) -> int:
    """Store many responses in one transaction: all of them, or (on any error) none."""
    try:
        _insert(version, responses, channel)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
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
    ids = db.session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
    ).all()
    answer_rows = [
        {"response_id": response_id, "item": answer.item, "half_year": row["half_year"],
         "quarter": row["quarter"], "value": answer.value, "code": answer.code, "text": answer.text}
        for response_id, row, response in zip(ids, rows, responses, strict=True)
        for answer in response.answers
    ]
    if answer_rows:
        db.session.execute(insert(Answer), answer_rows)


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
    return store_many(version, responses, channel="paper")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportRejected([ImportProblem(line, "het bestand is geen geldige UTF-8-tekst; sla het op als "
                                                  "'CSV UTF-8'")]) from None


def _parse_rows(questionnaire, text: str, today: date, round_for_day) -> tuple[list[NewResponse], list]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return [], [ImportProblem(1, "het bestand is leeg; de eerste regel moet de kolomnamen geven")]
    header = [name.strip() for name in header]
    keys = {item.key for item in questionnaire.items}
    unknown = [name for name in header if name != "date" and name not in keys]
    problems = []
    if "date" not in header:
        problems.append(ImportProblem(1, "de kolom 'date' (datum als JJJJ-MM-DD) ontbreekt"))
    if unknown:
        problems.append(ImportProblem(1, f"onbekende kolommen {', '.join(unknown)}; bekend zijn date en "
                                         f"{', '.join(item.key for item in questionnaire.items)}"))
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(ImportProblem(1, f"kolommen komen dubbel voor: {', '.join(repeated)}"))
    if problems:
        return [], problems
    responses = []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(ImportProblem(start, f"{len(row)} velden, de kopregel heeft er {len(header)}"))
            continue
        values = dict(zip(header, (cell.strip() for cell in row), strict=True))
        day, reason = _parse_day(values.pop("date"), today)
        if reason:
            problems.append(ImportProblem(start, reason))
            continue
        answers, errors = check_answers(questionnaire, MultiDict({k: v for k, v in values.items() if v}))
        if errors:
            problems.extend(ImportProblem(start, f"{key} = '{values.get(key, '')}': {messages[0]}")
                            for key, messages in errors.items())
            continue
        round_id = round_for_day(day) if round_for_day else None
        responses.append(NewResponse(day, answers, round_id))
    return responses, problems


def _parse_day(text: str, today: date) -> tuple[date | None, str | None]:
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return None, f"datum '{text}' is geen geldige datum als JJJJ-MM-DD"
    if day > today:
        return None, f"datum {text} ligt in de toekomst"
    return day, None


def count_responses(questionnaire: str | None = None) -> int:
    from sqlalchemy import func, select

    query = select(func.count(Response.id))
    if questionnaire:
        query = query.where(Response.questionnaire == questionnaire)
    return db.session.scalar(query)


def iter_answer_keys(responses: Iterable[NewResponse]) -> set[str]:
    return {answer.item for response in responses for answer in response.answers}

"""Questionnaire versions in the database: seeding from the package files and looking them up."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import QuestionnaireVersion
from ..questionnaires import (
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
    load_questionnaires,
    parse_questionnaire,
)


@dataclass(frozen=True)
class SeedResult:
    questionnaire: str
    version: int
    created: bool


def seed() -> list[SeedResult]:
    """Store each questionnaire's current wording as a version, once. Running it again changes nothing;
    changed wording becomes the next version and older responses keep theirs."""
    results = []
    for key, questionnaire in load_questionnaires().items():
        existing = db.session.scalar(
            select(QuestionnaireVersion).filter_by(questionnaire=key, checksum=questionnaire.checksum)
        )
        if existing:
            results.append(SeedResult(key, existing.version, created=False))
            continue
        last = db.session.scalar(
            select(func.max(QuestionnaireVersion.version)).filter_by(questionnaire=key)
        ) or 0
        db.session.add(QuestionnaireVersion(questionnaire=key, version=last + 1,
                                            checksum=questionnaire.checksum,
                                            definition=questionnaire.definition))
        results.append(SeedResult(key, last + 1, created=True))
    db.session.commit()
    return results


def current_version(key: str) -> QuestionnaireVersion | None:
    """The stored version with the wording of the package's file; before `seed` has stored that
    wording, the newest stored version; None when `seed` has never run.

    Matching on the wording matters when an edit is taken back: the file then equals an older version
    again, which `seed` cannot store a second time, and that older version must be served again."""
    try:
        checksum = load_questionnaire(key).checksum
    except QuestionnaireError:
        checksum = None  # a broken file is reported by `seed`; keep serving what is stored
    if checksum is not None:
        matching = db.session.scalar(select(QuestionnaireVersion).filter_by(questionnaire=key, checksum=checksum))
        if matching is not None:
            return matching
    return db.session.scalar(
        select(QuestionnaireVersion).filter_by(questionnaire=key).order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ServedVersion:
    """What the respondent pages need of a stored version, kept outside any database session."""

    id: int
    questionnaire: str
    version: int
    checksum: str
    definition: dict


def served_version(key: str) -> ServedVersion | None:
    """current_version() for the respondent pages, looked up once per app and wording.

    Once `seed` has stored the wording of the package's file, that stored version is kept under the
    file's checksum: a stored version never changes. Until then the newest stored version is served,
    looked up on every request."""
    try:
        checksum = load_questionnaire(key).checksum
    except QuestionnaireError:
        checksum = None
    cache: dict[tuple[str, str], ServedVersion] = current_app.extensions.setdefault("surveys.served_versions", {})
    served = cache.get((key, checksum))
    if served is not None:
        return served
    version = current_version(key)
    if version is None:
        return None
    served = ServedVersion(version.id, version.questionnaire, version.version, version.checksum, version.definition)
    if checksum is not None and version.checksum == checksum:
        cache[(key, checksum)] = served
    return served


# Parsed definitions by checksum: the checksum names the wording, which a stored version never changes.
_parsed: dict[str, Questionnaire] = {}


def definition_of(version: QuestionnaireVersion | ServedVersion) -> Questionnaire:
    """The questionnaire as worded in this stored version (parsed once per process)."""
    questionnaire = _parsed.get(version.checksum)
    if questionnaire is None:
        questionnaire = parse_questionnaire(version.definition, f"{version.questionnaire} version {version.version}")
        _parsed[version.checksum] = questionnaire
    return questionnaire

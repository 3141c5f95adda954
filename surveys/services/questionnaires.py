"""Questionnaires as data: the versions in the database are the truth. Each known questionnaire
(KnownQuestionnaire) points at the version respondents get now and may hold a beheerder's draft of the next.
The package's files are the shipped default that `seed` stores."""

import copy
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import func, select

from ..extensions import db
from ..models import Answer, KnownQuestionnaire, QuestionnaireVersion, Response
from ..questionnaires import (
    SHIPPED_KEYS,
    Problem,
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
    load_questionnaires,
    parse_kpis,
    parse_questionnaire,
)
from . import audit, transaction
from .questionnaire_changes import summary_of_changes


@dataclass(frozen=True)
class SeedResult:
    questionnaire: str
    version: int
    created: bool
    kept: bool = False  # a beheerder published another version since the file was stored: left alone


def _known(key: str) -> KnownQuestionnaire | None:
    return db.session.get(KnownQuestionnaire, key)


def _next_version_number(key: str) -> int:
    last = db.session.scalar(select(func.max(QuestionnaireVersion.version)).filter_by(questionnaire=key))
    return (last or 0) + 1


def _stored(key: str, questionnaire: Questionnaire) -> tuple[QuestionnaireVersion, bool]:
    """The version with this wording, stored now when it is new (a version is never stored twice)."""
    existing = db.session.scalar(
        select(QuestionnaireVersion).filter_by(questionnaire=key, checksum=questionnaire.checksum))
    if existing is not None:
        return existing, False
    version = QuestionnaireVersion(questionnaire=key, version=_next_version_number(key),
                                   checksum=questionnaire.checksum, definition=questionnaire.definition)
    db.session.add(version)
    db.session.flush()
    return version, True


def seed() -> list[SeedResult]:
    """Store each shipped questionnaire's file as a version where the installation lacks it. Running it again
    changes nothing. A shipped file with new wording becomes the version served, unless a beheerder
    published or imported a version since `seed` last stored the file: the beheerder's choice stays."""
    results = []
    for key, questionnaire in load_questionnaires().items():
        known = _known(key)
        if known is None:
            known = KnownQuestionnaire(key=key)
            db.session.add(known)
        current = known.current_version
        if current is not None and current.checksum != known.seeded_checksum:
            results.append(SeedResult(key, current.version, created=False, kept=True))
            continue
        if current is not None and known.seeded_checksum == questionnaire.checksum:
            results.append(SeedResult(key, current.version, created=False))
            continue
        version, created = _stored(key, questionnaire)
        known.current_version, known.seeded_checksum = version, questionnaire.checksum
        results.append(SeedResult(key, version.version, created=created))
    db.session.commit()
    _forget_in_force()
    return results


def known_keys() -> list[str]:
    """Every questionnaire the installation knows: the shipped ones in their order (stored or not yet), then
    the others by name."""
    keys = set(db.session.scalars(select(KnownQuestionnaire.key)))
    return list(SHIPPED_KEYS) + sorted(keys - set(SHIPPED_KEYS))


def is_known(key: str) -> bool:
    return key in SHIPPED_KEYS or _known(key) is not None


def current_version(key: str) -> QuestionnaireVersion | None:
    """The version respondents get now; None for a questionnaire never stored (before `seed`)."""
    known = _known(key)
    return known.current_version if known is not None else None


def current(key: str) -> Questionnaire | None:
    """The questionnaire as respondents get it now; for a shipped one not stored yet, its file (the default
    until `seed` stores it); None for a key the installation does not know."""
    version = current_version(key)
    if version is not None:
        return definition_of(version)
    return load_questionnaire(key) if key in SHIPPED_KEYS else None


_IN_FORCE = "surveys_questionnaires_in_force"


def in_force() -> dict[str, Questionnaire]:
    """Every questionnaire respondents can get now, key → current(key), in known_keys() order: what the report
    channels show (a questionnaire made in the editor and not yet published is left out). One query per
    request (kept in flask.g; publishing forgets it); a stored version is parsed once per process."""
    cached = g.get(_IN_FORCE) if has_app_context() else None
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(KnownQuestionnaire.key, QuestionnaireVersion.id, QuestionnaireVersion.checksum)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == KnownQuestionnaire.current_version_id)).all()
    stored = {key: _parsed.get(checksum) or definition_of(db.session.get(QuestionnaireVersion, version_id))
              for key, version_id, checksum in rows}
    found = {key: stored.get(key) or load_questionnaire(key) for key in SHIPPED_KEYS}
    found |= {key: stored[key] for key in sorted(stored.keys() - set(SHIPPED_KEYS))}
    if has_app_context():
        g.setdefault(_IN_FORCE, found)
    return found


def in_force_one(key: str) -> Questionnaire:
    """in_force()[key]; QuestionnaireError naming the known keys for a key without a current version."""
    found = in_force()
    if key not in found:
        raise QuestionnaireError(f"onbekende vragenlijst '{key}'; bekend zijn: {', '.join(found)}")
    return found[key]


def _forget_in_force() -> None:
    if has_app_context():
        g.pop(_IN_FORCE, None)


@dataclass(frozen=True)
class ServedVersion:
    """What the respondent pages need of a stored version, kept outside any database session."""

    id: int
    questionnaire: str
    version: int
    checksum: str
    definition: dict


def served_version(key: str) -> ServedVersion | None:
    """current_version() for the respondent pages: one small lookup of which version is current; the
    version itself is kept per app, as a stored version never changes."""
    version_id = db.session.scalar(select(KnownQuestionnaire.current_version_id).filter_by(key=key))
    if version_id is None:
        return None
    cache: dict[int, ServedVersion] = current_app.extensions.setdefault("surveys.served_versions", {})
    served = cache.get(version_id)
    if served is None:
        version = db.session.get(QuestionnaireVersion, version_id)
        served = cache[version_id] = ServedVersion(version.id, version.questionnaire, version.version,
                                                   version.checksum, version.definition)
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


# --- the editor's draft, publishing, import ----------------------------------------------------------------

def draft_of(key: str) -> dict:
    """The definition the beheerder edits: the draft, or else a copy of the current version."""
    known = _known(key)
    if known is None:
        if key in SHIPPED_KEYS:
            return copy.deepcopy(load_questionnaire(key).definition)
        raise KeyError(key)
    if known.draft is not None:
        return copy.deepcopy(known.draft)
    return copy.deepcopy(known.current_version.definition) if known.current_version else {}


def has_draft(key: str) -> bool:
    known = _known(key)
    return known is not None and known.draft is not None


def _answered_meanings(key: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Item key → its meaning in the versions of `key` that hold answers to it.

    Meaning is the item's type and its answer options (the codes stored): wording may change, but an
    answered key keeps what its answers mean, so old and new answers can be counted together."""
    answered = db.session.execute(
        select(Answer.item, QuestionnaireVersion.id).distinct()
        .join(Response, Response.id == Answer.response_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(QuestionnaireVersion.questionnaire == key)).all()
    meanings = {}
    for item_key, version_id in answered:
        item = next(i for i in db.session.get(QuestionnaireVersion, version_id).definition["items"]
                    if i["key"] == item_key)
        meanings[item_key] = _meaning(item)
    return meanings


def _meaning(item: dict) -> tuple[str, tuple[str, ...]]:
    return item.get("type"), tuple(sorted(option.get("code") for option in item.get("options", [])
                                          if isinstance(option, dict)))


def _keys_of_other_questionnaires(key: str) -> dict[str, str]:
    """Item key → the other questionnaire that uses it: answers and tallies are kept per item key, so a key
    belongs to one questionnaire."""
    owners = {}
    for questionnaire, definition in db.session.execute(
            select(QuestionnaireVersion.questionnaire, QuestionnaireVersion.definition)
            .where(QuestionnaireVersion.questionnaire != key)):
        owners.update({item["key"]: questionnaire for item in definition["items"]})
    for known in db.session.scalars(select(KnownQuestionnaire).where(KnownQuestionnaire.key != key)):
        owners.update({item.get("key"): known.key for item in (known.draft or {}).get("items", [])})
    return owners


def check(definition: dict, key: str, source: str) -> Questionnaire:
    """Every check of a definition for questionnaire `key`: the file checks (SCHEMA.md), then what the stored
    answers require. Raises QuestionnaireError with every problem; the editor and the import both call it."""
    questionnaire = parse_questionnaire(definition, source)
    found = []
    if questionnaire.key != key:
        found.append(Problem("key", "key", f"De sleutel '{questionnaire.key}' hoort niet bij vragenlijst '{key}'."))
    answered, others = _answered_meanings(key), _keys_of_other_questionnaires(key)
    for i, raw in enumerate(definition["items"]):
        where = f"items[{i}] ({raw['key']})"
        if raw["key"] in answered and _meaning(raw) != answered[raw["key"]]:
            found.append(Problem(where, f"items-{i}-type",
                                 f"Op vraag '{raw['key']}' is al geantwoord. Het soort vraag en de antwoorden "
                                 f"blijven dan gelijk. Geef de vraag een nieuwe sleutel."))
        if raw["key"] in others:
            found.append(Problem(where, f"items-{i}-key",
                                 f"De sleutel '{raw['key']}' hoort al bij vragenlijst '{others[raw['key']]}'."))
    found += _kpi_problems(definition, questionnaire)
    if found:
        raise QuestionnaireError("\n".join(f"{source}: {p.where}: {p.message}" for p in found), found)
    return questionnaire


def _kpi_problems(definition: dict, questionnaire: Questionnaire) -> list[Problem]:
    """What the KPIs on this questionnaire need of the new wording: each KPI's item, of its type, with its
    share codes (the catalogue's own check, parse_kpis). Else the reports of every KPI would fail."""
    from . import kpi_catalogue

    places = {raw["key"]: i for i, raw in enumerate(definition["items"])}
    problems = []
    for entry in kpi_catalogue.editable()["kpis"]:
        if entry["questionnaire"] != questionnaire.key:
            continue
        try:
            parse_kpis({"kpis": [entry]}, "KPI-catalogus", {questionnaire.key: questionnaire})
        except QuestionnaireError as error:
            place = places.get(entry["item"])
            problems += [Problem(f"KPI {entry['key']}", "" if place is None else f"items-{place}-key",
                                 f"De KPI '{entry['label']['nl']}' telt vraag {entry['item']}. {problem.message} "
                                 f"Pas eerst de KPI aan bij KPI's en normen.") for problem in error.found]
    return problems


def save_draft(key: str, definition: dict, *, actor: str) -> None:
    """Store the beheerder's changes as the draft, after every check; audited with before and after."""
    check(definition, key, f"concept {key}")
    before = draft_of(key)
    with transaction():
        known = _known_or_new(key)
        known.draft = definition
        audit.record("questionnaire_draft_changed", actor=actor, commit=False,
                     detail=f"{key}: {summary_of_changes(before, definition)}")


def discard_draft(key: str, *, actor: str) -> None:
    """Throw the draft away; the editor shows the current version again."""
    with transaction():
        known = _known(key)
        if known is not None and known.draft is not None:
            before = known.draft
            known.draft = None
            after = known.current_version.definition if known.current_version else {}
            audit.record("questionnaire_draft_changed", actor=actor, commit=False,
                         detail=f"{key}: concept weggegooid: {summary_of_changes(before, after)}")


def _known_or_new(key: str) -> KnownQuestionnaire:
    known = _known(key)
    if known is None:
        known = KnownQuestionnaire(key=key)
        db.session.add(known)
    return known


def _make_current(key: str, definition: dict, *, actor: str, action: str) -> QuestionnaireVersion:
    questionnaire = check(definition, key, key)
    known = _known_or_new(key)
    before = known.current_version.definition if known.current_version else {}
    version, created = _stored(key, questionnaire)
    known.current_version, known.draft = version, None
    _forget_in_force()
    audit.record(action, actor=actor, commit=False,
                 detail=f"{key} versie {version.version}{'' if created else ' (bestond al)'}: "
                        f"{summary_of_changes(before, definition)}")
    return version


def publish(key: str, *, actor: str) -> QuestionnaireVersion:
    """The draft becomes the version respondents get: a new version, or the stored one with the same
    wording. Answered versions are never changed. Raises QuestionnaireError, changing nothing."""
    with transaction():
        version = _make_current(key, draft_of(key), actor=actor, action="questionnaire_published")
    return version


def import_definition(definition: dict, *, actor: str) -> QuestionnaireVersion:
    """A shared file (already read with files.from_toml) as the current version of its questionnaire, which
    is added when the installation does not know it yet."""
    key = definition.get("key")
    with transaction():
        version = _make_current(key, definition, actor=actor, action="questionnaire_imported")
    return version


def create(key: str, definition: dict, *, actor: str) -> None:
    """A new questionnaire with `definition` as its first draft (nothing is served until it is published)."""
    if is_known(key) or _known(key) is not None:
        raise QuestionnaireError(f"{key}: key: er is al een vragenlijst met deze sleutel",
                                 [Problem("key", "key", f"Er is al een vragenlijst met de sleutel '{key}'.")])
    check(definition, key, f"nieuw {key}")
    with transaction():
        db.session.add(KnownQuestionnaire(key=key, draft=definition))
        audit.record("questionnaire_created", actor=actor, commit=False,
                     detail=f"{key}: {summary_of_changes({}, definition)}")

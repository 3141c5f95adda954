"""The KPI catalogue in force: KPIs on any grade or share item of any questionnaire, each with its norms over
time (the annual plan changes them; a period keeps the norm of its own half-year). The newest stored version
holds; without one, the catalogue shipped with the package (surveys/questionnaires/kpis.toml).

A team changes it without touching code: `flask --app surveys kpis export --out FILE`, edit, `kpis import FILE`,
or the same file downloaded and uploaded on the beheerder's KPI page. The file is the TOML of SCHEMA.md, read
by one checker (questionnaires.parse_kpis) for the command line and the page alike, and written canonically:
importing an exported file and exporting again gives the same bytes."""

import json
import tomllib
from fractions import Fraction

from flask import g, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import KpiCatalogue
from ..questionnaires import Kpi, Questionnaire, QuestionnaireError, load_kpis, parse_kpis
from ..questionnaires.files import read_toml, toml_string
from . import audit, transaction

HEADER = "# The KPI catalogue of the surveys service; the format is described in surveys/questionnaires/SCHEMA.md.\n"


def catalogue() -> tuple[Kpi, ...]:
    """The catalogue in force, read once per request (a report asks for it many times)."""
    if not has_app_context():
        return load_kpis()
    cached = g.get("kpi_catalogue")
    if cached is None:
        cached = g.kpi_catalogue = _stored() or load_kpis()
    return cached


_parsed: dict[tuple[int, str], tuple[Kpi, ...]] = {}


def _stored() -> tuple[Kpi, ...] | None:
    row = db.session.execute(select(KpiCatalogue.id, KpiCatalogue.definition)
                             .order_by(KpiCatalogue.id.desc()).limit(1)).first()
    if row is None:
        return None
    # A stored version never changes: parsed once per process. Its text is part of the key, as another
    # database (a test's, a restored copy) may hold another catalogue under the same id.
    key = (row.id, json.dumps(row.definition, sort_keys=True))
    if key not in _parsed:
        _parsed[key] = parse_kpis(row.definition, f"KPI-catalogus versie {row.id}", _questionnaires())
    return _parsed[key]


def _questionnaires() -> dict[str, Questionnaire]:
    """The questionnaires a KPI may point into: every one respondents can get now (also those made in the
    editor, once published), as worded now; before `seed`, the shipped ones."""
    from . import questionnaires as stored

    return stored.in_force()


def read_file(content: bytes | str, source: str) -> dict:
    """A catalogue file, checked; QuestionnaireError naming every problem (with its KPI and norm)."""
    data = read_toml(content, source)
    parse_kpis(data, source, _questionnaires())
    return data


def store(data: dict, *, by: str) -> None:
    """Make a checked catalogue the one in force (audited with what changed)."""
    before = {kpi.key: _norms_text(kpi) for kpi in catalogue()}
    after = {kpi.key: _norms_text(kpi) for kpi in parse_kpis(data, "catalogus", _questionnaires())}
    changes = [f"{key}: {before.get(key, 'nieuw')} → {after.get(key, 'weg')}"
               for key in sorted(before.keys() | after.keys()) if before.get(key) != after.get(key)]
    with transaction():
        db.session.add(KpiCatalogue(definition=json.loads(json.dumps(data)), created_by=by))
        audit.record("kpis_changed", actor=by, detail="; ".join(changes) or "alleen teksten", commit=False)
    g.pop("kpi_catalogue", None)


def _norms_text(kpi: Kpi) -> str:
    return ", ".join(f"{norm.since or 'altijd'} {norm.operator} {float(norm.value):g}" for norm in kpi.norms)


def to_toml(kpis: tuple[Kpi, ...]) -> str:
    """The canonical file: a KPI per [[kpis]] table, its norms as [[kpis.norms]] tables, oldest first."""
    lines = [HEADER.rstrip("\n")]
    for kpi in kpis:
        lines += ["", "[[kpis]]", f"key = {toml_string(kpi.key)}", f"questionnaire = {toml_string(kpi.questionnaire)}",
                  f"item = {toml_string(kpi.item)}", f"statistic = {toml_string(kpi.statistic)}",
                  "share_codes = [" + ", ".join(toml_string(code) for code in kpi.share_codes) + "]",
                  f"label.nl = {toml_string(kpi.label.nl)}", f"label.en = {toml_string(kpi.label.en)}"]
        for norm in kpi.norms:
            lines += ["", "[[kpis.norms]]"]
            lines += [f"from = {toml_string(norm.since)}"] if norm.since else []
            lines += [f"operator = {toml_string(norm.operator)}", f"norm = {_number(norm.value)}"]
    return "\n".join(lines) + "\n"


def _number(value: Fraction) -> str:
    return str(int(value)) if value == int(value) else repr(float(value))


def with_norm(key: str, since: str, operator: str, value: str) -> dict:
    """The catalogue in force with one more norm for a KPI, from a half-year on, as data to check and store
    (a norm from a half-year that already has one replaces it). QuestionnaireError when the value is no
    number or the KPI is unknown; the checker names anything else."""
    data = tomllib.loads(to_toml(catalogue()))
    entry = next((kpi for kpi in data["kpis"] if kpi["key"] == key), None)
    if entry is None:
        raise QuestionnaireError(f"onbekende KPI '{key}'")
    try:
        number = float(value.strip().replace(",", ".").rstrip("%").strip())
    except ValueError:
        raise QuestionnaireError("vul de norm in als een getal, zoals 7,5 (of 70 voor 70 %)") from None
    if entry["statistic"] == "share":
        number /= 100  # typed as a percentage; stored as a fraction
    norms = [norm for norm in entry["norms"] if norm.get("from") != since]
    norms.append({"from": since, "operator": operator, "norm": number})
    norms.sort(key=lambda norm: norm.get("from") or "")
    entry["norms"] = norms
    return data

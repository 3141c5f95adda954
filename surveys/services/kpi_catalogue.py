"""The KPI catalogue in force: KPIs on any grade or share item of any questionnaire, each with its norms over
time (the annual plan changes them; a period keeps the norm of its own half-year). The newest stored version
holds; without one, the catalogue shipped with the package (surveys/questionnaires/kpis.toml).

A team changes it without touching code: `flask --app surveys kpis export --out FILE`, edit, `kpis import FILE`,
or the same file downloaded and uploaded on the beheerder's KPI page. The file is the TOML of SCHEMA.md, read
by one checker (questionnaires.parse_kpis) for the command line and the page alike, and written canonically:
importing an exported file and exporting again gives the same bytes. The beheerder's KPI form (add a KPI, change
one, take away a norm that has not begun) builds the changed catalogue as data and stores it through the same
checker, so the form names the same problems as the file."""

import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from fractions import Fraction

from flask import g, has_app_context
from sqlalchemy import select

from .. import periods
from ..extensions import db
from ..models import KpiCatalogue, PublishedPeriod
from ..periods import half_year_of
from ..questionnaires import Kpi, Problem, Questionnaire, QuestionnaireError, load_kpis, parse_kpis
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


_parsed: dict[int, tuple[dict, tuple[Kpi, ...]]] = {}


def _stored() -> tuple[Kpi, ...] | None:
    row = db.session.execute(select(KpiCatalogue.id, KpiCatalogue.definition)
                             .order_by(KpiCatalogue.id.desc()).limit(1)).first()
    if row is None:
        return None
    # A stored version never changes: parsed once per process. The definition is compared too, as another
    # database (a test's, a restored one) may hold another catalogue under the same id.
    cached = _parsed.get(row.id)
    if cached is None or cached[0] != row.definition:
        cached = _parsed[row.id] = (row.definition, parse_kpis(row.definition, f"KPI-catalogus versie {row.id}",
                                                               questionnaires_in_use()))
    return cached[1]


def questionnaires_in_use() -> dict[str, Questionnaire]:
    """The questionnaires a KPI may point into: every one respondents can get now (also those made in the
    editor, once published), as worded now; before `seed`, the shipped ones."""
    from . import questionnaires as stored

    return stored.in_force()


def read_file(content: bytes | str, source: str) -> dict:
    """A catalogue file, checked; QuestionnaireError naming every problem (with its KPI and norm)."""
    data = read_toml(content, source)
    parse_kpis(data, source, questionnaires_in_use())
    return data


def store(data: dict, *, by: str, action: str = "kpis_changed") -> None:
    """Make a checked catalogue the one in force: a new version, audited with what changed (before → after)."""
    before = catalogue()
    after = parse_kpis(data, "catalogus", questionnaires_in_use())
    _keep_published(before, after)
    with transaction():
        db.session.add(KpiCatalogue(definition=json.loads(json.dumps(data)), created_by=by))
        audit.record(action, actor=by, detail=changes(before, after), commit=False)
    g.pop("kpi_catalogue", None)


def _keep_published(before: tuple[Kpi, ...], after: tuple[Kpi, ...]) -> None:
    """A published period's figures never change (PublishedPeriod): a KPI with published figures keeps its
    question and figure, and each published period keeps its norm. A new question is a new KPI; a new norm
    holds from a later half-year on. QuestionnaireError naming each refusal at its form field."""
    old = {kpi.key: kpi for kpi in before}
    names = {kpi.questionnaire for kpi in before}
    published: dict[str, list[str]] = {}
    for questionnaire, period in db.session.execute(select(PublishedPeriod.questionnaire, PublishedPeriod.period)
                                                    .where(PublishedPeriod.questionnaire.in_(names))):
        published.setdefault(questionnaire, []).append(period)
    found = []
    for place, kpi in enumerate(after):
        was = old.get(kpi.key)
        shown = sorted(published.get(was.questionnaire, [])) if was else []
        if not shown:
            continue
        where, field = f"kpis[{place}] ({kpi.key})", f"kpis-{place}"
        if _question(was) != _question(kpi):
            found.append(Problem(where, f"{field}-item",
                                 f"{kpi.key} heeft vrijgegeven uitkomsten (vanaf {shown[0]}), dus de vraag en de "
                                 f"uitkomst blijven {_question(was)}. Maak voor een andere vraag een nieuwe KPI."))
            continue
        changed = [period for period in shown if _rule(was, period) != _rule(kpi, period)]
        if changed:
            last = max(half_year_of(periods.parse_period(period).start) for period in shown)
            following = half_year_of(last.end + timedelta(days=1))
            found.append(Problem(where, f"{field}-norms",
                                 f"De norm van {kpi.key} is al gebruikt voor de vrijgegeven periode "
                                 f"{', '.join(changed)}. Een nieuwe norm kan ingaan vanaf {following}."))
    if found:
        raise QuestionnaireError("\n".join(f"catalogus: {p.where}: {p.message}" for p in found), found)


def _rule(kpi: Kpi, period: str) -> tuple[str, Fraction]:
    norm = kpi.norm_in(periods.parse_period(period))
    return norm.operator, norm.value


def changes(before: tuple[Kpi, ...], after: tuple[Kpi, ...]) -> str:
    """What a new catalogue changes, per KPI: 'client_support naam: 'oud' → 'nieuw''; a norm change as
    'client_support: altijd > 7 → altijd > 7, 2027-H1 >= 7.5'."""
    old, new = {kpi.key: kpi for kpi in before}, {kpi.key: kpi for kpi in after}
    lines = []
    for key in [kpi.key for kpi in before] + [kpi.key for kpi in after if kpi.key not in old]:
        was, now = old.get(key), new.get(key)
        if was is None:
            lines.append(f"{key}: nieuw → {_whole(now)}")
        elif now is None:
            lines.append(f"{key}: {_whole(was)} → weg")
        else:
            for part, text in (("naam", lambda kpi: f"'{kpi.label.nl}'"),
                               ("Engelse naam", lambda kpi: f"'{kpi.label.en}'"), ("vraag", _question)):
                if text(was) != text(now):
                    lines.append(f"{key} {part}: {text(was)} → {text(now)}")
            if _norms_text(was) != _norms_text(now):
                lines.append(f"{key}: {_norms_text(was)} → {_norms_text(now)}")
    return "; ".join(lines) or "niets veranderd"


def _question(kpi: Kpi) -> str:
    figure = "gemiddelde" if kpi.statistic == "mean" else "aandeel " + " of ".join(kpi.share_codes)
    return f"{kpi.questionnaire} {kpi.item} {figure}"


def _norms_text(kpi: Kpi) -> str:
    return ", ".join(f"{norm.since or 'altijd'} {norm.operator} {float(norm.value):g}" for norm in kpi.norms)


def _whole(kpi: Kpi) -> str:
    return f"'{kpi.label.nl}', {_question(kpi)}, normen {_norms_text(kpi)}"


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
    data = editable()
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


def editable() -> dict:
    """The catalogue in force as data (the canonical file read back), to change and then check and store."""
    return tomllib.loads(to_toml(catalogue()))


#: The fields of the beheerder's KPI form; a problem of parse_kpis names one (its kpis-3-… field less the prefix).
FORM_FIELDS = ("label-nl", "label-en", "key", "questionnaire", "item", "statistic", "share_codes",
               "from", "operator", "norm")


def form_values(kpi: Kpi) -> dict[str, str]:
    """A KPI as its form shows it."""
    return {"label-nl": kpi.label.nl, "label-en": kpi.label.en, "key": kpi.key, "questionnaire": kpi.questionnaire,
            "item": kpi.item, "statistic": kpi.statistic, "share_codes": ", ".join(kpi.share_codes)}


def with_kpi(form: Mapping[str, str], key: str | None = None) -> tuple[dict, int]:
    """The catalogue in force with one KPI from the form: a new one (key None: made from the name unless the
    form gives one; with its first norm) or the KPI `key` changed (its key and norms stay). Returns the data to
    check and store, and the KPI's place in it (the checker's kpis-<place>-… fields). LookupError: no such KPI."""
    data = editable()
    statistic = form.get("statistic", "").strip()
    entry = {"key": key, "questionnaire": form.get("questionnaire", "").strip(), "item": form.get("item", "").strip(),
             "statistic": statistic,
             "share_codes": [code for code in re.split(r"[,\s]+", form.get("share_codes", "")) if code]
             if statistic == "share" else [],
             "label": {"nl": form.get("label-nl", "").strip(), "en": form.get("label-en", "").strip()}}
    keys = [kpi["key"] for kpi in data["kpis"]]
    if key is None:
        entry["key"] = form.get("key", "").strip() or key_from(entry["label"]["nl"], keys)
        norm = {"operator": form.get("operator", ""), "norm": typed_number(form.get("norm", ""), statistic)}
        since = form.get("from", "").strip()
        entry["norms"] = [{"from": since, **norm} if since else norm]
        data["kpis"].append(entry)
        return data, len(keys)
    if key not in keys:
        raise LookupError(key)
    place = keys.index(key)
    entry["norms"] = data["kpis"][place]["norms"]
    data["kpis"][place] = entry
    return data, place


def key_from(name: str, taken: list[str]) -> str:
    """A key for a new KPI made from its name: 'Cliënten die weer verder kunnen' → clienten_die_weer_verder_kunnen
    (with _2, _3 when taken)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:36].strip("_") or "kpi"
    if not base[0].isalpha():
        base = f"kpi_{base}"[:36]
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


def typed_number(text: str, statistic: str) -> int | float | str | None:
    """A norm as typed in the form (7,5; 70 or 70 % for a share) as the file holds it (7.5; 0.7). What is no
    number stays text, so the checker names it as it names the same in a file."""
    text = text.strip()
    if not text:
        return None
    try:
        value = Fraction(text.replace(",", ".").rstrip("%").strip()) / (100 if statistic == "share" else 1)
        return int(value) if value.denominator == 1 and abs(value) < 10**9 else float(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        return text


def starts_later(since: str | None) -> bool:
    """Whether a norm begins after the half-year of today: only such a norm may still be taken away."""
    if since is None:
        return False
    year, _, half = since.partition("-H")
    now = half_year_of(periods.today())
    return (int(year), int(half)) > (now.year, now.index)


def without_norm(key: str, since: str) -> dict:
    """The catalogue in force without the norm of a KPI from `since` on, which must not hold yet.
    QuestionnaireError saying why not; LookupError: no such KPI."""
    data = editable()
    entry = next((kpi for kpi in data["kpis"] if kpi["key"] == key), None)
    if entry is None:
        raise LookupError(key)
    if not since:
        raise QuestionnaireError("Kies de norm die u wilt weghalen.")
    if since not in [norm.get("from") for norm in entry["norms"]]:
        raise QuestionnaireError(f"Deze KPI heeft geen norm vanaf {since}.")
    if not starts_later(since):
        raise QuestionnaireError(f"Alleen een norm die nog moet beginnen kunt u weghalen. De norm vanaf {since} "
                                 f"geldt al.")
    entry["norms"] = [norm for norm in entry["norms"] if norm.get("from") != since]
    return data

"""The questionnaires and the KPI catalogue, read from the TOML files beside this module.

The files are data (see SCHEMA.md). Everything in them is checked here, and a mistake is reported
with the file and item it is in, so a person editing wording sees at once what to fix."""

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from importlib import resources
from typing import Any

from flask import current_app, has_app_context

#: The questionnaires shipped with the package as files (the default `seed` stores). Which questionnaires an
#: installation knows is data: services.questionnaires.known_keys().
SHIPPED_KEYS = ("client", "partner", "gemeente", "medewerker")
QUESTIONNAIRE_KEYS = SHIPPED_KEYS  # the old name, still read by the report code
#: A questionnaire key: in addresses (/q/<key>) and file names, so lowercase letters, digits and _.
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,19}")
ITEM_TYPES = ("grade", "agree", "choice", "open")
MISSING_CODES = ("weet_niet", "nvt")
PERIOD_KINDS = ("half_year", "quarter")
MAX_OPEN_LENGTH = 2000
DEFAULT_MIN_N = 5  # SURVEYS_DEFAULT_MIN_N's default, for use without a running app
LANGUAGES = ("nl", "en")


class QuestionnaireError(ValueError):
    """A definition that does not follow SCHEMA.md; the message lists every problem found, and `found`
    holds them one by one (with the editor's field of each)."""

    def __init__(self, message: str, found: "list[Problem] | None" = None):
        super().__init__(message)
        self.found = found or [Problem("", "", message)]


@dataclass(frozen=True)
class Text:
    nl: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nl


@dataclass(frozen=True)
class Option:
    code: str
    label: Text


GRADE_ENDS = {1: Text("zeer slecht", "very poor"), 10: Text("uitstekend", "excellent")}
AGREE_LABELS = {
    5: Text("Helemaal mee eens", "Strongly agree"),
    4: Text("Mee eens", "Agree"),
    3: Text("Niet mee eens en niet mee oneens", "Neither agree nor disagree"),
    2: Text("Niet mee eens", "Disagree"),
    1: Text("Helemaal niet mee eens", "Strongly disagree"),
}
MISSING_LABELS = {
    "weet_niet": Text("Weet ik niet", "I don't know"),
    "nvt": Text("Niet van toepassing", "Not applicable"),
}
# A grade's one non-scale answer: the words the form's instruction uses ('Kies dan "Weet ik niet"').
GRADE_ONLY_MISSING = Text("Weet ik niet", "I don't know")


@dataclass(frozen=True)
class Item:
    key: str
    type: str
    text: Text
    required: bool
    background: bool = False
    hint: Text | None = None
    missing: tuple[str, ...] = ()
    nvt_label: Text | None = None
    options: tuple[Option, ...] = ()
    max_length: int = MAX_OPEN_LENGTH

    @property
    def scale(self) -> tuple[int, ...]:
        """The numeric answers in the order they are shown."""
        if self.type == "grade":
            return tuple(range(1, 11))
        if self.type == "agree":
            return (5, 4, 3, 2, 1)
        return ()

    def __post_init__(self) -> None:
        # Pages list an item's answers several times; build them once per item.
        object.__setattr__(self, "_answer_options", self._build_answer_options())

    def answer_options(self) -> tuple[Option, ...]:
        """Every answer a respondent can pick, scale first, then the non-scale answers."""
        return self._answer_options

    def _build_answer_options(self) -> tuple[Option, ...]:
        if self.type == "open":
            return ()
        if self.type == "choice":
            scale: tuple[Option, ...] = self.options
        elif self.type == "agree":
            scale = tuple(Option(str(v), AGREE_LABELS[v]) for v in self.scale)
        else:
            scale = tuple(Option(str(v), Text(str(v), str(v))) for v in self.scale)
        return scale + tuple(Option(code, self.missing_label(code)) for code in self.missing)

    def missing_label(self, code: str) -> Text:
        if code == "nvt" and self.nvt_label:
            return self.nvt_label
        if code == "weet_niet" and self.type == "grade" and "nvt" not in self.missing:
            return GRADE_ONLY_MISSING
        return MISSING_LABELS[code]


#: Reminders by `run-due` when a questionnaire's file says nothing: a week after the invitation, twice at most;
#: a half-year round's fieldwork of about three weeks (reference/domain.md) then holds both.
REMINDER_DAYS, MAX_REMINDERS = 7, 2


@dataclass(frozen=True)
class Questionnaire:
    key: str
    title: Text
    intro: Text
    own_min_n: int | None  # the file's min_n; None: the organisation's SURVEYS_DEFAULT_MIN_N
    open_link: bool
    reporting: tuple[str, ...]
    items: tuple[Item, ...]
    definition: dict  # the checked file contents, as stored with each version
    reminder_days: int = REMINDER_DAYS  # `run-due` reminds an unused mailed code this many days after
    max_reminders: int = MAX_REMINDERS  # the invitation or the last reminder, this many times at most

    @property
    def min_n(self) -> int:
        """The smallest group whose figures are shown: the questionnaire's own minimum, or, where its file
        sets none, SURVEYS_DEFAULT_MIN_N of the running app."""
        if self.own_min_n is not None:
            return self.own_min_n
        return int(current_app.config["DEFAULT_MIN_N"]) if has_app_context() else DEFAULT_MIN_N

    @cached_property
    def checksum(self) -> str:
        """Identifies the wording: equal definitions give equal checksums. Worked out once (a form post
        asks for it); the definition is never changed after parsing."""
        canonical = json.dumps(self.definition, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def __hash__(self) -> int:
        return hash(self.checksum)


@dataclass(frozen=True)
class KpiNorm:
    """A norm of the annual plan, from a half-year on (``since``; None: from the start) until the next one."""

    since: str | None
    operator: str  # ">" or ">="
    value: Fraction  # exact, so "> 7" and "> 0.7" are checked on integers


@dataclass(frozen=True)
class Kpi:
    key: str
    questionnaire: str
    item: str
    statistic: str  # "mean" or "share"
    share_codes: tuple[str, ...]
    norms: tuple[KpiNorm, ...]  # oldest first; the annual plan changes its norms, the past keeps its own
    label: Text

    def norm_in(self, period) -> KpiNorm:
        """The norm that holds in a period (a quarter: the norm of its half-year)."""
        half_year = (period.year, 1 if period.start.month <= 6 else 2)
        holding = self.norms[0]
        for norm in self.norms[1:]:
            year, _, half = norm.since.partition("-H")
            if (int(year), int(half)) <= half_year:
                holding = norm
        return holding

    @property
    def operator(self) -> str:
        """The operator of the newest norm (what holds from now on); a period's own: norm_in(period)."""
        return self.norms[-1].operator

    @property
    def norm(self) -> Fraction:
        """The newest norm's value; a period's own: norm_in(period)."""
        return self.norms[-1].value


@dataclass(frozen=True)
class Problem:
    """One mistake: where it is for a person reading a file (`where`), the form field it belongs to in the
    editor (`field`, e.g. items-2-text-nl; empty: the questionnaire as a whole) and what is wrong, in Dutch."""

    where: str
    field: str
    message: str


class _Checker:
    """Collects problems with their place in the file, so one run reports them all. The file loader, the
    import and the web editor all use it, so all three say the same."""

    def __init__(self, source: str):
        self.source = source
        self.found: list[Problem] = []

    @property
    def problems(self) -> list[str]:
        return [f"{self.source}: {p.where}: {p.message}" if p.where else f"{self.source}: {p.message}"
                for p in self.found]

    def fail(self, where: str, message: str, field: str = "") -> None:
        self.found.append(Problem(where, field, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise QuestionnaireError("\n".join(self.problems), self.found)

    def text(self, data: dict, name: str, where: str, field: str = "", required: bool = True) -> Text | None:
        value = data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            for language in LANGUAGES:
                self.fail(where, f"{LANGUAGE_WORDS[language]} tekst ontbreekt ({name}.{language}).",
                          f"{field}-{language}")
            return Text("", "")
        for language in LANGUAGES:
            if not isinstance(value.get(language), str) or not value[language].strip():
                self.fail(where, f"{LANGUAGE_WORDS[language]} tekst ontbreekt ({name}.{language}).",
                          f"{field}-{language}")
        extra = set(value) - set(LANGUAGES)
        if extra:
            self.fail(where, f"'{name}' heeft onbekende talen {sorted(extra)}. Gebruik nl en en.", field)
        return Text(str(value.get("nl", "")).strip(), str(value.get("en", "")).strip())

    def unknown_fields(self, data: dict, allowed: set[str], where: str, field: str = "") -> None:
        for name in sorted(set(data) - allowed):
            self.fail(where, f"Het veld '{name}' kennen we niet.", field)


LANGUAGE_WORDS = {"nl": "De Nederlandse", "en": "De Engelse"}
_ITEM_FIELDS = {"key", "type", "required", "background", "text", "hint", "missing", "nvt_label", "options",
                "max_length"}
_QUESTIONNAIRE_FIELDS = {"key", "title", "intro", "min_n", "open_link", "reporting", "reminder_days",
                         "max_reminders", "items"}


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_option(check: _Checker, data: Any, where: str, field: str) -> Option | None:
    if not isinstance(data, dict):
        check.fail(where, "Een antwoord heeft een code en een tekst.", field)
        return None
    check.unknown_fields(data, {"code", "label"}, where, field)
    code = data.get("code")
    if not isinstance(code, str) or not code or code != code.lower() or not code.replace("_", "").isalnum():
        check.fail(where, f"De code {code!r} moet uit kleine letters, cijfers en _ bestaan, zoals een_beetje.",
                   f"{field}-code")
        code = str(code)
    if code in MISSING_CODES:
        check.fail(where, f"De code '{code}' is gereserveerd. Kies hem onder 'missing' (Weet ik niet, "
                          f"Niet van toepassing).", f"{field}-code")
    return Option(code, check.text(data, "label", where, f"{field}-label"))


def _parse_options(check: _Checker, data: dict, kind: str, where: str, field: str) -> tuple[Option, ...]:
    if kind != "choice":
        if "options" in data:
            check.fail(where, f"Alleen een keuzevraag heeft antwoorden (options), een {kind}-vraag niet.",
                       f"{field}-options")
        return ()
    raw = data.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        check.fail(where, "Een keuzevraag heeft minstens twee antwoorden (options).", f"{field}-options")
    if not isinstance(raw, list):
        raw = []
    parsed = [_parse_option(check, option, f"{where} option {i + 1}", f"{field}-options-{i}")
              for i, option in enumerate(raw)]
    options = tuple(option for option in parsed if option)
    codes = [option.code for option in options]
    if len(set(codes)) != len(codes):
        check.fail(where, f"Een code komt twee keer voor bij de antwoorden: {codes}.", f"{field}-options")
    return options


def _parse_item(check: _Checker, data: Any, where: str, field: str) -> Item | None:
    if not isinstance(data, dict):
        check.fail(where, "Een vraag moet een tabel ([[items]]) zijn.", field)
        return None
    key = data.get("key")
    if not isinstance(key, str) or not key or len(key) > 40 or not key.replace("_", "").isalnum():
        check.fail(where, f"De sleutel {key!r} mag alleen letters, cijfers en _ bevatten (hoogstens 40), "
                          f"zoals C1 of respondent_role.", f"{field}-key")
        key = str(key)
    where = f"{where} ({key})"
    check.unknown_fields(data, _ITEM_FIELDS, where, field)
    kind = data.get("type")
    if kind not in ITEM_TYPES:
        check.fail(where, f"Het soort vraag (type) moet een van {', '.join(ITEM_TYPES)} zijn, niet {kind!r}.",
                   f"{field}-type")
        return None
    required = data.get("required", False)
    if not isinstance(required, bool) or (kind == "open" and required):
        check.fail(where, "'required' is true of false; een open vraag is nooit verplicht.", f"{field}-required")
    background = data.get("background", False)
    if not isinstance(background, bool):
        check.fail(where, "'background' is true of false.", f"{field}-background")
    missing = data.get("missing", [])
    if not isinstance(missing, list) or any(code not in MISSING_CODES for code in missing):
        check.fail(where, f"'missing' is een lijst met {' en '.join(MISSING_CODES)}.", f"{field}-missing")
        missing = []
    if kind in ("grade", "agree") and "weet_niet" not in missing:
        check.fail(where, "Een cijfervraag of stelling heeft altijd het antwoord Weet ik niet (weet_niet).",
                   f"{field}-missing")
    if kind not in ("grade", "agree", "choice") and missing:
        check.fail(where, f"Een {kind}-vraag heeft geen Weet ik niet of Niet van toepassing (missing).",
                   f"{field}-missing")
    options = _parse_options(check, data, kind, where, field)
    max_length = data.get("max_length", MAX_OPEN_LENGTH)
    if not _is_whole(max_length) or not 1 <= max_length <= MAX_OPEN_LENGTH:
        check.fail(where, f"De langste tekst (max_length) is een heel getal van 1 tot {MAX_OPEN_LENGTH}.",
                   f"{field}-max_length")
        max_length = MAX_OPEN_LENGTH
    nvt_label = check.text(data, "nvt_label", where, f"{field}-nvt_label", required=False)
    if nvt_label and "nvt" not in missing:
        check.fail(where, "Er is een eigen tekst voor Niet van toepassing (nvt_label), maar de vraag biedt "
                          "dat antwoord niet aan.", f"{field}-nvt_label-nl")
    return Item(
        key=key, type=kind, text=check.text(data, "text", where, f"{field}-text"), required=bool(required),
        background=bool(background), hint=check.text(data, "hint", where, f"{field}-hint", required=False),
        missing=tuple(missing), nvt_label=nvt_label, options=options, max_length=max_length,
    )


def _check_settings(check: _Checker, data: dict) -> None:
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        check.fail("key", f"De sleutel {key!r} is 2 tot 20 kleine letters, cijfers of _, en begint met een "
                          f"letter, zoals jeugd.", "key")
    min_n = data.get("min_n")
    if min_n is not None and (not _is_whole(min_n) or not 1 <= min_n <= 100):
        check.fail("min_n", f"De kleinste groep (min_n) is een heel getal van 1 tot 100, niet {min_n!r}.", "min_n")
    if not isinstance(data.get("open_link", False), bool):
        check.fail("open_link", "'open_link' is true of false.", "open_link")
    for name, low, high, default in (("reminder_days", 1, 90, REMINDER_DAYS), ("max_reminders", 0, 5, MAX_REMINDERS)):
        value = data.get(name, default)
        if not _is_whole(value) or not low <= value <= high:
            check.fail(name, f"'{name}' is een heel getal van {low} tot {high}, niet {value!r}.", name)
    reporting = data.get("reporting", ["half_year"])
    if not isinstance(reporting, list) or not reporting or any(r not in PERIOD_KINDS for r in reporting):
        check.fail("reporting", "Kies minstens één periode: half jaar (half_year) of kwartaal (quarter).",
                   "reporting")


def parse_questionnaire(data: dict, source: str) -> Questionnaire:
    """Check a questionnaire definition (as read from TOML, from the database or from the editor's form)
    and build it. Raises QuestionnaireError naming every problem."""
    check = _Checker(source)
    if not isinstance(data, dict):
        check.fail("", "Het bestand moet een tabel zijn.")
        check.raise_if_any()
    check.unknown_fields(data, _QUESTIONNAIRE_FIELDS, "")
    _check_settings(check, data)
    reporting = data.get("reporting", ["half_year"])
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        check.fail("items", "De vragenlijst heeft nog geen vragen ([[items]]).", "items")
        raw_items = []
    parsed = [_parse_item(check, item, f"items[{i}]", f"items-{i}") for i, item in enumerate(raw_items)]
    items = tuple(item for item in parsed if item)
    keys = [item.key for item in items]
    for i, key in enumerate(keys):
        if keys.index(key) != i:
            check.fail("items", f"De sleutel '{key}' wordt al gebruikt door een andere vraag.", f"items-{i}-key")
    title = check.text(data, "title", "", "title")
    intro = check.text(data, "intro", "", "intro")
    check.raise_if_any()
    return Questionnaire(key=data["key"], title=title, intro=intro, own_min_n=data.get("min_n"),
                         open_link=data.get("open_link", False), reporting=tuple(reporting), items=items,
                         definition=data, reminder_days=data.get("reminder_days", REMINDER_DAYS),
                         max_reminders=data.get("max_reminders", MAX_REMINDERS))


def _read_toml(name: str) -> dict:
    source = resources.files(__package__).joinpath(name)
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionnaireError(f"{name}: file not found in surveys/questionnaires") from None
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError(f"{name}: not valid TOML: {error}") from None


@cache
def load_questionnaire(key: str) -> Questionnaire:
    """The current definition of a questionnaire, from its file in the package."""
    if key not in QUESTIONNAIRE_KEYS:
        raise QuestionnaireError(f"unknown questionnaire '{key}'; known: {', '.join(QUESTIONNAIRE_KEYS)}")
    questionnaire = parse_questionnaire(_read_toml(f"{key}.toml"), f"{key}.toml")
    if questionnaire.key != key:
        raise QuestionnaireError(f"{key}.toml: key: the file says '{questionnaire.key}', its name says '{key}'")
    return questionnaire


def load_questionnaires() -> dict[str, Questionnaire]:
    return {key: load_questionnaire(key) for key in QUESTIONNAIRE_KEYS}


#: A KPI key: in addresses (/beheer/kpi/<key>) and the API, so lowercase letters, digits and _.
KPI_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")
#: An item's type in the words of a KPI problem ("C4 is een keuzevraag").
TYPE_WORDS = {"grade": "cijfervraag", "agree": "stelling", "choice": "keuzevraag", "open": "open vraag"}


def parse_kpis(data: dict, source: str, questionnaires: dict[str, Questionnaire]) -> tuple[Kpi, ...]:
    """Check the KPI catalogue against the questionnaires it points into. Each problem names its place in the
    file and the field of the beheerder's KPI form (kpis-3-item, kpis-3-norms-0-norm), so the file import and
    the form say the same words."""
    check = _Checker(source)
    raw = data.get("kpis") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        check.fail("", "De catalogus heeft nog geen KPI's ([[kpis]]).")
        raw = []
    kpis = []
    for i, entry in enumerate(raw):
        where, field = f"kpis[{i}] ({entry.get('key') if isinstance(entry, dict) else '?'})", f"kpis-{i}"
        if not isinstance(entry, dict):
            check.fail(where, "Een KPI moet een tabel ([[kpis]]) zijn.", field)
            continue
        check.unknown_fields(entry, {"key", "questionnaire", "item", "statistic", "share_codes", "operator",
                                     "norm", "norms", "label"}, where, field)
        key = entry.get("key")
        if not isinstance(key, str) or not KPI_KEY_PATTERN.fullmatch(key):
            check.fail(where, f"De sleutel {key!r} is 2 tot 40 kleine letters, cijfers of _, en begint met een "
                              f"letter, zoals client_support.", f"{field}-key")
        label = check.text(entry, "label", where, f"{field}-label")
        questionnaire = questionnaires.get(entry.get("questionnaire"))
        if questionnaire is None:
            check.fail(where, f"De vragenlijst {entry.get('questionnaire')!r} kennen we niet. Kies uit: "
                              f"{', '.join(questionnaires)}.", f"{field}-questionnaire")
            continue
        try:
            item = questionnaire.item(entry.get("item"))
        except KeyError:
            check.fail(where, f"De vraag {entry.get('item')!r} staat niet in vragenlijst {questionnaire.key}.",
                       f"{field}-item")
            continue
        statistic = entry.get("statistic")
        raw_codes = entry.get("share_codes", [])
        share_codes = tuple(raw_codes) if isinstance(raw_codes, list) else ()
        if statistic == "mean" and item.type != "grade":
            check.fail(where, f"Een gemiddeld cijfer kan alleen bij een cijfervraag. {item.key} is een "
                              f"{TYPE_WORDS[item.type]}.", f"{field}-item")
        elif statistic == "share":
            known = {option.code for option in item.answer_options()} - set(MISSING_CODES)
            if not known:
                check.fail(where, f"Een aandeel kan niet bij een {TYPE_WORDS[item.type]} zoals {item.key}.",
                           f"{field}-item")
            elif not share_codes or not set(share_codes) <= known:
                check.fail(where, f"Kies bij een aandeel een of meer antwoordcodes uit: {', '.join(sorted(known))}.",
                           f"{field}-share_codes")
        elif statistic != "mean":
            check.fail(where, f"De berekening (statistic) is mean of share, niet {statistic!r}.",
                       f"{field}-statistic")
        kpis.append(Kpi(key=str(key), questionnaire=questionnaire.key, item=item.key, statistic=statistic,
                        share_codes=share_codes, norms=_norms(check, entry, statistic, where, field), label=label))
    seen = set()
    for i, kpi in enumerate(kpis):
        if kpi.key in seen:
            check.fail("kpis", f"De sleutel '{kpi.key}' hoort al bij een andere KPI.", f"kpis-{i}-key")
        seen.add(kpi.key)
    check.raise_if_any()
    return tuple(kpis)


_HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")


def _norms(check: "_Checker", entry: dict, statistic: str, where: str, field: str) -> tuple[KpiNorm, ...]:
    """A KPI's norms: `operator` and `norm` for one norm that always holds, or `norms`, a list of tables with
    `from` (a half-year, oldest first; the first may leave it out: from the start), `operator` and `norm`."""
    if "norms" in entry:
        if "operator" in entry or "norm" in entry:
            check.fail(where, "Geef 'operator' en 'norm', of 'norms', maar niet allebei.", f"{field}-norms")
        raw = entry["norms"] if isinstance(entry["norms"], list) and entry["norms"] else None
        if raw is None:
            check.fail(where, "Een KPI heeft minstens één norm ([[kpis.norms]] met from, operator en norm).",
                       f"{field}-norms")
            return (KpiNorm(None, ">", Fraction(0)),)
    else:
        raw = [{"operator": entry.get("operator"), "norm": entry.get("norm")}]
    norms, previous = [], None
    for number, table in enumerate(raw):
        here = f"{where} norms[{number}]" if "norms" in entry else where
        place = f"{field}-norms-{number}"
        if not isinstance(table, dict):
            check.fail(here, "Een norm is een tabel met from, operator en norm.", place)
            continue
        check.unknown_fields(table, {"from", "operator", "norm"}, here, place)
        since, operator, value = table.get("from"), table.get("operator"), table.get("norm")
        if since is None and number > 0:
            check.fail(here, "Elke norm na de eerste heeft 'from': het halfjaar waarin hij begint, zoals 2027-H1.",
                       f"{place}-from")
        elif since is not None:
            match = _HALF_YEAR.match(since) if isinstance(since, str) else None
            if match is None:
                check.fail(here, f"Het halfjaar (from) schrijft u zoals 2027-H1, niet {since!r}.", f"{place}-from")
            elif previous is not None and (int(match[1]), int(match[2])) <= previous:
                check.fail(here, f"Het halfjaar {since} moet na dat van de norm ervoor komen.", f"{place}-from")
            else:
                previous = (int(match[1]), int(match[2]))
        if operator not in (">", ">="):
            check.fail(here, f"De vergelijking (operator) is '>' of '>=', niet {operator!r}.", f"{place}-operator")
        if value is None:
            check.fail(here, "De norm ontbreekt. Vul een getal in.", f"{place}-norm")
            value = 0
        elif not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            check.fail(here, f"De norm is een getal, niet {value!r}.", f"{place}-norm")
            value = 0
        elif statistic == "share" and not 0 <= value <= 1:
            check.fail(here, f"Een norm voor een aandeel ligt tussen 0 en 1 (0,7 is 70 %), niet {value:g} "
                             f"({value * 100:g} %).", f"{place}-norm")
        norms.append(KpiNorm(since, operator, Fraction(str(value))))
    return tuple(norms) or (KpiNorm(None, ">", Fraction(0)),)


@cache
def load_kpis() -> tuple[Kpi, ...]:
    """The KPI catalogue, checked against the current questionnaires."""
    return parse_kpis(_read_toml("kpis.toml"), "kpis.toml", load_questionnaires())

"""The questionnaires and the KPI catalogue, read from the TOML files beside this module.

The files are data (see SCHEMA.md). Everything in them is checked here, and a mistake is reported
with the file and item it is in, so a person editing wording sees at once what to fix."""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from importlib import resources
from typing import Any

from flask import current_app, has_app_context

QUESTIONNAIRE_KEYS = ("client", "partner", "gemeente", "medewerker")
ITEM_TYPES = ("grade", "agree", "choice", "open")
MISSING_CODES = ("weet_niet", "nvt")
PERIOD_KINDS = ("half_year", "quarter")
MAX_OPEN_LENGTH = 2000
DEFAULT_MIN_N = 5  # SURVEYS_DEFAULT_MIN_N's default, for use without a running app
LANGUAGES = ("nl", "en")


class QuestionnaireError(ValueError):
    """A data file that does not follow SCHEMA.md; the message lists every problem found."""


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


class _Checker:
    """Collects problems with their place in the file, so one run reports them all."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise QuestionnaireError("\n".join(self.problems))

    def text(self, data: dict, field: str, where: str, required: bool = True) -> Text | None:
        value = data.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.fail(where, f"'{field}' needs a Dutch and an English text ({field}.nl and {field}.en)")
            return Text("", "")
        for language in LANGUAGES:
            if not isinstance(value.get(language), str) or not value[language].strip():
                self.fail(where, f"'{field}.{language}' is missing or empty")
        extra = set(value) - set(LANGUAGES)
        if extra:
            self.fail(where, f"'{field}' has unknown languages {sorted(extra)}; use nl and en")
        return Text(str(value.get("nl", "")).strip(), str(value.get("en", "")).strip())

    def unknown_fields(self, data: dict, allowed: set[str], where: str) -> None:
        for field in sorted(set(data) - allowed):
            self.fail(where, f"unknown field '{field}'")


_ITEM_FIELDS = {"key", "type", "required", "background", "text", "hint", "missing", "nvt_label", "options",
                "max_length"}
_QUESTIONNAIRE_FIELDS = {"key", "title", "intro", "min_n", "open_link", "reporting", "reminder_days",
                         "max_reminders", "items"}


def _parse_option(check: _Checker, data: Any, where: str) -> Option | None:
    if not isinstance(data, dict):
        check.fail(where, "an option must be a table with code and label")
        return None
    check.unknown_fields(data, {"code", "label"}, where)
    code = data.get("code")
    if not isinstance(code, str) or not code or code != code.lower() or not code.replace("_", "").isalnum():
        check.fail(where, f"option code {code!r} must be a lowercase key such as 'een_beetje'")
        code = str(code)
    if code in MISSING_CODES:
        check.fail(where, f"option code '{code}' is reserved; list it under 'missing' instead")
    return Option(code, check.text(data, "label", where))


def _parse_item(check: _Checker, data: Any, where: str) -> Item | None:
    if not isinstance(data, dict):
        check.fail(where, "an item must be a table")
        return None
    key = data.get("key")
    if not isinstance(key, str) or not key or not key.replace("_", "").isalnum():
        check.fail(where, f"'key' {key!r} must be a key such as C1 or respondent_role")
        key = str(key)
    where = f"{where} ({key})"
    check.unknown_fields(data, _ITEM_FIELDS, where)
    kind = data.get("type")
    if kind not in ITEM_TYPES:
        check.fail(where, f"'type' must be one of {', '.join(ITEM_TYPES)}, not {kind!r}")
        return None
    required = data.get("required", False)
    if not isinstance(required, bool) or (kind == "open" and required):
        check.fail(where, "'required' must be true or false (and false for open items)")
    background = data.get("background", False)
    if not isinstance(background, bool):
        check.fail(where, "'background' must be true or false")
    missing = data.get("missing", [])
    if not isinstance(missing, list) or any(code not in MISSING_CODES for code in missing):
        check.fail(where, f"'missing' must be a list drawn from {', '.join(MISSING_CODES)}")
        missing = []
    if kind in ("grade", "agree") and not missing:
        check.fail(where, f"a {kind} item must offer 'weet_niet' (missing = [\"weet_niet\"])")
    if kind not in ("grade", "agree", "choice") and missing:
        check.fail(where, f"'missing' does not apply to {kind} items")
    options = ()
    if kind == "choice":
        raw = data.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            check.fail(where, "a choice item needs at least two [[items.options]]")
            raw = []
        parsed = [_parse_option(check, option, f"{where} option {i + 1}") for i, option in enumerate(raw)]
        options = tuple(option for option in parsed if option)
        codes = [option.code for option in options]
        if len(set(codes)) != len(codes):
            check.fail(where, f"option codes repeat: {codes}")
    elif "options" in data:
        check.fail(where, f"'options' only applies to choice items, not {kind}")
    max_length = data.get("max_length", MAX_OPEN_LENGTH)
    if not isinstance(max_length, int) or not 1 <= max_length <= MAX_OPEN_LENGTH:
        check.fail(where, f"'max_length' must be a whole number from 1 to {MAX_OPEN_LENGTH}")
        max_length = MAX_OPEN_LENGTH
    nvt_label = check.text(data, "nvt_label", where, required=False)
    if nvt_label and "nvt" not in missing:
        check.fail(where, "'nvt_label' is set but 'nvt' is not in 'missing'")
    return Item(
        key=key, type=kind, text=check.text(data, "text", where), required=bool(required),
        background=bool(background), hint=check.text(data, "hint", where, required=False),
        missing=tuple(missing), nvt_label=nvt_label, options=options, max_length=max_length,
    )


def parse_questionnaire(data: dict, source: str) -> Questionnaire:
    """Check a questionnaire definition (as read from TOML or from the database) and build it."""
    check = _Checker(source)
    if not isinstance(data, dict):
        check.fail("", "the file must hold a table")
        check.raise_if_any()
    check.unknown_fields(data, _QUESTIONNAIRE_FIELDS, "")
    key = data.get("key")
    if key not in QUESTIONNAIRE_KEYS:
        check.fail("key", f"must be one of {', '.join(QUESTIONNAIRE_KEYS)}, not {key!r}")
    min_n = data.get("min_n")
    if min_n is not None and (not isinstance(min_n, int) or isinstance(min_n, bool) or not 1 <= min_n <= 100):
        check.fail("min_n", f"must be a whole number from 1 to 100 (or left out: SURVEYS_DEFAULT_MIN_N), "
                            f"not {min_n!r}")
    open_link = data.get("open_link", False)
    if not isinstance(open_link, bool):
        check.fail("open_link", "must be true or false")
    reminder_days, max_reminders = data.get("reminder_days", REMINDER_DAYS), data.get("max_reminders", MAX_REMINDERS)
    for name, value, low, high in (("reminder_days", reminder_days, 1, 90), ("max_reminders", max_reminders, 0, 5)):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            check.fail(name, f"must be a whole number from {low} to {high}, not {value!r}")
    reporting = data.get("reporting", ["half_year"])
    if not isinstance(reporting, list) or not reporting or any(r not in PERIOD_KINDS for r in reporting):
        check.fail("reporting", f"must be a list drawn from {', '.join(PERIOD_KINDS)}")
        reporting = ["half_year"]
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        check.fail("items", "the questionnaire has no [[items]]")
        raw_items = []
    parsed = [_parse_item(check, item, f"items[{i}]") for i, item in enumerate(raw_items)]
    items = tuple(item for item in parsed if item)
    keys = [item.key for item in items]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        check.fail("items", f"item key '{duplicate}' is used more than once")
    title, intro = check.text(data, "title", ""), check.text(data, "intro", "")
    check.raise_if_any()
    return Questionnaire(key=key, title=title, intro=intro, own_min_n=min_n, open_link=open_link,
                         reporting=tuple(reporting), items=items, definition=data,
                         reminder_days=reminder_days, max_reminders=max_reminders)


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


def parse_kpis(data: dict, source: str, questionnaires: dict[str, Questionnaire]) -> tuple[Kpi, ...]:
    """Check the KPI catalogue against the questionnaires it points into."""
    check = _Checker(source)
    raw = data.get("kpis") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        check.fail("", "the catalogue has no [[kpis]]")
        raw = []
    kpis = []
    for i, entry in enumerate(raw):
        where = f"kpis[{i}] ({entry.get('key') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict):
            check.fail(where, "a KPI must be a table")
            continue
        check.unknown_fields(entry, {"key", "questionnaire", "item", "statistic", "share_codes", "operator",
                                     "norm", "norms", "label"}, where)
        questionnaire = questionnaires.get(entry.get("questionnaire"))
        if questionnaire is None:
            check.fail(where, f"'questionnaire' must be one of {', '.join(questionnaires)}")
            continue
        try:
            item = questionnaire.item(entry.get("item"))
        except KeyError:
            check.fail(where, f"'item' {entry.get('item')!r} is not in {questionnaire.key}.toml")
            continue
        statistic = entry.get("statistic")
        share_codes = tuple(entry.get("share_codes", []))
        if statistic == "mean" and item.type != "grade":
            check.fail(where, f"a mean needs a grade item; {item.key} is {item.type}")
        elif statistic == "share":
            known = {option.code for option in item.answer_options()} - set(MISSING_CODES)
            if not share_codes or not set(share_codes) <= known:
                check.fail(where, f"'share_codes' must be a non-empty list drawn from {sorted(known)}")
        elif statistic != "mean":
            check.fail(where, f"'statistic' must be mean or share, not {statistic!r}")
        kpis.append(Kpi(key=str(entry.get("key")), questionnaire=questionnaire.key, item=item.key,
                        statistic=statistic, share_codes=share_codes, norms=_norms(check, entry, statistic, where),
                        label=check.text(entry, "label", where)))
    keys = [kpi.key for kpi in kpis]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        check.fail("kpis", f"KPI key '{duplicate}' is used more than once")
    check.raise_if_any()
    return tuple(kpis)


_HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")


def _norms(check: "_Checker", entry: dict, statistic: str, where: str) -> tuple[KpiNorm, ...]:
    """A KPI's norms: `operator` and `norm` for one norm that always holds, or `norms`, a list of tables with
    `from` (a half-year, oldest first; the first may leave it out: from the start), `operator` and `norm`."""
    if "norms" in entry:
        if "operator" in entry or "norm" in entry:
            check.fail(where, "give either 'operator' and 'norm' or 'norms', not both")
        raw = entry["norms"] if isinstance(entry["norms"], list) and entry["norms"] else None
        if raw is None:
            check.fail(where, "'norms' must be a non-empty list of tables with from, operator and norm")
            return (KpiNorm(None, ">", Fraction(0)),)
    else:
        raw = [{"operator": entry.get("operator"), "norm": entry.get("norm")}]
    norms, previous = [], None
    for number, table in enumerate(raw):
        here = f"{where} norms[{number}]" if "norms" in entry else where
        if not isinstance(table, dict):
            check.fail(here, "a norm must be a table with from, operator and norm")
            continue
        check.unknown_fields(table, {"from", "operator", "norm"}, here)
        since, operator, value = table.get("from"), table.get("operator"), table.get("norm")
        if since is None and number > 0:
            check.fail(here, "every norm after the first needs 'from', the half-year it starts (2027-H1)")
        elif since is not None:
            match = _HALF_YEAR.match(since) if isinstance(since, str) else None
            if match is None:
                check.fail(here, f"'from' must be a half-year such as 2027-H1, not {since!r}")
            elif previous is not None and (int(match[1]), int(match[2])) <= previous:
                check.fail(here, f"'from' {since} must come after the norm before it")
            else:
                previous = (int(match[1]), int(match[2]))
        if operator not in (">", ">="):
            check.fail(here, f"'operator' must be '>' or '>=', not {operator!r}")
        if not isinstance(value, int | float) or isinstance(value, bool):
            check.fail(here, f"'norm' must be a number, not {value!r}")
            value = 0
        elif statistic == "share" and not 0 <= value <= 1:
            check.fail(here, f"a share norm is a fraction from 0 to 1 (0.7 for 70 %), not {value}")
        norms.append(KpiNorm(since, operator, Fraction(str(value))))
    return tuple(norms) or (KpiNorm(None, ">", Fraction(0)),)


@cache
def load_kpis() -> tuple[Kpi, ...]:
    """The KPI catalogue, checked against the current questionnaires."""
    return parse_kpis(_read_toml("kpis.toml"), "kpis.toml", load_questionnaires())

"""The editor's form ⇄ a questionnaire definition (SCHEMA.md). The form's field names are the checker's
field names (items-2-text-nl), so every problem the checker finds is shown next to its own field.

One form holds the whole draft, and a blank question (and a blank answer under each choice question) at the
end: filling it in adds it. The buttons to move or delete a question send the same form, so nothing typed is
lost and no JavaScript is needed."""

from ..questionnaires import ITEM_TYPES, MISSING_CODES, PERIOD_KINDS

TYPE_LABELS = {"grade": "Rapportcijfer (1 tot 10)", "agree": "Stelling (mee eens … niet mee eens)",
               "choice": "Keuze uit antwoorden", "open": "Open vraag (eigen tekst)"}
MISSING_LABELS = {"weet_niet": "Weet ik niet", "nvt": "Niet van toepassing"}
PERIOD_LABELS = {"half_year": "Per half jaar", "quarter": "Per kwartaal"}
LANGUAGES = ("nl", "en")
NEW_ITEM = {"key": "", "type": "grade", "required": True, "background": False, "text": {"nl": "", "en": ""},
            "missing": ["weet_niet"]}


def _text(form, name: str) -> dict[str, str]:
    return {language: form.get(f"{name}-{language}", "").strip() for language in LANGUAGES}


def _optional_text(form, name: str) -> dict[str, str] | None:
    text = _text(form, name)
    return text if any(text.values()) else None


def _whole(value: str):
    """A typed number as a number; anything else as typed, so the checker names it."""
    value = value.strip()
    return int(value) if value.isdigit() else value


def _options(form, field: str) -> list[dict]:
    options, j = [], 0
    while f"{field}-options-{j}-code" in form:
        code = form.get(f"{field}-options-{j}-code", "").strip()
        label = _text(form, f"{field}-options-{j}-label")
        if code or any(label.values()):
            options.append({"code": code, "label": label})
        j += 1
    return options


def _item(form, i: int) -> dict | None:
    field = f"items-{i}"
    kind = form.get(f"{field}-type", "")
    item = {"key": form.get(f"{field}-key", "").strip(), "type": kind,
            "required": f"{field}-required" in form, "background": f"{field}-background" in form}
    if kind == "open":
        item["max_length"] = _whole(form.get(f"{field}-max_length", ""))
    item["text"] = _text(form, f"{field}-text")
    hint = _optional_text(form, f"{field}-hint")
    if hint:
        item["hint"] = hint
    if kind in ("grade", "agree", "choice"):
        item["missing"] = [code for code in MISSING_CODES if code in form.getlist(f"{field}-missing")]
        nvt_label = _optional_text(form, f"{field}-nvt_label")
        if nvt_label:
            item["nvt_label"] = nvt_label
    if kind == "choice":
        item["options"] = _options(form, field)
    return item


def _is_blank(item: dict) -> bool:
    return not item["key"] and not any(item["text"].values())


#: Fields a definition may leave out, with the value that then holds (SCHEMA.md).
SETTING_DEFAULTS = {"open_link": False, "reporting": ["half_year"], "reminder_days": 7, "max_reminders": 2}
ITEM_DEFAULTS = {"required": False, "background": False, "missing": [], "max_length": 2000}


def _without_added_defaults(data: dict, base: dict, defaults: dict) -> dict:
    """Leave out what the form filled in with its default where the draft had left it out, so saving an
    unchanged form changes nothing (and publishing it makes no new version)."""
    return {name: value for name, value in data.items()
            if not (name in defaults and name not in base and value == defaults[name])}


def definition_from(form, key: str, base: dict) -> dict:
    """The definition the form describes (the blank question left out while it is blank); `base` is the
    draft the form was made from."""
    definition = _definition_from(form, key)
    old_items = {item.get("key"): item for item in base.get("items", [])}
    definition["items"] = [_without_added_defaults(item, old_items.get(item["key"], {}), ITEM_DEFAULTS)
                           for item in definition["items"]]
    return _without_added_defaults(definition, base, SETTING_DEFAULTS)


def _definition_from(form, key: str) -> dict:
    definition = {"key": key}
    if form.get("min_n", "").strip():
        definition["min_n"] = _whole(form["min_n"])
    definition["open_link"] = "open_link" in form
    definition["reporting"] = [kind for kind in PERIOD_KINDS if kind in form.getlist("reporting")]
    definition["reminder_days"] = _whole(form.get("reminder_days", ""))
    definition["max_reminders"] = _whole(form.get("max_reminders", ""))
    definition["title"], definition["intro"] = _text(form, "title"), _text(form, "intro")
    count = int(form.get("item_count", "0")) if form.get("item_count", "").isdigit() else 0
    items = [_item(form, i) for i in range(min(count + 1, 500))]
    if items and _is_blank(items[-1]):
        items.pop()
    definition["items"] = items
    return definition


def apply_action(definition: dict, action: str) -> None:
    """Move a question up or down, or delete it: `up-3`, `down-3`, `delete-3`."""
    name, _, number = action.partition("-")
    items = definition["items"]
    if not number.isdigit() or int(number) >= len(items):
        return
    i = int(number)
    if name == "delete":
        del items[i]
    elif name == "up" and i > 0:
        items[i - 1], items[i] = items[i], items[i - 1]
    elif name == "down" and i + 1 < len(items):
        items[i], items[i + 1] = items[i + 1], items[i]


def rows_of(definition: dict) -> list[dict]:
    """The questions as the form shows them: each with room for one more answer, then a blank question."""
    rows = []
    for item in definition.get("items", []) + [NEW_ITEM]:
        row = {"text": {}, "hint": {}, "nvt_label": {}, "missing": [], "options": [], **item}
        blanks = max(1, 2 - len(row["options"]))  # a choice needs two answers: room for both at once
        row["options"] = list(row["options"]) + [{"code": "", "label": {}}] * blanks
        rows.append(row)
    return rows


__all__ = ["ITEM_TYPES", "TYPE_LABELS", "MISSING_LABELS", "PERIOD_LABELS", "definition_from", "apply_action",
           "rows_of"]

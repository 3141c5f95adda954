"""The file a team shares: one questionnaire as TOML (SCHEMA.md), written the same way every time.

The writer is canonical: fields in the order of SCHEMA.md, texts as dotted keys (`text.nl = "…"`), one
escaping of strings. Importing a written file into an empty installation and exporting it again gives the
same bytes. Our own short writer rather than a library, because SCHEMA.md's layout (dotted texts inside
[[items]]) is the one people already read in the shipped files."""

import json
import tomllib

from . import QuestionnaireError, parse_questionnaire

HEADER = "# A questionnaire of the surveys service; the format is described in surveys/questionnaires/SCHEMA.md.\n"
SETTINGS = ("key", "min_n", "open_link", "reporting", "reminder_days", "max_reminders")
ITEM_SCALARS = ("key", "type", "required", "background", "max_length")
ITEM_TEXTS = ("text", "hint")
LANGUAGES = ("nl", "en")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


def _texts(name: str, text: dict) -> list[str]:
    return [f"{name}.{language} = {_value(text[language])}" for language in LANGUAGES if language in text]


def _item(item: dict) -> list[str]:
    lines = ["", "[[items]]"]
    lines += [f"{name} = {_value(item[name])}" for name in ITEM_SCALARS if name in item]
    for name in ITEM_TEXTS:
        lines += _texts(name, item.get(name) or {})
    if "missing" in item:
        lines.append(f"missing = {_value(item['missing'])}")
    lines += _texts("nvt_label", item.get("nvt_label") or {})
    for option in item.get("options", []):
        lines += ["", "[[items.options]]", f"code = {_value(option['code'])}", *_texts("label", option["label"])]
    return lines


def to_toml(definition: dict) -> str:
    """The canonical file of a checked definition."""
    lines = [HEADER.rstrip("\n")]
    lines += [f"{name} = {_value(definition[name])}" for name in SETTINGS if name in definition]
    for name in ("title", "intro"):
        lines += ["", f"[{name}]", *(f"{language} = {_value(definition[name][language])}" for language in LANGUAGES)]
    for item in definition["items"]:
        lines += _item(item)
    return "\n".join(lines) + "\n"


def read_toml(content: bytes | str, source: str) -> dict:
    """A shared file's data (UTF-8, a BOM allowed); QuestionnaireError when it is no text or no TOML."""
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        return tomllib.loads(text)
    except UnicodeDecodeError:
        raise QuestionnaireError(f"{source}: het bestand is geen tekst in UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError(f"{source}: dit is geen geldig TOML-bestand: {error}") from None


def toml_string(value: str) -> str:
    return _value(value)


def from_toml(content: bytes | str, source: str) -> dict:
    """Read and check a shared file; raises QuestionnaireError naming every problem, as the editor does."""
    data = read_toml(content, source)
    parse_questionnaire(data, source)
    return data

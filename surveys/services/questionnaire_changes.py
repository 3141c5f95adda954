"""A short before → after account of a questionnaire change, for the audit log (which keeps 500 characters)."""

SETTINGS = ("key", "min_n", "open_link", "reporting", "reminder_days", "max_reminders", "title", "intro")


def _short(value, length: int = 60) -> str:
    text = str(value)
    return text if len(text) <= length else text[:length - 1] + "…"


def _flat(data: dict, prefix: str = "") -> dict[str, object]:
    """{"text": {"nl": "…"}} → {"text.nl": "…"}; lists of options by their code."""
    flat = {}
    for name, value in data.items():
        if name == "options":
            for option in value:
                flat.update(_flat(option.get("label", {}), f"{prefix}option {option.get('code')}."))
        elif isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _item_changes(before: dict, after: dict) -> list[str]:
    old, new = _flat(before), _flat(after)
    return [f"{name}: {_short(old.get(name, '—'))} → {_short(new.get(name, '—'))}"
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def summary_of_changes(before: dict, after: dict) -> str:
    """E.g. "title.nl: Oud → Nieuw; C1 text.nl: … → …; vraag C11 (grade) erbij; vraag X eraf; volgorde"."""
    if not before:
        return f"nieuw, {len(after.get('items', []))} vragen"
    parts = _item_changes({k: before.get(k) for k in SETTINGS if k in before},
                          {k: after.get(k) for k in SETTINGS if k in after})
    old_items = {item["key"]: item for item in before.get("items", [])}
    new_items = {item["key"]: item for item in after.get("items", [])}
    for key, item in new_items.items():
        if key not in old_items:
            parts.append(f"vraag {key} ({item.get('type')}) erbij: {_short(item.get('text', {}).get('nl', ''))}")
        else:
            parts += [f"{key} {change}" for change in _item_changes(old_items[key], item)]
    parts += [f"vraag {key} eraf" for key in old_items if key not in new_items]
    common = [key for key in old_items if key in new_items]
    if common != [key for key in new_items if key in old_items]:
        parts.append("andere volgorde van de vragen")
    return "; ".join(parts) or "niets gewijzigd"

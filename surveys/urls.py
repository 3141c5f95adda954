"""Addresses built from what a visitor sent: one check for every redirect target and one way to write every
link back to the visitor's own path, so neither can lead to another site or break a header."""

from urllib.parse import quote, urlsplit

# Characters a path may keep as they are (RFC 3986 pchar and "/"); everything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def local_target(target: str | None, *, under: str = "/") -> str | None:
    """``target`` when it is a path on this site starting with ``under`` (a query may follow), else None.
    Refused: another host (``https://…``, ``//host``, ``/\\host``, which browsers read as ``//host``) and
    control characters (a CR or LF would split the Location header: a 500 before, header injection at worst)."""
    if not target or "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//") or not parts.path.startswith(under):
        return None
    return target


def link_to_path(path: str) -> str:
    """A link to ``path`` as Werkzeug decoded it from the request, encoded again: a backslash becomes %5C
    and leading slashes are folded into one, so the link stays on this site whatever path was asked for."""
    return "/" + quote(path.lstrip("/"), safe=_PATH_SAFE)

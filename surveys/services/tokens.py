"""API tokens: created with a name and a scope, shown once, stored as a hash, checked on every API request.
Creating and revoking are audited, with the staff account (or the command line) that did it."""

import hashlib
import hmac
import secrets
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken
from . import audit, transaction

PREFIX = "svy_"
#: What a token may do; one scope per token (DESIGN.md section 7).
SCOPES = {"read": "KPI-resultaten lezen (GET /api/v1/kpis)",
          "invite": "uitnodigingen maken (POST /api/v1/invitations)"}
#: The owner of a token made with `flask --app surveys api-token create`.
CLI_OWNER = "cli"


class TokenError(ValueError):
    """A token that cannot be created as asked."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(name: str, scope: str = "read", owner: str = CLI_OWNER) -> str:
    """Create a token and return it; this is the only time the plain token exists."""
    name = name.strip()
    if not name or len(name) > 80:
        raise TokenError("Geef de sleutel een naam van 1 tot 80 tekens, bijvoorbeeld het systeem dat hem gebruikt.")
    if scope not in SCOPES:
        raise TokenError(f"Kies als bevoegdheid read of invite, niet '{scope[:20]}'.")
    if db.session.scalar(select(ApiToken).filter_by(name=name)):
        raise TokenError(f"Er is al een sleutel met de naam '{name}'.")
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction():
        db.session.add(ApiToken(name=name, token_hash=_hash(token), scope=scope, owner=owner))
        audit.record("api_token_created", actor=owner, detail=f"{name} ({scope})", commit=False)
    return token


def check_token(token: str | None, today: date) -> ApiToken | None:
    """The live token matching `token`, or None. The hash is looked up, then compared in constant time."""
    if not token or not token.startswith(PREFIX) or len(token) > 100:
        return None
    digest = _hash(token)
    found = db.session.scalar(select(ApiToken).filter_by(token_hash=digest, revoked=False))
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return None
    if found.last_used_on != today:
        found.last_used_on = today
        db.session.commit()
    return found


def all_tokens() -> list[ApiToken]:
    """Every token, live ones first, then by name."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked, ApiToken.name)))


def revoke(token: ApiToken, actor: str) -> None:
    """Stop a token from working, for good; audited."""
    with transaction():
        token.revoked = True
        audit.record("api_token_revoked", actor=actor, detail=f"{token.name} ({token.scope})", commit=False)


def revoke_token(name: str, actor: str = CLI_OWNER) -> bool:
    token = db.session.scalar(select(ApiToken).filter_by(name=name))
    if token is None:
        return False
    revoke(token, actor)
    return True

"""API tokens: created with a name, shown once, stored as a hash, checked on every API request."""

import hashlib
import hmac
import secrets
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken

PREFIX = "svy_"


class TokenError(ValueError):
    """A token that cannot be created as asked."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(name: str) -> str:
    """Create a token and return it; this is the only time the plain token exists."""
    name = name.strip()
    if not name or len(name) > 80:
        raise TokenError("give the token a name of 1 to 80 characters, e.g. the system that will use it")
    if db.session.scalar(select(ApiToken).filter_by(name=name)):
        raise TokenError(f"a token named '{name}' exists already")
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, token_hash=_hash(token)))
    db.session.commit()
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


def revoke_token(name: str) -> bool:
    token = db.session.scalar(select(ApiToken).filter_by(name=name))
    if token is None:
        return False
    token.revoked = True
    db.session.commit()
    return True

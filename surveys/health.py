"""/healthz: whether the service and its database answer, for load balancers and monitoring."""

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """200 with {"status": "ok"} when the database answers, else 503 with the database marked down."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "down"}, 503
    return {"status": "ok", "database": "up"}

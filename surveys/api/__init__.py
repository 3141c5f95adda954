"""/api/v1: the KPI results as JSON, the same objects as `report --format json`."""


from flask import Blueprint, current_app, jsonify, request

from .. import periods
from ..extensions import csrf, limiter
from ..periods import PeriodError, parse_period
from ..services.reports import ReportError, kpi_results
from ..services.tokens import check_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only and authorised by a bearer token, never by a cookie alone


def _api_limit() -> str:
    return current_app.config["API_LIMIT"]


def _problem(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="surveys"'
    return response


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@bp.route("/kpis")
@limiter.limit(_api_limit)
def kpis():
    """KPI results for ?period=2026-H1 (or a quarter), optionally only ?kpi=a,b."""
    if check_token(_bearer(), periods.today()) is None:
        return _problem(401, "an API token is needed: send 'Authorization: Bearer <token>' "
                             "(create one with: flask --app surveys api-token create NAME)")
    period = request.args.get("period")
    if not period:
        return _problem(400, "give a period, e.g. ?period=2026-H1 (half-year) or ?period=2026-Q3 (quarter)")
    keys = [key for key in request.args.get("kpi", "").split(",") if key] or None
    try:
        reports = kpi_results(parse_period(period), keys)
    except (PeriodError, ReportError) as error:
        return _problem(400, str(error))
    return jsonify([report.to_dict() for report in reports])

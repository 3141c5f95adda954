"""/api/v1: the KPI results as JSON (the same objects as `report --format json`), invitations for a
registration system, and the OpenAPI document of both (openapi.py). Every error is a problem (RFC 9457).

Who may do what: GET /kpis takes a `read` token or the session of a logged-in staff account (any role
reads the KPI pages); POST /invitations takes an `invite` token only. A token of the other scope gets 403."""

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_login import current_user
from marshmallow import ValidationError

from .. import periods
from ..extensions import csrf, limiter
from ..models import ApiToken
from ..periods import PeriodError, parse_period
from ..services import second_factor
from ..services.api_invitations import MAX_KEY_LENGTH, KeyReused, NoOpenRound, invite
from ..services.mail import MailError, MailSettings, RecipientRefused
from ..services.reports import ReportError, kpi_results
from ..services.tokens import check_token
from . import docs
from .problems import problem
from .schemas import InvitationRequestSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Authorised by a bearer token, or for the read-only GET by the session: a cookie alone never changes data.
csrf.exempt(bp)

NO_CREDENTIALS = ("an API token is needed: send 'Authorization: Bearer <token>' "
                  "(create one with: flask --app surveys api-token create NAME --scope read|invite)")


def _api_limit() -> str:
    return current_app.config["API_LIMIT"]


def _invite_limit() -> str:
    return current_app.config["API_INVITE_LIMIT"]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def caller_token() -> ApiToken | None:
    """The live token of this request, looked up once (the rate limits ask before the view does)."""
    if "api_token" not in g:
        g.api_token = check_token(_bearer(), periods.today())
    return g.api_token


def _token_key() -> str:
    token = caller_token()
    return f"api-token:{token.id}" if token is not None else "api-token:none"


def _staff_session() -> bool:
    """A logged-in account that has done every step of logging in (the second factor, when required)."""
    if not current_user.is_authenticated:
        return False
    return bool(current_user.totp_secret) or bool(session.get("via_sso")) or not second_factor.required()


def _scope_refused(token: ApiToken, needed: str):
    return problem(403, f"this token has the scope '{token.scope}'; this call needs a token with the scope "
                        f"'{needed}' (flask --app surveys api-token create NAME --scope {needed})",
                   "wrong-scope", "Token without this scope")


@bp.route("/kpis")
@limiter.limit(_api_limit)
@docs.operation(docs.KPIS)
def kpis():
    """KPI results for ?period=2026-H1 (or a quarter), optionally only ?kpi=a,b."""
    if _bearer() is not None or not _staff_session():
        token = caller_token()
        if token is None:
            return problem(401, NO_CREDENTIALS)
        if token.scope != "read":
            return _scope_refused(token, "read")
    period = request.args.get("period")
    if not period:
        return problem(400, "give a period, e.g. ?period=2026-H1 (half-year) or ?period=2026-Q3 (quarter)")
    keys = [key for key in request.args.get("kpi", "").split(",") if key] or None
    try:
        reports = kpi_results(parse_period(period), keys)
    except (PeriodError, ReportError) as error:
        return problem(400, str(error))
    return jsonify([report.to_dict() for report in reports])


@bp.route("/invitations", methods=["POST"])
# Per address for callers without a valid token (slows guessing), per token for the rest.
@limiter.limit(_api_limit, exempt_when=lambda: caller_token() is not None)
@limiter.limit(_invite_limit, key_func=_token_key, exempt_when=lambda: caller_token() is None)
@docs.operation(docs.INVITATIONS)
def invitations():
    """One invitation code for the questionnaire's open round: its link, an e-mail, or the letter as PDF."""
    token = caller_token()
    if token is None:
        return problem(401, NO_CREDENTIALS)
    if token.scope != "invite":
        return _scope_refused(token, "invite")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        return problem(400, f"Een Idempotency-Key is 1 tot {MAX_KEY_LENGTH} gewone tekens (ASCII), bijvoorbeeld "
                            "een UUID.", "bad-idempotency-key", "Bad Idempotency-Key")
    if not request.is_json:
        return problem(415, "Stuur de gegevens als JSON, met de header Content-Type: application/json.")
    try:
        asked = InvitationRequestSchema().request(request.get_json(silent=True))
    except ValidationError as error:
        return problem(422, _messages(error), "invalid-request", "Invalid request")
    config = current_app.config
    try:
        made = invite(asked, token_id=token.id, key=key, secret=config["SECRET_KEY"], base_url=config["BASE_URL"],
                      mail=MailSettings.from_config(config), today=periods.today())
    except NoOpenRound as error:
        return problem(409, str(error), "no-open-round", "No open round")
    except KeyReused as error:
        return problem(422, str(error), "idempotency-key-reused", "Idempotency-Key used for another request")
    except RecipientRefused:
        return problem(422, "De mailserver weigerde dit e-mailadres. Er is niets verstuurd of bewaard.",
                       "address-refused", "Address refused")
    except MailError as error:
        return problem(503, f"{error} Er is niets verstuurd of bewaard. Probeer het later opnieuw.",
                       "mail-unavailable", "Mail server unavailable")
    return _invitation_response(made)


def _invitation_response(made):
    if made.delivery == "letter":
        response = current_app.response_class(made.letter(periods.today()), status=201, mimetype="application/pdf")
        response.headers["Content-Disposition"] = 'attachment; filename="uitnodiging.pdf"'
    else:
        response = jsonify(made.to_dict())
        response.status_code = 201
    if made.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _messages(error: ValidationError) -> str:
    """Every field's problem in one sentence per field: "delivery: Kies een van: link, email, letter."."""
    found = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    parts = []
    for name, messages in found.items():
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        parts.append(text if name == "_schema" else f"{name}: {text}")
    return " ".join(parts)


@bp.route("/openapi.json")
@limiter.limit(_api_limit)
def openapi_document():
    """The OpenAPI 3.1 document of this API, made from the views and schemas above (see openapi.py)."""
    from .openapi import document

    return jsonify(document())

"""/api/v1/openapi.json, made by apispec from the API's views (their `docs.operation`) and marshmallow
schemas.

Why apispec with marshmallow: it only describes; the app stays a plain Flask app with its own blueprint,
error handlers and rate limits. flask-smorest and APIFlask would take over the blueprint or the app class
and answer errors their own way; spectree would bring pydantic beside our dataclasses. The schemas that
describe the bodies are the ones that validate them (schemas.py), so the document cannot drift from the
code, and tests/test_api_contract.py checks it against the real answers with Schemathesis."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from ..services.questionnaires import in_force
from .problems import MEDIA_TYPE
from .schemas import InvitationRequestSchema, InvitationSchema, KpiResultSchema, ProblemSchema

SCHEMAS = {"InvitationRequest": InvitationRequestSchema, "Invitation": InvitationSchema,
           "KpiResult": KpiResultSchema, "Problem": ProblemSchema}


def document() -> dict:
    # The questionnaires are part of the key: the invitation request lists the installation's as its enum.
    return _document(current_app.config["BASE_URL"], tuple(in_force()))


@cache
def _document(base_url: str, questionnaires: tuple[str, ...]) -> dict:
    spec = APISpec(
        title="surveys — waardering API", version="1.0.0", openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "KPI-resultaten lezen en uitnodigingen maken. Elke fout is "
                             f"`{MEDIA_TYPE}` (RFC 9457)."},
        servers=[{"url": base_url.rstrip("/")}],
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, getattr(schema, "OPENAPI_EXTRA", None), schema=schema)
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "Een sleutel van `flask --app surveys api-token create NAAM --scope read|invite` of van "
                       "de pagina API-sleutels (beheerder)."})
    spec.components.security_scheme("staffSession", {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "De sessie van een ingelogde medewerker (alleen GET /kpis)."})
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = current_app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("api.") and hasattr(view, "openapi"):
            spec.path(path=rule.rule, operations=_with_refs(view.openapi))
    return spec.to_dict()


def _with_refs(value):
    """Our operations name schemas by their component name ("Problem"); apispec wants a reference there."""
    if isinstance(value, dict):
        return {key: ({"$ref": f"#/components/schemas/{item}"} if key in ("schema", "items") and
                      isinstance(item, str) else _with_refs(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_refs(item) for item in value]
    return value

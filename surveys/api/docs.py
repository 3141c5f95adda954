"""What /api/v1/openapi.json says of each operation, kept beside the views that carry it
(`@operation(KPIS)`): the parameters, bodies and every status the view can answer, with examples. The
bodies are the marshmallow schemas the views use themselves (schemas.py)."""

from collections.abc import Callable

from ..services.kpi_catalogue import catalogue

PROBLEM = {"application/problem+json": {"schema": "Problem"}}


def problem_response(description: str, example: dict | None = None) -> dict:
    content = {"schema": "Problem"}
    if example:
        content["example"] = example
    return {"description": description, "content": {"application/problem+json": content}}


def operation(spec: dict) -> Callable:
    """Attach an operation's description to its view, for openapi.py to collect."""
    def decorator(view):
        view.openapi = spec
        return view
    return decorator


UNAUTHORISED = problem_response("Geen of een onbekende sleutel (en bij GET /kpis geen ingelogde sessie).", {
    "type": "about:blank", "title": "Unauthorized", "status": 401,
    "detail": "an API token is needed: send 'Authorization: Bearer <token>'"})
TOO_MANY = {"description": "Te veel verzoeken; wacht het aantal seconden uit Retry-After.",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": PROBLEM}
UNAVAILABLE = problem_response("De database (of bij e-mail de mailserver) is even niet bereikbaar.")

#: What periods.parse_period accepts: a half-year or quarter of a year from 2000 to 2100.
PERIOD_PATTERN = r"^(20[0-9]{2}|2100)-(H[12]|Q[1-4])$"


def kpi_list_pattern() -> str:
    one = "(" + "|".join(kpi.key for kpi in catalogue()) + ")"
    return f"^{one}(,{one})*$"


KPIS = {"get": {
    "operationId": "listKpis",
    "summary": "De KPI-resultaten van een periode",
    "description": "Dezelfde objecten als `flask --app surveys report --format json`. Een groep kleiner dan de "
                   "minimale groepsgrootte heeft geen cijfers (`suppressed`). Met een sleutel met scope `read`, of "
                   "met de sessie van een ingelogde lezer, manager of beheerder.",
    "security": [{"bearerAuth": []}, {"staffSession": []}],
    "parameters": [
        {"name": "period", "in": "query", "required": True,
         "schema": {"type": "string", "pattern": PERIOD_PATTERN},
         "description": "Een halfjaar (2026-H1) of, voor de cliënt-KPI's, een kwartaal (2026-Q3).",
         "example": "2026-H1"},
        {"name": "kpi", "in": "query", "required": False, "schema": {"type": "string", "pattern": kpi_list_pattern()},
         "description": "Alleen deze KPI's, gescheiden door komma's. Voor een kwartaal alleen cliënt-KPI's.",
         "example": "client_support"},
    ],
    "responses": {
        "200": {"description": "Eén object per KPI.",
                "content": {"application/json": {"schema": {"type": "array", "items": "KpiResult"}}}},
        "400": problem_response("Geen of een onbekende periode, of een onbekende KPI.", {
            "type": "about:blank", "title": "Bad Request", "status": 400,
            "detail": "'2026-H3' is geen periode: gebruik 2026-H1, 2026-H2 of 2026-Q1 … 2026-Q4"}),
        "401": UNAUTHORISED,
        "403": problem_response("De sleutel heeft niet de scope `read`.", {
            "type": "urn:surveys:problem:wrong-scope", "title": "Token without this scope", "status": 403,
            "detail": "this token has the scope 'invite'; this call needs a token with the scope 'read'"}),
        "429": TOO_MANY,
        "503": UNAVAILABLE,
    },
}}

LINK_EXAMPLE = {"delivery": "link", "questionnaire": "client", "round": 7, "period": "2026-H2",
                "closes_on": "2026-12-31", "url": "https://waardering.example.nl/r/3q2xZ0bVd8Kp1mWnT5yR7aQ"}
INVITATIONS = {"post": {
    "operationId": "createInvitation",
    "summary": "Een uitnodiging voor een afgesloten traject",
    "description": "Maakt één code in de open meetronde van de vragenlijst en geeft de link terug, mailt de "
                   "uitnodiging, of geeft de brief als PDF terug. Met een sleutel met scope `invite`. Stuur een "
                   "`Idempotency-Key` mee: een nieuwe poging met dezelfde sleutel en hetzelfde verzoek maakt geen "
                   "tweede code en geeft hetzelfde antwoord (met de header `Idempotent-Replayed: true`).",
    "security": [{"bearerAuth": []}],
    "parameters": [
        {"name": "Idempotency-Key", "in": "header", "required": False,
         "schema": {"type": "string", "minLength": 1, "maxLength": 200},
         "description": "Eén per uitnodiging, bijvoorbeeld een UUID of het trajectnummer.",
         "example": "traject-2026-00417"},
    ],
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": "InvitationRequest",
        "examples": {
            "link": {"summary": "De link terug", "value": {"questionnaire": "client", "delivery": "link"}},
            "email": {"summary": "Per e-mail naar de cliënt",
                      "value": {"questionnaire": "client", "delivery": "email", "email": "inwoner@example.nl"}},
            "letter": {"summary": "De brief als PDF", "value": {"questionnaire": "client", "delivery": "letter"}},
        }}}},
    "responses": {
        "201": {"description": "De code is gemaakt (of, bij een herhaalde Idempotency-Key, eerder gemaakt).",
                "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                                                    "description": "Alleen bij een herhaald verzoek."}},
                "content": {"application/json": {"schema": "Invitation", "example": LINK_EXAMPLE},
                            "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}},
        "400": problem_response("Een Idempotency-Key die niet kan (leeg, te lang of geen ASCII)."),
        "401": UNAUTHORISED,
        "403": problem_response("De sleutel heeft niet de scope `invite`."),
        "409": problem_response("De vragenlijst heeft vandaag geen open meetronde.", {
            "type": "urn:surveys:problem:no-open-round", "title": "No open round", "status": 409,
            "detail": "De vragenlijst 'client' heeft vandaag geen open meetronde. Een beheerder of manager moet "
                      "eerst een meetronde openen."}),
        "413": problem_response("Het verzoek is groter dan 1 MB."),
        "415": problem_response("De gegevens zijn geen JSON (Content-Type: application/json)."),
        "422": problem_response("Het verzoek klopt niet (een veld ontbreekt of is fout), de Idempotency-Key is al "
                                "gebruikt voor een ander verzoek, of de mailserver weigerde het adres.", {
            "type": "urn:surveys:problem:invalid-request", "title": "Invalid request", "status": 422,
            "detail": "delivery: Kies een van: link, email, letter."}),
        "429": TOO_MANY,
        "503": UNAVAILABLE,
    },
}}

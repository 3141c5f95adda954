"""The API's bodies as marshmallow schemas: the invitation request is validated with its schema, and
every schema is put into /api/v1/openapi.json by apispec (openapi.py), so the document and the checks
cannot drift apart. Messages a client's developer reads are plain Dutch, as for every bad input."""

from flask import has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..questionnaires import SHIPPED_KEYS
from ..services.api_invitations import DELIVERIES, InvitationRequest, normalised_address
from ..services.questionnaires import in_force

REQUIRED = {"required": "Dit veld is verplicht.", "null": "Dit veld mag niet leeg (null) zijn.",
            "invalid": "Dit moet tekst zijn."}


def _one_of(choices) -> validate.OneOf:
    return validate.OneOf(choices, error="Kies een van: {choices}.")


class _KnownQuestionnaire(validate.OneOf):
    """One of the installation's questionnaires, read when asked (a beheerder may add one): for the check of a
    request and for the enum of the OpenAPI document alike."""

    def __init__(self):
        super().__init__((), error="Kies een van: {choices}.")

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(in_force()) if has_app_context() else SHIPPED_KEYS

    @choices.setter
    def choices(self, value) -> None:  # OneOf.__init__ sets it; the choices are the installation's
        pass

    @property
    def choices_text(self) -> str:
        return ", ".join(self.choices)

    @choices_text.setter
    def choices_text(self, value) -> None:
        pass


class InvitationRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Dit veld kennen we niet.",
                      "type": "Stuur een JSON-object, bijvoorbeeld {\"questionnaire\": \"client\", "
                              "\"delivery\": \"link\"}."}

    questionnaire = fields.String(required=True, validate=_KnownQuestionnaire(), error_messages=REQUIRED,
                                  metadata={"description": "De vragenlijst; de code hoort bij haar open meetronde.",
                                            "example": "client"})
    delivery = fields.String(required=True, validate=_one_of(DELIVERIES), error_messages=REQUIRED,
                             metadata={"description": "link: de link terug; email: de uitnodiging mailen naar "
                                                      "`email`; letter: de brief als PDF terug.",
                                       "example": "link"})
    email = fields.String(validate=validate.Length(max=254, error="Een e-mailadres is hoogstens 254 tekens."),
                          error_messages=REQUIRED,
                          metadata={"format": "email",
                                    "description": "Alleen bij delivery email: het adres van de cliënt. Het wordt "
                                                   "één keer gebruikt en bewaard tot de meetronde sluit (voor een "
                                                   "herinnering), daarna gewist.",
                                    "example": "inwoner@example.nl"})

    #: The rule of _email_with_email_delivery below, for the OpenAPI document (JSON Schema 2020-12).
    OPENAPI_EXTRA = {"oneOf": [
        {"properties": {"delivery": {"const": "email"}}, "required": ["email"]},
        {"properties": {"delivery": {"enum": ["link", "letter"]}}, "not": {"required": ["email"]}},
    ]}

    @validates_schema
    def _email_with_email_delivery(self, data, **kwargs):
        if data.get("delivery") == "email" and not data.get("email"):
            raise ValidationError("Bij delivery email is een e-mailadres nodig.", "email")
        if data.get("delivery") != "email" and "email" in data:
            raise ValidationError("Geef alleen een e-mailadres bij delivery email.", "email")
        if data.get("email"):
            try:
                normalised_address(data["email"])
            except ValueError as error:
                raise ValidationError(str(error), "email") from None

    def request(self, body) -> InvitationRequest:
        """The validated request; raises ValidationError."""
        data = self.load(body)
        email = normalised_address(data["email"]) if data.get("email") else None
        return InvitationRequest(data["questionnaire"], data["delivery"], email)


class InvitationSchema(Schema):
    delivery = fields.String(required=True, validate=validate.OneOf(("link", "email")),
                             metadata={"example": "link"})
    questionnaire = fields.String(required=True, metadata={"example": "client"})
    round = fields.Integer(required=True, metadata={"description": "De meetronde van de code.", "example": 7})
    period = fields.String(required=True, metadata={"example": "2026-H2"})
    closes_on = fields.Date(required=True, metadata={"description": "Tot en met deze dag werkt de code.",
                                                     "example": "2026-12-31"})
    url = fields.String(metadata={"description": "De persoonlijke link, alleen bij delivery link (bij email "
                                                 "gaat hij alleen naar de cliënt).",
                                  "example": "https://waardering.example.nl/r/3q2xZ0bVd8Kp1mWnT5yR7aQ"})


class ProblemSchema(Schema):
    """RFC 9457."""

    type = fields.String(required=True, metadata={"example": "urn:surveys:problem:no-open-round"})
    title = fields.String(required=True, metadata={"example": "No open round"})
    status = fields.Integer(required=True, metadata={"example": 409})
    detail = fields.String(required=True, metadata={
        "example": "De vragenlijst 'client' heeft vandaag geen open meetronde."})


class KpiResultSchema(Schema):
    """One entry of `report --format json` (DESIGN.md section 7). A suppressed entry has no figures and no n;
    a period not yet published (DESIGN.md section 6) has only its responses and response rate."""

    kpi = fields.String(required=True, metadata={"example": "client_support"})
    label = fields.String(required=True)
    questionnaire = fields.String(required=True, metadata={"example": "client"})
    item = fields.String(required=True, metadata={"example": "C1"})
    period = fields.String(required=True, metadata={"example": "2026-H1"})
    statistic = fields.String(required=True, validate=validate.OneOf(("mean", "share")))
    n = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Aantal antwoorden; leeg bij een verborgen groep of een periode die niet is vrijgegeven.",
        "example": 48})
    norm = fields.Float(required=True, metadata={"example": 7.0})
    operator = fields.String(required=True)
    mean = fields.Float(allow_none=True, metadata={"description": "Bij statistic mean.", "example": 7.6})
    share = fields.Float(allow_none=True, metadata={"description": "Bij statistic share: een fractie (0,7)."})
    ci_low = fields.Float(required=True, allow_none=True)
    ci_high = fields.Float(required=True, allow_none=True)
    verdict = fields.String(required=True, validate=validate.OneOf(
        ("boven_norm", "onder_norm", "niet_te_onderscheiden", "te_weinig_respons", "niet_vrijgegeven")))
    side = fields.String(required=True, allow_none=True)
    meets_norm = fields.Boolean(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)
    indicative = fields.Boolean(required=True)
    method = fields.String(required=True, allow_none=True)
    responses = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Aantal reacties; leeg bij een verborgen groep (minder dan de minimale n)."})
    population = fields.Integer(required=True, allow_none=True)
    response_rate = fields.Float(required=True, allow_none=True)
    published = fields.Boolean(required=True, metadata={
        "description": "Of de periode is vrijgegeven; zo niet, dan alleen reacties en respons."})
    held_back = fields.Integer(required=True, metadata={
        "description": "Reacties niet meegeteld om privacyredenen (een klein kwartaal naast een getoond kwartaal)."})
    trend = fields.Dict(required=True, allow_none=True)
    notes = fields.List(fields.String(), required=True)

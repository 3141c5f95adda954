"""Test data in one place: rounds, codes, complete answers per questionnaire, and form posting
through the real page (CSRF token included)."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from surveys import periods
from surveys.extensions import db
from surveys.models import Answer, InvitationCode, PublishedPeriod, Response
from surveys.periods import parse_period
from surveys.questionnaires import QUESTIONNAIRE_KEYS
from surveys.services.kiosk import COOKIE, register_device
from surveys.services.publication import quarters_of, reported_in
from surveys.services.rounds import create_round, issue_codes

# A complete, valid set of answers per questionnaire, as a browser would post them.
GOOD_ANSWERS = {
    "client": {"C1": "8", "C2": "7", "C3": "nvt", "C4": "ja", "C5": "5", "C6": "4", "C7": "weet_niet",
               "C8": "3", "C9": "2", "C10": "Sneller terugbellen graag.", "respondent_role": "ouder_verzorger",
               "help_from": "sociaal_team"},
    "partner": {"P1": "7", "P2": "4", "P3": "4", "P4": "3", "P5": "5", "P6": "2", "P7": "4", "P8": "",
                "organisation_type": "onderwijs"},
    "gemeente": {"G1": "6", "G2": "3", "G3": "4", "G4": "4", "G5": "2", "G6": "5", "G7": "Graag eerder signalen."},
    "medewerker": {"M1": "9", "M2": "5", "M3": "4", "M4": "2", "M5": "5", "M6": "4", "M7": "3", "M8": "1",
                   "M9": ""},
}

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def open_round(questionnaire: str, population: int | None = 40, *, days_back: int = 10, days_ahead: int = 10):
    today = periods.today()
    period = f"{today.year}-H{1 if today.month <= 6 else 2}"
    return create_round(questionnaire, period, opens_on=today - timedelta(days=days_back),
                        closes_on=today + timedelta(days=days_ahead), population=population)


def codes_for(round_, count: int = 1) -> list[str]:
    return [code for batch in issue_codes(round_, count) for code in batch]


FORM_TOKEN_PATTERN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def page_tokens(html: str) -> dict[str, str]:
    """The hidden fields a form page sends back: its CSRF token, and on the tablet its one-time token."""
    tokens = {"csrf_token": csrf_token(html)}
    match = FORM_TOKEN_PATTERN.search(html)
    if match:
        tokens["form_token"] = match.group(1)
    return tokens


def register_tablet(client, app=None, name: str = "Tablet balie") -> str:
    """Make `client` a registered office tablet, as a manager would on /beheer/tablet; returns the device
    token. `client` is a Flask test client (its app is used) or an httpx client (pass `app`)."""
    app = app or client.application
    with app.app_context():
        token = register_device(name, actor="manager@example.nl")
    if hasattr(client, "application"):
        client.set_cookie(COOKIE, token)
    else:
        client.cookies.set(COOKIE, token)
    return token


def fill_in(client, url: str, answers: dict, **extra):
    """Open the page like a respondent, then post the answers with the page's CSRF token (and, on the
    tablet, its one-time token)."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = {key: value for key, value in answers.items() if value is not None}
    data.update(page_tokens(page.get_data(as_text=True)))
    return client.post(url, data={**data, **extra})


def counts() -> tuple[int, int, int]:
    """(responses, answers, used codes) in the database."""
    return (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)),
            db.session.scalar(select(func.count()).select_from(InvitationCode).where(InvitationCode.used)))


def publish(*names: str, questionnaires=QUESTIONNAIRE_KEYS) -> None:
    """Mark periods (and a half-year's quarters) published for the questionnaires, as a manager would once
    they ended, so the channels show their figures. Written directly: tests of figures use periods that are
    still running on the machine's today, which the real publish() rightly refuses (tests of publish() call
    the service itself). Call inside an app context, after the period's responses are in."""
    for name in names:
        period = parse_period(name)
        for questionnaire in questionnaires:
            parts = [period]
            if period.is_half_year and reported_in(questionnaire, quarters_of(period)[0]):
                parts += quarters_of(period)  # as publication.publish does
            for part in parts:
                db.session.merge(PublishedPeriod(questionnaire=questionnaire, period=str(part), published_by="test"))
    db.session.commit()

"""Privacy on a real server (DESIGN.md sections 5 and 6): a group of 4 partners (minimum n 5) shows no
figure in any channel, nor does the group that would give it away by subtraction; and the database keeps
no IP address, browser or code with a response."""

import csv
import io
import json
import re
from datetime import date

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Date, inspect, select
from werkzeug.datastructures import MultiDict

from surveys.answers import check_answers
from surveys.extensions import db
from surveys.models import Answer, Response
from surveys.questionnaires import QUESTIONNAIRE_KEYS, load_questionnaire
from surveys.services.questionnaires import current_version, definition_of
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import hash_code
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from ..helpers import GOOD_ANSWERS, codes_for, open_round, publish
from ..server import gunicorn_server
from .common import csrf_token, log_in, report
from .conftest import close, prepared_app

pytestmark = [pytest.mark.attack, pytest.mark.server]

PASSWORD = "een lang wachtwoord"
SMALL_GROUP = [10, 10, 10, 3]  # mean 33 / 4 = 8.25: never to be seen, in whatever notation
OTHER_GROUP = [6, 7, 7, 8, 9]  # mean 37 / 5 = 7.4: hidden too in a breakdown, else 8.25 follows by subtraction
FORBIDDEN = {"mean of the 4": re.compile(r"(?<![\d.,])8[.,](25|3)(?!\d)"),
             "mean of the other 5": re.compile(r"(?<![\d.,])7[.,]40?(?!\d)")}
BROWSER = "AanvalBrowser/9.9 (kenmerk-7431)"
FORWARDED = "198.51.100.77"


def partner_responses(grades: list[int], organisation: str, day: date) -> list[NewResponse]:
    definition = definition_of(current_version("partner"))
    responses = []
    for grade in grades:
        values, errors = check_answers(definition, MultiDict(
            {**GOOD_ANSWERS["partner"], "P1": str(grade), "P8": "", "organisation_type": organisation}))
        assert not errors
        responses.append(NewResponse(day, values))
    return responses


@pytest.fixture(scope="module")
def site(module_database_url):
    app = prepared_app(module_database_url)
    with app.app_context():
        version = current_version("partner")
        # 2026-H1: the whole partner group is 4. 2026-H2: 9 partners, of whom 4 from schools.
        store_many(version, partner_responses(SMALL_GROUP, "onderwijs", date(2026, 3, 16)), channel="paper")
        store_many(version, partner_responses(SMALL_GROUP, "onderwijs", date(2026, 9, 1))
                   + partner_responses(OTHER_GROUP, "zorgaanbieder", date(2026, 9, 2)), channel="paper")
        publish("2026-H1", "2026-H2", questionnaires=("partner",))  # the figures are out: the attack's setting
        (code,) = codes_for(open_round("client"))
        create_user("manager@example.nl", PASSWORD, "manager")
        token = create_token("monitor")
        db.session.remove()
        db.engine.dispose()
    with gunicorn_server(module_database_url, workers=2) as server:
        yield app, server.url, code, token
    close(app)


def channels(base: str, token: str, period: str) -> dict[str, bytes]:
    """Everything a manager or a system can take out for one period."""
    files = {}
    with httpx.Client(base_url=base, timeout=120) as manager:
        assert log_in(manager, "manager@example.nl", PASSWORD).status_code == 303
        for name, url in {
            "dashboard": "/beheer/?periode={p}", "KPI page": "/beheer/kpi/partner_cooperation?periode={p}",
            "chart": "/beheer/kpi/partner_cooperation/grafiek.svg?periode={p}",
            "KPI CSV": "/beheer/downloads/kpi-resultaten.csv?periode={p}",
            "KPI CSV (Excel NL)": "/beheer/downloads/kpi-resultaten-excel-nl.csv?periode={p}",
            "items CSV": "/beheer/downloads/partner/vragen-excel-nl.csv?periode={p}",
            "responses CSV": "/beheer/downloads/partner/antwoorden.csv?periode={p}",
            "XLSX": "/beheer/downloads/werkmap.xlsx?periode={p}",
            "PDF": "/beheer/downloads/halfjaarrapport.pdf?periode={p}",
        }.items():
            reply = manager.get(url.format(p=period))
            assert reply.status_code == 200, f"{name}: {reply.status_code}"
            files[name] = reply.content
    reply = httpx.get(f"{base}/api/v1/kpis?period={period}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert reply.status_code == 200
    files["API"] = reply.content
    return files


def readable_text(name: str, content: bytes) -> str:
    """What a person reads in the file: page text, SVG <text>, spreadsheet cells, PDF text."""
    if name == "PDF":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    if name == "XLSX":
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        cells = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
        return "\n".join(f"{cell:.4f}".rstrip("0") if isinstance(cell, float) else str(cell) for cell in cells)
    text = content.decode("utf-8-sig")
    if name == "chart":
        return "\n".join(re.findall(r"<text[^>]*>(.*?)</text>", text, re.S))
    if name in ("dashboard", "KPI page"):
        return re.sub(r"<[^>]+>", " ", text)
    return text


@pytest.mark.parametrize("period", ["2026-H1", "2026-H2"])
def test_a_group_of_four_shows_no_figure_in_any_channel(site, module_database_url, period):
    app, base, _, token = site
    files = channels(base, token, period)
    found = {(name, what): pattern.findall(readable_text(name, content))
             for name, content in files.items() for what, pattern in FORBIDDEN.items()}
    api = {entry["kpi"]: entry for entry in json.loads(files["API"])}
    raw_rows = list(csv.reader(io.StringIO(files["responses CSV"].decode("utf-8-sig"))))
    report(f"privacy {period}", module_database_url, channels=len(files), partner_kpi=api["partner_cooperation"],
           raw_rows=len(raw_rows) - 1, figures_found={key: value for key, value in found.items() if value})
    assert not any(found.values()), {key: value for key, value in found.items() if value}
    partner = api["partner_cooperation"]
    if period == "2026-H1":
        assert partner["suppressed"] is True and partner["n"] in (None, 4)
        assert not {"mean", "ci_low", "ci_high"} & {key for key, value in partner.items() if value is not None}
        assert len(raw_rows) == 1, "a period under the minimum n exports no responses"
    else:
        assert partner["suppressed"] is False and partner["n"] == 9 and partner["mean"] == pytest.approx(70 / 9)
        assert len(raw_rows) == 1 + 9
        # the breakdown by organisation hides both groups: the small one and its complement
        page = readable_text("KPI page", files["KPI page"])
        assert "7,78" in readable_text("dashboard", files["dashboard"])
        assert "7,78" in page


def test_the_database_keeps_no_address_browser_or_code_with_a_response(site, module_database_url):
    app, base, code, _ = site
    headers = {"User-Agent": BROWSER, "X-Forwarded-For": FORWARDED}
    with httpx.Client(base_url=base, timeout=60, headers=headers) as respondent:
        page = respondent.get(f"/r/{code}")
        sent = respondent.post(f"/r/{code}", data={**GOOD_ANSWERS["client"], "csrf_token": csrf_token(page.text)})
    assert sent.status_code == 303
    secrets_ = {"code": code, "code hash": hash_code(code), "browser": "kenmerk-7431", "address": "127.0.0.1",
                "forwarded address": FORWARDED}
    with app.app_context():
        inspector = inspect(db.engine)
        response_columns = {column["name"] for column in inspector.get_columns("response")}
        answer_columns = {column["name"] for column in inspector.get_columns("answer")}
        day_type = Response.__table__.c.submitted_on.type
        answer_codes = set(db.session.scalars(select(Answer.code).where(Answer.code.is_not(None)).distinct()))
        found = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    for what, secret in secrets_.items():
                        where = (table.name, column, what)
                        if secret in str(value) and where != ("invitation_code", "code_hash", "code hash"):
                            found.append(where)
        stored_days = set(db.session.scalars(select(Response.submitted_on)))
        db.session.remove()
    options = {option.code for key in QUESTIONNAIRE_KEYS for item in load_questionnaire(key).items
               for option in item.answer_options()}
    report("privacy in the database", module_database_url, response_columns=sorted(response_columns),
           answer_columns=sorted(answer_columns), secrets_found=found)
    assert response_columns == {"id", "questionnaire_version_id", "questionnaire", "round_id", "submitted_on",
                                "half_year", "quarter", "channel"}
    assert answer_columns == {"response_id", "item", "value", "code", "text"}
    assert isinstance(day_type, Date) and all(type(day) is date for day in stored_days), "the day only, no time"
    assert answer_codes <= options, "an answer's code column holds answer codes only, never an invitation code"
    assert not found, found

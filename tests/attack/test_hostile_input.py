"""Hostile input against the real server (DESIGN.md section 10; LimeSurvey's record in peers.md part c):
the corpus of payloads.py goes into every respondent form, every management form and query, the API, and
the paper import. Every reply is a 4xx with a clear message or the value is stored as plain text; none is a
500; a refused submission stores nothing. Then a manager reads the stored values in Chromium (no dialog
fires, no request leaves for another host) and exports them (no cell a spreadsheet would run)."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveys.exports import FORMULA_STARTS
from surveys.extensions import db
from surveys.models import Answer, AuditEvent, Response, Round, User
from surveys.periods import half_year_of, today
from surveys.questionnaires import load_questionnaire
from surveys.services.kiosk import COOKIE, register_device
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from ..helpers import GOOD_ANSWERS, codes_for, open_round, page_tokens, publish
from ..server import free_port, gunicorn_server
from .common import csrf_token, log_in, report
from .conftest import close, prepared_app
from .hostile import FORM, URL_VALUE_LIMIT, Tally, form_body, in_url, stored_text
from .payloads import PAYLOADS, XSS

pytestmark = [pytest.mark.attack, pytest.mark.server]

PASSWORD = "een lang wachtwoord"
OPEN_ITEM = {"client": "C10", "partner": "P8", "gemeente": "G7", "medewerker": "M9"}
PERIOD = str(half_year_of(today()))  # the period open_round() opens its rounds in


class Inbox:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.fixture(scope="module")
def site(module_database_url):
    app = prepared_app(module_database_url)
    with app.app_context():
        rounds = {key: open_round(key) for key in OPEN_ITEM}
        codes = {key: codes_for(round_, 2 * len(PAYLOADS) + 20) for key, round_ in rounds.items()}
        round_id = rounds["medewerker"].id  # one round per questionnaire and period: the management forms share it
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        dummy = create_user("doelwit@example.nl", PASSWORD, "lezer").id
        token = create_token("monitor")
        tablet = register_device("Tablet balie", actor="beheerder@example.nl")
        db.session.remove()
        db.engine.dispose()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"SURVEYS_SMTP_HOST": "127.0.0.1", "SURVEYS_SMTP_PORT": str(smtp.port)}
    try:
        with gunicorn_server(module_database_url, workers=4, env=env) as server:
            yield SimpleNamespace(app=app, url=server.url, codes=codes, round_id=round_id, dummy=dummy, token=token,
                                  tablet=tablet)
    finally:
        smtp.stop()
        close(app)


def counts(app, model) -> int:
    with app.app_context():
        number = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return number


# --- respondent forms -----------------------------------------------------------------------------------

def respondent_target(site, tally: Tally, questionnaire: str, open_link: bool, accepted_texts: list) -> None:
    """Each payload twice: as the open answer (refused, or stored exactly), and as one closed answer
    (refused unless it is one of that question's answer codes); then the malformed requests."""
    definition = load_questionnaire(questionnaire)
    closed = [item for item in definition.items if item.type != "open"]
    codes = iter(site.codes[questionnaire])
    target = "/q/client" if open_link else f"/r/ ({questionnaire})"
    url = "/q/client" if open_link else f"/r/{next(codes)}"
    with httpx.Client(base_url=site.url, timeout=120) as browser:
        if open_link:
            browser.cookies.set(COOKIE, site.tablet)
        token = csrf_token(browser.get(url).text)

        def on_a_page_of_its_own(pairs):
            """The tablet's form page can be sent once and each response ends the session: each post comes
            from a fresh page, with that page's tokens where the first page's CSRF token stood."""
            tokens = page_tokens(browser.get(url).text)
            return [(key, tokens["csrf_token"] if key == "csrf_token" and value == token else value)
                    for key, value in pairs] + [("form_token", tokens["form_token"])]

        def post(payload: str, pairs, **headers):
            nonlocal url
            if open_link:
                pairs = on_a_page_of_its_own(pairs)
            reply = browser.post(url, content=form_body(pairs), headers={"Content-Type": FORM, **headers})
            status = tally.judge(target, payload, reply)
            if status == 303 and not open_link:
                url = f"/r/{next(codes)}"  # the code is used now
            return status

        good = list(GOOD_ANSWERS[questionnaire].items())
        for number, (name, value) in enumerate(PAYLOADS):
            pairs = [(key, value if key == OPEN_ITEM[questionnaire] else answer) for key, answer in good]
            if post(name, pairs + [("csrf_token", token)]) == 303:
                accepted_texts.append(stored_text(value))
            item = closed[number % len(closed)]
            pairs = [(key, value if key == item.key else answer) for key, answer in good]
            status = post(name, pairs + [("csrf_token", token)])
            valid = value in {option.code for option in item.answer_options()} or (not item.required and value == "")
            if (status == 303) != valid:
                tally.problems.append(f"{target} {item.key}={value!r}: {status}")
            if status == 303 and good_text(questionnaire):
                accepted_texts.append(good_text(questionnaire))
        # The request itself is wrong: CSRF, encoding, content type, repeated and missing fields.
        answers = [*good]
        shapes = {
            "no csrf token": (answers, {}),
            "wrong csrf token": (answers + [("csrf_token", "IjEyMyI.aaaa.bbbb")], {}),
            "a wrong csrf token before the right one": (answers + [("csrf_token", "x"), ("csrf_token", token)], {}),
            "repeated answer": (answers + [(good[0][0], good[0][1]), ("csrf_token", token)], {}),
            "repeated open answer": (answers + [(OPEN_ITEM[questionnaire], "tweede"), ("csrf_token", token)], {}),
            "no answers": ([("csrf_token", token)], {}),
            "unknown field": (answers + [("is_admin", "1"), ("csrf_token", token)], {}),
            "invalid utf-8 field name": (answers + [(b"\xff\xfe", "x"), ("csrf_token", token)], {}),
            "json": (answers + [("csrf_token", token)], {"Content-Type": "application/json"}),
            "text/plain": (answers + [("csrf_token", token)], {"Content-Type": "text/plain"}),
            "multipart without boundary": (answers + [("csrf_token", token)], {"Content-Type": "multipart/form-data"}),
            "form with charset latin-1": (answers + [("csrf_token", token)],
                                          {"Content-Type": FORM + "; charset=latin-1"}),
        }
        for name, (pairs, headers) in shapes.items():
            status = post(name, pairs, **headers)
            expected_ok = name in ("unknown field", "form with charset latin-1")
            if status == 303:
                accepted_texts.append(good_text(questionnaire)) if good_text(questionnaire) else None
            if (status == 303) != expected_ok:
                tally.problems.append(f"{target} {name}: {status}")
        for name, headers, content in (("empty body", {"Content-Type": FORM}, b""),
                                       ("no content type", {}, form_body(answers + [("csrf_token", token)]))):
            reply = browser.post(url, content=content, headers=headers)
            if tally.judge(target, name, reply) == 303:
                tally.problems.append(f"{target} {name}: stored")
        for name, value in PAYLOADS[:60]:  # the language switch and unknown query parameters on the form page
            tally.judge(target, f"?lang={name}", browser.get(f"{url}?lang={in_url(value)}&{in_url(value)}=1"))


def good_text(questionnaire: str) -> str:
    return stored_text(GOOD_ANSWERS[questionnaire][OPEN_ITEM[questionnaire]])


def test_respondent_forms_refuse_or_store_plain_text_and_never_fail(site, module_database_url):
    tally = Tally()
    accepted: list[str] = []
    targets = [("client", True)] + [(key, False) for key in OPEN_ITEM]
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = [pool.submit(respondent_target, site, tally, key, open_link, accepted) for key, open_link in targets]
        for future in futures:
            future.result()
    with site.app.app_context():
        responses = db.session.scalar(select(func.count()).select_from(Response))
        texts = sorted(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
        db.session.remove()
    successes = tally.statuses[303]
    report("hostile input: respondent forms", module_database_url, payloads=len(PAYLOADS), targets=len(targets),
           requests=tally.sent, statuses=dict(sorted(tally.statuses.items())), success_replies=successes,
           rows_stored=responses, texts_stored=len(texts), problems=len(tally.problems))
    assert not tally.problems, tally.problems[:20]
    assert responses == successes, "a refused submission stored something, or an accepted one was lost"
    assert texts == sorted(text for text in accepted if text), "stored free text is exactly what was sent"


# --- management forms and pages -------------------------------------------------------------------------

def management_requests(site, value, number: int) -> dict:
    """(method, url, fields or files) per management form, the payload in one field (rotating)."""
    def rotate(defaults: dict) -> list:
        field = list(defaults)[number % len(defaults)]
        return [(key, value if key == field else default) for key, default in defaults.items()]

    round_id, dummy = site.round_id, site.dummy
    return {
        "round create": ("/beheer/rondes", rotate({"questionnaire": "client", "period": PERIOD,
                                                   "opens_on": "2026-07-01", "closes_on": "2026-12-31",
                                                   "population": "40"})),
        "code generation": (f"/beheer/rondes/{round_id}/codes", rotate({"count": "1", "kind": "csv"})),
        "user create": ("/beheer/gebruikers/nieuw", rotate({"email": f"nieuw{number}@example.nl", "role": "lezer",
                                                          "password": "nog een lang wachtwoord"})),
        "role change": (f"/beheer/gebruikers/{dummy}/rol", [("role", value)]),
        "activation": (f"/beheer/gebruikers/{dummy}/status", [("active", value)]),
        "purge (token)": ("/beheer/bewaartermijnen/opschonen", None),
        "client letter (token)": ("/beheer/rondes/clientbrief", None),
        "reminders (token)": (f"/beheer/rondes/{round_id}/herinneringen", None),
        "logout (token)": ("/beheer/uitloggen", None),
    }


# Every payload goes to the queries that reach a lookup or a parser; the rest (and the pages that compute a
# whole report or draw a chart) get every seventh payload, so each family is still represented.
QUERIES = ["/beheer/?periode={v}", "/beheer/kpi/{v}", "/beheer/logboek?actie={v}", "/beheer/rondes/{v}",
           "/beheer/inloggen?next={v}"]
SAMPLED_QUERIES = ["/beheer/kpi/client_support?periode={v}", "/beheer/kpi/client_support/grafiek.svg?periode={v}",
                   "/beheer/kpi/client_support/grafiek.{v}", "/beheer/downloads?periode={v}",
                   "/beheer/downloads/kpi-resultaten.csv?periode={v}", "/beheer/downloads/werkmap.xlsx?periode={v}",
                   "/beheer/downloads/{v}/antwoorden.csv", "/static/{v}", "/r/{v}", "/q/{v}"]


def management_worker(site, tally: Tally, names: list[str]) -> None:
    with httpx.Client(base_url=site.url, timeout=120) as browser:
        assert log_in(browser, "beheerder@example.nl", PASSWORD).status_code == 303
        token = csrf_token(browser.get("/beheer/rondes").text)
        for number, (name, value) in enumerate(PAYLOADS):
            for target, (url, fields) in management_requests(site, value, number).items():
                if target not in names:
                    continue
                pairs = [("csrf_token", value)] if fields is None else fields + [("csrf_token", token)]
                tally.judge(target, name, browser.post(url, content=form_body(pairs), headers={"Content-Type": FORM}))
            if "address upload" in names:
                content = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
                files = {"addresses": ("adressen.csv", content, "text/csv")}
                tally.judge("address upload", name, browser.post(f"/beheer/rondes/{site.round_id}/uitnodigingen",
                                                                 data={"csrf_token": token}, files=files))
            if "queries" in names:
                for query in QUERIES + (SAMPLED_QUERIES if number % 7 == 0 else []):
                    tally.judge(query, name, browser.get(query.format(v=in_url(value))))


def login_worker(site, tally: Tally, share: int, shares: int) -> None:
    """Every shares-th payload from share on: a password check takes scrypt's time, so three run at once."""
    with httpx.Client(base_url=site.url, timeout=120) as browser:
        token = csrf_token(browser.get("/beheer/inloggen").text)
        for number, (name, value) in enumerate(PAYLOADS):
            if number % shares != share:
                continue
            pairs = [("email", value), ("password", "fout")] if number % 2 else \
                [("email", "beheerder@example.nl"), ("password", value)]
            status = tally.judge("login", name, browser.post("/beheer/inloggen", content=form_body(pairs + [
                ("csrf_token", token)]), headers={"Content-Type": FORM}))
            if status == 303:
                tally.problems.append(f"login [{name}]: logged in")


def test_management_forms_and_pages_refuse_or_store_plain_text_and_never_fail(site, module_database_url):
    tally = Tally()
    rounds_before, users_before = counts(site.app, Round), counts(site.app, User)
    groups = [["round create", "code generation"], ["user create", "role change", "activation"],
              ["purge (token)", "client letter (token)", "reminders (token)", "logout (token)", "address upload"],
              ["queries"]]
    with ThreadPoolExecutor(len(groups) + 3) as pool:
        futures = [pool.submit(management_worker, site, tally, names) for names in groups]
        futures += [pool.submit(login_worker, site, tally, share, 3) for share in range(3)]
        for future in futures:
            future.result()
    rounds, users = counts(site.app, Round) - rounds_before, counts(site.app, User) - users_before
    report("hostile input: management", module_database_url, payloads=len(PAYLOADS), targets=len(tally.per_target),
           requests=tally.sent, statuses=dict(sorted(tally.statuses.items())),
           per_form={target: dict(statuses) for target, statuses in tally.per_target.items()
                     if not target.startswith("/")},
           rounds_made=rounds, users_made=users, problems=len(tally.problems),
           seconds_waited={target: round(seconds, 1) for target, seconds in tally.seconds.most_common(6)})
    assert not tally.problems, tally.problems[:20]
    assert rounds == tally.count("round create", 303), "a refused form made a round"
    assert users == tally.count("user create", 303), "a refused form made an account"
    for target in ("purge (token)", "client letter (token)", "reminders (token)", "logout (token)"):
        refused = tally.count(target, 400) + tally.count(target, 413)  # 413: the 1 MB token
        assert refused == len(PAYLOADS), f"{target}: a wrong token was accepted"


def test_login_never_follows_a_next_address_to_another_site(site, module_database_url):
    from .payloads import TRAVERSAL

    places = []
    for value in TRAVERSAL + ["//example.com", "/\\example.com", "/beheer//example.com", "https:example.com"]:
        with httpx.Client(base_url=site.url, timeout=60) as browser:
            page = browser.get("/beheer/inloggen", params={"next": value})
            reply = browser.post(f"/beheer/inloggen?next={in_url(value)}", data={
                "email": "beheerder@example.nl", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
            places.append(reply.headers.get("location", ""))
            assert reply.status_code == 303
    report("login next=", module_database_url, tried=len(places), went_to=sorted(set(places)))
    for place in places:
        target = urlsplit(place)
        assert target.netloc in ("", urlsplit(site.url).netloc) and target.path.startswith("/beheer"), place
        assert not target.path.startswith("//") and "\\" not in place, place


# --- API ------------------------------------------------------------------------------------------------

def test_the_api_refuses_hostile_queries_and_tokens_with_json(site, module_database_url):
    tally = Tally()
    unsendable = 0
    with httpx.Client(base_url=site.url, timeout=120) as system:
        good = {"Authorization": f"Bearer {site.token}"}
        for name, value in PAYLOADS:
            queries = (f"period={in_url(value)}", f"period=2026-H1&kpi={in_url(value)}",
                       f"period={in_url(value)}&period=2026-H1")
            for query in queries:
                tally.judge("api query", name, system.get(f"/api/v1/kpis?{query}", headers=good),
                            allowed={200, 400})
            value = value[:URL_VALUE_LIMIT]
            header = f"Bearer {value}" if isinstance(value, str) else b"Bearer " + value
            try:
                reply = system.get("/api/v1/kpis?period=2026-H1", headers={"Authorization": header})
            except (httpx.LocalProtocolError, UnicodeEncodeError, ValueError):
                unsendable += 1  # not a valid header at all: no client library sends it
                continue
            # 400: gunicorn itself refuses a header value with control characters, before the app.
            tally.judge("api token", name, reply, allowed={400, 401})
    report("hostile input: API", module_database_url, payloads=len(PAYLOADS), requests=tally.sent,
           statuses=dict(sorted(tally.statuses.items())), unsendable_headers=unsendable, problems=len(tally.problems))
    assert not tally.problems, tally.problems[:20]
    assert tally.count("api token", 401) + tally.count("api token", 400) == sum(tally.per_target["api token"].values())
    assert tally.count("api token", 200) == 0


# --- paper import (CLI) ---------------------------------------------------------------------------------

def test_the_paper_import_refuses_or_stores_plain_text(site, module_database_url, tmp_path):
    runner = site.app.test_cli_runner()
    header = ["date", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]
    good = ["2026-09-01"] + [GOOD_ANSWERS["client"][key] for key in header[1:]]
    outcomes, problems = {"imported": 0, "refused": 0}, []
    for number, (name, value) in enumerate(PAYLOADS):
        for column in (10, 1 + number % 10, 0):  # the open answer, a closed answer, the date
            cells = [value if index == column else cell for index, cell in enumerate(good)]
            path = tmp_path / f"{number}-{column}.csv"
            write_csv(path, header, cells)
            before = counts(site.app, Response)
            result = runner.invoke(args=["import-responses", "client", str(path)])
            stored = counts(site.app, Response) - before
            if result.exit_code == 0:
                outcomes["imported"] += 1
                if stored != 1:
                    problems.append(f"{name} in column {header[column]}: exit 0 but {stored} stored")
            else:
                outcomes["refused"] += 1
                if result.exit_code != 1 or stored != 0 or "Nothing imported" not in result.output:
                    problems.append(f"{name} in column {header[column]}: exit {result.exit_code}, {stored} stored, "
                                    f"{result.output[-200:]!r} {result.exception!r}")
    report("hostile input: CSV import (CLI)", module_database_url, payloads=len(PAYLOADS), files=sum(outcomes.values()),
           **outcomes, problems=len(problems))
    assert not problems, problems[:20]


def write_csv(path: Path, header: list[str], cells: list) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    text_cells = ["" if isinstance(cell, bytes) else cell for cell in cells]
    writer.writerow(text_cells)
    content = buffer.getvalue().encode("utf-8", "surrogatepass")
    for cell in cells:
        if isinstance(cell, bytes):  # invalid UTF-8: put the raw bytes where the cell is
            content = content.rstrip(b"\r\n") + b"," + cell + b"\r\n" if cell is cells[-1] else content + cell
    path.write_bytes(content)


# --- what a manager sees and takes out ------------------------------------------------------------------

def test_stored_payloads_are_inert_in_a_real_browser(site, module_database_url, browser):
    with site.app.app_context():
        publish(PERIOD)  # the payloads are in: free text is shown once its period is published
    dialogs, foreign, pages = [], [], []
    origin = urlsplit(site.url).netloc
    context = browser.new_context()
    try:
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        context.on("request", lambda request: None if urlsplit(request.url).netloc == origin
                   or request.url.startswith(("data:", "about:")) else foreign.append(request.url))
        page.goto(f"{site.url}/beheer/inloggen")
        page.fill("#email", "beheerder@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}/beheer/")
        shown = ""
        # The comments come 25 to a page: each KPI page as it opens, and searched for "script" (which brings
        # the script payloads onto the first page, and puts a payload-like word through the search).
        for url in [f"/beheer/kpi/{kpi}?periode={PERIOD}{search}" for kpi in
                    ("client_support", "partner_cooperation", "gemeente_cooperation", "staff_house_in_order")
                    for search in ("", "&zoek=script")] + \
                   ["/beheer/gebruikers", "/beheer/logboek", "/beheer/rondes", f"/beheer/rondes/{site.round_id}",
                    f"/beheer/?periode={PERIOD}"]:
            page.goto(site.url + url)
            page.wait_for_load_state("networkidle")
            pages.append(url)
            shown += page.inner_text("body")
    finally:
        context.close()
    visible = [payload for payload in XSS if payload in shown]
    report("stored payloads in Chromium", module_database_url, pages=len(pages),
           script_payloads_shown_as_text=len(visible),
           dialogs=len(dialogs), requests_to_other_hosts=len(foreign))
    assert not dialogs, dialogs
    assert not foreign, foreign
    assert "<script>alert(1)</script>" in shown, "the free text is shown, as text"


def test_exports_neutralise_formulas(site, module_database_url):
    with site.app.app_context():
        publish(PERIOD)  # the payloads are in: the raw export holds a period's rows once it is published
    cells, starts = [], []
    with httpx.Client(base_url=site.url, timeout=120) as manager:
        assert log_in(manager, "beheerder@example.nl", PASSWORD).status_code == 303
        for questionnaire in OPEN_ITEM:
            for variant in ("antwoorden.csv", "antwoorden-excel-nl.csv"):
                reply = manager.get(f"/beheer/downloads/{questionnaire}/{variant}?periode={PERIOD}")
                assert reply.status_code == 200
                delimiter = ";" if "excel-nl" in variant else ","
                rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig")), delimiter=delimiter))
                cells += [cell for row in rows[1:] for cell in row]
        workbook = manager.get(f"/beheer/downloads/werkmap.xlsx?periode={PERIOD}")
        assert workbook.status_code == 200
    sheets = load_workbook(io.BytesIO(workbook.content))
    xlsx_cells = [cell for sheet in sheets for row in sheet.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in xlsx_cells if cell.data_type == "f"]
    risky = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not cell.lstrip("-").isdigit()]
    starts = [cell for cell in cells if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@")]
    risky += [cell.value for cell in xlsx_cells
              if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)]
    report("exports", module_database_url, csv_cells=len(cells), neutralised_cells=len(starts),
           xlsx_cells=len(xlsx_cells),
           formula_cells=len(formulas), risky_cells=len(risky))
    assert starts, "the formula payloads reached the export (neutralised)"
    assert not risky and not formulas, (risky[:10], formulas[:10])
    with site.app.app_context():  # the audit log holds what was tried as text, no worse
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 0
        db.session.remove()

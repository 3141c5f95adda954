"""A manager takes the figures of a half-year home: the report for the gemeente as PDF, a workbook, CSV files
for Dutch and for international Excel, and the raw answers. A lezer may not; every download is logged.

The data are small and stored exactly; every expected figure is worked out by hand in the comments."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from surveys import periods
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import AuditEvent
from surveys.report_pdf import halfyear_report_pdf
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import create_round
from surveys.services.users import create_user

from .helpers import publish
from .test_manage import PASSWORD, log_in

PERIOD = "2026-H1"
BOM = b"\xef\xbb\xbf"

# Partner, 2026-H1, a round of 10 invited organisations: P1 = 6, 7, 8, 8, 9 → mean 38/5 = 7.6.
#   Σx² = 294, s² = (5·294 − 38²)/(5·4) = 26/20 = 1.3; with the finite-population correction (n/N = 5/10)
#   No earlier half-years: the reference is the prior SD 2.0 (d0 = 30): s̃² = (120 + 5.2)/34 = 3.682353, df 34;
#   SE = √(3.682353/5 · 0.5) = 0.606824, t(0.975, 34) = 2.032245 → 7.6 ∓ 1.233215 = [6.366785, 8.833215]:
#   the norm 7 lies inside → "niet te onderscheiden"; n = 5 < 30 → indicatief; response 5/10 = 50 %.
#   P2 = 5, 4, 4, 3, 2 → (helemaal) mee eens 3/5 = 0.6. P8 holds one free-text answer.
PARTNER_P1 = [6, 7, 8, 8, 9]
PARTNER_P2 = [5, 4, 4, 3, 2]
PARTNER_TEXT = "Goed bereikbaar, snel antwoord"
# Gemeente (minimum n 3), 2026-H1: G1 = 9, 10. Two answers: the mean 9.5 must show nowhere.
GEMEENTE_G1 = [9, 10]
# Medewerkers: 2026-H1 M1 = 7, 8, 8, 9, 8 → mean 8.0, s² = (5·322 − 1600)/20 = 0.5. The earlier half-year
#   has 4 df, too few: the reference is the prior SD 2.0, s̃² = (120 + 2)/34 = 3.588235, df 34,
#   SE = √(3.588235/5) = 0.847141, 8.0 ∓ 2.032245·0.847141 = [6.278403, 9.721597]: "niet te onderscheiden"
#   (plain t said "boven de norm" from five answers: 7.122011 – 8.877989).
#   2025-H2 M1 = 6, 6, 7, 7, 8 → mean 6.8, s² = 0.7. Trend +1.2, Welch SE = √(0.1 + 0.14), df = 7.78,
#   interval [0.0648, 2.3352] (scipy ttest_ind, equal_var=False) → above 0: "gestegen".
STAFF_NOW, STAFF_BEFORE = [7, 8, 8, 9, 8], [6, 6, 7, 7, 8]
# Cliënten, 2026-H1: C4 = ja ×4, nee ×1 → 4/5 = 80 %, Wilson [0.375535, 0.963776]. C1-C3 unanswered.
CLIENT_C4 = ["ja", "ja", "ja", "ja", "nee"]

DOWNLOADS = {
    # URL → the audit detail it leaves
    f"/beheer/downloads/halfjaarrapport.pdf?periode={PERIOD}": f"halfjaarrapport {PERIOD}",
    f"/beheer/downloads/werkmap.xlsx?periode={PERIOD}": f"werkmap {PERIOD}",
    f"/beheer/downloads/kpi-resultaten.csv?periode={PERIOD}": f"kpi-resultaten csv {PERIOD}",
    f"/beheer/downloads/kpi-resultaten-excel-nl.csv?periode={PERIOD}": f"kpi-resultaten csv-nl {PERIOD}",
    f"/beheer/downloads/partner/vragen.csv?periode={PERIOD}": f"vragen partner csv {PERIOD}",
    f"/beheer/downloads/partner/vragen-excel-nl.csv?periode={PERIOD}": f"vragen partner csv-nl {PERIOD}",
    f"/beheer/downloads/partner/antwoorden.csv?periode={PERIOD}": f"antwoorden partner csv {PERIOD}",
    f"/beheer/downloads/gemeente/antwoorden-excel-nl.csv?periode={PERIOD}": f"antwoorden gemeente csv-nl {PERIOD}",
}


def grades(item: str, values, first_day: date) -> list[NewResponse]:
    return [NewResponse(first_day + timedelta(days=i), [AnswerValue(item, value=v)]) for i, v in enumerate(values)]


@pytest.fixture
def stored(app):
    """The responses above and two accounts. Requests run outside this app context: a request inside one
    would share its `g`, and with it the logged-in user, with the requests before it."""
    with app.app_context():
        store_report_data()


def store_report_data() -> None:
    """The responses above, the partner round, both half-years published, and two accounts (in an app context)."""
    partner = [NewResponse(date(2026, 2, 1) + timedelta(days=i),
                           [AnswerValue("P1", value=p1), AnswerValue("P2", value=p2)]
                           + ([AnswerValue("P8", text=PARTNER_TEXT)] if i == 0 else []))
               for i, (p1, p2) in enumerate(zip(PARTNER_P1, PARTNER_P2, strict=True))]
    store_many(current_version("partner"), partner, channel="paper")
    create_round("partner", PERIOD, opens_on=date(2026, 1, 5), closes_on=date(2026, 3, 1), population=10)
    store_many(current_version("gemeente"), grades("G1", GEMEENTE_G1, date(2026, 3, 2)),
               channel="paper")
    store_many(current_version("medewerker"), grades("M1", STAFF_NOW, date(2026, 4, 1))
               + grades("M1", STAFF_BEFORE, date(2025, 10, 1)), channel="paper")
    store_many(current_version("client"), [NewResponse(date(2026, 5, 1) + timedelta(days=i),
                                                       [AnswerValue("C4", code=code)])
                                           for i, code in enumerate(CLIENT_C4)], channel="paper")
    publish("2025-H2", PERIOD)
    create_user("manager@example.nl", PASSWORD, "manager")
    create_user("lezer@example.nl", PASSWORD, "lezer")


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page with all white space (line breaks, no-break spaces) as single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def read_csv(data: bytes, separator: str) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM):].decode("utf-8"), newline=""), delimiter=separator))


# --- the half-year report ------------------------------------------------------------------------------------

def test_a_manager_downloads_the_halfyear_report_with_the_figures_worked_out_by_hand(stored, client):
    log_in(client, "manager@example.nl")
    reply = client.get(f"/beheer/downloads/halfjaarrapport.pdf?periode={PERIOD}")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="waardering-{PERIOD}.pdf"'
    pages = pdf_pages(reply.data)
    cover, table = pages[0], pages[1]
    assert "Stichting Sociaal Team Houten" in cover and f"Waardering {PERIOD}" in cover
    assert f"Gemaakt op {periods.today().day} " in cover

    rows = table[table.index(f"KPI's in {PERIOD}"):]
    # One row per KPI: label, value, interval, norm, n, response rate, verdict, trend.
    assert ("Partnerwaardering voor de samenwerking 7,60 6,37 – 8,83 > 7 5 50 % "
            "● Niet te onderscheiden van de norm indicatief – Gemeentewaardering") in rows
    # The gemeente's two answers: a hidden group says "minder dan 3", never its n (DESIGN.md §6).
    assert ("Gemeentewaardering voor de samenwerking – – > 7 minder dan 3 – – Te weinig respons – Waardering van"
            in rows)
    assert ("Waardering van medewerkers en management voor huis op orde 8,00 6,28 – 9,72 > 7 5 – "
            "● Niet te onderscheiden van de norm indicatief +1,20 (gestegen) n is het aantal") in rows
    assert ("Cliënten die na de hulp zelf weer verder kunnen 80,0 % 37,6 % – 96,4 % > 70 % 5 – "
            "● Niet te onderscheiden van de norm indicatief – Partnerwaardering") in rows
    assert "Partners 5 10 50 %" in table
    assert "Minder dan 5 reacties (bij de gemeente 3)" in " ".join(pages)

    # The gemeente's two answers give no figure anywhere, and no chart: no half-year of G1 has enough answers.
    everything = " ".join(pages)
    assert not re.search(r"\b9,50?\b", everything)
    assert "Grafiek 6. Gemeentewaardering voor de samenwerking: geen grafiek" in everything
    charts = {image.data for page in PdfReader(io.BytesIO(reply.data)).pages for image in page.images}
    assert len(charts) == 3  # C4, P1 and M1; C1-C3 have no answers, G1 too few


def test_the_same_data_on_the_same_day_give_the_same_report(stored, app):
    with app.app_context():
        first = halfyear_report_pdf(PERIOD, made_on=date(2026, 5, 12))
        assert first == halfyear_report_pdf(PERIOD, made_on=date(2026, 5, 12))
    cover = pdf_pages(first)[0]
    assert "Gemaakt op 12 mei 2026" in cover
    assert "de periode loopt nog tot en met 30 juni 2026" in cover


def test_the_report_command_writes_the_pdf(stored, app, tmp_path):
    out = tmp_path / "rapport.pdf"
    result = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "7,60 6,37 – 8,83" in pdf_pages(out.read_bytes())[1]
    missing = app.test_cli_runner().invoke(args=["report", "--period", PERIOD, "--format", "pdf"])
    assert missing.exit_code == 2 and "--out" in missing.output


# --- data files ------------------------------------------------------------------------------------------------

def test_the_workbook_download_holds_the_expected_cells(stored, client):
    log_in(client, "manager@example.nl")
    reply = client.get(f"/beheer/downloads/werkmap.xlsx?periode={PERIOD}")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"] == f'attachment; filename="waardering-{PERIOD}.xlsx"'
    workbook = load_workbook(io.BytesIO(reply.data))
    assert workbook.sheetnames == ["KPI's", "Cliënt", "Partners", "Gemeente", "Medewerkers"]
    sheet = workbook["KPI's"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["KPI", "Periode", "Soort uitkomst", "Aantal antwoorden", "Uitkomst"]
    assert sheet.auto_filter.ref == f"A1:R{sheet.max_row}"
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    partner = rows["Partnerwaardering voor de samenwerking"]
    assert (partner["Aantal antwoorden"], partner["Uitkomst"], partner["95%-interval van"],
            partner["95%-interval tot"]) == (5, 7.6, 6.3668, 8.8332)
    assert (partner["Oordeel"], partner["Ingevulde vragenlijsten"], partner["Populatie"], partner["Respons"]) == \
        ("niet te onderscheiden van de norm", 5, 10, 0.5)
    gemeente = rows["Gemeentewaardering voor de samenwerking"]
    # A hidden group: neither its n nor its response count (DESIGN.md §6).
    assert (gemeente["Aantal antwoorden"], gemeente["Verborgen (te weinig respons)"], gemeente["Oordeel"]) == \
        (None, "ja", "te weinig respons")
    assert gemeente["Ingevulde vragenlijsten"] is None and gemeente["Respons"] is None
    assert gemeente["Uitkomst"] is None and gemeente["95%-interval van"] is None
    staff = rows["Waardering van medewerkers en management voor huis op orde"]
    assert (staff["Uitkomst"], staff["95%-interval van"], staff["95%-interval tot"], staff["Oordeel"]) == \
        (8, 6.2784, 9.7216, "niet te onderscheiden van de norm")
    assert rows["Cliënten die na de hulp zelf weer verder kunnen"]["Uitkomst"] == 0.8
    items = workbook["Partners"]
    columns = [cell.value for cell in items[1]]
    p2 = {row[columns.index("Antwoord")]: dict(zip(columns, row, strict=True))
          for row in items.iter_rows(min_row=2, values_only=True) if row[columns.index("Vraagnummer")] == "P2"}
    assert {answer: p2[answer]["Aantal"] for answer in p2} == {
        "Helemaal mee eens": 1, "Mee eens": 2, "Niet mee eens en niet mee oneens": 1, "Niet mee eens": 1,
        "Helemaal niet mee eens": 0, "Weet ik niet": 0}
    assert p2["Mee eens"]["Aandeel (helemaal) eens"] == 0.6 and p2["Mee eens"]["Aantal antwoorden"] == 5
    # No code left for people to decode: no snake_case key, no True/False, no method name.
    cells = {value for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row}
    assert not {value for value in cells if isinstance(value, str) and "_" in value}
    assert not {value for value in cells if isinstance(value, bool)}
    assert not cells & {"t-moderated-fpc", "wilson", "descriptive", "mean", "share", "agree", "grade"}


def test_the_csv_downloads_have_a_bom_and_the_dutch_variant_uses_semicolons_and_decimal_commas(stored, client):
    log_in(client, "manager@example.nl")
    dutch = client.get(f"/beheer/downloads/kpi-resultaten-excel-nl.csv?periode={PERIOD}")
    assert dutch.status_code == 200 and dutch.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert dutch.headers["Content-Disposition"] == f'attachment; filename="kpi-resultaten-{PERIOD}-excel-nl.csv"'
    assert dutch.data.startswith(BOM + b"KPI;Periode;Soort uitkomst;Aantal antwoorden;Uitkomst;")
    rows = {row["KPI"]: row for row in read_csv(dutch.data, ";")}
    partner = rows["Partnerwaardering voor de samenwerking"]
    assert (partner["Uitkomst"], partner["95%-interval van"], partner["Respons"], partner["Oordeel"],
            partner["Uitkomst haalt de norm"]) == ("7,6", "6,3668", "0,5", "niet te onderscheiden van de norm", "ja")
    gemeente = rows["Gemeentewaardering voor de samenwerking"]
    assert gemeente["Uitkomst"] == "" and gemeente["Aantal antwoorden"] == ""
    assert gemeente["Ingevulde vragenlijsten"] == ""  # a hidden group's size is never shown

    international = client.get(f"/beheer/downloads/kpi-resultaten.csv?periode={PERIOD}")
    assert international.headers["Content-Disposition"] == f'attachment; filename="kpi-resultaten-{PERIOD}.csv"'
    assert international.data.startswith(BOM + b"KPI,Periode,")
    rows = {row["KPI"]: row for row in read_csv(international.data, ",")}
    partner = rows["Partnerwaardering voor de samenwerking"]
    assert (partner["Uitkomst"], partner["95%-interval tot"]) == ("7.6", "8.8332")

    # The item summaries' CSV is for people too: the headers and words of the workbook's sheets, no codes.
    dutch_items = client.get(f"/beheer/downloads/partner/vragen-excel-nl.csv?periode={PERIOD}").data
    assert dutch_items.startswith(BOM + b"Vragenlijst;Periode;Vraagnummer;Vraag;Soort vraag;Antwoord;Aantal;"
                                  b"Aantal antwoorden;Aandeel (helemaal) eens;95%-interval van;95%-interval tot;"
                                  b"Verborgen (te weinig respons)\r\n")
    items = read_csv(dutch_items, ";")
    # P2 = 5, 4, 4, 3, 2: "Helemaal mee eens" once; (helemaal) mee eens 3 of 5 = 0,6.
    p2 = [row for row in items if row["Vraagnummer"] == "P2"]
    assert [(row["Antwoord"], row["Aantal"]) for row in p2] == [
        ("Helemaal mee eens", "1"), ("Mee eens", "2"), ("Niet mee eens en niet mee oneens", "1"),
        ("Niet mee eens", "1"), ("Helemaal niet mee eens", "0"), ("Weet ik niet", "0")]
    assert {(row["Vragenlijst"], row["Periode"], row["Vraag"], row["Soort vraag"], row["Aantal antwoorden"],
             row["Aandeel (helemaal) eens"], row["Verborgen (te weinig respons)"]) for row in p2} == {
        ("Partners", PERIOD, "Het Sociaal Team is goed bereikbaar voor ons.", "eens/oneens", "5", "0,6", "nee")}
    international_items = read_csv(client.get(f"/beheer/downloads/partner/vragen.csv?periode={PERIOD}").data, ",")
    assert international_items[0]["Aantal antwoorden"] == "5"
    # A background question has a named key, a code: its row names it by its text, with no question number.
    organisation = [row for row in international_items if row["Vraag"] == "Bij wat voor organisatie werkt u?"]
    assert len(organisation) == 7 and {row["Vraagnummer"] for row in organisation} == {""}
    for text in (dutch_items.decode("utf-8-sig"), "".join(str(row) for row in international_items)):
        assert not {"organisation_type", "weet_niet", "agree", "partner", "true", "false"} & set(
            re.findall(r"[\w-]+", text)), "no codes in the file for people"

    raw_reply = client.get(f"/beheer/downloads/partner/antwoorden.csv?periode={PERIOD}")
    assert raw_reply.is_streamed  # read from the database while it is sent
    assert raw_reply.headers["Content-Disposition"] == f'attachment; filename="antwoorden-partner-{PERIOD}.csv"'
    raw = read_csv(raw_reply.data, ",")
    assert sorted(row["P1"] for row in raw) == ["6", "7", "8", "8", "9"]
    assert [row["P8"] for row in raw if row["P8"]] == [PARTNER_TEXT]
    # Two gemeente responses are below its minimum of 3: the file has its header and nothing else.
    gemeente = client.get(f"/beheer/downloads/gemeente/antwoorden-excel-nl.csv?periode={PERIOD}")
    assert gemeente.data.startswith(BOM) and read_csv(gemeente.data, ";") == []


def test_the_downloads_page_lists_every_file_of_the_period(stored, client):
    log_in(client, "manager@example.nl")
    page = client.get(f"/beheer/downloads?periode={PERIOD}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for url in DOWNLOADS:
        assert f'href="{url}"' in html, url
    for key in ("client", "medewerker"):
        assert f'href="/beheer/downloads/{key}/antwoorden.csv?periode={PERIOD}"' in html
    assert html.count("download=1") == 7 * 3  # each KPI's chart as PNG, SVG and PDF
    assert f'href="/beheer/kpi/partner_cooperation/grafiek.png?periode={PERIOD}&amp;download=1"' in html
    assert "open antwoorden" in html
    assert '<a href="/beheer/downloads"' in html  # in the menu
    quarter = client.get("/beheer/downloads?periode=2026-Q1").get_data(as_text=True)
    assert "/beheer/downloads/client/vragen.csv" in quarter and "/beheer/downloads/partner/" not in quarter
    assert client.get("/beheer/downloads?periode=2026-X9").status_code == 400
    assert client.get("/beheer/downloads/werkmap.xlsx?periode=2026-X9").status_code == 400
    assert client.get(f"/beheer/downloads/onbekend/vragen.csv?periode={PERIOD}").status_code == 404
    assert client.get("/beheer/downloads/partner/antwoorden.csv?periode=2026-Q1").status_code == 404


# --- who may, and the log ------------------------------------------------------------------------------------

def test_a_lezer_gets_403_on_downloads(stored, app, client):
    log_in(client, "lezer@example.nl")
    assert client.get(f"/beheer/downloads?periode={PERIOD}").status_code == 403
    for url in DOWNLOADS:
        assert client.get(url).status_code == 403, url
    assert "/beheer/downloads" not in client.get("/beheer/").get_data(as_text=True)  # not in the menu either
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="export").count() == 0


def test_each_download_leaves_an_audit_event_with_the_managers_email(stored, app, client):
    log_in(client, "manager@example.nl")
    for url in DOWNLOADS:
        reply = client.get(url)
        assert reply.status_code == 200, url
        reply.get_data()  # consume the stream, as a browser does
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="export").order_by(AuditEvent.id).all()
    assert [(event.actor, event.detail) for event in events] == \
        [("manager@example.nl", detail) for detail in DOWNLOADS.values()]


def test_a_raw_download_left_unread_does_not_carry_its_user_into_the_next_request(stored, app):
    manager = app.test_client()
    log_in(manager, "manager@example.nl")
    unread = manager.get(f"/beheer/downloads/partner/antwoorden.csv?periode={PERIOD}")
    assert unread.status_code == 200 and unread.is_streamed
    anonymous = app.test_client().get(f"/beheer/downloads?periode={PERIOD}")
    assert anonymous.status_code == 302 and "/beheer/inloggen" in anonymous.headers["Location"]
    # and the stream still works afterwards
    assert PARTNER_TEXT in [row["P8"] for row in read_csv(unread.get_data(), ",")]


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, page number) of every bookmark."""
    entries = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append((level, item.title, reader.get_destination_page_number(item) + 1))
    walk(reader.outline, 0)
    return entries


def test_the_report_says_in_words_how_it_was_measured_and_what_each_question_got(stored, app):
    with app.app_context():
        data = halfyear_report_pdf(PERIOD, made_on=date(2026, 7, 12))
    pages = pdf_pages(data)
    everything = " ".join(pages)
    # "pagina X van Y" under every page, the cover too.
    assert len(pages) == 8
    assert [page[-len("pagina 1 van 8"):] for page in pages] == [f"pagina {n} van 8" for n in range(1, 9)]
    # The summary in sentences, KPIs by name: three KPIs have the norm inside their interval, the gemeente
    # has 2 answers (minimum 3), and C1-C3 have none (the cliënt forms answered C4 only).
    assert ("Samenvatting Bij Cliënten die na de hulp zelf weer verder kunnen, Partnerwaardering voor de "
            "samenwerking en Waardering van medewerkers en management voor huis op orde kunnen we niet zeggen of "
            "de norm gehaald is: de norm ligt binnen het 95%-interval. Bij Gemeentewaardering voor de samenwerking "
            "waren er te weinig reacties om iets te zeggen. Voor Cliëntwaardering voor de hulp van het Sociaal "
            "Team, Cliëntwaardering voor het halen van de doelen en Cliëntwaardering voor de samenwerking tussen "
            "organisaties (coördinatie van zorg) kwamen geen reacties binnen.") in pages[0]
    # The method: the partner round's dates, the channel, the minimum n.
    assert ("Partners: gemeten van 5 januari 2026 tot en met 1 maart 2026. Reacties kwamen binnen via een "
            "papieren formulier. Cijfers tonen we vanaf 5 reacties.") in everything
    assert "Gemeente: gemeten zonder meetronde (alleen open link of papier)." in everything
    assert "Cijfers tonen we vanaf 3 reacties." in everything
    # Results per question: P1 = 6, 7, 8, 8, 9 and P2 = 5, 4, 4, 3, 2 worked out by hand.
    assert ("P1. Wat vindt u van de samenwerking met het Sociaal Team in het afgelopen halfjaar? Geef een "
            "rapportcijfer van 1 tot 10. Antwoord Aantal Procent (van 5) 1 0 0 % 2 0 0 % 3 0 0 % 4 0 0 % 5 0 0 % "
            "6 1 20 % 7 1 20 % 8 2 40 % 9 1 20 % 10 0 0 % Weet ik niet 0 telt niet mee") in everything
    assert ("P2. Het Sociaal Team is goed bereikbaar voor ons. Antwoord Aantal Procent (van 5) Helemaal mee eens 1 "
            "20 % Mee eens 2 40 % Niet mee eens en niet mee oneens 1 20 % Niet mee eens 1 20 % Helemaal niet mee "
            "eens 0 0 %") in everything
    assert "C4. Kunt u nu zelf weer verder? Antwoord Aantal Procent (van 5) Ja 4 80 % Een beetje 0 0 % Nee 1 20 %" \
        in everything
    # The gemeente's 2 answers: no counts; a background question is named by its text, not its key.
    assert ("G1. Wat vindt u van de samenwerking met het Sociaal Team in het afgelopen halfjaar? Geef een "
            "rapportcijfer van 1 tot 10. Te weinig antwoorden om deze vraag te tonen.") in everything
    assert not {"respondent_role", "help_from", "organisation_type"} & set(re.findall(r"\w+", everything))

    # Title, language, bookmarks that open with the document (the structure tree: tests/test_report_pdf.py).
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert (reader.metadata.title, root["/Lang"], root["/PageMode"], root["/ViewerPreferences"]["/DisplayDocTitle"]) \
        == (f"Waardering {PERIOD}", "nl", "/UseOutlines", True)
    assert outline(reader) == [
        (0, f"Waardering {PERIOD}", 1), (1, "In het kort", 1), (1, "Samenvatting", 1), (0, f"KPI's in {PERIOD}", 2),
        (1, "Respons per vragenlijst", 2), (1, "Zo is gemeten", 2), (1, "Zo leest u de cijfers", 3),
        (1, "Grafieken per KPI", 3), (0, "Uitkomsten per vraag", 6), (1, "Cliënten", 6), (1, "Partners", 7),
        (1, "Gemeente", 7), (1, "Medewerkers", 8)]

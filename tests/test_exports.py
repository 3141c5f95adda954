"""A manager exports the figures: CSV for Dutch and for international Excel, a workbook, and the raw answers.

The data are small and stored exactly, so every expected cell is worked out by hand in the comments."""

import csv
import dataclasses
import io
from collections import Counter
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from surveys import periods
from surveys.answers import AnswerValue
from surveys.exports import (
    ExportError,
    _CsvLines,
    item_summaries_csv,
    kpi_results_csv,
    kpi_results_xlsx,
    neutralise,
    raw_responses_csv,
)
from surveys.extensions import db
from surveys.models import InvitationCode
from surveys.periods import parse_period
from surveys.questionnaires import Text, load_questionnaire
from surveys.services.questionnaires import current_version
from surveys.services.reports import item_summaries, kpi_results
from surveys.services.responses import NewResponse, store_many, store_response
from surveys.services.rounds import hash_code

from .helpers import codes_for, open_round, publish

KPI_HEADER = ["kpi", "label", "period", "statistic", "n", "mean_or_share", "ci_low", "ci_high", "norm", "operator",
              "verdict", "meets_norm", "suppressed", "indicative", "method", "responses", "population",
              "response_rate", "notes"]
ITEM_HEADER = ["questionnaire", "period", "item", "question", "type", "answer", "answer_label", "count", "n",
               "agree_share", "ci_low", "ci_high", "suppressed"]
PARTNER_ITEMS = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "organisation_type"]
RAW_HEADER = ["questionnaire_version", "period", "quarter", "channel", *PARTNER_ITEMS]
INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]

# Partner, 2025-H1: (day, P1, P2, P8, organisation_type).
# P1: 6+7+8+8+8+8 = 45 over 6 → mean 7.5; Σx² = 36+49+4·64 = 341, s² = (6·341 − 45²)/(6·5) = 21/30 = 0.7,
#     squares about the mean 3.5. No earlier published half-year (2024-H2 has 4 < 5), so the reference is the
#     prior SD 2.0 with d0 = 30: s̃² = (30·4 + 3.5)/35 = 3.528571 (above the own 0.7), df 35,
#     SE = √(3.528571/6) = 0.766874, t(0.975, 35) = 2.030108 → 7.5 ∓ 1.556836 = [5.943164, 9.056836].
# P2: 5, 4, 4, 3, 2 and weet_niet → n = 5, (helemaal) eens 3/5 = 0.6, Wilson [0.230724, 0.882379].
PARTNER_2025_H1 = [
    (date(2025, 1, 15), 6, 5, INJECTIONS[0], "onderwijs"),
    (date(2025, 2, 3), 7, 4, INJECTIONS[1], "ggd"),
    (date(2025, 3, 20), 8, 4, INJECTIONS[2], None),
    (date(2025, 4, 8), 8, 3, INJECTIONS[3], None),
    (date(2025, 5, 12), 8, 2, "Prima samenwerking", None),
    (date(2025, 6, 30), 8, "weet_niet", None, None),
]
# Partner, 2024-H2: four responses, one fewer than the partner minimum of 5. Mean 8.5 must never show.
PARTNER_2024_H2 = [(date(2024, 9, day), grade, 5, None, None) for day, grade in ((2, 7), (3, 8), (4, 9), (5, 10))]
# Gemeente (min_n 3), 2025-H1: G1 = 1, 1, 1, 1, 10 → mean 14/5 = 2.8; Σx² = 104, s² = (520 − 196)/20 = 16.2,
# the own s² is above the moderated (120 + 64.8)/34 = 5.435, so plain t: SE = √(16.2/5) = 1.8,
# t(0.975, 4) = 2.776445 → 2.8 ∓ 4.997601 = [−2.197601, 7.797601], cut off at the scale: [1, 7.797601].
GEMEENTE_G1 = [1, 1, 1, 1, 10]
# Cliënt, 2025-H1: C4 = ja ×4, nee ×1 → share 0.8, Wilson [0.375535, 0.963776].
CLIENT_C4 = ["ja", "ja", "ja", "ja", "nee"]


def answer(item: str, given) -> AnswerValue:
    if isinstance(given, int):
        return AnswerValue(item, value=given)
    if item == "P8":
        return AnswerValue(item, text=given)
    return AnswerValue(item, code=given)


def partner_response(day, p1, p2, p8, organisation_type, round_id=None) -> NewResponse:
    given = {"P1": p1, "P2": p2, "P8": p8, "organisation_type": organisation_type}
    return NewResponse(day, [answer(item, value) for item, value in given.items() if value is not None], round_id)


@pytest.fixture
def stored(app):
    """The responses above, stored as paper forms; the test runs inside the app context."""
    with app.app_context():
        partner = current_version("partner")
        store_many(partner, [partner_response(*row) for row in PARTNER_2025_H1 + PARTNER_2024_H2], channel="paper")
        store_many(current_version("gemeente"), [
            NewResponse(date(2025, 2, 1) + timedelta(days=i), [AnswerValue("G1", value=grade)])
            for i, grade in enumerate(GEMEENTE_G1)
        ], channel="paper")
        store_many(current_version("client"), [
            NewResponse(date(2025, 3, 1) + timedelta(days=i), [AnswerValue("C4", code=code)])
            for i, code in enumerate(CLIENT_C4)
        ], channel="paper")
        publish("2024-H2", "2025-H1")
        yield


def read_csv(chunks, separator: str) -> list[dict[str, str]]:
    text = "".join(chunks)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=separator))


def partner_summaries(period: str):
    partner = load_questionnaire("partner")
    return partner, item_summaries(partner, parse_period(period))


def by_kpi(rows) -> dict[str, dict[str, str]]:
    return {row["kpi"]: row for row in rows}


# --- KPI results as CSV ----------------------------------------------------------------------------------

def test_dutch_csv_has_semicolons_decimal_commas_and_a_bom(stored):
    chunks = list(kpi_results_csv(kpi_results("2025-H1"), dialect="dutch"))
    assert chunks[0].startswith("\ufeff" + ";".join(KPI_HEADER[:3]))
    rows = by_kpi(read_csv(chunks, ";"))
    partner = rows["partner_cooperation"]
    assert {key: partner[key] for key in ("n", "mean_or_share", "ci_low", "ci_high", "norm", "operator")} == {
        "n": "6", "mean_or_share": "7,5", "ci_low": "5,9432", "ci_high": "9,0568", "norm": "7", "operator": ">"}
    assert (partner["verdict"], partner["meets_norm"], partner["indicative"], partner["method"]) == (
        "niet_te_onderscheiden", "true", "true", "t-moderated")
    # The interval is cut off at the grade scale, and the note says so in words.
    assert (rows["gemeente_cooperation"]["mean_or_share"], rows["gemeente_cooperation"]["ci_low"],
            rows["gemeente_cooperation"]["ci_high"]) == ("2,8", "1", "7,7976")
    assert rows["gemeente_cooperation"]["notes"].startswith("Het interval is afgekapt op de schaal")
    # A negative number is a number: no apostrophe in front of the minus sign.
    assert _CsvLines("dutch").cell(-2.1976) == "-2,1976"
    share = rows["client_self_reliance"]
    assert (share["mean_or_share"], share["ci_low"], share["ci_high"], share["norm"]) == (
        "0,8", "0,3755", "0,9638", "0,7")


def test_international_csv_has_commas_and_decimal_points(stored):
    chunks = list(kpi_results_csv(kpi_results("2025-H1")))
    assert chunks[0] == "\ufeff" + ",".join(KPI_HEADER) + "\r\n"
    rows = by_kpi(read_csv(chunks, ","))
    assert [rows["partner_cooperation"][key] for key in ("mean_or_share", "ci_low", "ci_high")] == [
        "7.5", "5.9432", "9.0568"]
    assert rows["gemeente_cooperation"]["ci_low"] == "1"  # −2.1976 cut off at the grade scale
    assert rows["client_self_reliance"]["mean_or_share"] == "0.8"
    assert rows["partner_cooperation"]["label"] == "Partnerwaardering voor de samenwerking"


def test_a_period_below_the_minimum_shows_no_figure_in_csv(stored):
    text = "".join(kpi_results_csv(kpi_results("2024-H2"), dialect="dutch"))
    partner = by_kpi(read_csv([text], ";"))["partner_cooperation"]
    # A hidden group shows neither its n nor its response count (DESIGN.md §6).
    assert partner["n"] == "" and partner["responses"] == ""
    assert partner["suppressed"] == "true" and partner["verdict"] == "te_weinig_respons"
    assert [partner[key] for key in ("mean_or_share", "ci_low", "ci_high", "meets_norm")] == ["", "", "", ""]
    assert "8,5" not in text  # the mean of 7, 8, 9 and 10


def test_text_cells_are_neutralised_and_numbers_are_not(stored):
    reports = kpi_results("2025-H1")
    gemeente = next(report for report in reports if report.kpi.key == "gemeente_cooperation")
    poisoned = dataclasses.replace(gemeente, kpi=dataclasses.replace(gemeente.kpi, label=Text("=1+2", "=1+2")))
    (row,) = read_csv(kpi_results_csv([poisoned]), ",")
    assert row["label"] == "'=1+2"
    assert (row["ci_low"], row["ci_high"]) == ("1", "7.7976")
    assert _CsvLines("international").cell(-2.1976) == "-2.1976"  # a negative number keeps its minus


@pytest.mark.parametrize("text", ["=1+2", "+31 30 123", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_get_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(("text", "neutralised"), [
    ("x;=1+1", "x;'=1+1"),  # the comma file opened with ';'
    ("x,=1+1", "x,'=1+1"),  # the semicolon file opened with ','
    ('x;""=1', 'x;""\'=1'),  # a field that starts with quotes: they are dropped, what follows is read
    ("x, -1", "x, '-1"),  # spaces a spreadsheet may trim
    ("a\n@b", "a\n'@b"),  # a line break inside a cell may end the record under the other separator
    ("\r\n+31 6", "'\r\n'+31 6"),
])
def test_formula_characters_where_another_separator_starts_a_field_get_an_apostrophe(text, neutralised):
    assert neutralise(text) == neutralised


@pytest.mark.parametrize("text", ["7,5", "Goed", "", "'al veilig", "ex-partner", "a+b", "x;'=1"])
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text


def test_an_unknown_dialect_is_refused_before_anything_is_written(stored):
    with pytest.raises(ExportError, match="dialect"):
        kpi_results_csv([], dialect="excel")
    with pytest.raises(ExportError, match="dialect"):
        raw_responses_csv("partner", dialect="excel")


# --- item summaries as CSV -------------------------------------------------------------------------------

def test_item_summaries_csv_counts_every_answer_option(stored):
    partner = load_questionnaire("partner")
    chunks = list(item_summaries_csv(partner, "2025-H1", item_summaries(partner, parse_period("2025-H1"))))
    assert chunks[0] == "\ufeff" + ",".join(ITEM_HEADER) + "\r\n"
    rows = read_csv(chunks, ",")
    p2 = {row["answer"]: row for row in rows if row["item"] == "P2"}
    assert {answer: row["count"] for answer, row in p2.items()} == {
        "5": "1", "4": "2", "3": "1", "2": "1", "1": "0", "weet_niet": "1"}
    assert {(row["n"], row["agree_share"], row["ci_low"], row["ci_high"]) for row in p2.values()} == {
        ("5", "0.6", "0.2307", "0.8824")}
    p1 = {row["answer"]: row["count"] for row in rows if row["item"] == "P1"}
    assert p1 == {"1": "0", "2": "0", "3": "0", "4": "0", "5": "0", "6": "1", "7": "1", "8": "4", "9": "0",
                  "10": "0", "weet_niet": "0"}
    assert not [row for row in rows if row["item"] == "P8"]  # free text is not summarised
    # Two organisation types were given: below the minimum, so no counts, only that it is suppressed.
    organisation = [row for row in rows if row["item"] == "organisation_type"]
    assert len(organisation) == 7
    # The background item's hidden size is not shown either: else it would give a hidden group's n.
    assert {(row["n"], row["count"], row["suppressed"]) for row in organisation} == {("", "", "true")}


def test_item_summaries_of_a_small_period_have_no_counts(stored):
    partner, summaries = partner_summaries("2024-H2")
    text = "".join(item_summaries_csv(partner, "2024-H2", summaries, dialect="dutch"))
    rows = read_csv([text], ";")
    assert rows and all(row["count"] == "" and row["agree_share"] == "" for row in rows)
    assert {row["suppressed"] for row in rows} == {"true"}


# --- XLSX ------------------------------------------------------------------------------------------------

def open_workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def sheet_rows(sheet) -> list[dict]:
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


PEOPLE_KPI_HEADER = ["KPI", "Periode", "Soort uitkomst", "Aantal antwoorden", "Uitkomst", "95%-interval van",
                     "95%-interval tot", "Norm", "Norm gehaald bij", "Oordeel", "Uitkomst haalt de norm",
                     "Verborgen (te weinig respons)", "Indicatief (minder dan 30 antwoorden)", "Rekenmethode",
                     "Ingevulde vragenlijsten", "Populatie", "Respons", "Opmerkingen"]
PEOPLE_ITEM_HEADER = ["Vragenlijst", "Periode", "Vraagnummer", "Vraag", "Soort vraag", "Antwoord", "Aantal",
                      "Aantal antwoorden", "Aandeel (helemaal) eens", "95%-interval van", "95%-interval tot",
                      "Verborgen (te weinig respons)"]
PARTNER_LABEL = "Partnerwaardering voor de samenwerking"
SELF_RELIANCE_LABEL = "Cliënten die na de hulp zelf weer verder kunnen"


def test_workbook_holds_numbers_formats_and_summaries(stored):
    partner, summaries = partner_summaries("2025-H1")
    workbook = open_workbook(kpi_results_xlsx(kpi_results("2025-H1"), {partner: summaries}))
    assert workbook.sheetnames == ["KPI's", "Partners"]
    sheet = workbook["KPI's"]
    assert [cell.value for cell in sheet[1]] == PEOPLE_KPI_HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:R{sheet.max_row}"
    rows = {row["KPI"]: row for row in sheet_rows(sheet)}
    partner_row = rows[PARTNER_LABEL]
    assert (partner_row["Aantal antwoorden"], partner_row["Uitkomst"], partner_row["95%-interval van"],
            partner_row["95%-interval tot"]) == (6, 7.5, 5.9432, 9.0568)
    assert (partner_row["Uitkomst haalt de norm"], partner_row["Verborgen (te weinig respons)"],
            partner_row["Norm"], partner_row["Soort uitkomst"], partner_row["Norm gehaald bij"]) == (
        "ja", "nee", 7, "gemiddeld cijfer", "hoger dan de norm")
    assert partner_row["Oordeel"] == "niet te onderscheiden van de norm"
    assert rows["Gemeentewaardering voor de samenwerking"]["95%-interval van"] == 1
    assert rows[SELF_RELIANCE_LABEL]["Uitkomst"] == 0.8
    # A share is a fraction shown as a percentage.
    share_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == SELF_RELIANCE_LABEL)
    assert share_row[PEOPLE_KPI_HEADER.index("Uitkomst")].number_format == "0.0 %"
    assert share_row[PEOPLE_KPI_HEADER.index("Norm")].number_format == "0.0 %"
    # Each column as wide as its longest cell plus room for the filter button, at most 60 (the longest
    # KPI name has 80 characters).
    assert max(len(label) for label in rows) == 80 and sheet.column_dimensions["A"].width == 60
    assert sheet.column_dimensions["C"].width == len("gemiddeld cijfer") + 4
    assert sheet.column_dimensions["D"].width == len("Aantal antwoorden") + 4

    items_sheet = workbook["Partners"]
    assert [cell.value for cell in items_sheet[1]] == PEOPLE_ITEM_HEADER
    assert items_sheet.auto_filter.ref == f"A1:L{items_sheet.max_row}"
    items = [row for row in sheet_rows(items_sheet) if row["Vraagnummer"] == "P2"]
    assert [(row["Antwoord"], row["Aantal"]) for row in items] == [
        ("Helemaal mee eens", 1), ("Mee eens", 2), ("Niet mee eens en niet mee oneens", 1), ("Niet mee eens", 1),
        ("Helemaal niet mee eens", 0), ("Weet ik niet", 1)]
    assert {(row["Aandeel (helemaal) eens"], row["95%-interval van"], row["95%-interval tot"], row["Soort vraag"])
            for row in items} == {(0.6, 0.2307, 0.8824, "eens/oneens")}
    p2_cells = next(row for row in items_sheet.iter_rows(min_row=2) if row[2].value == "P2")
    assert p2_cells[PEOPLE_ITEM_HEADER.index("Aandeel (helemaal) eens")].number_format == "0.0 %"


def test_workbook_neutralises_text_and_hides_suppressed_figures(stored):
    reports = kpi_results("2024-H2")
    partner_report = next(report for report in reports if report.kpi.key == "partner_cooperation")
    poisoned = dataclasses.replace(partner_report,
                                   kpi=dataclasses.replace(partner_report.kpi, label=Text("@SUM(A1)", "x")))
    partner, summaries = partner_summaries("2024-H2")
    workbook = open_workbook(kpi_results_xlsx([*reports, poisoned], {partner: summaries}))
    rows = [row for row in sheet_rows(workbook["KPI's"]) if row["KPI"] in (PARTNER_LABEL, "'@SUM(A1)")]
    assert [row["KPI"] for row in rows] == [PARTNER_LABEL, "'@SUM(A1)"]
    for row in rows:
        assert (row["Aantal antwoorden"], row["Verborgen (te weinig respons)"], row["Oordeel"]) == (
            None, "ja", "te weinig respons")  # n hidden
        assert [row[key] for key in ("Uitkomst", "95%-interval van", "95%-interval tot",
                                     "Uitkomst haalt de norm")] == [None] * 4
    assert all(row["Aantal"] is None for row in sheet_rows(workbook["Partners"]))


def test_workbook_needs_the_summaries_period_when_reports_span_several(stored):
    partner = load_questionnaire("partner")
    reports = kpi_results("2025-H1") + kpi_results("2024-H2")
    with pytest.raises(ExportError, match="period"):
        kpi_results_xlsx(reports, {partner: item_summaries(partner, parse_period("2025-H1"))})
    workbook = open_workbook(kpi_results_xlsx(reports, {partner: item_summaries(partner, parse_period("2025-H1"))},
                                              period="2025-H1"))
    assert {row["Periode"] for row in sheet_rows(workbook["Partners"])} == {"2025-H1"}


# --- raw responses ---------------------------------------------------------------------------------------

def test_raw_export_has_answers_never_codes(stored):
    round_ = open_round("partner")  # the current half-year
    codes = codes_for(round_, 5)
    version = current_version("partner")
    for grade, code in zip((5, 6, 7, 8, 9), codes, strict=True):
        code_id = db.session.scalar(select(InvitationCode.id).where(InvitationCode.code_hash == hash_code(code)))
        store_response(version, partner_response(periods.today(), grade, 4, None, None, round_.id),
                       channel="code", code_id=code_id)
    publish(str(round_.period))

    text = "".join(raw_responses_csv("partner"))
    header, *rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert text.startswith("\ufeff")
    assert header == RAW_HEADER
    assert not [column for column in header if "code" in column.lower() or "id" in column.lower()]
    for code in codes:
        assert code not in text and hash_code(code) not in text
    # 6 in 2025-H1 and 5 (exactly the minimum) from codes; 2024-H2 has 4 responses and is left out.
    assert len(rows) == 11
    assert sorted(row[1] for row in rows) == ["2025-H1"] * 6 + [str(round_.period)] * 5
    # Microdata (services/microdata.py): no id, no day, the quarter blank (partners are reported per
    # half-year). organisation_type: onderwijs 1 and ggd 1 are rarer than 5, so "anders"; together 2, still
    # fewer than 5, so the next rarest group (not given, 9) joins them: every row reads "anders".
    assert ["1", "2025-H1", "", "paper", "6", "5", "", "", "", "", "", "'" + INJECTIONS[0], "anders"] in rows
    assert ["1", "2025-H1", "", "paper", "8", "weet_niet", "", "", "", "", "", "", "anders"] in rows
    assert {row[-1] for row in rows} == {"anders"}
    assert sorted(row[3] for row in rows) == ["code"] * 5 + ["paper"] * 6


def test_raw_export_neutralises_free_text(stored):
    rows = read_csv(raw_responses_csv("partner", period="2025-H1", dialect="dutch"), ";")
    assert sorted(row["P8"] for row in rows) == sorted(["'" + text for text in INJECTIONS] + ["Prima samenwerking", ""])
    assert sorted(row["P1"] for row in rows) == ["6", "7", "8", "8", "8", "8"]


def test_raw_export_leaves_out_periods_below_the_minimum(stored):
    assert read_csv(raw_responses_csv("partner", period="2024-H2"), ",") == []
    # Asked per quarter, the quarter is the group: 3 responses in each quarter of 2025-H1, fewer than 5.
    assert len(read_csv(raw_responses_csv("partner", period="2025-H1"), ",")) == 6
    assert read_csv(raw_responses_csv("partner", period="2025-Q1"), ",") == []
    assert read_csv(raw_responses_csv("partner", period="2025-Q2"), ",") == []
    # The gemeente minimum is 3: five responses show.
    assert sorted(row["G1"] for row in read_csv(raw_responses_csv("gemeente"), ",")) == ["1", "1", "1", "1", "10"]


def test_raw_export_of_twenty_thousand_responses_streams_in_chunks(app):
    with app.app_context():
        start = date(2025, 7, 1)
        store_many(current_version("partner"), [
            NewResponse(start + timedelta(days=i % 180), [AnswerValue("P1", value=i % 10 + 1)]) for i in range(20_000)
        ], channel="paper")
        publish("2025-H2")
        export_queries = []

        def count_export_queries(conn, cursor, statement, parameters, context, executemany):
            if "answer" in statement and "ORDER BY" in statement:  # the pivot (not the plan's counts)
                export_queries.append(statement)

        event.listen(db.engine, "before_cursor_execute", count_export_queries)
        try:
            chunks = raw_responses_csv("partner", period="2025-H2")
            header = next(chunks)
            first = next(chunks)
            # The first 5,000 rows (one block) are out as one piece of text before the rest is read.
            assert len(export_queries) == 1
            assert first.count("\r\n") == 5_000
            rest = list(chunks)
        finally:
            event.remove(db.engine, "before_cursor_execute", count_export_queries)
        # One query per block of 5,000, pivoted by the database: 4 chunks, never 20,000 rows at once.
        assert [chunk.count("\r\n") for chunk in rest] == [5_000] * 3 and len(export_queries) == 4
        rows = list(csv.reader(io.StringIO((header + first + "".join(rest))[1:], newline="")))[1:]
        assert len(rows) == 20_000
        assert Counter(row[4] for row in rows) == {str(grade): 2_000 for grade in range(1, 11)}
        # In a secret order, not the order stored (1, 2, …, 10, 1, 2, …).
        assert [row[4] for row in rows[:12]] != ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "1", "2"]


def test_interleaved_questionnaires_each_export_only_their_own_rows(app):
    """Partner and medewerker forms take turns (2025-H2); older partner forms from 2025-H1 are typed in
    afterwards. Each file holds its own questionnaire's rows and answers, in no order of storing."""
    with app.app_context():
        partner, staff = current_version("partner"), current_version("medewerker")
        for day in range(1, 6):
            store_response(partner, NewResponse(date(2025, 9, day), [AnswerValue("P1", value=day + 4)]),
                           channel="paper")
            store_response(staff, NewResponse(date(2025, 9, day), [AnswerValue("M1", value=day)]), channel="open")
        store_many(partner, [NewResponse(date(2025, 3, day), [AnswerValue("P2", value=day)]) for day in range(1, 6)],
                   channel="paper")
        publish("2025-H1", "2025-H2")

        # P1 5-9 in 2025-H2, eight empty items after it; P2 1-5 in 2025-H1, seven after it.
        text = "".join(raw_responses_csv("partner"))
        header, *lines = text[1:].split("\r\n")
        assert header == "questionnaire_version,period,quarter,channel,P1,P2,P3,P4,P5,P6,P7,P8,organisation_type"
        assert sorted(lines) == sorted([""] + [f"1,2025-H2,,paper,{p1},,,,,,,," for p1 in range(5, 10)]
                                       + [f"1,2025-H1,,paper,,{p2},,,,,,," for p2 in range(1, 6)])
        staff_text = "".join(raw_responses_csv("medewerker", period="2025-H2", dialect="dutch"))
        assert sorted(staff_text[1:].split("\r\n")) == [
            "", *[f"1;2025-H2;;open;{m1};;;;;;;;" for m1 in range(1, 6)],
            "questionnaire_version;period;quarter;channel;M1;M2;M3;M4;M5;M6;M7;M8;M9"]
        assert sorted(row["P1"] for row in read_csv(raw_responses_csv("partner", period="2025-H2"), ",")) == [
            "5", "6", "7", "8", "9"]


def test_raw_export_cells_exactly_as_a_spreadsheet_should_read_them(app):
    """Six partner forms in 2025-H1, Dutch dialect. Text and codes that start like a formula get an
    apostrophe, also after a leading space (a spreadsheet may trim it) and after a separator or line break
    inside the cell. A ';', '"' or line break makes the csv module quote the cell.
    A form without answers still has its row; an item the questionnaire does not ask (P99) has no column."""
    forms = [
        (date(2025, 1, 6), [AnswerValue("P1", value=8), AnswerValue("P8", text="=1+2"),
                            AnswerValue("organisation_type", code="onderwijs")]),
        (date(2025, 2, 3), [AnswerValue("P1", code="weet_niet"), AnswerValue("P2", value=4),
                            AnswerValue("P8", text='Goed; snel "echt"\nbereikbaar')]),
        (date(2025, 4, 7), []),
        (date(2025, 5, 12), [AnswerValue("P8", text="\tx"), AnswerValue("P99", value=3),
                             AnswerValue("organisation_type", code="-x")]),
        (date(2025, 6, 2), [AnswerValue("P1", value=10), AnswerValue("P2", value=1),
                            AnswerValue("P8", text="\r\n+31 6")]),
        (date(2025, 6, 30), [AnswerValue("P7", value=5), AnswerValue("P8", text=" =1")]),
    ]
    with app.app_context():
        store_many(current_version("partner"), [NewResponse(day, answers) for day, answers in forms],
                   channel="paper")
        publish("2025-H1")
        text = "".join(raw_responses_csv("partner", period="2025-H1", dialect="dutch"))
    # One row per form, in a secret order: compare them sorted. organisation_type onderwijs and -x (once
    # each) are rarer than the minimum of 5, and so is not answering it (4): all read "anders"
    # (services/microdata.py).
    header, rows = text[1:].split("\r\n", 1)
    assert header == "questionnaire_version;period;quarter;channel;P1;P2;P3;P4;P5;P6;P7;P8;organisation_type"
    assert sorted(next(csv.reader(io.StringIO(line), delimiter=";")) for line in
                  csv_records(rows)) == sorted([
        ["1", "2025-H1", "", "paper", "8", "", "", "", "", "", "", "'=1+2", "anders"],
        ["1", "2025-H1", "", "paper", "weet_niet", "4", "", "", "", "", "", 'Goed; snel "echt"\nbereikbaar',
         "anders"],
        ["1", "2025-H1", "", "paper", "", "", "", "", "", "", "", "", "anders"],
        ["1", "2025-H1", "", "paper", "", "", "", "", "", "", "", "'\tx", "anders"],
        ["1", "2025-H1", "", "paper", "10", "1", "", "", "", "", "", "'\r\n'+31 6", "anders"],
        ["1", "2025-H1", "", "paper", "", "", "", "", "", "", "5", " '=1", "anders"],
    ])
    # The cells exactly as written, quoting included, for the three that need it.
    assert '"Goed; snel ""echt""\nbereikbaar"' in text and "\"'\r\n'+31 6\"" in text


def csv_records(text: str) -> list[str]:
    """The records of a CSV text (a quoted cell may hold line breaks), each as its own text."""
    records, current = [], ""
    for piece in text.split("\r\n"):
        current = f"{current}\r\n{piece}" if current else piece
        if current.count('"') % 2 == 0:
            if current:
                records.append(current)
            current = ""
    return records


def test_sqlite_export_finds_answers_by_key_and_sorts_once(app):
    """The plan behind the one-million-response budget (DESIGN.md §9): responses of the period from the table
    or its index, each answer found by its primary key, and one sort of the rows by their secret key."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("an SQLite query plan")
        store_many(current_version("partner"), [partner_response(*row) for row in PARTNER_2025_H1], channel="paper")
        store_many(current_version("partner"), [partner_response(date(2025, 8, day), 7, 4, None, None)
                                                for day in range(1, 6)], channel="paper")
        publish("2025-H1", "2025-H2")
        statements = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "answer" in statement and "ORDER BY" in statement:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            assert len(read_csv(raw_responses_csv("partner"), ",")) == 11
            assert len(read_csv(raw_responses_csv("partner", period="2025-H2"), ",")) == 5
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        connection = db.session.connection()
        plans = [[row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters))]
                 for statement, parameters in statements]
    assert len(plans) == 2
    for plan in plans:
        lookups = [step for step in plan if step.startswith("SEARCH answer")]
        assert lookups == ["SEARCH answer USING PRIMARY KEY (response_id=? AND item=?)"] * len(PARTNER_ITEMS)
        assert [step for step in plan if "TEMP B-TREE" in step] == ["USE TEMP B-TREE FOR ORDER BY"]

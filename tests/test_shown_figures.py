"""What a manager reads never contradicts the verdict: a bound just above or just below the norm is shown with
enough decimals in the dashboard, the KPI page, the PDF, both CSVs and the workbook; a data problem (more
responses than the population) shows no verdict and no rate above 100 %, and says why in words."""

import io
import math
from datetime import date, timedelta

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats

from surveys.answers import AnswerValue
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import create_round
from surveys.services.users import create_user

from .helpers import publish
from .test_downloads import pdf_pages, read_csv
from .test_manage import PASSWORD, log_in

PERIOD = "2026-H1"
# Counts of the grades 1..10. Neither item has earlier half-years, so the reference is the prior SD 2.0.
JUST_ABOVE = [0, 1, 4, 2, 5, 14, 23, 41, 15, 5]  # partner P1, n 110: lower bound 7.0000444 → boven de norm
JUST_BELOW = [2, 2, 9, 10, 9, 13, 20, 36, 13, 4]  # medewerker M1, n 118: upper bound 6.9999698 → onder de norm


def expected_interval(counts):
    """The interval by hand with scipy: the moderated s̃² = (30·2² + Σ(x − mean)²) / (30 + n − 1) with df
    30 + n − 1, or the group's own s² with df n − 1 where that is larger (JUST_BELOW: 4.3747 > 4.2982)."""
    grades = np.repeat(np.arange(1, 11), counts)
    n, mean = len(grades), grades.mean()
    squares = ((grades - mean) ** 2).sum()
    variance, df = (30 * 4 + squares) / (30 + n - 1), 30 + n - 1
    if grades.var(ddof=1) > variance:
        variance, df = grades.var(ddof=1), n - 1
    half = stats.t.ppf(0.975, df) * math.sqrt(variance / n)
    return mean - half, mean + half


def test_the_hand_computed_bounds_lie_just_beside_the_norm():
    low, high = expected_interval(JUST_ABOVE)
    assert 7 < low < 7.00005
    assert (low, high) == (pytest.approx(7.0000444, abs=1e-7), pytest.approx(7.6363193, abs=1e-7))
    low, high = expected_interval(JUST_BELOW)
    assert 6.99995 < high < 7
    assert (low, high) == (pytest.approx(6.2373183, abs=1e-7), pytest.approx(6.9999698, abs=1e-7))


def answers(item, counts, first_day):
    grades = [grade for grade, count in zip(range(1, 11), counts, strict=True) for _ in range(count)]
    return [NewResponse(first_day + timedelta(days=i % 60), [AnswerValue(item, value=g)]) for i, g in enumerate(grades)]


@pytest.fixture
def stored(app):
    with app.app_context():
        store_many(current_version("partner"), answers("P1", JUST_ABOVE, date(2026, 2, 1)), channel="paper")
        store_many(current_version("medewerker"), answers("M1", JUST_BELOW, date(2026, 2, 1)), channel="paper")
        # Three gemeente responses in a round said to have two members: a data problem.
        create_round("gemeente", PERIOD, opens_on=date(2026, 1, 5), closes_on=date(2026, 3, 1), population=2)
        store_many(current_version("gemeente"), answers("G1", [0] * 7 + [2, 1, 0], date(2026, 2, 1)),
                   channel="paper")
        publish(PERIOD)
        create_user("manager@example.nl", PASSWORD, "manager")


def test_pages_show_enough_decimals_and_the_data_problem_in_words(stored, client):
    log_in(client, "manager@example.nl")
    dashboard = client.get(f"/beheer/?periode={PERIOD}").get_data(as_text=True)
    # Five decimals: at two, three and four the bounds would read 7,00 / 7,000 / 7,0000.
    assert "7,00004 – 7,63632" in dashboard and "6,23732 – 6,99997" in dashboard
    assert "7,00 –" not in dashboard and "– 7,00<" not in dashboard
    assert "Geen oordeel: meer reacties dan de populatie" in dashboard and "150 %" not in dashboard
    page = client.get(f"/beheer/kpi/gemeente_cooperation?periode={PERIOD}").get_data(as_text=True)
    assert "Meer reacties dan de populatie (N)" in page and "3 van 2<" in page and "150 %" not in page
    partner = client.get(f"/beheer/kpi/partner_cooperation?periode={PERIOD}").get_data(as_text=True)
    assert "7,00004 – 7,63632" in partner


def test_the_pdf_shows_enough_decimals(stored, client):
    log_in(client, "manager@example.nl")
    pages = pdf_pages(client.get(f"/beheer/downloads/halfjaarrapport.pdf?periode={PERIOD}").data)
    text = " ".join(pages)
    assert "7,00004 – 7,63632" in text and "6,23732 – 6,99997" in text
    assert "150 %" not in text and "meer reacties dan N" in text
    assert "Meer reacties dan de populatie (N)" in text  # the note, under the KPI table


def test_csv_and_workbook_show_enough_decimals(stored, client):
    log_in(client, "manager@example.nl")
    rows = read_csv(client.get(f"/beheer/downloads/kpi-resultaten-excel-nl.csv?periode={PERIOD}").data, ";")
    dutch = {row["KPI"]: row for row in rows}  # the download for people: Dutch headers, KPIs by name
    # Four decimals would print 7 and 7: the CSV goes to five.
    partner = dutch["Partnerwaardering voor de samenwerking"]
    assert (partner["95%-interval van"], partner["Oordeel"]) == ("7,00004", "boven de norm")
    staff = dutch["Waardering van medewerkers en management voor huis op orde"]
    assert (staff["95%-interval tot"], staff["Oordeel"]) == ("6,99997", "onder de norm")
    gemeente = dutch["Gemeentewaardering voor de samenwerking"]
    assert (gemeente["Respons"], gemeente["Uitkomst haalt de norm"]) == ("", "")
    assert gemeente["Opmerkingen"].startswith("Meer reacties dan de populatie")
    workbook = load_workbook(io.BytesIO(client.get(f"/beheer/downloads/werkmap.xlsx?periode={PERIOD}").data))
    sheet = workbook["KPI's"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    partner, staff = rows["Partnerwaardering voor de samenwerking"], rows[
        "Waardering van medewerkers en management voor huis op orde"]
    assert partner["95%-interval van"].number_format == "0.00000"
    assert staff["95%-interval tot"].number_format == "0.00000"
    assert partner["95%-interval van"].value > 7 > staff["95%-interval tot"].value


def test_json_keeps_full_precision(stored, runner):
    import json

    entries = {e["kpi"]: e for e in json.loads(runner.invoke(args=["report", "--period", PERIOD, "--format",
                                                                   "json"]).output)}
    low, _ = expected_interval(JUST_ABOVE)
    _, high = expected_interval(JUST_BELOW)
    assert entries["partner_cooperation"]["ci_low"] == pytest.approx(low, abs=1e-9)
    assert entries["staff_house_in_order"]["ci_high"] == pytest.approx(high, abs=1e-9)
    assert entries["gemeente_cooperation"]["response_rate"] is None
    assert entries["gemeente_cooperation"]["notes"] == ["n_exceeds_population"]


def test_the_audits_two_rows_no_longer_share_the_printed_bound_7_00():
    # statistics-audit.md §5.2: "7.00 – 7.72 boven norm" next to "5.78 – 7.00 onder norm".
    from surveys.formatting import kpi_figures
    from surveys.scoring import ABOVE, BELOW, MeanResult, Norm, ShareResult

    above = MeanResult(n=64, norm=Norm(">", 7), verdict=ABOVE, suppressed=False, mean=7.36, ci_low=7.001797,
                       ci_high=7.72)
    below = MeanResult(n=49, norm=Norm(">", 7), verdict=BELOW, suppressed=False, mean=6.39, ci_low=5.78,
                       ci_high=6.998889)
    assert kpi_figures(above, "mean")["interval"] == "7,002 – 7,720"
    assert kpi_figures(below, "mean")["interval"] == "5,780 – 6,999"
    share = ShareResult(n=64, norm=Norm(">", 0.7), verdict=ABOVE, suppressed=False, share=0.75, ci_low=0.70004,
                        ci_high=0.8)
    assert kpi_figures(share, "share")["low"] == "70,004 %"  # 70,0 % at one decimal


def test_the_command_line_table_shows_enough_decimals_and_the_data_problem(stored, runner):
    table = runner.invoke(args=["report", "--period", PERIOD]).output
    kpis = ("partner_", "staff_", "gemeente_")
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith(kpis)}

    assert "7,00004 – 7,63632" in rows["partner_cooperation"] and "boven norm" in rows["partner_cooperation"]
    assert "6,23732 – 6,99997" in rows["staff_house_in_order"] and "onder norm" in rows["staff_house_in_order"]
    assert "geen oordeel: meer reacties dan de populatie" in rows["gemeente_cooperation"]
    assert "150 %" not in table
    assert "gemeente_cooperation: Meer reacties dan de populatie (N)" in table  # the notes, in words

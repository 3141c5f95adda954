"""The auditor's differencing routes (DESIGN.md §6; shared/reference/statistics-audit.md §4), played again
through the real HTTP app: data with a known hidden answer, every published channel collected as a
manager (dashboard, KPI page with breakdowns, item summaries and free text, chart, KPI CSV, item CSV, raw
CSV, workbook, PDF) and through the API with a token, then the attacker's best reconstruction, which must
fail. Each route recovered the hidden answer exactly on version 1.

A. half-year minus quarter · B. a quarter of one respondent (and the half-year raw export and free text
holding it) · C. breakdown groups across periods · D. hidden group sizes in a background item's summary
(and the n, count and rate of a hidden group) · E. the reference SD · F. before and after one late
response."""

import csv
import io
import json
import math
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from scipy import stats

from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.periods import half_year_of, today
from surveys.questionnaires import load_questionnaire
from surveys.services.mail import Address, Mailer, MailSettings, send_invitations
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_many
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from ..helpers import GOOD_ANSWERS, fill_in, open_round, publish
from ..mailbox import LINK
from ..test_manage import PASSWORD, log_in

pytestmark = pytest.mark.attack


def store(questionnaire: str, first_day: date, rows: list[dict]) -> None:
    """One response per dict {item: int grade | code | ("text", free text)}, a day apart."""
    def value(item, given):
        if isinstance(given, int):
            return AnswerValue(item, value=given)
        if isinstance(given, tuple):
            return AnswerValue(item, text=given[1])
        return AnswerValue(item, code=given)
    store_many(current_version(questionnaire), [
        NewResponse(first_day + timedelta(days=i), [value(item, given) for item, given in row.items()])
        for i, row in enumerate(rows)], channel="paper")


@pytest.fixture
def attacker(app, client):
    """A manager's session and an API token: every channel the service has."""
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        token = create_token("aanvaller")
    assert log_in(client, "manager@example.nl").status_code == 303
    return client, token


def api(attacker, period: str) -> dict[str, dict]:
    client, token = attacker
    reply = client.get(f"/api/v1/kpis?period={period}", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    return {entry["kpi"]: entry for entry in reply.get_json()}


def get(attacker, url: str) -> bytes:
    reply = attacker[0].get(url)
    assert reply.status_code == 200, (url, reply.status_code)
    return reply.data


def item_rows(attacker, questionnaire: str, period: str) -> list[dict]:
    """The item CSV as a manager downloads it: Dutch headers, each answer by its label."""
    text = get(attacker, f"/beheer/downloads/{questionnaire}/vragen.csv?periode={period}").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def answer_key(questionnaire: str, item: str, code: str | None = None) -> tuple[str, str] | str:
    """How the item CSV names an item (its question) and, with `code`, one of its answers (its label)."""
    (definition,) = [entry for entry in load_questionnaire(questionnaire).items if entry.key == item]
    if code is None:
        return definition.text.nl
    (label,) = [option.label.nl for option in definition.answer_options() if option.code == code]
    return definition.text.nl, label


def item_counts(attacker, questionnaire: str, period: str) -> dict[tuple[str, str], int | None]:
    """(question, answer) → count from the item CSV; None where the service shows no count."""
    rows = item_rows(attacker, questionnaire, period)
    counts = {(row["Vraag"], row["Antwoord"]): int(row["Aantal"]) if row["Aantal"] else None for row in rows}
    assert len(counts) == len(rows), "each row is one answer to one question: no count is lost under another"
    return counts


def raw_rows(attacker, questionnaire: str, period: str) -> list[dict]:
    text = get(attacker, f"/beheer/downloads/{questionnaire}/antwoorden.csv?periode={period}").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def everything(attacker, questionnaire: str, kpi: str, period: str) -> str:
    """The text of every channel for one period, as a person or a script reads it."""
    texts = [json.dumps(api(attacker, period))]
    for url in (f"/beheer/?periode={period}", f"/beheer/kpi/{kpi}?periode={period}",
                f"/beheer/kpi/{kpi}/grafiek.svg?periode={period}",
                f"/beheer/downloads/kpi-resultaten.csv?periode={period}",
                f"/beheer/downloads/{questionnaire}/vragen.csv?periode={period}"):
        texts.append(re.sub(r"<[^>]+>", " ", get(attacker, url).decode("utf-8-sig")))
    # The raw export's rows come in a new secret order each time: as a set of lines.
    raw = get(attacker, f"/beheer/downloads/{questionnaire}/antwoorden.csv?periode={period}").decode("utf-8-sig")
    texts.append("\n".join(sorted(raw.splitlines())))
    workbook = load_workbook(io.BytesIO(get(attacker, f"/beheer/downloads/werkmap.xlsx?periode={period}")),
                             read_only=True)
    texts.append(" ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row))
    if period.endswith(("H1", "H2")):
        pdf = PdfReader(io.BytesIO(get(attacker, f"/beheer/downloads/halfjaarrapport.pdf?periode={period}")))
        texts.append(" ".join(page.extract_text() for page in pdf.pages))
    return "\n".join(texts)


def quarter_by_subtraction(attacker, kpi: str, half_year: str, shown_quarter: str) -> tuple[int, float | None]:
    """The attacker's reconstruction of the other quarter: (n, Σx) = half-year minus the shown quarter."""
    whole, part = api(attacker, half_year)[kpi], api(attacker, shown_quarter)[kpi]
    n = whole["n"] - part["n"]
    return n, (whole["n"] * whole["mean"] - part["n"] * part["mean"]) if n else None


def distribution_difference(attacker, half_year: str, shown_quarter: str) -> dict:
    whole, part = item_counts(attacker, "client", half_year), item_counts(attacker, "client", shown_quarter)
    return {key: whole[key] - part[key] for key in whole
            if whole[key] is not None and part[key] is not None and whole[key] != part[key]}


# --- A and B: a half-year and its quarters -------------------------------------------------------------

Q1_SECRET = "Mijn dochter werd niet serieus genomen"
Q2_SECRET = "Ik ben de enige jongere uit Schalkwijk"


def test_a_half_year_minus_its_quarter_gives_nothing_of_the_hidden_quarter(app, attacker):
    """A: 2026-Q1 has 3 cliënt responses (C1 3, 10, 6: mean 6.33), hidden; Q2 has 9, shown. Version 1 gave
    Q1's sum 19 as 12·7.0 − 9·7.22, its distributions from the item summaries, its rows and free text from
    the half-year's raw export."""
    with app.app_context():
        store("client", date(2026, 1, 15), [{"C1": 3, "C10": ("text", Q1_SECRET), "respondent_role": "naaste"},
                                            {"C1": 10, "respondent_role": "client"},
                                            {"C1": 6, "respondent_role": "ouder_verzorger"}])
        store("client", date(2026, 4, 6), [{"C1": g, "respondent_role": "client"} for g in (8, 7, 9, 6, 8, 7, 9, 6, 5)])
        publish("2026-H1", questionnaires=("client",))
    n, total = quarter_by_subtraction(attacker, "client_support", "2026-H1", "2026-Q2")
    assert (n, total) == (0, None), "half-year minus quarter must be empty (or ≥ min n)"
    assert distribution_difference(attacker, "2026-H1", "2026-Q2") == {}
    rows = raw_rows(attacker, "client", "2026-H1")
    assert len(rows) == 9 and {row["quarter"] for row in rows} == {"2026-Q2"}
    channels = everything(attacker, "client", "client_support", "2026-H1")
    assert Q1_SECRET not in channels and "6,33" not in channels and "6.33" not in channels
    assert "3 reacties niet meegeteld om privacyredenen" in channels  # the half-year says what it left out
    assert api(attacker, "2026-H1")["client_support"]["held_back"] == 3


def test_a_quarter_of_one_respondent_stays_hidden_in_its_half_year(app, attacker):
    """B: 2025-H1 = Q1 with 5 responses (shown) + Q2 with one (C1 1, C2 2, its free text). Version 1 gave every
    answer as H1 minus Q1, and the text was the one on the H1 page but not on the Q1 page."""
    with app.app_context():
        store("client", date(2025, 2, 3),
              [{"C1": g, "C2": g, "C10": ("text", f"Tekst {g}")} for g in (7, 8, 8, 9, 6)])
        store("client", date(2025, 5, 20),
              [{"C1": 1, "C2": 2, "C10": ("text", Q2_SECRET), "respondent_role": "jongere"}])
        publish("2025-H1", questionnaires=("client",))
    for kpi in ("client_support", "client_goals"):
        assert quarter_by_subtraction(attacker, kpi, "2025-H1", "2025-Q1") == (0, None)
    assert distribution_difference(attacker, "2025-H1", "2025-Q1") == {}
    channels = everything(attacker, "client", "client_support", "2025-H1")
    assert Q2_SECRET not in channels
    assert "Tekst 7" in channels  # the shown quarter's free text is there: the page is not simply empty
    assert all(row["quarter"] == "2025-Q1" for row in raw_rows(attacker, "client", "2025-H1"))


# --- C: breakdown groups across periods ----------------------------------------------------------------

def breakdown_row(page: str, label: str) -> tuple[str, str] | None:
    """(n, value) of a group in the page's first breakdown table, as shown; None when the group shows none."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', page)
    if not match or not re.fullmatch(r"\d+", match.group(1)):
        return None
    return match.group(1), match.group(2)


def test_a_group_hidden_in_a_quarter_is_not_recovered_from_the_half_year(app, attacker):
    """C: 2025-Q3 jongeren C1 2 and 4 (hidden, with their complement); Q4 jongeren six 6s (shown). Version 1:
    H2 jongeren 8 × 6.12 − Q4 6 × 7.17 gave the Q3 pair's sum 6 exactly, from two-decimal page values."""
    jongere, adult = "Een jongere (12 jaar of ouder) die zelf hulp kreeg", "Een volwassene die zelf hulp kreeg"
    with app.app_context():
        store("client", date(2025, 7, 7), [{"C1": g, "respondent_role": "jongere"} for g in (2, 4)]
              + [{"C1": 7, "respondent_role": "client"}] * 6)
        store("client", date(2025, 10, 6), [{"C1": 6, "respondent_role": "jongere"}] * 6
              + [{"C1": 8, "respondent_role": "client"}] * 7)
        publish("2025-H2", questionnaires=("client",))
    pages = {period: get(attacker, f"/beheer/kpi/client_support?periode={period}").decode()
             for period in ("2025-H2", "2025-Q3", "2025-Q4")}
    assert breakdown_row(pages["2025-Q4"], jongere) == ("6", "6,00")  # the shown quarter's group
    assert breakdown_row(pages["2025-Q3"], jongere) is None and breakdown_row(pages["2025-Q3"], adult) is None
    half_year = breakdown_row(pages["2025-H2"], jongere)
    # The attacker's reconstruction needs the half-year's group figure: it is not shown.
    assert half_year is None, f"H2 jongeren shown as {half_year}: minus Q4 gives the hidden Q3 pair"
    assert breakdown_row(pages["2025-H2"], adult) is None


# --- D: hidden group sizes ------------------------------------------------------------------------------

def test_a_background_summary_does_not_give_the_size_of_a_hidden_group(app, attacker):
    """D: partners 2026-H1 by organisation: onderwijs 2 (P1 2, 3), ggd 6, welzijn 8. The breakdown hides
    onderwijs and, as its complement, ggd; version 1's summary of organisation_type said onderwijs 2, ggd 6."""
    with app.app_context():
        store("partner", date(2026, 2, 2), [{"P1": g, "organisation_type": "onderwijs"} for g in (2, 3)]
              + [{"P1": g, "organisation_type": "ggd"} for g in (7, 8, 6, 7, 9, 8)]
              + [{"P1": 8, "organisation_type": "welzijn"}] * 8)
        publish("2026-H1", questionnaires=("partner",))
    counts = item_counts(attacker, "partner", "2026-H1")
    assert counts[answer_key("partner", "organisation_type", "onderwijs")] is None
    assert counts[answer_key("partner", "organisation_type", "ggd")] is None
    assert counts[answer_key("partner", "organisation_type", "welzijn")] == 8
    page = re.sub(r"<[^>]+>", " ", get(attacker, "/beheer/kpi/partner_cooperation?periode=2026-H1").decode())
    assert "minder dan 5" in page and "niet getoond" in page
    # n of the summary minus the shown counts is the hidden groups together: never below the minimum.
    rows = item_rows(attacker, "partner", "2026-H1")
    organisation = [row for row in rows if row["Vraag"] == answer_key("partner", "organisation_type")]
    assert len(organisation) == 7  # six kinds of organisation and "Anders"
    hidden_together = int(organisation[0]["Aantal antwoorden"]) - sum(
        int(row["Aantal"]) for row in organisation if row["Aantal"])
    assert hidden_together == 8 >= 5


def test_a_hidden_group_shows_no_n_no_response_count_and_no_rate(app, attacker):
    """D (audit F): 4 medewerkers of N = 40 in 2026-H1. Version 1: n 4, responses 4, rate 0.1 in the JSON,
    n = 4 on the page and in the item summaries."""
    from surveys.services.rounds import create_round

    with app.app_context():
        create_round("medewerker", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 6, 30), population=40)
        store("medewerker", date(2026, 3, 2), [{"M1": g, "M2": 4} for g in (9, 3, 7, 5)])
        publish("2026-H1", questionnaires=("medewerker",))
    staff = api(attacker, "2026-H1")["staff_house_in_order"]
    assert (staff["n"], staff["responses"], staff["response_rate"], staff["mean"]) == (None, None, None, None)
    page = re.sub(r"<[^>]+>", " ", get(attacker, "/beheer/kpi/staff_house_in_order?periode=2026-H1").decode())
    assert "minder dan 5" in page and not re.search(r"\b(n = |Aantal antwoorden \(n\)\s+)4\b", page)
    dashboard = re.sub(r"<[^>]+>", " ", get(attacker, "/beheer/?periode=2026-H1").decode())
    assert "10 %" not in dashboard
    assert {row["Aantal antwoorden"] for row in item_rows(attacker, "medewerker", "2026-H1")} == {""}


# --- E: the reference SD --------------------------------------------------------------------------------

def test_the_reference_sd_gives_nothing_of_an_unpublished_half_year(app, attacker):
    """E: partner 2025-H1 published (thirty answers, 4 and 9 alternating: Σ(x − x̄)² = 187.5, 29 df); 2025-H2 has
    six answers 3, 9, 3, 9, 3, 9 (Σ(x − x̄)² = 54) and is not published; 2026-H1 (7, 8 × 4) is. Pooling 2025-H2
    would lift the reference to √(241.5/34) and the attacker would read 2025-H2's spread off the 2026-H1
    interval: s_ref² = ((hw/t)²·n·(30 + n − 1) − SS_own)/30, then SS_hidden = s_ref²·34 − 187.5 = 54."""
    with app.app_context():
        store("partner", date(2025, 1, 6), [{"P1": g} for g in (4, 9) * 15])
        store("partner", date(2025, 8, 4), [{"P1": g} for g in (3, 9) * 3])
        store("partner", date(2026, 2, 2), [{"P1": g} for g in (7, 8) * 4])
        publish("2025-H1", "2026-H1", questionnaires=("partner",))
    entry = api(attacker, "2026-H1")["partner_cooperation"]
    assert api(attacker, "2025-H2")["partner_cooperation"]["mean"] is None  # not published: no figure
    n, mean = entry["n"], entry["mean"]
    own = item_counts(attacker, "partner", "2026-H1")
    grades = [int(answer) for (item, answer), count in own.items()
              if item == answer_key("partner", "P1") and answer.isdigit() for _ in range(count or 0)]
    ss_own = sum((g - mean) ** 2 for g in grades)
    half_width = (entry["ci_high"] - entry["ci_low"]) / 2
    moderated = (half_width / stats.t.ppf(0.975, 30 + n - 1)) ** 2 * n
    s_ref2 = (moderated * (30 + n - 1) - ss_own) / 30
    hidden_ss = s_ref2 * (29 + 5) - 187.5
    assert not math.isclose(hidden_ss, 54, abs_tol=1), f"the unpublished half-year's spread leaks: {hidden_ss}"
    assert s_ref2 == pytest.approx(4.0, abs=1e-6)  # the prior: the published pool alone has too few df


# --- F: before and after one late response ---------------------------------------------------------------

def test_a_late_response_cannot_be_read_off_two_releases(app, attacker, runner, tmp_path):
    """F: gemeente 2026-H1 published with G1 6, 8, 9. Version 1: one more paper form (G1 4) changed the mean
    to 6.75, and 4 × 6.75 − 3 × 7.67 gave that person's 4; the item summaries gave its G2-G6."""
    with app.app_context():
        store("gemeente", date(2026, 3, 2), [{"G1": g, "G2": 4} for g in (6, 8, 9)])
        publish("2026-H1", questionnaires=("gemeente",))
    before = everything(attacker, "gemeente", "gemeente_cooperation", "2026-H1")
    late = tmp_path / "laat.csv"
    late.write_text("date,G1,G2,G3,G4,G5,G6\n2026-05-04,4,1,2,2,1,2\n", encoding="utf-8")
    result = runner.invoke(args=["import-responses", "gemeente", str(late)])
    assert result.exit_code == 1 and "2026-H1 zijn al vrijgegeven" in " ".join(result.output.split()), result.output
    after = everything(attacker, "gemeente", "gemeente_cooperation", "2026-H1")
    assert after == before  # nothing to subtract: the published figures did not move
    entry = api(attacker, "2026-H1")["gemeente_cooperation"]
    assert (entry["n"], entry["mean"]) == (3, pytest.approx(23 / 3))


# --- the raw export as microdata ------------------------------------------------------------------------

def test_the_raw_export_gives_no_order_no_day_and_no_rare_background(app, attacker):
    """The audit's one-invitee round: the new row of the raw export was the last, with its day. Now rows
    come in a secret order, new for every export, without id or day, and a background answer fewer than
    5 rows give reads "anders"."""
    with app.app_context():
        store("partner", date(2026, 1, 5), [{"P1": 1 + i % 10, "P2": 1 + i % 5, "organisation_type": "welzijn"}
                                            for i in range(20)])
        store("partner", date(2026, 6, 29), [{"P1": 10, "P2": 5, "organisation_type": "ggd"}])  # the late one
        publish("2026-H1", questionnaires=("partner",))
    first, second = (raw_rows(attacker, "partner", "2026-H1") for _ in range(2))
    assert set(first[0]) == {"questionnaire_version", "period", "quarter", "channel", "P1", "P2", "P3", "P4",
                             "P5", "P6", "P7", "P8", "organisation_type"}  # no id, no day
    stored_order = [str(1 + i % 10) for i in range(20)] + ["10"]
    assert [row["P1"] for row in first] != stored_order and [row["P1"] for row in second] != stored_order
    assert [row["P1"] for row in first] != [row["P1"] for row in second]  # two exports do not line up
    assert sorted(row["P1"] for row in first) == sorted(stored_order)
    assert {row["quarter"] for row in first} == {""} and {row["period"] for row in first} == {"2026-H1"}
    # ggd once: "anders", and with it the next rarest (welzijn), so no single row stands out.
    assert {row["organisation_type"] for row in first} == {"anders"}


# --- the one-address round ---------------------------------------------------------------------------------

ONLY_SECRET = "Alleen ik werk hier bij De Regenboog"


def test_a_round_with_one_address_gives_nothing_of_its_one_respondent(app, attacker, smtp):
    """The audit's route: a round mailed to one address, "Codes gebruikt" going from 0 to 1, and the one new
    row of the raw export (in submission order, with the day). Now that person's answers are in no channel,
    before publication or after: the group is below the minimum n."""


    with app.app_context():
        round_ = open_round("partner", population=1)
        with Mailer(MailSettings.from_config(app.config)) as mailer:
            assert send_invitations(round_, [Address(2, "enige@partner.example")], mailer,
                                    app.config["BASE_URL"], today()).sent == 1
        period = str(half_year_of(today()))
    (code,) = LINK.findall(smtp.mails[0].message.get_body(("plain",)).get_content())
    answers = {**GOOD_ANSWERS["partner"], "P1": "3", "P8": ONLY_SECRET}
    assert fill_in(app.test_client(), f"/r/{code}", answers).status_code == 303

    for moment in ("before publication", "after publication"):
        if moment == "after publication":
            with app.app_context():
                publish(period, questionnaires=["partner"])
                db.session.commit()
        seen = everything(attacker, "partner", "partner_cooperation", period)
        assert ONLY_SECRET not in seen, moment
        assert not re.search(r"\b3,0\b|\b3\.0\b", seen), moment  # the one grade, as any channel would print it
        assert raw_rows(attacker, "partner", period) == [], moment
        entry = api(attacker, period)["partner_cooperation"]
        assert entry["mean"] is None and entry["n"] is None, moment

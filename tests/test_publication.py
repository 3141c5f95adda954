"""Publication (DESIGN.md §6): a period's figures show only once it is published, by a manager's button, the
`publish` command or `run-due`'s publish_due; before that every channel shows only the response count and
rate; afterwards responses for the period are refused, so its figures never change."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from surveys import periods
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import AuditEvent, PublishedPeriod, Response
from surveys.periods import half_year_of
from surveys.services import demo, publication
from surveys.services.publication import PublicationError, is_published, publish, publish_due
from surveys.services.questionnaires import current_version
from surveys.services.reports import kpi_results
from surveys.services.responses import NewResponse, store_many
from surveys.services.rounds import create_round
from surveys.services.tokens import create_token

from .helpers import csrf_token
from .test_manage import accounts, log_in  # noqa: F401  (accounts is a fixture)

# Six partners in 2026-H1 (N = 10): P1 mean 53/6 = 8.8333…, a figure no other number on the pages makes.
GRADES = [9, 9, 9, 9, 9, 8]
MEAN_TEXTS = ("8,83", "8.83")


def store_partners(grades, day=date(2026, 3, 2), text=None):
    store_many(current_version("partner"), [
        NewResponse(day + timedelta(days=i), [AnswerValue("P1", value=g)]
                    + ([AnswerValue("P8", text=text)] if text else []))
        for i, g in enumerate(grades)], channel="paper")


def published_rows() -> set[tuple[str, str, str]]:
    return {(row.questionnaire, row.period, row.published_by) for row in db.session.scalars(select(PublishedPeriod))}


def test_a_period_is_published_after_its_end_once_its_rounds_closed_and_only_once(app):
    with app.app_context():
        create_round("partner", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 7, 15), population=10)
        store_partners(GRADES)
        with pytest.raises(PublicationError) as running:
            publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 6, 30))
        assert str(running.value) == ("2026-H1 kan niet worden vrijgegeven: 2026-H1 loopt nog tot en met 2026-06-30; "
                                      "vrijgeven kan vanaf de dag erna")
        with pytest.raises(PublicationError) as still_open:
            publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 7, 15))
        assert "de meetronde 2026-H1 van partner is nog open tot en met 2026-07-15; sluit die eerst" in str(
            still_open.value)
        assert published_rows() == set()

        assert publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 7, 16)) == ["partner"]
        assert published_rows() == {("partner", "2026-H1", "m@example.nl")}  # no quarters: half-yearly
        assert is_published("partner", "2026-H1") and not is_published("gemeente", "2026-H1")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "publish"))
        assert (event.actor, event.detail) == ("m@example.nl", "2026-H1 partner")
        with pytest.raises(PublicationError, match="2026-H1 is voor partner al vrijgegeven"):
            publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 7, 16))
        with pytest.raises(PublicationError, match="de vragenlijst partner wordt niet per kwartaal gerapporteerd"):
            publish("2026-Q1", "partner", by="m@example.nl", today=date(2026, 7, 16))

        # Without a questionnaire: every one reported per half-year; the cliënt's quarters come along.
        assert publish("2025-H2", by="cli", today=date(2026, 7, 16)) == ["client", "partner", "gemeente",
                                                                           "medewerker"]
        assert {(q, p) for q, p, by in published_rows() if by == "cli"} == {
            ("client", "2025-H2"), ("client", "2025-Q3"), ("client", "2025-Q4"), ("partner", "2025-H2"),
            ("gemeente", "2025-H2"), ("medewerker", "2025-H2")}


def test_publish_due_publishes_what_ended_long_enough_ago_and_is_idempotent(app):
    with app.app_context():
        store_partners([7, 8], day=date(2025, 11, 3))  # 2025-H2
        store_many(current_version("medewerker"), [NewResponse(date(2026, 2, 2), [AnswerValue("M1", value=8)])],
                   channel="paper")  # 2026-H1
        assert publish_due(date(2026, 7, 29), 30) == [("partner", "2025-H2")]  # 2026-H1 ended 29 days ago
        assert publish_due(date(2026, 7, 29), 30) == []
        assert publish_due(date(2026, 7, 30), 30) == [("medewerker", "2026-H1")]  # 30 days after 30 June
        assert {(q, p) for q, p, _ in published_rows()} == {("partner", "2025-H2"), ("medewerker", "2026-H1")}
        assert {by for _, _, by in published_rows()} == {"run-due"}


def test_late_paper_forms_for_a_published_period_are_refused_and_nothing_is_stored(app, runner, tmp_path):
    with app.app_context():
        store_partners(GRADES)
        publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 7, 1))
        before = db.session.scalar(select(func.count()).select_from(Response))
    late = tmp_path / "late.csv"
    late.write_text("date,P1,P2,P3,P4,P5,P6,P7\n2026-09-01,7,4,4,4,4,4,4\n2026-05-20,3,4,4,4,4,4,4\n", encoding="utf-8")
    result = runner.invoke(args=["import-responses", "partner", str(late)])
    assert result.exit_code == 1
    assert ("de resultaten van 2026-H1 zijn al vrijgegeven: reacties voor die periode kunnen niet meer worden "
            "toegevoegd") in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == before
        with pytest.raises(PublicationError, match="2026-H1"):  # every way in refuses, not only the import
            store_partners([1], day=date(2026, 6, 30))
        assert db.session.scalar(select(func.count()).select_from(Response)) == before
        store_partners([7], day=date(2026, 7, 1))  # the next half-year is still open for answers
        (report,) = kpi_results("2026-H1", ["partner_cooperation"])
    assert (report.result.n, report.result.mean) == (6, pytest.approx(53 / 6))  # the figure stayed as published


def channels(client, token: str, period: str) -> dict[str, bytes]:
    urls = {
        "dashboard": f"/beheer/?periode={period}", "KPI page": f"/beheer/kpi/partner_cooperation?periode={period}",
        "chart": f"/beheer/kpi/partner_cooperation/grafiek.svg?periode={period}",
        "KPI CSV": f"/beheer/downloads/kpi-resultaten.csv?periode={period}",
        "items CSV": f"/beheer/downloads/partner/vragen.csv?periode={period}",
        "raw CSV": f"/beheer/downloads/partner/antwoorden.csv?periode={period}",
        "XLSX": f"/beheer/downloads/werkmap.xlsx?periode={period}",
        "PDF": f"/beheer/downloads/halfjaarrapport.pdf?periode={period}",
    }
    files = {}
    for name, url in urls.items():
        reply = client.get(url)
        assert reply.status_code == 200, (name, reply.status_code)
        files[name] = reply.data
    api = client.get(f"/api/v1/kpis?period={period}", headers={"Authorization": f"Bearer {token}"})
    files["API"] = api.data
    return files


def readable(name: str, content: bytes) -> str:
    if name == "PDF":
        return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)
    if name == "XLSX":
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return " ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)
    return content.decode("utf-8-sig")


def test_before_release_every_channel_shows_only_the_response_then_the_manager_releases(app, client, accounts):  # noqa: F811
    with app.app_context():
        create_round("partner", "2026-H1", opens_on=date(2026, 1, 5), closes_on=date(2026, 6, 30), population=10)
        store_partners(GRADES, text="Heel fijn overleg")
        token = create_token("monitor")
    log_in(client, "manager@example.nl")
    before = channels(client, token, "2026-H1")
    for name, content in before.items():
        text = readable(name, content)
        assert not any(mean in text for mean in MEAN_TEXTS), name
        assert "Heel fijn overleg" not in text, name
    partner = {entry["kpi"]: entry for entry in json.loads(before["API"])}["partner_cooperation"]
    assert (partner["verdict"], partner["published"], partner["mean"], partner["n"]) == (
        "niet_vrijgegeven", False, None, None)
    assert (partner["responses"], partner["population"], partner["response_rate"]) == (6, 10, 0.6)
    dashboard = before["dashboard"].decode()
    assert "Resultaten komen na vrijgeven" in dashboard and "<td>6 (60 %)</td>" in dashboard
    assert "Resultaten vrijgeven</button>" in dashboard
    assert "nog niet vrijgegeven" in readable("chart", before["chart"])
    assert list(csv.reader(io.StringIO(before["raw CSV"].decode("utf-8-sig")))) == [
        ["questionnaire_version", "period", "quarter", "channel", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8",
         "organisation_type"]]
    assert len(before["items CSV"].decode("utf-8-sig").splitlines()) == 1  # the header only

    # A running half-year cannot be released; a past one can, with one click.
    running = half_year_of(periods.today())
    refused = client.post(f"/beheer/vrijgeven?periode={running}", data={"csrf_token": csrf_token(dashboard)})
    assert refused.status_code == 409 and f"{running} kan nu niet worden vrijgegeven" in refused.get_data(as_text=True)
    released = client.post("/beheer/vrijgeven?periode=2026-H1", data={"csrf_token": csrf_token(dashboard)})
    assert released.status_code == 303
    after = client.get(released.headers["Location"]).get_data(as_text=True)
    assert "De resultaten van 2026-H1 zijn vrijgegeven" in after and "8,83" in after
    assert "Resultaten vrijgeven</button>" not in after
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "publish")).all()
        assert [(e.actor, e.detail) for e in events] == [
            ("manager@example.nl", "2026-H1 client"), ("manager@example.nl", "2026-H1 partner"),
            ("manager@example.nl", "2026-H1 gemeente"), ("manager@example.nl", "2026-H1 medewerker")]
    page = client.get("/beheer/kpi/partner_cooperation?periode=2026-H1").get_data(as_text=True)
    assert "8,83" in page and "Heel fijn overleg" in page
    assert client.post("/beheer/vrijgeven?periode=2026-H1", data={"csrf_token": "x"}).status_code == 400


def test_a_lezer_sees_no_release_button(app, client, accounts):  # noqa: F811
    with app.app_context():
        store_partners(GRADES)
    log_in(client, "lezer@example.nl")
    page = client.get("/beheer/?periode=2026-H1").get_data(as_text=True)
    assert "Resultaten komen na vrijgeven" in page and "Resultaten vrijgeven</button>" not in page


def test_the_publish_command(app, runner):
    with app.app_context():
        store_partners(GRADES)
    assert runner.invoke(args=["publish", "2026-H1", "--questionnaire", "partner"]).output == (
        "2026-H1 published for partner\n")
    with app.app_context():
        assert published_rows() == {("partner", "2026-H1", "cli")}
    running = half_year_of(periods.today())
    result = runner.invoke(args=["publish", str(running)])
    assert result.exit_code == 1 and f"{running} loopt nog tot en met" in result.output
    result = runner.invoke(args=["publish", "2026-H9"])
    assert result.exit_code == 1 and "'2026-H9' is geen periode" in result.output


def test_the_demo_publishes_the_past_half_years_it_fills(app):
    with app.app_context():
        plan = demo.fill(60, today=date(2026, 12, 2))
        past, current = plan.periods[:-1], plan.periods[-1]
        for key in ("client", "partner", "gemeente", "medewerker"):
            assert all(is_published(key, period) for period in past), key
            assert not is_published(key, current)
        assert publication.refusal("partner", [date(2026, 3, 1)]) is not None


@pytest.mark.parametrize("min_n", [3, 5])
def test_every_published_half_year_and_quarter_differ_by_nothing_or_at_least_min_n(min_n):
    """The rule of publication.included_quarters, checked for every pair of quarter sizes 0-12 and every
    choice of published quarters: for each quarter whose figure shows (published, n ≥ min n), the half-year's
    figure minus it holds 0 or ≥ min n answers; and the half-year holds back only what it says it does."""
    for a in range(13):
        for b in range(13):
            sizes = {"Q1": a, "Q2": b}
            for shown in ({"Q1", "Q2"}, {"Q1"}, {"Q2"}, set()):
                included, held = publication.included_quarters(sizes, shown, min_n)
                half_year = sum(sizes[q] for q in included)
                assert held == a + b - half_year
                for quarter in shown:
                    if sizes[quarter] >= min_n:
                        difference = half_year - sizes[quarter]
                        assert difference == 0 or difference >= min_n, (sizes, shown, quarter)
                if not shown or all(sizes[q] < min_n for q in shown):
                    assert held == 0  # nothing shown to subtract from: nothing held back


def test_a_half_year_breakdown_hides_what_a_shown_quarter_hides():
    """publication.hidden_by_quarters with the breakdown's own suppression: every group the half-year shows is
    the sum of parts its shown quarters show too (or that are empty), for every split of three groups."""
    from itertools import product

    from surveys.scoring import suppress_breakdown

    sizes = range(0, 8)
    for q1 in product(sizes, repeat=3):
        for q2 in ((0, 6, 1), (5, 5, 5), (2, 0, 7)):
            parts = {"Q1": dict(zip("abc", q1, strict=True)), "Q2": dict(zip("abc", q2, strict=True))}
            forced = publication.hidden_by_quarters(parts, {"Q1", "Q2"}, 5, suppress_breakdown)
            whole = {g: parts["Q1"][g] + parts["Q2"][g] for g in "abc"}
            hidden = suppress_breakdown(whole, 5, frozenset(forced))
            for part in parts.values():
                table_shown = sum(part.values()) >= 5
                quarter_hidden = suppress_breakdown(part, 5) if table_shown else set(part)
                for group in set(whole) - hidden:
                    if whole[group]:
                        assert not (table_shown and part[group] and group in quarter_hidden), (parts, group)
            # the hidden groups of the half-year together are never below the minimum
            assert sum(whole[g] for g in hidden) == 0 or sum(whole[g] for g in hidden) >= 5

"""What a manager reads on the dashboard and the KPI pages (issue 17): verdicts and trends in words, a running
half-year marked as running, no internal codes, a contents list, percentages per answer, and charts that start
at the first response, share one 1-10 axis, keep value labels off the norm line and never run past the
chosen quarter. Figures come from the data of tests/test_downloads.py, worked out by hand there."""

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from surveys import aggregates, charts, periods
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import Answer, AuditEvent, HiddenAnswer
from surveys.periods import parse_period
from surveys.scoring import GradeAggregate, Norm, mean_result
from surveys.services.questionnaires import current_version
from surveys.services.reports import KpiReport, select_kpis
from surveys.services.responses import NewResponse, store_many
from surveys.services.users import create_user

from .helpers import publish
from .test_downloads import stored  # noqa: F401  (the fixture: partner, gemeente, staff and client answers)
from .test_manage import PASSWORD, csrf_token_from, log_in

SVG = "{http://www.w3.org/2000/svg}"
INTERNAL_CODES = ("t-moderated", "wilson", "descriptive", "respondent_role", "help_from", "organisation_type",
                  "(client)", "(partner)", "fpc")


def page(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, url
    return reply.get_data(as_text=True)


def test_dashboard_explains_its_words_and_marks_a_running_half_year(app, client, stored, monkeypatch):  # noqa: F811
    monkeypatch.setattr(periods, "today", lambda: date(2026, 6, 20))
    log_in(client, "manager@example.nl")
    html = page(client, "/beheer/?periode=2026-H1")
    # 20 to 30 June, both counted: 11 days left.
    assert "KPI's 2026-H1 <span class=\"running\">(loopt nog, nog 11 dagen)</span>" in html
    assert "2026-H1 loopt nog tot en met 30-06-2026: de cijfers kunnen nog veranderen." in html
    assert "\"Niet te onderscheiden van de norm\" betekent dat de norm binnen het interval ligt" in html
    assert "De kolom Trend vergelijkt met de vorige periode van dezelfde soort." in html
    # Staff: 6,8 → 8,0 with an interval above zero (test_downloads.py): the word first, then the signed figure.
    assert '<td class="trend"><strong>gestegen</strong><br>+1,20</td>' in html
    assert "(gestegen)" not in html
    ended = page(client, "/beheer/?periode=2025-H2")
    assert "loopt nog" not in ended


def test_kpi_page_has_words_not_codes_contents_and_percentages(app, client, stored):  # noqa: F811
    log_in(client, "manager@example.nl")
    client_page = page(client, "/beheer/kpi/client_self_reliance?periode=2026-H1")
    staff_page = page(client, "/beheer/kpi/staff_house_in_order?periode=2026-H1")
    partner_page = page(client, "/beheer/kpi/partner_cooperation?periode=2026-H1")
    for html in (client_page, staff_page, partner_page):
        shown = re.sub(r"<[^>]+>", " ", html).lower()  # the words on the page, not its ids and addresses
        assert [code for code in INTERNAL_CODES if code in shown] == []
        assert '<a href="#vragen">Alle vragen</a>' in html and '<h2 id="vragen">' in html
    assert "<dd>Aandeel met een 95%-betrouwbaarheidsinterval.</dd>" in client_page
    assert ("<dd>Gemiddelde met een 95%-betrouwbaarheidsinterval; met een voorzichtige schatting van de spreiding, "
            "omdat er weinig antwoorden zijn; rekening gehouden met de kleine groep waaruit de antwoorden komen.</dd>"
            ) in partner_page  # t-moderated-fpc: 5 answers from a round of 10
    assert "Alle vragen van de vragenlijst voor cliënten" in client_page
    assert '<h2 id="naar-respondent_role">Per groep: Wie vult deze vragenlijst in?</h2>' in client_page
    # C4: ja ×4, nee ×1 of 5 answers → 80 % and 20 %, a bar beside each figure.
    assert ('<tr><th scope="row">Ja</th><td>4</td>\n                <td class="share"><meter class="bar" min="0" '
            'max="100" value="80.0" aria-hidden="true"></meter> 80 %</td></tr>') in client_page
    assert 'value="20.0" aria-hidden="true"></meter> 20 %</td>' in client_page
    # Staff trend 6,8 → 8,0, Welch interval [0,0648; 2,3352] (test_downloads.py): the word, then signed figures.
    assert "<dd>Gestegen: +1,20 (95%-interval +0,06 tot +2,34)</dd>" in staff_page
    # The chart's series as a table under it: staff 2025-H2 6,80 and 2026-H1 8,00; nothing before 2025-H2.
    assert "De cijfers staan in de tabel onder de grafiek." in staff_page
    series = staff_page.split('id="series-caption"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\S+)</th>\s*<td>([^<]*)</td>', series) == [("2025-H2", "6,80"),
                                                                                    ("2026-H1", "8,00")]


def svg_texts(svg: bytes) -> list[str]:
    return ["".join(element.itertext()).strip() for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_quarter_chart_stops_at_the_quarters_half_year(app, client, stored):  # noqa: F811
    log_in(client, "manager@example.nl")
    reply = client.get("/beheer/kpi/client_self_reliance/grafiek.svg?periode=2026-Q2")
    texts = svg_texts(reply.data)
    # The client answers are of May 2026; the machine's today lies later, in a later half-year.
    assert "2026-H1" in texts and "2026-H2" not in texts and "2027-H1" not in texts


def grade_report(period: str, grades: list[int]) -> KpiReport:
    (kpi,) = select_kpis(["partner_cooperation"])
    result = mean_result(GradeAggregate.from_values(grades), Norm(">", 7.0), min_n=3)
    return KpiReport(kpi, parse_period(period), result, None, len(grades), None)


def test_grade_axis_is_the_whole_scale_and_labels_leave_the_norm_line(app):
    # 2025-H2: 6, 7, 7, 8 → mean 7,0, on the norm 7: its label moves 11 points up. 2026-H1: 8, 9, 9, 10 →
    # 9,0, two grades from the norm, 22 % of the 1-10 axis: its label stays level with the point.
    history = [grade_report("2025-H2", [6, 7, 7, 8]), grade_report("2026-H1", [8, 9, 9, 10])]
    with app.app_context():
        figure = charts._draw(history)
    (ax,) = figure.axes
    assert ax.get_ylim() == (1.0, 10.0)
    labels = {text.get_text(): text.xyann for text in ax.texts if text.get_text() in ("7,0", "9,0")}
    assert labels == {"7,0": (10, 11.0), "9,0": (10, 0.0)}
    with app.app_context():
        ticks = svg_texts(charts.kpi_chart(history, "svg"))
    assert [str(grade) for grade in range(1, 11)] == [t for t in ticks if t.isdigit()]


# Staff, 2026-H1: 30 comments "opmerking 00".."opmerking 29" with M1 = 6 + i % 3, newest (highest id) first,
# and one more that names a person, with M1 = 9. 31 in all: page 1 holds 25, page 2 holds 6. M1 = 7 for
# i % 3 == 1: i = 1, 4, ..., 28, that is 10 comments.
NAMED = "Mijn naam is Fatima, ik woon op de Lindelaan 4"


@pytest.fixture
def comments(app):
    with app.app_context():
        responses = [NewResponse(date(2026, 2, 1), [AnswerValue("M1", value=6 + i % 3),
                                                    AnswerValue("M9", text=f"opmerking {i:02d}")]) for i in range(30)]
        responses.append(NewResponse(date(2026, 2, 2), [AnswerValue("M1", value=9), AnswerValue("M9", text=NAMED)]))
        store_many(current_version("medewerker"), responses, channel="paper")
        publish("2026-H1")
        create_user("manager@example.nl", PASSWORD, "manager")


STAFF = "/beheer/kpi/staff_house_in_order?periode=2026-H1"


def shown_comments(html: str) -> list[str]:
    return re.findall(r'<li><span class="comment">([^<]*)</span>', html)


def test_free_text_has_a_count_pages_search_and_a_grade_filter(app, client, comments):
    log_in(client, "manager@example.nl")
    first = page(client, STAFF)
    assert "31 open antwoorden, pagina 1 van 2." in first
    assert shown_comments(first) == [NAMED] + [f"opmerking {i:02d}" for i in range(29, 5, -1)]
    # Staff report per half-year: no comment is dated finer than the half-year.
    assert first.count('<small class="comment-period">(2026-H1)</small>') == 25
    second = page(client, STAFF + "&pagina=2")
    assert shown_comments(second) == [f"opmerking {i:02d}" for i in range(5, -1, -1)]
    found = page(client, STAFF + "&zoek=FATIMA")
    assert "1 open antwoord gevonden." in found and shown_comments(found) == [NAMED]
    sevens = page(client, STAFF + "&cijfer=7")
    assert "10 open antwoorden gevonden." in sevens
    assert shown_comments(sevens) == [f"opmerking {i:02d}" for i in range(28, 0, -3)]
    assert page(client, STAFF + "&zoek=50%25") .count("Geen open antwoorden die passen bij uw zoekopdracht") == 1
    for bad in ("&cijfer=11", "&cijfer=zeven", "&pagina=0"):
        reply = client.get(STAFF + bad)
        assert reply.status_code == 400, bad
        assert "Kies bij het cijfer een getal van 1 tot en met 10." in reply.get_data(as_text=True) or \
            "Het paginanummer moet een heel getal zijn, vanaf 1." in reply.get_data(as_text=True)


def test_a_manager_hides_a_comment_that_names_a_person(app, client, comments):
    log_in(client, "manager@example.nl")
    html = page(client, STAFF)
    with app.app_context():
        named = db.session.query(Answer).filter_by(text=NAMED).one().response_id
    token = csrf_token_from(html)
    url = "/beheer/kpi/staff_house_in_order/open-antwoorden/verbergen?periode=2026-H1"
    for bad in ("", "x-M9", f"{named}-M1", f"{named}-P8", "999999-M9"):
        reply = client.post(url, data={"csrf_token": token, "antwoord": bad})
        assert reply.status_code == 400, bad
        assert "Dit open antwoord bestaat niet (meer)." in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HiddenAnswer).count() == 0
    reply = client.post(url, data={"csrf_token": token, "antwoord": f"{named}-M9"})
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("/beheer/kpi/staff_house_in_order?periode=2026-H1#open-antwoorden")
    after = page(client, STAFF)
    assert "Fatima" not in after and "30 open antwoorden, pagina 1 van 2." in after
    with app.app_context():
        assert NAMED not in aggregates.free_texts("M9", parse_period("2026-H1"))
        events = db.session.query(AuditEvent).filter_by(action="free_text_hidden").all()
        assert [(e.actor, e.detail) for e in events] == [("manager@example.nl", f"medewerker reactie {named} vraag M9")]
        assert not db.session.query(AuditEvent).filter(AuditEvent.detail.contains("Fatima")).count()
    for raw in ("antwoorden.csv", "antwoorden-excel-nl.csv"):  # nor in the raw export, in either dialect
        export = client.get(f"/beheer/downloads/medewerker/{raw}?periode=2026-H1").get_data(as_text=True)
        assert "Fatima" not in export and export.count("\n") > 30


def test_a_comment_is_dated_to_its_quarter_only_where_that_quarter_may_be_shown(app, client):
    # Cliënten (min n 5), 2026-H1: Q1 has 3 responses, too few to show; Q2 has 5. Both quarters published.
    with app.app_context():
        store_many(current_version("client"),
                   [NewResponse(date(2026, 2, 1), [AnswerValue("C10", text=f"eerste {i}")]) for i in range(3)]
                   + [NewResponse(date(2026, 5, 1), [AnswerValue("C10", text=f"tweede {i}")]) for i in range(5)],
                   channel="paper")
        publish("2026-H1")
        create_user("manager@example.nl", PASSWORD, "manager")
    log_in(client, "manager@example.nl")
    html = page(client, "/beheer/kpi/client_support?periode=2026-H1")
    dated = re.findall(r'<span class="comment">([^<]*)</span>\s*<small class="comment-period">\(([^)]*)\)', html)
    # Q1's three are held back from the half-year (publication.included_quarters: a hidden quarter must not
    # be readable from the half-year); Q2's five are dated to Q2, published with 5 ≥ min n.
    assert dated == [(f"tweede {i}", "2026-Q2") for i in range(4, -1, -1)]


def store_client_comments(first_quarter: int, second_quarter: int) -> None:
    """Cliënten (min n 5), 2026-H1, published: `first_quarter` responses on 1 February, i = 0, 1, ..., with
    C10 "eerste i" and C1 = 7 for even i, 8 for odd i; `second_quarter` on 1 May with C10 "tweede i", C1 = 7."""
    store_many(current_version("client"),
               [NewResponse(date(2026, 2, 1), [AnswerValue("C1", value=7 + i % 2),
                                               AnswerValue("C10", text=f"eerste {i}")]) for i in range(first_quarter)]
               + [NewResponse(date(2026, 5, 1), [AnswerValue("C1", value=7), AnswerValue("C10", text=f"tweede {i}")])
                  for i in range(second_quarter)], channel="paper")
    publish("2026-H1")
    create_user("manager@example.nl", PASSWORD, "manager")


CLIENT = "/beheer/kpi/client_support?periode=2026-H1"


def quarter_choices(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select id="kwartaal" name="kwartaal">(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)) if select else []


def test_free_text_filters_on_a_quarter_its_answers_may_be_dated_to(app, client):
    # 2026-H1: Q1 6 responses, Q2 5; both published with at least 5: both may be dated, 11 comments in all.
    with app.app_context():
        store_client_comments(6, 5)
    log_in(client, "manager@example.nl")
    whole = page(client, CLIENT)
    assert quarter_choices(whole) == [("", "Het hele halfjaar (2026-H1)"), ("2026-Q1", "2026-Q1"),
                                      ("2026-Q2", "2026-Q2")]
    assert "11 open antwoorden." in whole
    first = page(client, CLIENT + "&kwartaal=2026-Q1")
    assert "6 open antwoorden uit 2026-Q1." in first
    assert shown_comments(first) == [f"eerste {i}" for i in range(5, -1, -1)]
    assert '<option value="2026-Q1" selected>2026-Q1</option>' in first
    second = page(client, CLIENT + "&kwartaal=2026-Q2")
    assert "5 open antwoorden uit 2026-Q2." in second
    assert shown_comments(second) == [f"tweede {i}" for i in range(4, -1, -1)]
    # With the grade: C1 = 7 in Q1 for i = 0, 2, 4; in Q2 for all five.
    sevens = page(client, CLIENT + "&kwartaal=2026-Q1&cijfer=7")
    assert "3 open antwoorden gevonden uit 2026-Q1." in sevens
    assert shown_comments(sevens) == ["eerste 4", "eerste 2", "eerste 0"]
    assert "8 open antwoorden gevonden." in page(client, CLIENT + "&cijfer=7")


def test_a_quarter_its_answers_may_not_be_dated_to_is_neither_offered_nor_shown(app, client):
    # Q1 has 3 responses, too few to show: its comments are held back from the half-year and it is no choice.
    with app.app_context():
        store_client_comments(3, 5)
    log_in(client, "manager@example.nl")
    whole = page(client, CLIENT)
    assert quarter_choices(whole) == [("", "Het hele halfjaar (2026-H1)"), ("2026-Q2", "2026-Q2")]
    assert "5 open antwoorden." in whole and "eerste" not in whole
    for crafted in ("2026-Q1", "2026-Q3", "2025-Q1", "2026-H1", "eerste"):
        reply = client.get(CLIENT + f"&kwartaal={crafted}")
        html = reply.get_data(as_text=True)
        assert reply.status_code == 400, crafted
        assert f"De open antwoorden van {crafted} kunt u niet apart bekijken." in html
        assert shown_comments(html) == [] and "open-count" not in html, crafted
    # A quarter's own page has no quarters to choose from: a quarter in ?kwartaal= is refused there too.
    assert client.get("/beheer/kpi/client_support?periode=2026-Q2&kwartaal=2026-Q2").status_code == 400
    assert quarter_choices(page(client, "/beheer/kpi/client_support?periode=2026-Q2")) == []
    with app.app_context():
        views = db.session.query(AuditEvent).filter_by(action="free_text_viewed").count()
    assert views == 2, "a refused filter shows no comment, so it records no viewing"

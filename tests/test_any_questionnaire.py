"""Every report channel reads the installation's questionnaires (issue 15): one made in the editor and
published (`jeugd`) is on the dashboard, the KPI page, the downloads, the publication command and the API once a
KPI is defined on it; a wording published in the editor is what the report pages show, not the package file."""

import io
import re
import tomllib
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event

from surveys import periods
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.formatting import version_outcome
from surveys.questionnaires import QuestionnaireError
from surveys.services import kpi_catalogue, reports
from surveys.services import questionnaires as stored
from surveys.services.responses import NewResponse, store_many
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from .helpers import open_round, publish
from .test_manage import PASSWORD, log_in

JEUGD = {
    "key": "jeugd", "min_n": 5, "open_link": False, "reporting": ["half_year"],
    "title": {"nl": "Jouw mening", "en": "Your view"},
    "intro": {"nl": "Wat vind jij van onze hulp?", "en": "What do you think of our help?"},
    "items": [
        {"key": "J1", "type": "grade", "required": True, "background": False, "missing": ["weet_niet"],
         "text": {"nl": "Welk cijfer geef jij onze hulp?", "en": "What grade do you give our help?"}},
        {"key": "J2", "type": "agree", "required": True, "background": False, "missing": ["weet_niet"],
         "text": {"nl": "Wij luisteren goed naar jou.", "en": "We listen well to you."}},
        {"key": "J3", "type": "open", "required": False, "background": False,
         "text": {"nl": "Wil je nog iets zeggen?", "en": "Anything else?"}},
    ],
}
JEUGD_KPI = {"key": "jeugd_help", "questionnaire": "jeugd", "item": "J1", "statistic": "mean", "share_codes": [],
             "label": {"nl": "Waardering van jongeren voor de hulp", "en": "Young people's rating of the help"},
             "norms": [{"operator": ">=", "norm": 7}]}
# J1: 6+7+8+8+9+10 = 48 over 6 answers → mean 8,0. J2 (helemaal) mee eens: 5, 4, 4, 5 of 4, 4, 5, 2, 3, 5 → 4 of 6.
GRADES = (6, 7, 8, 8, 9, 10)
AGREE = (5, 4, 2, 3, 4, 5)
DAY = date(2026, 3, 10)


def add_jeugd(with_kpi: bool = True) -> None:
    stored.create("jeugd", JEUGD, actor="beheerder@example.nl")
    stored.publish("jeugd", actor="beheerder@example.nl")
    if with_kpi:
        data = tomllib.loads(kpi_catalogue.to_toml(kpi_catalogue.catalogue()))
        data["kpis"].append(JEUGD_KPI)
        kpi_catalogue.store(data, by="beheerder@example.nl")
    version = stored.current_version("jeugd")
    store_many(version, [NewResponse(DAY, [AnswerValue("J1", value=grade), AnswerValue("J2", value=agree)])
                         for grade, agree in zip(GRADES, AGREE, strict=True)], channel="paper")


@pytest.fixture
def jeugd(app):
    with app.app_context():
        add_jeugd()
        create_user("manager@example.nl", PASSWORD, "manager")


def page(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, (url, reply.status_code)
    return reply.get_data(as_text=True)


def test_a_questionnaire_made_in_the_editor_is_published_and_reported(app, client, runner, jeugd, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: date(2026, 12, 2))
    log_in(client, "manager@example.nl")
    before = page(client, "/beheer/kpi/jeugd_help?periode=2026-H1")
    assert "Resultaten komen na vrijgeven" in before and "8,0" not in before
    # The publication command knows the new questionnaire (it was a fixed list of four).
    result = runner.invoke(args=["publish", "2026-H1", "--questionnaire", "jeugd"])
    assert (result.exit_code, result.output) == (0, "2026-H1 published for jeugd\n")
    unknown = runner.invoke(args=["publish", "2026-H1", "--questionnaire", "klant"])
    assert unknown.exit_code == 1
    assert "onbekende vragenlijst 'klant'; bekend zijn: client, partner, gemeente, medewerker, jeugd" in unknown.output

    dashboard = page(client, "/beheer/?periode=2026-H1")
    row = dashboard.split("Waardering van jongeren voor de hulp")[1].split("</tr>")[0]
    assert "8,0" in row
    kpi = page(client, "/beheer/kpi/jeugd_help?periode=2026-H1")
    assert "Alle vragen van de vragenlijst voor jouw mening" in kpi
    assert "<h3>J1. Welk cijfer geef jij onze hulp?</h3>" in kpi
    # J2: 4 of 6 agree (codes 4 and 5) → 66,7 %.
    assert "(Helemaal) mee eens: <strong>66,7 %</strong>" in kpi and "n = 6." in kpi

    downloads = page(client, "/beheer/downloads?periode=2026-H1")
    assert "/beheer/downloads/jeugd/vragen.csv?periode=2026-H1" in downloads
    summary = client.get("/beheer/downloads/jeugd/vragen.csv?periode=2026-H1")
    assert summary.status_code == 200 and "J1" in summary.get_data(as_text=True)
    workbook = load_workbook(io.BytesIO(client.get("/beheer/downloads/werkmap.xlsx?periode=2026-H1").data))
    assert "jeugd" in workbook.sheetnames
    questions = {(row[2], row[3]) for row in workbook["jeugd"].iter_rows(min_row=2, values_only=True)}
    assert questions == {("J1", "Welk cijfer geef jij onze hulp?"), ("J2", "Wij luisteren goed naar jou.")}
    raw = client.get("/beheer/downloads/jeugd/antwoorden.csv?periode=2026-H1")
    assert raw.status_code == 200 and len(raw.get_data(as_text=True).strip().splitlines()) == 1 + 6

    with app.app_context():
        token = create_token("rapportage")
    api = client.get("/api/v1/kpis?period=2026-H1&kpi=jeugd_help", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    (entry,) = api.get_json()
    assert (entry["questionnaire"], entry["n"], entry["mean"], entry["published"]) == ("jeugd", 6, 8.0, True)

    # The half-year PDF has the new questionnaire's KPI, its section and its questions, as worded in the editor.
    reply = client.get("/beheer/downloads/halfjaarrapport.pdf?periode=2026-H1")
    assert reply.status_code == 200
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(reply.data)).pages)
    assert "Waardering van jongeren voor de hulp" in text
    assert "Jouw mening" in text and "J1. Welk cijfer geef jij onze hulp?" in text


def test_the_invitation_api_takes_a_questionnaire_made_in_the_editor(app, client):
    with app.app_context():
        add_jeugd(with_kpi=False)
        open_round("jeugd")
        token = create_token("registratiesysteem", "invite")
    reply = client.post("/api/v1/invitations", json={"questionnaire": "jeugd", "delivery": "link"},
                        headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    assert reply.get_json()["questionnaire"] == "jeugd"
    wrong = client.post("/api/v1/invitations", json={"questionnaire": "klant", "delivery": "link"},
                        headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 422
    assert "questionnaire: Kies een van: client, partner, gemeente, medewerker, jeugd." in wrong.get_json()["detail"]


NEW_C1 = "Welk rapportcijfer geeft u de hulp die u kreeg? Kies een cijfer van 1 tot 10."


def test_report_pages_show_the_wording_published_in_the_editor(app, client, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: date(2026, 12, 2))
    with app.app_context():
        old = stored.current("client").items[0].text.nl
        definition = stored.draft_of("client")
        definition["items"][0]["text"]["nl"] = NEW_C1
        stored.save_draft("client", definition, actor="beheerder@example.nl")
        stored.publish("client", actor="beheerder@example.nl")
        version = stored.current_version("client")
        assert version.version == 2
        store_many(version, [NewResponse(DAY, [AnswerValue("C1", value=grade)]) for grade in GRADES],
                   channel="paper")
        create_user("manager@example.nl", PASSWORD, "manager")
    assert runner_publish(app) == 0
    log_in(client, "manager@example.nl")
    kpi = page(client, "/beheer/kpi/client_support?periode=2026-H1")
    assert f"<h3>C1. {NEW_C1}</h3>" in kpi
    assert old not in kpi


def runner_publish(app) -> int:
    return app.test_cli_runner().invoke(args=["publish", "2026-H1", "--questionnaire", "client"]).exit_code


# --- the new version's results next to the old version's in the same period ---------------------------------

NEW_P1 = "Welk cijfer geeft u de samenwerking met ons in het afgelopen halfjaar? Kies een cijfer van 1 tot 10."
P10 = {"key": "P10", "type": "agree", "required": True, "background": False, "missing": ["weet_niet"],
       "text": {"nl": "Wij delen informatie op tijd met elkaar.", "en": "We share information in good time."}}


def partner_in_two_versions(old_grades, new_grades, new_agree=(), old_p7=()) -> None:
    """Partner answers of 2026-H1: `old_grades` to P1 with `old_p7` to P7 in version 1 (10 March), then P1
    reworded, P7 left out and P10 added (version 2), and `new_grades` to P1 with `new_agree` to P10 in version 2
    (20 April). P2 keeps its wording: 4 in every response."""
    first = stored.current_version("partner")
    p7 = list(old_p7) + [None] * (len(old_grades) - len(old_p7))
    store_many(first, [NewResponse(DAY, [AnswerValue("P1", value=g), AnswerValue("P2", value=4)]
                                   + ([AnswerValue("P7", value=a)] if a else []))
                       for g, a in zip(old_grades, p7, strict=True)], channel="paper")
    definition = stored.draft_of("partner")
    definition["items"][0]["text"]["nl"] = NEW_P1
    definition["items"] = [item for item in definition["items"] if item["key"] != "P7"]
    definition["items"].insert(6, P10)
    stored.save_draft("partner", definition, actor="beheerder@example.nl")
    second = stored.publish("partner", actor="beheerder@example.nl")
    agree = list(new_agree) + [None] * (len(new_grades) - len(new_agree))
    store_many(second, [NewResponse(date(2026, 4, 20), [AnswerValue("P1", value=g), AnswerValue("P2", value=4)]
                                    + ([AnswerValue("P10", value=a)] if a else []))
                        for g, a in zip(new_grades, agree, strict=True)], channel="paper")
    create_user("manager@example.nl", PASSWORD, "manager")


def version_rows(html: str, item: str) -> list[list[str]]:
    """The cells of the per-version table of `item`, row by row."""
    caption = f'<caption id="versies-{item}">Uitkomsten per versie van de vragenlijst, vraag {item}</caption>'
    if caption not in html:
        return []
    body = html.split(caption)[1].split("</table>")[0].split("<tbody>")[1]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)
    return [cells[i:i + 4] for i in range(0, len(cells), 4)]


def distribution(html: str, item: str) -> dict[str, str]:
    table = html.split(f'<caption id="verdeling-{item}">Verdeling van de antwoorden op {item}</caption>')[1]
    table = table.split("</table>")[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', table))


def test_a_period_with_two_versions_shows_each_versions_results_beside_the_whole(app, client, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: date(2026, 12, 2))
    with app.app_context():
        old, p7 = (item.text.nl for item in stored.current("partner").items[0:7:6])
        partner_in_two_versions([6, 7, 8, 8, 9], [9, 10, 7, 8, 6, 10], new_agree=[4, 5, 2, 5, 4, 1],
                                old_p7=[5, 4, 4, 2, 3])
    log_in(client, "manager@example.nl")
    unpublished = page(client, "/beheer/kpi/partner_cooperation?periode=2026-H1")
    assert "Uitkomsten per versie" not in unpublished
    assert app.test_cli_runner().invoke(args=["publish", "2026-H1", "--questionnaire", "partner"]).exit_code == 0

    html = page(client, "/beheer/kpi/partner_cooperation?periode=2026-H1")
    # P1: version 1 gave 6, 7, 8, 8, 9 (n 5, mean 38/5 = 7,60); version 2 gave 9, 10, 7, 8, 6, 10 (n 6, 50/6 = 8,33).
    assert version_rows(html, "P1") == [
        ["Versie 1", old, "5", "Gemiddeld cijfer 7,60"],
        ["Versie 2", NEW_P1, "6", "Gemiddeld cijfer 8,33"],
    ]
    # The whole period stays as it was: all 11 answers, 6 ×2, 7 ×2, 8 ×3, 9 ×2, 10 ×2.
    whole = distribution(html, "P1")
    assert [whole[str(grade)] for grade in range(1, 11)] == ["0", "0", "0", "0", "0", "2", "2", "3", "2", "2"]
    # P10 is asked in version 2 only: 4, 5, 2, 5, 4, 1 → 4 of 6 (helemaal) mee eens = 66,7 %.
    assert version_rows(html, "P10") == [
        ["Versie 1", "Niet gevraagd in deze versie", "–", "–"],
        ["Versie 2", P10["text"]["nl"], "6", "(Helemaal) mee eens: 66,7 %"],
    ]
    # P2 has the same wording in both versions: one result for the period, no split.
    assert version_rows(html, "P2") == []
    assert distribution(html, "P2")["Mee eens"] == "11"
    # P7 is asked in version 1 only, and version 2 no longer has it: its results are those of version 1,
    # 5, 4, 4, 2, 3 → 3 of 5 (helemaal) mee eens = 60,0 %, under a heading of its own.
    assert f"<h3>P7. {p7}</h3>" in html
    assert "Deze vraag staat niet meer in de vragenlijst, maar is in deze periode wel beantwoord." in html
    assert version_rows(html, "P7") == [
        ["Versie 1", p7, "5", "(Helemaal) mee eens: 60,0 %"],
        ["Versie 2", "Niet gevraagd in deze versie", "–", "–"],
    ]


def test_a_version_below_the_minimum_hides_both_versions_but_not_the_whole(app, client, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: date(2026, 12, 2))
    with app.app_context():
        old = stored.current("partner").items[0].text.nl
        partner_in_two_versions([5, 6, 7], [8, 8, 9, 7, 6, 10, 9])
    assert app.test_cli_runner().invoke(args=["publish", "2026-H1", "--questionnaire", "partner"]).exit_code == 0
    log_in(client, "manager@example.nl")
    html = page(client, "/beheer/kpi/partner_cooperation?periode=2026-H1")
    # Version 1 has 3 answers (< 5): hidden; version 2 (7) is its complement, or 10 − 7 would give version 1.
    assert version_rows(html, "P1") == [
        ["Versie 1", old, "minder dan 5", "Niet getoond, om kleine groepen te beschermen"],
        ["Versie 2", NEW_P1, "niet getoond", "Niet getoond, om kleine groepen te beschermen"],
    ]
    assert "Gemiddeld cijfer" not in html and "8,14" not in html  # version 2's mean, 57/7
    assert version_rows(html, "P7") == [] and "Deze vraag staat niet meer" not in html  # P7: no answers
    # The whole period still shows: 10 answers, 5 6 7 from version 1 and 8 8 9 7 6 10 9 from version 2.
    whole = distribution(html, "P1")
    assert [whole[str(grade)] for grade in range(5, 11)] == ["1", "2", "2", "2", "2", "1"]


def test_a_half_year_hides_a_version_its_shown_quarter_hides(app):
    """The cliënt half-year lies over published quarters. Q1 holds 6 answers to C1 in version 1 only (no split);
    Q2 holds 3 in version 1 and 6 in version 2, so Q2 hides both (3 < 5, and its complement). The half-year
    would show version 1 as 6 + 3 = 9, and 9 − Q1's 6 gives Q2's hidden 3: it hides both versions as well."""
    with app.app_context():
        first = stored.current_version("client")
        store_many(first, [NewResponse(date(2026, 2, 10), [AnswerValue("C1", value=8)])] * 6
                   + [NewResponse(date(2026, 5, 10), [AnswerValue("C1", value=7)])] * 3, channel="paper")
        definition = stored.draft_of("client")
        definition["items"][0]["text"]["nl"] = NEW_C1
        stored.save_draft("client", definition, actor="beheerder@example.nl")
        second = stored.publish("client", actor="beheerder@example.nl")
        store_many(second, [NewResponse(date(2026, 5, 20), [AnswerValue("C1", value=9)])] * 6, channel="paper")
        publish("2026-H1", questionnaires=("client",))
        client = stored.current("client")

        assert reports.version_summaries(client, "2026-Q1") == {}
        quarter = reports.version_summaries(client, "2026-Q2")["C1"]
        half_year = reports.version_summaries(client, "2026-H1")["C1"]
        assert [(row.version, row.text == NEW_C1, row.n, row.hidden) for row in quarter] == [
            (1, False, None, "minder dan 5"), (2, True, None, "niet getoond")]
        assert [(row.version, row.n, row.hidden) for row in half_year] == [
            (1, None, "niet getoond"), (2, None, "niet getoond")]
        # The whole figures stay: Q2 9 answers (7 ×3, 9 ×6), the half-year 15 (8 ×6, 7 ×3, 9 ×6).
        assert reports.item_summaries(client, "2026-Q2")["C1"].n == 9
        whole = reports.item_summaries(client, "2026-H1")["C1"]
        assert (whole.n, whole.distribution["7"], whole.distribution["8"], whole.distribution["9"]) == (15, 3, 6, 6)


def test_a_choice_question_with_new_answer_labels_shows_each_versions_counts(app):
    """C4's answer "Ja" reads "Ja, dat lukt" in version 2: a change of wording too. Version 1: ja ×4, nee ×2
    (4/6 = 67 %, 2/6 = 33 %); version 2: ja ×5 (100 %). All in 2026-Q1, so the half-year holds both."""
    with app.app_context():
        first = stored.current_version("client")
        store_many(first, [NewResponse(DAY, [AnswerValue("C4", code=code)]) for code in ["ja"] * 4 + ["nee"] * 2],
                   channel="paper")
        definition = stored.draft_of("client")
        definition["items"][3]["options"][0]["label"]["nl"] = "Ja, dat lukt"
        stored.save_draft("client", definition, actor="beheerder@example.nl")
        second = stored.publish("client", actor="beheerder@example.nl")
        store_many(second, [NewResponse(date(2026, 3, 20), [AnswerValue("C4", code="ja")])] * 5, channel="paper")
        publish("2026-H1", questionnaires=("client",))

        rows = reports.version_summaries(stored.current("client"), "2026-H1")
        assert list(rows) == ["C4"]  # the other questions kept their wording
        assert [(row.version, row.n, version_outcome(row)) for row in rows["C4"]] == [
            (1, 6, "Ja: 4 (67 %), Nee: 2 (33 %)"), (2, 5, "Ja, dat lukt: 5 (100 %)")]


def test_the_questionnaires_in_force_cost_one_query_per_request_and_follow_a_publish(app):
    """A stored version is read and parsed once per process; after that a request asks which versions are
    current, once, however often the page asks for the questionnaires."""
    with app.app_context():
        add_jeugd(with_kpi=False)
        stored.in_force()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(5):
                assert list(stored.in_force()) == ["client", "partner", "gemeente", "medewerker", "jeugd"]
                assert stored.in_force_one("jeugd").items[0].text.nl == "Welk cijfer geef jij onze hulp?"
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1
        definition = stored.draft_of("jeugd")
        definition["items"][0]["text"]["nl"] = "Welk cijfer geef jij ons?"
        stored.save_draft("jeugd", definition, actor="beheerder@example.nl")
        stored.publish("jeugd", actor="beheerder@example.nl")
        assert stored.in_force_one("jeugd").items[0].text.nl == "Welk cijfer geef jij ons?"


def test_a_new_version_must_keep_what_the_kpis_on_it_count(app, client):
    """Publishing a cliënt questionnaire without C4, or with C1 as a statement, would leave KPIs counting an
    item that is not there: every KPI page failed once a catalogue was stored. The editor and the import refuse."""
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        kpi_catalogue.store(kpi_catalogue.with_norm("client_goals", "2027-H2", ">=", "7,5"), by="beheerder@example.nl")
        without_c4 = stored.draft_of("client")
        without_c4["items"] = [item for item in without_c4["items"] if item["key"] != "C4"]
        with pytest.raises(QuestionnaireError) as refused:
            stored.save_draft("client", without_c4, actor="beheerder@example.nl")
        assert [(p.field, p.message) for p in refused.value.found] == [
            ("", "De KPI 'Cliënten die na de hulp zelf weer verder kunnen' telt vraag C4. De vraag 'C4' staat niet "
                 "in vragenlijst client. Pas eerst de KPI aan bij KPI's en normen.")]
        c1_agree = stored.draft_of("client")
        c1_agree["items"][0] = {**c1_agree["items"][0], "type": "agree"}
        with pytest.raises(QuestionnaireError) as refused:
            stored.import_definition(c1_agree, actor="beheerder@example.nl")
        assert [(p.field, p.message) for p in refused.value.found] == [
            ("items-0-key", "De KPI 'Cliëntwaardering voor de hulp van het Sociaal Team' telt vraag C1. Een "
                            "gemiddeld cijfer kan alleen bij een cijfervraag. C1 is een stelling. Pas eerst de KPI "
                            "aan bij KPI's en normen.")]
        assert stored.current_version("client").version == 1 and not stored.has_draft("client")
    log_in(client, "beheerder@example.nl")
    assert client.get("/beheer/").status_code == 200
    assert client.get("/beheer/kpi/client_self_reliance").status_code == 200

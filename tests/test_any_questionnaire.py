"""Every report channel reads the installation's questionnaires (issue 15): one made in the editor and
published (`jeugd`) is on the dashboard, the KPI page, the downloads, the publication command and the API once a
KPI is defined on it; a wording published in the editor is what the report pages show, not the package file."""

import tomllib
from datetime import date

import pytest

from surveys import periods
from surveys.answers import AnswerValue
from surveys.services import kpi_catalogue
from surveys.services import questionnaires as stored
from surveys.services.responses import NewResponse, store_many
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from .helpers import open_round
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
    raw = client.get("/beheer/downloads/jeugd/antwoorden.csv?periode=2026-H1")
    assert raw.status_code == 200 and len(raw.get_data(as_text=True).strip().splitlines()) == 1 + 6

    with app.app_context():
        token = create_token("rapportage")
    api = client.get("/api/v1/kpis?period=2026-H1&kpi=jeugd_help", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    (entry,) = api.get_json()
    assert (entry["questionnaire"], entry["n"], entry["mean"], entry["published"]) == ("jeugd", 6, 8.0, True)


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


"""The beheerder adds and edits a KPI in the browser (issue 15, item 3): every save is a new catalogue version,
checked by the same parse_kpis as the file import (so both give the same words), audited with before and after."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from surveys import periods
from surveys.extensions import db
from surveys.models import AuditEvent, KpiCatalogue
from surveys.periods import half_year_of
from surveys.services.kpi_catalogue import catalogue, to_toml
from surveys.services.users import create_user

from .helpers import publish
from .test_admin import PASSWORD, log_in, post_form

NEW = "/beheer/kpis/nieuw"
EDIT = "/beheer/kpis/client_support/wijzigen"
SHARE_KPI = {"label-nl": "Cliënten die weer verder kunnen", "label-en": "Clients who can manage again", "key": "",
             "questionnaire": "client", "item": "C4", "statistic": "share", "share_codes": "ja, een_beetje",
             "from": "2027-H1", "operator": ">=", "norm": "65"}
MEAN_KPI = {"label-nl": "Partners: tevreden over het overleg", "label-en": "Partners: happy with the meetings",
            "key": "", "questionnaire": "partner", "item": "P1", "statistic": "mean", "share_codes": "",
            "from": "", "operator": ">", "norm": "7,5"}
CLIENT_SUPPORT = {"label-nl": "Cliëntwaardering voor de hulp van het Sociaal Team",
                  "label-en": "Client rating of the support from the Sociaal Team", "questionnaire": "client",
                  "item": "C1", "statistic": "mean", "share_codes": ""}


@pytest.fixture
def beheerder(app, client):
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
    assert log_in(client, "beheerder@example.nl").status_code == 303
    return client


def stored_versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(KpiCatalogue))


def audit_rows(app, action: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(event.actor, event.detail)
                for event in db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))]


def stored_toml(app) -> str:
    with app.app_context():
        return to_toml(catalogue())


def test_a_share_kpi_and_a_mean_kpi_are_added_through_the_form(app, beheerder):
    reply = post_form(beheerder, NEW, NEW, SHARE_KPI)
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/beheer/kpis")
    assert stored_toml(app).endswith(
        '\n\n[[kpis]]\nkey = "clienten_die_weer_verder_kunnen"\nquestionnaire = "client"\nitem = "C4"\n'
        'statistic = "share"\nshare_codes = ["ja", "een_beetje"]\nlabel.nl = "Cliënten die weer verder kunnen"\n'
        'label.en = "Clients who can manage again"\n\n[[kpis.norms]]\nfrom = "2027-H1"\noperator = ">="\n'
        'norm = 0.65\n')
    assert post_form(beheerder, NEW, NEW, MEAN_KPI).status_code == 303
    text = stored_toml(app)
    assert text.endswith(
        '\n\n[[kpis]]\nkey = "partners_tevreden_over_het_overleg"\nquestionnaire = "partner"\nitem = "P1"\n'
        'statistic = "mean"\nshare_codes = []\nlabel.nl = "Partners: tevreden over het overleg"\n'
        'label.en = "Partners: happy with the meetings"\n\n[[kpis.norms]]\noperator = ">"\nnorm = 7.5\n')
    assert text.count("[[kpis]]") == 7 + 2
    assert stored_versions(app) == 2  # one new catalogue version per save
    page = beheerder.get("/beheer/kpis").get_data(as_text=True)
    assert "<li>vanaf 2027-H1: &gt;= 65 %</li>" in page and "<li>vanaf het begin: &gt; 7,5</li>" in page
    assert audit_rows(app, "kpi_added") == [
        ("beheerder@example.nl", "clienten_die_weer_verder_kunnen: nieuw → 'Cliënten die weer verder kunnen', "
                                 "client C4 aandeel ja of een_beetje, normen 2027-H1 >= 0.65"),
        ("beheerder@example.nl", "partners_tevreden_over_het_overleg: nieuw → 'Partners: tevreden over het "
                                 "overleg', partner P1 gemiddelde, normen altijd > 7.5")]
    # The same name again: the made key stays unique.
    assert post_form(beheerder, NEW, NEW, MEAN_KPI).status_code == 303
    assert '\nkey = "partners_tevreden_over_het_overleg_2"\n' in stored_toml(app)


def test_a_name_is_edited_and_the_key_never_changes(app, beheerder):
    form = beheerder.get(EDIT).get_data(as_text=True)
    assert 'value="Cliëntwaardering voor de hulp van het Sociaal Team"' in form
    reply = post_form(beheerder, EDIT, EDIT, {**CLIENT_SUPPORT, "label-nl": "Waardering voor de hulp",
                                              "key": "iets_anders"})
    assert reply.status_code == 303
    text = stored_toml(app)
    assert ('[[kpis]]\nkey = "client_support"\nquestionnaire = "client"\nitem = "C1"\nstatistic = "mean"\n'
            'share_codes = []\nlabel.nl = "Waardering voor de hulp"\n'
            'label.en = "Client rating of the support from the Sociaal Team"\n\n[[kpis.norms]]\noperator = ">"\n'
            'norm = 7\n') in text
    assert "iets_anders" not in text and text.count("[[kpis]]") == 7
    assert audit_rows(app, "kpis_changed") == [
        ("beheerder@example.nl",
         "client_support naam: 'Cliëntwaardering voor de hulp van het Sociaal Team' → 'Waardering voor de hulp'")]
    assert beheerder.get("/beheer/kpis/bestaat_niet/wijzigen").status_code == 404


def import_output(app, tmp_path, kpi: str) -> str:
    """What `kpis import` says about a file with this one KPI."""
    path = tmp_path / "kpis.toml"
    path.write_text(kpi)
    output = app.test_cli_runner().invoke(args=["kpis", "import", str(path)])
    assert output.exit_code == 1, output.output
    return output.output


@pytest.mark.parametrize(("fields", "field", "message", "in_file"), [
    ({"questionnaire": "client", "item": "P1", "statistic": "mean", "share_codes": "", "norm": "7"}, "item",
     "De vraag 'P1' staat niet in vragenlijst client.",
     'questionnaire = "client"\nitem = "P1"\nstatistic = "mean"\noperator = ">"\nnorm = 7\n'),
    ({"norm": "150"}, "norm", "Een norm voor een aandeel ligt tussen 0 en 1 (0,7 is 70 %), niet 1.5 (150 %).",
     'questionnaire = "client"\nitem = "C4"\nstatistic = "share"\nshare_codes = ["ja"]\noperator = ">"\n'
     'norm = 1.5\n'),
    ({"norm": "zeven"}, "norm", "De norm is een getal, niet 'zeven'.",
     'questionnaire = "client"\nitem = "C4"\nstatistic = "share"\nshare_codes = ["ja"]\noperator = ">"\n'
     'norm = "zeven"\n'),
    ({"share_codes": "ja, misschien"}, "share_codes",
     "Kies bij een aandeel een of meer antwoordcodes uit: een_beetje, ja, nee.",
     'questionnaire = "client"\nitem = "C4"\nstatistic = "share"\nshare_codes = ["ja", "misschien"]\n'
     'operator = ">"\nnorm = 0.7\n'),
    ({"key": "Mijn KPI"}, "key",
     "De sleutel 'Mijn KPI' is 2 tot 40 kleine letters, cijfers of _, en begint met een letter, zoals client_support.",
     'key = "Mijn KPI"\nquestionnaire = "client"\nitem = "C4"\nstatistic = "share"\nshare_codes = ["ja"]\n'
     'operator = ">"\nnorm = 0.7\n'),
    ({"questionnaire": "jeugd"}, "questionnaire",
     "De vragenlijst 'jeugd' kennen we niet. Kies uit: client, partner, gemeente, medewerker.",
     'questionnaire = "jeugd"\nitem = "C4"\nstatistic = "share"\nshare_codes = ["ja"]\noperator = ">"\n'
     'norm = 0.7\n'),
    ({"item": "C4", "statistic": "mean", "share_codes": ""}, "item",
     "Een gemiddeld cijfer kan alleen bij een cijfervraag. C4 is een keuzevraag.",
     'questionnaire = "client"\nitem = "C4"\nstatistic = "mean"\noperator = ">"\nnorm = 7\n'),
])
def test_a_bad_item_or_value_is_named_next_to_its_field_as_the_import_names_it(app, beheerder, tmp_path, fields,
                                                                                field, message, in_file):
    reply = post_form(beheerder, NEW, NEW, {**SHARE_KPI, **fields})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    escaped = message.replace("'", "&#39;")
    assert (f'<p class="error-message" id="{field}-error"><span class="visually-hidden">Fout: </span>'
            f'{escaped}</p>') in html
    assert f'<li><a href="#{field}">{escaped}</a></li>' in html  # and in the summary at the top
    assert 'value="Cliënten die weer verder kunnen"' in html  # what was typed stays
    with app.app_context():
        key = "" if in_file.startswith("key") else 'key = "eigen_kpi"\n'
        output = import_output(app, tmp_path, f'[[kpis]]\n{key}{in_file}label.nl = "X"\nlabel.en = "X"\n')
        assert output.count(message) == 1 and output.count("kpis[0]") == 1  # this problem and no other
    assert stored_versions(app) == 0
    assert audit_rows(app, "kpi_added") == []


def test_a_norm_that_starts_in_the_future_can_be_removed_and_one_in_force_cannot(app, beheerder):
    today = periods.today()
    now = str(half_year_of(today))
    coming = str(half_year_of(today + timedelta(days=190)))
    for since in (now, coming):
        assert post_form(beheerder, "/beheer/kpis", "/beheer/kpis/norm",
                         {"kpi": "client_support", "from": since, "operator": ">=", "norm": "7,5"}).status_code == 303
    form = beheerder.get(EDIT).get_data(as_text=True)
    assert form.count("Norm weghalen") == 1  # only the coming one offers it

    nothing = post_form(beheerder, EDIT, "/beheer/kpis/client_support/norm/weg", {"from": ""})
    assert nothing.status_code == 400 and "Kies de norm die u wilt weghalen." in nothing.get_data(as_text=True)
    refused = post_form(beheerder, EDIT, "/beheer/kpis/client_support/norm/weg", {"from": now})
    assert refused.status_code == 400
    assert (f"Alleen een norm die nog moet beginnen kunt u weghalen. De norm vanaf {now} geldt al."
            in refused.get_data(as_text=True))
    assert stored_versions(app) == 2

    reply = post_form(beheerder, EDIT, "/beheer/kpis/client_support/norm/weg", {"from": coming})
    assert reply.status_code == 303
    assert stored_versions(app) == 3
    assert (f'[[kpis.norms]]\noperator = ">"\nnorm = 7\n\n[[kpis.norms]]\nfrom = "{now}"\noperator = ">="\n'
            f'norm = 7.5\n\n[[kpis]]\nkey = "client_goals"') in stored_toml(app)
    assert audit_rows(app, "kpis_changed")[-1] == (
        "beheerder@example.nl", f"client_support: altijd > 7, {now} >= 7.5, {coming} >= 7.5 → altijd > 7, {now} >= 7.5")


@pytest.mark.parametrize("role", ["manager", "lezer"])
def test_only_the_beheerder_may_add_or_edit_a_kpi(app, client, role):
    with app.app_context():
        create_user(f"{role}@example.nl", PASSWORD, role)
    log_in(client, f"{role}@example.nl")
    page = client.get("/beheer/")
    from .test_admin import token
    csrf = token(page.get_data(as_text=True))
    for url in (NEW, EDIT):
        assert client.get(url).status_code == 403
    for url, data in ((NEW, SHARE_KPI), (EDIT, CLIENT_SUPPORT),
                      ("/beheer/kpis/client_support/norm/weg", {"from": "2030-H1"})):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403
    assert stored_versions(app) == 0


def test_a_form_without_its_csrf_token_is_refused(app, beheerder):
    assert beheerder.post(NEW, data=SHARE_KPI).status_code == 400
    assert stored_versions(app) == 0


def test_a_kpi_with_published_figures_keeps_its_question_in_the_form_and_the_import(app, beheerder, tmp_path):
    """A published period's figures never change: not by pointing its KPI at another question."""
    with app.app_context():
        publish("2026-H1", questionnaires=["client"])
        exported = to_toml(catalogue())
    message = ("client_support heeft vrijgegeven uitkomsten (vanaf 2026-H1), dus de vraag en de uitkomst blijven "
               "client C1 gemiddelde. Maak voor een andere vraag een nieuwe KPI.")
    reply = post_form(beheerder, EDIT, EDIT, {**CLIENT_SUPPORT, "item": "C2"})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert (f'<p class="error-message" id="item-error"><span class="visually-hidden">Fout: </span>{message}</p>'
            in html)
    changed = tmp_path / "kpis.toml"
    changed.write_text(exported.replace('key = "client_support"\nquestionnaire = "client"\nitem = "C1"',
                                        'key = "client_support"\nquestionnaire = "client"\nitem = "C2"'))
    output = app.test_cli_runner().invoke(args=["kpis", "import", str(changed)])
    assert output.exit_code == 1 and output.output.count(message) == 1
    # The base norm of a published half-year cannot move either, in the file.
    raised = tmp_path / "raised.toml"
    raised.write_text(exported.replace('norm = 7\n', 'norm = 7.5\n', 1))  # the first KPI: client_support
    output = app.test_cli_runner().invoke(args=["kpis", "import", str(raised)])
    assert output.exit_code == 1
    assert ("De norm van client_support is al gebruikt voor de vrijgegeven periode 2026-H1, 2026-Q1, 2026-Q2. "
            "Een nieuwe norm kan ingaan vanaf 2026-H2.") in output.output
    assert stored_versions(app) == 0
    # A name may still change: the figures stay the same.
    renamed = post_form(beheerder, EDIT, EDIT, {**CLIENT_SUPPORT, "label-nl": "Waardering voor de hulp"})
    assert renamed.status_code == 303 and stored_versions(app) == 1

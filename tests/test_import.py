"""Paper forms typed into a spreadsheet and imported: `flask --app surveys import-responses client FILE.csv`.
All rows or none; every bad row named with the line the person sees in their editor."""

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from surveys import periods
from surveys.extensions import db
from surveys.models import Answer, QuestionnaireVersion, Response

from .conftest import make_app

HEADER = "date,C1,C2,C3,C4,C5,C6,C7,C8,C9,C10,respondent_role,help_from"
GOOD_ROW = "2026-03-31,8,7,nvt,ja,5,4,weet_niet,3,2,,,"


def import_file(runner, tmp_path, content: bytes, questionnaire: str = "client"):
    path = tmp_path / "papier.csv"
    path.write_bytes(content)
    return runner.invoke(args=["import-responses", questionnaire, str(path)]), path


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)))


def refusal(path, *problems: str) -> str:
    return "".join([f"Nothing imported: {len(problems)} problem(s) in {path}:\n",
                    *(f"  {problem}\n" for problem in problems)])


def test_a_good_file_stores_exactly_its_rows(app, runner, tmp_path):
    # As Dutch Excel saves "CSV UTF-8": a byte order mark, ';' between fields, CRLF line ends; a free
    # text with a comma and a line break inside quotes; weet_niet and nvt; empty cells for skipped items.
    lines = [
        "date;C1;C2;C3;C4;C5;C6;C7;C8;C9;C10;respondent_role;help_from",
        '2026-03-31;8;7;nvt;ja;5;4;weet_niet;3;2;"Sneller terugbellen, graag.\r\nEn minder formulieren.";'
        "ouder_verzorger;sociaal_team",
        "2026-04-01;weet_niet;6;9;een_beetje;4;4;4;4;4;;;",
        "2025-12-31; 10 ;10;weet_niet;nee;1;2;3;4;5;;jongere;weet_niet",
        "",
    ]
    content = b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8")

    result, _ = import_file(runner, tmp_path, content)

    assert (result.exit_code, result.output) == (0, "3 responses imported for client\n")
    with app.app_context():
        version = db.session.scalars(select(QuestionnaireVersion).filter_by(questionnaire="client")).one()
        responses = db.session.scalars(select(Response).order_by(Response.id)).all()
        assert [(r.questionnaire, r.questionnaire_version_id, r.submitted_on, r.half_year, r.quarter, r.channel,
                 r.round_id) for r in responses] == [
            ("client", version.id, date(2026, 3, 31), "2026-H1", "2026-Q1", "paper", None),
            ("client", version.id, date(2026, 4, 1), "2026-H1", "2026-Q2", "paper", None),
            ("client", version.id, date(2025, 12, 31), "2025-H2", "2025-Q4", "paper", None),
        ]
        answers = [{a.item: (a.value, a.code, a.text) for a in r.answers} for r in responses]
        assert answers[0] == {
            "C1": (8, None, None), "C2": (7, None, None), "C3": (None, "nvt", None), "C4": (None, "ja", None),
            "C5": (5, None, None), "C6": (4, None, None), "C7": (None, "weet_niet", None), "C8": (3, None, None),
            "C9": (2, None, None), "C10": (None, None, "Sneller terugbellen, graag.\nEn minder formulieren."),
            "respondent_role": (None, "ouder_verzorger", None), "help_from": (None, "sociaal_team", None),
        }
        assert answers[1] == {
            "C1": (None, "weet_niet", None), "C2": (6, None, None), "C3": (9, None, None),
            "C4": (None, "een_beetje", None), "C5": (4, None, None), "C6": (4, None, None), "C7": (4, None, None),
            "C8": (4, None, None), "C9": (4, None, None),
        }
        assert answers[2] == {
            "C1": (10, None, None), "C2": (10, None, None), "C3": (None, "weet_niet", None),
            "C4": (None, "nee", None), "C5": (1, None, None), "C6": (2, None, None), "C7": (3, None, None),
            "C8": (4, None, None), "C9": (5, None, None), "respondent_role": (None, "jongere", None),
            "help_from": (None, "weet_niet", None),
        }
        assert stored() == (3, 12 + 9 + 11)


def test_a_comma_file_with_only_some_optional_columns(app, runner, tmp_path):
    content = (b"date,G1,G2,G3,G4,G5,G6\n"
               b"2026-06-30,7,4,4,3,weet_niet,5\n")

    result, _ = import_file(runner, tmp_path, content, "gemeente")

    assert (result.exit_code, result.output) == (0, "1 responses imported for gemeente\n")
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert (response.questionnaire, response.half_year, response.quarter) == ("gemeente", "2026-H1", "2026-Q2")
        assert {a.item: (a.value, a.code) for a in response.answers} == {
            "G1": (7, None), "G2": (4, None), "G3": (4, None), "G4": (3, None), "G5": (None, "weet_niet"),
            "G6": (5, None)}


def test_a_file_with_bad_rows_stores_nothing_and_names_every_one(app, runner, tmp_path):
    tomorrow = (periods.today() + timedelta(days=1)).isoformat()
    lines = [
        HEADER,                                                              # 1
        GOOD_ROW,                                                            # 2
        "2026-03-31,11,7,nvt,ja,5,4,3,2,1,,,",                               # 3  grade 11
        "2026-03-31,8,7,nvt,misschien,5,4,3,2,1,,,",                         # 4  unknown option
        '2026-03-31,8,7,nvt,ja,5,4,3,2,1,"Goed geholpen,',                   # 5  a good row over
        'dank u.",client,cjg',                                               # 6  two lines
        "2026-02-30,8,7,nvt,ja,5,4,3,2,1,,,",                                # 7  no such day
        f"{tomorrow},8,7,nvt,ja,5,4,3,2,1,,,",                               # 8  in the future
        "2026-03-31,,7,nvt,ja,5,4,3,2,1,,,",                                 # 9  required C1 missing
        "2026-03-31,8,7,nvt,ja,5,4,3,2,1,,,,",                               # 10 one field too many
        '2026-03-31,8,7,nvt,ja,5,4,3,2,1,"Eerste regel',                     # 11 a good row over
        "",                                                                  # 12 three lines, one
        'derde regel",,',                                                    # 13 of them empty
        "2026-13-01,0,7,nvt,ja,6,4,3,2,1,,ouder,",                           # 14 four problems
        "2026-W13-2,8,7,nvt,ja,5,4,3,2,1,,,",                                # 15 a week date
        "",                                                                  # 16 blank: skipped
        "1999-12-31,8,7,nvt,ja,5,4,3,2,1,,,",                                # 17 before 2000
    ]
    result, path = import_file(runner, tmp_path, "\n".join(lines).encode("utf-8"))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == refusal(
        path,
        "regel 3: C1 = '11' is geen geldig antwoord; toegestaan: 1 t/m 10, weet_niet",
        "regel 4: C4 = 'misschien' is geen geldig antwoord; toegestaan: ja, een_beetje, nee",
        "regel 7: datum '2026-02-30' is geen geldige datum als JJJJ-MM-DD",
        f"regel 8: datum {tomorrow} ligt in de toekomst",
        "regel 9: C1 is leeg, maar deze vraag is verplicht",
        "regel 10: 14 velden, de kopregel heeft er 13",
        "regel 14: datum '2026-13-01' is geen geldige datum als JJJJ-MM-DD",
        "regel 14: C1 = '0' is geen geldig antwoord; toegestaan: 1 t/m 10, weet_niet",
        "regel 14: C5 = '6' is geen geldig antwoord; toegestaan: 5, 4, 3, 2, 1, weet_niet",
        "regel 14: respondent_role = 'ouder' is geen geldig antwoord; toegestaan: client, ouder_verzorger, "
        "jongere, naaste",
        "regel 15: datum '2026-W13-2' is geen geldige datum als JJJJ-MM-DD",
        "regel 17: datum 1999-12-31 ligt vóór 2000-01-01",
    )
    with app.app_context():
        assert stored() == (0, 0)


def test_a_bad_header_is_named_and_the_rows_are_not_guessed_at(app, runner, tmp_path):
    content = (b"date,C1,C2,C3,C4,C5,C6,C7,C8,C9,C10,C1,opmerking\n"
               b"2026-03-31,8,7,nvt,ja,5,4,3,2,1,,8,\n")

    result, path = import_file(runner, tmp_path, content)

    assert result.exit_code == 1
    assert result.stderr == refusal(
        path,
        "regel 1: onbekende kolommen 'opmerking'; bekend zijn date, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, "
        "respondent_role, help_from",
        "regel 1: kolommen komen dubbel voor: 'C1'",
    )
    with app.app_context():
        assert stored() == (0, 0)


def test_missing_date_and_required_columns_are_named(app, runner, tmp_path):
    result, path = import_file(runner, tmp_path, b"C1,C2,C10\n8,7,\n")

    assert result.exit_code == 1
    assert result.stderr == refusal(
        path,
        "regel 1: de kolom 'date' (datum als JJJJ-MM-DD) ontbreekt",
        "regel 1: verplichte kolommen ontbreken: C3, C4, C5, C6, C7, C8, C9",
    )


def test_invalid_utf8_is_refused_with_its_line(app, runner, tmp_path):
    # "Café" saved as Windows-1252 instead of UTF-8, in the third line.
    content = (HEADER + "\n" + GOOD_ROW + "\n").encode("utf-8") + b'2026-03-31,8,7,nvt,ja,5,4,3,2,1,"Caf\xe9",,\n'

    result, path = import_file(runner, tmp_path, content)

    assert result.exit_code == 1
    assert result.stderr == refusal(path, "regel 3: het bestand is geen geldige UTF-8-tekst; sla het op als "
                                          "'CSV UTF-8'")
    with app.app_context():
        assert stored() == (0, 0)


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "regel 1: het bestand is leeg; de eerste regel moet de kolomnamen geven"),
    (b"\xef\xbb\xbf\r\n\r\n", "regel 1: het bestand is leeg; de eerste regel moet de kolomnamen geven"),
    ((HEADER + "\n").encode(), "het bestand bevat geen antwoorden, alleen een kopregel"),
], ids=["empty", "only blank lines", "only a header"])
def test_an_empty_file_is_refused(app, runner, tmp_path, content, problem):
    result, path = import_file(runner, tmp_path, content)

    assert result.exit_code == 1
    assert result.stderr == refusal(path, problem)


def test_a_quote_left_open_does_not_swallow_the_rows_after_it(app, runner, tmp_path):
    # Without strict parsing the open quote ran to the end of the file: rows 3 and 4 became part of a
    # free text and one response was stored instead of none.
    lines = [HEADER, '2026-03-31,8,7,nvt,ja,5,4,3,2,1,"Vergeten te sluiten,,', GOOD_ROW, GOOD_ROW]

    result, path = import_file(runner, tmp_path, "\n".join(lines).encode("utf-8"))

    assert result.exit_code == 1
    assert result.stderr == refusal(path, 'regel 2: een aanhalingsteken (") wordt geopend maar nergens gesloten')
    with app.app_context():
        assert stored() == (0, 0)


def test_control_characters_and_long_text_are_refused_and_shown_readably(app, runner, tmp_path):
    lines = [HEADER,
             "2026-03-31,8,7,nvt,ja,5,4,3,2,1,Tekst met\x00nul,,",
             "2026-03-31,8,7,nvt,ja,5,4,3,2,1," + "x" * 2001 + ",,",
             "2026-03-31,8,7,nvt,ja,5,4,3,2,1,,,sociaal\x07team" + "!" * 50]

    result, path = import_file(runner, tmp_path, "\n".join(lines).encode("utf-8"))

    assert result.exit_code == 1
    assert result.stderr == refusal(
        path,
        "regel 2: C10: Deze tekst bevat tekens die we niet kunnen opslaan. Gebruik gewone letters en cijfers.",
        "regel 3: C10: Uw antwoord is te lang. Gebruik hoogstens 2000 tekens.",
        # The bell shown as \x07 (4 characters), the cell cut at 40: 7 + 4 + 4 + 25 "!".
        "regel 4: help_from = 'sociaal\\x07team" + "!" * 25 + "…' is geen geldig antwoord; "
        "toegestaan: cjg, sociaal_team, weet_niet",
    )


def test_import_before_seed_says_what_to_run(database_url, tmp_path):
    app = make_app(database_url)
    with app.app_context():
        db.create_all()

    result, path = import_file(app.test_cli_runner(), tmp_path, (HEADER + "\n" + GOOD_ROW + "\n").encode())

    assert result.exit_code == 1
    assert result.stderr == refusal(path, "de vragenlijst 'client' staat nog niet in de database; voer eerst "
                                          "'flask --app surveys seed' uit")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the same import in the browser: /beheer/papieren-formulieren ------------------------------------------

PAPER_PAGE = "/beheer/papieren-formulieren"


@pytest.fixture
def manager(app):
    from surveys.services.users import create_user

    from .test_manage import PASSWORD, log_in

    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
    client = app.test_client()
    log_in(client, "manager@example.nl")
    return client


def upload(client, content: bytes | None, questionnaire: str = "client"):
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(PAPER_PAGE).get_data(as_text=True))
    data = {"csrf_token": token.group(1), "questionnaire": questionnaire}
    if content is not None:
        data["file"] = (io.BytesIO(content), "papier.csv")
    return client.post(PAPER_PAGE, data=data, content_type="multipart/form-data")


def paper_audit(app) -> list[str]:
    from surveys.models import AuditEvent

    with app.app_context():
        return [event.detail for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "paper_forms_imported"))]


def test_a_manager_uploads_paper_forms_and_every_row_is_stored(app, manager):
    assert 'href="/beheer/papieren-formulieren"' in manager.get("/beheer/rondes").get_data(as_text=True)
    content = "\n".join([HEADER, GOOD_ROW, "2026-04-01,6,5,nvt,nee,4,3,2,weet_niet,1,,,"]).encode("utf-8")

    reply = upload(manager, content)

    assert reply.status_code == 303 and reply.headers["Location"] == PAPER_PAGE
    assert "2 reacties ingelezen voor Cliënten (na afsluiting)." in manager.get(PAPER_PAGE).get_data(as_text=True)
    with app.app_context():
        assert [(r.submitted_on, r.channel) for r in db.session.scalars(select(Response).order_by(Response.id))] == [
            (date(2026, 3, 31), "paper"), (date(2026, 4, 1), "paper")]
    assert paper_audit(app) == ["papieren formulieren: 2 reacties voor client"]


def test_an_upload_with_bad_rows_stores_nothing_and_lists_every_line(app, manager):
    content = "\n".join([HEADER, GOOD_ROW, "2026-03-31,11,7,nvt,ja,5,4,3,2,1,,,",
                         "2026-02-30,8,7,nvt,ja,5,4,3,2,1,,,"]).encode("utf-8")

    reply = upload(manager, content)

    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "<title>Fout: Papieren formulieren inlezen" in html and "Er is niets ingelezen" in html
    assert "<li>Regel 3: C1 = &#39;11&#39; is geen geldig antwoord; toegestaan: 1 t/m 10, weet_niet.</li>" in html
    assert "<li>Regel 4: datum &#39;2026-02-30&#39; is geen geldige datum als JJJJ-MM-DD.</li>" in html
    assert html.count("<li>Regel ") == 2 and "Er zijn 2 fouten gevonden." in html
    with app.app_context():
        assert stored() == (0, 0)
    assert paper_audit(app) == []


def test_an_upload_without_a_file_or_for_an_unknown_questionnaire_is_refused(app, manager):
    reply = upload(manager, None)
    assert reply.status_code == 400 and '<a href="#file">Kies een CSV-bestand.</a>' in reply.get_data(as_text=True)
    reply = upload(manager, f"{HEADER}\n{GOOD_ROW}".encode(), questionnaire="onbekend")
    assert reply.status_code == 400
    assert '<a href="#questionnaire">Kies een vragenlijst uit de lijst.</a>' in reply.get_data(as_text=True)
    with app.app_context():
        assert stored() == (0, 0)


def test_late_paper_forms_for_a_published_period_are_refused_in_the_browser_too(app, manager):
    from surveys.services.publication import publish

    from .test_publication import GRADES, store_partners

    with app.app_context():
        store_partners(GRADES)
        publish("2026-H1", "partner", by="m@example.nl", today=date(2026, 7, 1))
        before = stored()
    late = b"date,P1,P2,P3,P4,P5,P6,P7\n2026-05-20,3,4,4,4,4,4,4\n"

    reply = upload(manager, late, questionnaire="partner")

    assert reply.status_code == 400
    assert ("<li>De resultaten van 2026-H1 zijn al vrijgegeven: reacties voor die periode kunnen niet meer worden "
            "toegevoegd") in reply.get_data(as_text=True)
    with app.app_context():
        assert stored() == before

"""A beheerder edits questionnaires in the browser and shares them as files: every problem is named next to
its field with the file loader's words, an answered question keeps its meaning, and a file exported, imported
into an empty installation and exported again is the same to the byte."""

import io
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import AuditEvent, KnownQuestionnaire, QuestionnaireVersion
from surveys.periods import today
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_response
from surveys.services.users import create_user

from .conftest import another_app
from .test_manage import PASSWORD, csrf_token_from, log_in


class _Form(HTMLParser):
    """The fields a browser would send for the form posting to `action`, as the page fills them in."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields, self._select, self._textarea = action, False, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "on")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs["value"]))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.fields.pop()
            self.fields.append((name, value + data))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(html: str, action: str) -> dict[str, list[str]]:
    parser = _Form(action)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


def shown_errors(html: str) -> dict[str, str]:
    pattern = (r'<p class="error-message" id="([a-z0-9_-]+)-error"><span class="visually-hidden">'
               r'Fout: </span>([^<]+)</p>')
    return {name: unescape(message) for name, message in re.findall(pattern, html)}


@pytest.fixture
def beheerder(app):
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
    client = app.test_client()
    assert log_in(client, "beheerder@example.nl").status_code == 303
    return client


def editor_form(client, key: str) -> dict[str, list[str]]:
    return form_of(client.get(f"/beheer/vragenlijsten/{key}").get_data(as_text=True), f"/beheer/vragenlijsten/{key}")


def audit_count(prefix: str = "questionnaire") -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like(f"{prefix}%")))


def test_every_problem_is_named_next_to_its_field_and_nothing_is_stored(app, beheerder):
    fields = editor_form(beheerder, "partner")
    fields.update({"title-en": [""], "min_n": ["0"], "reminder_days": ["91"], "reporting": [],
                   "items-0-text-nl": ["  "], "items-1-missing": [],
                   # the blank question at the end, filled in wrongly: a key in use, one answer with a bad code
                   "items-9-key": ["P2"], "items-9-type": ["choice"], "items-9-text-nl": ["Nieuw?"],
                   "items-9-text-en": ["New?"], "items-9-options-0-code": ["Ja!"],
                   "items-9-options-0-label-nl": ["Ja"], "items-9-options-0-label-en": ["Yes"]})

    reply = beheerder.post("/beheer/vragenlijsten/partner", data=fields)

    assert reply.status_code == 400
    assert shown_errors(reply.get_data(as_text=True)) == {
        "title-en": "De Engelse tekst ontbreekt (title.en).",
        "min_n": "De kleinste groep (min_n) is een heel getal van 1 tot 100, niet 0.",
        "reminder_days": "'reminder_days' is een heel getal van 1 tot 90, niet 91.",
        "reporting": "Kies minstens één periode: half jaar (half_year) of kwartaal (quarter).",
        "items-0-text-nl": "De Nederlandse tekst ontbreekt (text.nl).",
        "items-1-missing": "Een cijfervraag of stelling heeft altijd het antwoord Weet ik niet (weet_niet).",
        "items-9-key": "De sleutel 'P2' wordt al gebruikt door een andere vraag.",
        "items-9-options": "Een keuzevraag heeft minstens twee antwoorden (options).",
        "items-9-options-0-code": "De code 'Ja!' moet uit kleine letters, cijfers en _ bestaan, zoals een_beetje.",
    }
    with app.app_context():
        assert db.session.get(KnownQuestionnaire, "partner").draft is None
        assert audit_count() == 0


def test_a_question_with_answers_keeps_its_meaning_and_its_wording_may_change(app, beheerder, runner, tmp_path):
    with app.app_context():
        store_response(current_version("partner"), NewResponse(today(), (AnswerValue("P2", value=4),), None),
                       channel="paper")
    fields = editor_form(beheerder, "partner")
    fields["items-1-type"] = ["grade"]  # P2 was a statement (agree)

    reply = beheerder.post("/beheer/vragenlijsten/partner", data=fields)

    message = ("Op vraag 'P2' is al geantwoord. Het soort vraag en de antwoorden blijven dan gelijk. "
               "Geef de vraag een nieuwe sleutel.")
    assert reply.status_code == 400
    assert shown_errors(reply.get_data(as_text=True)) == {"items-1-type": message}
    # The import refuses the same change with the same words.
    exported = tmp_path / "partner.toml"
    assert runner.invoke(args=["questionnaires", "export", "partner", "--out", str(exported)]).exit_code == 0
    changed = tmp_path / "changed.toml"
    changed.write_text(exported.read_text(encoding="utf-8").replace(
        'key = "P2"\ntype = "agree"', 'key = "P2"\ntype = "grade"'), encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "import", str(changed)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"partner: items[1] (P2): {message}"

    fields["items-1-type"], fields["items-1-text-nl"] = ["agree"], ["Het team is makkelijk te bereiken."]
    assert beheerder.post("/beheer/vragenlijsten/partner", data=fields).status_code == 303
    assert beheerder.post("/beheer/vragenlijsten/partner/publiceren",
                          data={"csrf_token": fields["csrf_token"][0]}).status_code == 303
    with app.app_context():
        versions = db.session.execute(select(QuestionnaireVersion.version).filter_by(questionnaire="partner")
                                      .order_by(QuestionnaireVersion.version)).scalars().all()
        assert versions == [1, 2]
        assert current_version("partner").definition["items"][1]["text"]["nl"] == "Het team is makkelijk te bereiken."
        events = [(e.action, e.actor) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("questionnaire%")).order_by(AuditEvent.id))]
        assert events == [("questionnaire_draft_changed", "beheerder@example.nl"),
                          ("questionnaire_published", "beheerder@example.nl")]
        published = db.session.scalar(select(AuditEvent.detail).filter_by(action="questionnaire_published"))
        assert published.startswith("partner versie 2: P2 text.nl: ")
        assert published.endswith(" → Het team is makkelijk te bereiken.")


def test_moving_and_deleting_questions_keeps_what_was_typed(app, beheerder):
    fields = editor_form(beheerder, "gemeente")
    fields["items-0-text-nl"] = ["Welk cijfer geeft u de samenwerking?"]

    assert beheerder.post("/beheer/vragenlijsten/gemeente", data={**fields, "action": "down-0"}).status_code == 303
    fields = editor_form(beheerder, "gemeente")
    assert beheerder.post("/beheer/vragenlijsten/gemeente", data={**fields, "action": "delete-2"}).status_code == 303

    with app.app_context():
        draft = db.session.get(KnownQuestionnaire, "gemeente").draft
        assert [item["key"] for item in draft["items"]] == ["G2", "G1", "G4", "G5", "G6", "G7"]
        assert draft["items"][1]["text"]["nl"] == "Welk cijfer geeft u de samenwerking?"


def test_a_file_exported_and_imported_into_an_empty_installation_is_the_same_to_the_byte(
        app, beheerder, runner, database_url, tmp_path):
    token = csrf_token_from(beheerder.get("/beheer/vragenlijsten").get_data(as_text=True))
    reply = beheerder.post("/beheer/vragenlijsten/nieuw", data={
        "csrf_token": token, "key": "jeugd", "copy_from": "client",
        "title-nl": "Wat vond je van de hulp?", "title-en": "What did you think of the help?"})
    assert reply.status_code == 303
    assert beheerder.post("/beheer/vragenlijsten/jeugd/publiceren", data={"csrf_token": token}).status_code == 303
    first = tmp_path / "jeugd.toml"
    assert runner.invoke(args=["questionnaires", "export", "jeugd", "--out", str(first)]).exit_code == 0
    downloaded = beheerder.get("/beheer/vragenlijsten/jeugd/bestand")
    assert downloaded.headers["Content-Disposition"] == 'attachment; filename="jeugd.toml"'
    assert downloaded.data == first.read_bytes()  # the editor's file is the same file
    text = first.read_text(encoding="utf-8")
    assert 'key = "jeugd"\nmin_n = 5\nopen_link = true\n' in text
    assert '\n[[items]]\nkey = "jeugd_C1"\ntype = "grade"\n' in text

    empty = another_app(database_url, tmp_path, "empty")
    other_runner = empty.test_cli_runner()
    result = other_runner.invoke(args=["questionnaires", "import", str(first)])
    assert (result.exit_code, result.output) == (0, "jeugd: version 1 is now the one respondents get\n")
    second = tmp_path / "again.toml"
    assert other_runner.invoke(args=["questionnaires", "export", "jeugd", "--out", str(second)]).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    with empty.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.actor == "cli")) == \
            "questionnaire_imported"


def test_a_bad_file_gets_the_same_problems_from_the_import_and_the_editor(app, beheerder, runner, tmp_path):
    bad = tmp_path / "partner.toml"
    bad.write_text('key = "partner"\nmin_n = 0\n\n[title]\nnl = "Samenwerking"\n\n[intro]\nnl = "x"\nen = "x"\n\n'
                   '[[items]]\nkey = "P1"\ntype = "cijfer"\ntext.nl = "?"\ntext.en = "?"\n', encoding="utf-8")
    problems = ["partner.toml: min_n: De kleinste groep (min_n) is een heel getal van 1 tot 100, niet 0.",
                "partner.toml: items[0] (P1): Het soort vraag (type) moet een van grade, agree, choice, open zijn, "
                "niet 'cijfer'.",
                "partner.toml: De Engelse tekst ontbreekt (title.en)."]

    result = runner.invoke(args=["questionnaires", "import", str(bad)])

    assert result.exit_code == 1
    assert result.output.splitlines()[-3:] == problems
    token = csrf_token_from(beheerder.get("/beheer/vragenlijsten/partner").get_data(as_text=True))
    reply = beheerder.post("/beheer/vragenlijsten/partner/bestand", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(bad.read_bytes()), "partner.toml")})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    listed = re.search(r'id="file-summary-title">[^<]*</h2>\s*<ul>(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>([^<]*)</li>", listed) == [p.replace("'", "&#39;") for p in problems]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 4
        assert db.session.get(KnownQuestionnaire, "partner").draft is None
        assert audit_count() == 0


def test_seed_keeps_the_version_a_beheerder_published(app, beheerder, runner):
    fields = editor_form(beheerder, "medewerker")
    fields["items-0-text-nl"] = ["Hoe goed is ons werk intern geregeld? Geef een cijfer van 1 tot 10."]
    assert beheerder.post("/beheer/vragenlijsten/medewerker", data=fields).status_code == 303
    assert beheerder.post("/beheer/vragenlijsten/medewerker/publiceren",
                          data={"csrf_token": fields["csrf_token"][0]}).status_code == 303

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0
    assert "medewerker: version 2 (kept: published in the editor)\n" in result.output
    assert "client: version 1 (unchanged)\n" in result.output
    with app.app_context():
        assert current_version("medewerker").version == 2
    # A manager can now open a round for a questionnaire made in the editor too.
    token = csrf_token_from(beheerder.get("/beheer/vragenlijsten").get_data(as_text=True))
    beheerder.post("/beheer/vragenlijsten/nieuw", data={"csrf_token": token, "key": "jeugd", "copy_from": "",
                                                        "title-nl": "Jouw mening", "title-en": "Your view"})
    assert "Jouw mening (jeugd)" not in beheerder.get("/beheer/rondes").get_data(as_text=True)  # not published
    beheerder.post("/beheer/vragenlijsten/jeugd/publiceren", data={"csrf_token": token})
    rounds_page = beheerder.get("/beheer/rondes").get_data(as_text=True)
    assert '<option value="jeugd">Jouw mening (jeugd)</option>' in rounds_page

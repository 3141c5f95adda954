"""A respondent opens a link, answers, and sees thanks: each questionnaire, with CSRF on."""

from datetime import date, datetime, time

import pytest
from sqlalchemy import DateTime, Time, inspect, select

from surveys import periods
from surveys.extensions import db
from surveys.models import Answer, Response
from surveys.services.rounds import hash_code

from .helpers import GOOD_ANSWERS, codes_for, counts, csrf_token, fill_in, open_round, page_tokens, register_tablet

CLOSED_QUESTIONS = {"client": 11, "partner": 8, "gemeente": 6, "medewerker": 8}


@pytest.mark.parametrize("questionnaire", ["client", "partner", "gemeente", "medewerker"])
def test_respondent_answers_by_code_and_sees_thanks(app, client, questionnaire):
    with app.app_context():
        round_ = open_round(questionnaire)
        (code,) = codes_for(round_)
        round_id = round_.id
    page = client.get(f"/r/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="nl">' in html
    # Every question but the open one is a fieldset with a legend.
    assert html.count("<fieldset") == html.count("<legend") == CLOSED_QUESTIONS[questionnaire]

    reply = fill_in(client, f"/r/{code}", GOOD_ANSWERS[questionnaire])
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("/bedankt")
    assert "Dank u wel" in client.get(reply.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        response = db.session.scalar(select(Response))
        assert (response.questionnaire, response.round_id, response.channel) == (questionnaire, round_id, "code")
        stored = {a.item: a.value if a.value is not None else (a.code or a.text) for a in
                  db.session.scalars(select(Answer))}
        expected = {k: (int(v) if v.isdigit() else v) for k, v in GOOD_ANSWERS[questionnaire].items() if v}
        assert stored == expected
        assert counts()[2] == 1

    again = client.get(f"/r/{code}")
    assert again.status_code == 410
    assert "al gebruikt" in again.get_data(as_text=True)


@pytest.mark.parametrize("client_round", [None, "open", "closed"])
def test_clients_at_the_office_answer_one_after_another_on_the_open_link(app, client, client_round):
    """The tablet at the office: no code. A response counts towards the cliënt round open today, if any."""
    with app.app_context():
        open_round("partner")  # another questionnaire's round never counts
        expected_round_id = None
        if client_round == "open":
            expected_round_id = open_round("client").id
        elif client_round == "closed":
            open_round("client", days_back=30, days_ahead=-1)

    register_tablet(client)
    page = client.get("/q/client")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<fieldset") == CLOSED_QUESTIONS["client"]
    for _ in range(2):
        reply = fill_in(client, "/q/client", GOOD_ANSWERS["client"])
        assert reply.status_code == 303
        assert reply.headers["Location"].endswith("/q/client/volgende")
        assert "Volgende persoon" in client.get(reply.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        responses = db.session.scalars(select(Response)).all()
        assert [(r.questionnaire, r.round_id, r.channel, r.submitted_on) for r in responses] == [
            ("client", expected_round_id, "open", periods.today())] * 2
        assert counts() == (2, 24, 0)  # 12 answers each (C1-C10 and both background questions), no code


@pytest.mark.parametrize("questionnaire", ["partner", "medewerker", "gemeente", "onbekend"])
def test_only_the_client_questionnaire_has_an_open_link(app, client, questionnaire):
    with app.app_context():
        if questionnaire != "onbekend":
            open_round(questionnaire)
    register_tablet(client)
    page = client.get(f"/q/{questionnaire}")
    assert page.status_code == 404
    assert "Pagina niet gevonden" in page.get_data(as_text=True)

    token = csrf_token(client.get("/q/client").get_data(as_text=True))
    answers = GOOD_ANSWERS.get(questionnaire, GOOD_ANSWERS["client"])
    assert client.post(f"/q/{questionnaire}", data={**answers, "csrf_token": token}).status_code == 404
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_a_respondent_who_skips_a_question_corrects_it_and_sees_thanks(app, client):
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    answers = {**GOOD_ANSWERS["client"], "C1": None}  # the browser sends nothing for an unticked question

    reply = fill_in(client, f"/r/{code}", answers)
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    start = page.index('<div class="error-summary"')
    summary = page[start:page.index("</div>", start)]
    # A heading of its own (not the server failure's "Er ging iets mis"), one short line per question that
    # names its number and what to do, linked to the whole question.
    assert '<h2 id="error-summary-title">Controleer uw antwoorden</h2>' in summary
    assert '<li><a href="#C1">Kies een cijfer bij vraag 1.</a></li>' in summary
    assert summary.count("<li>") == 1
    assert '<input type="radio" id="C1-1" name="C1" value="1">' in page
    assert ('<fieldset class="question grade has-error" id="C1" tabindex="-1" role="radiogroup" '
            'aria-labelledby="C1-legend" aria-required="true" aria-invalid="true" '
            'aria-describedby="C1-scale C1-error">') in page
    assert ('<legend class="question-title" id="C1-legend"><span class="question-number">Vraag 1</span> '
            'Wat vindt u van de hulp van het Sociaal Team? Geef een rapportcijfer van 1 tot 10.</legend>') in page
    assert "Kies een cijfer van 1 tot 10. Weet u het niet? Kies dan &#39;Weet ik niet&#39;." in \
        page[page.index('id="C1-error"'):page.index('id="C1-1"')]
    assert 'aria-invalid="true"' not in page[page.index('id="C2"'):], "only the question with the error"
    # Everything else the respondent chose is still chosen, and the text is still there.
    for key in ("C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "respondent_role", "help_from"):
        value = GOOD_ANSWERS["client"][key]
        assert f'<input type="radio" id="{key}-{value}" name="{key}" value="{value}" checked>' in page
    assert page.count(" checked>") == 10
    assert ">Sneller terugbellen graag.</textarea>" in page
    with app.app_context():
        assert counts() == (0, 0, 0)

    corrected = client.post(f"/r/{code}", data={**GOOD_ANSWERS["client"], "csrf_token": csrf_token(page)})
    assert corrected.status_code == 303
    assert "Dank u wel" in client.get(corrected.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert counts() == (1, 12, 1)
        assert db.session.scalar(select(Answer.value).where(Answer.item == "C1")) == 8


def test_responses_stored_together_each_count_towards_the_round_open_on_their_own_day(app):
    """OpenRound.ON_ITS_DAY in a batch: the round is looked up per response, by its day."""
    from datetime import timedelta

    from surveys.answers import AnswerValue
    from surveys.services.questionnaires import current_version
    from surveys.services.responses import NewResponse, OpenRound, store_many

    today = periods.today()
    with app.app_context():
        current = open_round("client", days_back=3, days_ahead=3).id
        open_round("partner", days_back=20, days_ahead=20)  # another questionnaire's round never counts
        days = [today, today - timedelta(days=10), today - timedelta(days=3)]
        store_many(current_version("client"), [NewResponse(day, [AnswerValue("C1", value=8)], OpenRound.ON_ITS_DAY)
                                               for day in days], channel="paper")
        stored = db.session.execute(select(Response.submitted_on, Response.round_id).order_by(Response.id)).all()
    assert [tuple(row) for row in stored] == [(days[0], current), (days[1], None), (days[2], current)]


def test_a_stored_response_holds_no_code_and_no_time_of_day(app, client):
    """DESIGN.md section 6: version, period, day, channel and answers; nothing that leads back to a code."""
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    assert fill_in(client, f"/r/{code}", GOOD_ANSWERS["client"]).status_code == 303

    with app.app_context():
        schema = inspect(db.engine)
        columns = {table: {c["name"]: c["type"] for c in schema.get_columns(table)} for table in ("response", "answer")}
        assert set(columns["response"]) == {"id", "questionnaire_version_id", "questionnaire", "round_id",
                                            "submitted_on", "half_year", "quarter", "channel"}
        # answer.code is the answer code ("ja", "nvt"), never an invitation code.
        assert set(columns["answer"]) == {"response_id", "item", "value", "code", "text"}
        for table, types in columns.items():
            for name, type_ in types.items():
                assert not isinstance(type_, DateTime | Time), f"{table}.{name} can hold a time of day"

        stored = [row for model in (Response, Answer) for row in db.session.execute(select(model.__table__))]
        values = [value for row in stored for value in row]
        assert not any(isinstance(value, datetime | time) for value in values)
        assert type(db.session.scalar(select(Response.submitted_on))) is date
        assert not any(secret in str(value) for value in values for secret in (code, hash_code(code)))


def test_healthz_says_ok(client):
    reply = client.get("/healthz")
    assert (reply.status_code, reply.get_json()) == (200, {"status": "ok", "database": "up"})


def test_the_accessibility_statement_is_linked_from_every_respondent_page(app, client):
    with app.app_context():
        used, fresh = codes_for(open_round("client"), 2)
    thanks = fill_in(client, f"/r/{used}", GOOD_ANSWERS["client"]).headers["Location"]
    not_a_tablet = client.get("/q/client")
    register_tablet(client)
    token = csrf_token(client.get("/q/client").get_data(as_text=True))
    pages = {
        "form by code": (client.get(f"/r/{fresh}"), 200),
        "open link not on a tablet": (not_a_tablet, 403),
        "open link form": (client.get("/q/client"), 200),
        "thanks": (client.get(thanks), 200),
        "next person": (client.get("/q/client/volgende"), 200),
        "form with errors": (client.post("/q/client", data={"csrf_token": token}), 422),
        "used code": (client.get(f"/r/{used}"), 410),
        "unknown code": (client.get("/r/onbekend"), 404),
        "no such page": (client.get("/bestaat-niet"), 404),
        "session lost": (client.post("/q/client", data=GOOD_ANSWERS["client"]), 400),
        "wrong encoding": (client.post("/q/client", json=GOOD_ANSWERS["client"]), 415),
    }
    for name, (reply, status) in pages.items():
        assert reply.status_code == status, name
        assert '<a href="/toegankelijkheid">Toegankelijkheid</a>' in reply.get_data(as_text=True), name

    statement = client.get("/toegankelijkheid")
    assert statement.status_code == 200
    text = statement.get_data(as_text=True)
    assert "<h1>Toegankelijkheidsverklaring</h1>" in text and "WCAG 2.1 niveau AA" in text


def test_a_post_that_finds_the_database_locked_gets_the_503_page_and_stores_nothing(tmp_path):
    """A real fault on the driver-level write path (services/sql.py): another process holds SQLite's
    write lock longer than the app waits. The respondent gets the "not available" page, not a 500."""
    import sqlite3

    from surveys.services.questionnaires import seed

    from .conftest import make_app

    path = tmp_path / "locked.sqlite3"
    app = make_app(f"sqlite:///{path}",
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"timeout": 0.2}})
    with app.app_context():
        db.create_all()
        seed()
    client = app.test_client()
    register_tablet(client)
    page = client.get("/q/client")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        reply = client.post("/q/client", data={**GOOD_ANSWERS["client"], **page_tokens(page.text)})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "60"
    assert "niet beschikbaar" in reply.text
    with app.app_context():
        assert counts() == (0, 0, 0)
        db.session.remove()
        db.engine.dispose()

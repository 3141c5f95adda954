"""A respondent opens a link, answers, and sees thanks: each questionnaire, with CSRF on."""

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Answer, Response

from .helpers import GOOD_ANSWERS, codes_for, counts, fill_in, open_round

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

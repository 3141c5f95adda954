"""A code from a letter is typed by a person (DESIGN.md section 4): 16 characters in groups of four, without
look-alikes, accepted in any case, with or without dashes or spaces, with O for 0 and I or L for 1; at /code
on its own or as part of the link. Codes made before keep working exactly as they were."""

import re

import pytest

from surveys.extensions import db
from surveys.models import InvitationCode
from surveys.services.rounds import hash_code

from .helpers import codes_for, csrf_token, open_round


@pytest.fixture
def code(app):
    with app.app_context():
        (code,) = codes_for(open_round("client"))
    return code


def typed(code: str) -> str:
    """The code as someone might type it: small letters, spaces for dashes, O for 0 and L for 1."""
    return code.lower().replace("-", " ").replace("0", "O").replace("1", "l")


def test_the_link_works_however_the_code_in_it_is_typed(client, code):
    assert client.get(f"/r/{code}").status_code == 200
    assert client.get(f"/r/{code.replace('-', '').lower()}").status_code == 200
    assert client.get(f"/r/{typed(code).replace(' ', '-')}").status_code == 200
    assert client.get(f"/r/{code[:-1]}{'A' if code[-1] != 'A' else 'B'}").status_code == 404


def test_the_code_page_leads_to_the_questionnaire(client, code):
    page = client.get("/code")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<label class="question-title" for="code">Code</label>' in html
    reply = client.post("/code", data={"code": f"  {typed(code)}  ", "csrf_token": csrf_token(html)})
    assert reply.status_code == 303
    assert reply.headers["Location"] == f"/r/{code.replace('-', '')}"
    assert client.get(reply.headers["Location"]).status_code == 200


@pytest.mark.parametrize("wrong", ["", "K7Q2-M9XD-4HNP", "K7Q2-M9XD-4HNP-W3RU", "<script>", "x" * 5000])
def test_a_code_of_the_wrong_shape_is_refused_with_an_example(client, wrong):
    html = client.get("/code").get_data(as_text=True)
    reply = client.post("/code", data={"code": wrong, "csrf_token": csrf_token(html)})
    assert reply.status_code == 422
    assert ("Een code heeft 16 tekens, zoals K7Q2-M9XD-4HNP-W3RT. Kijk nog eens in de brief."
            in reply.get_data(as_text=True))
    assert 'aria-invalid="true"' in reply.get_data(as_text=True)


def test_a_code_of_the_old_shape_works_exactly_as_made_and_only_so(app, client):
    old = "Zm9vYmFyYmF6cXV4cXV1eA"  # 23 URL-safe characters, as codes were made before
    with app.app_context():
        round_ = open_round("client")
        db.session.add(InvitationCode(round_id=round_.id, code_hash=hash_code(old)))
        db.session.commit()
    assert client.get(f"/r/{old}").status_code == 200
    assert client.get(f"/r/{old.lower()}").status_code == 404


def test_every_typing_of_a_code_has_one_hash():
    assert hash_code("K7Q2-M9XD-4HNP-W3RT") == hash_code("k7q2m9xd4hnpw3rt") == hash_code(" K7Q2 M9XD 4HNP W3RT ")
    assert hash_code("10QZ-M9XD-4HNP-W3RT") == hash_code("lOqz-m9xd-4hnp-w3rt") == hash_code("IoQZM9XD4HNPW3RT")
    assert hash_code("K7Q2-M9XD-4HNP-W3RT") != hash_code("K7Q2-M9XD-4HNP-W3RV")
    assert re.fullmatch("[0-9a-f]{64}", hash_code("K7Q2-M9XD-4HNP-W3RT"))

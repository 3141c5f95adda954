"""No database-visible trace ties an invitation code (and so the person it was sent to) to the response it
produced (DESIGN.md section 6). The attacker here reads the database with plain SQL, holds the codes as the
manager who printed the letters does, and tries PostgreSQL's system columns: the transaction id that wrote
a row (xmin) and its physical place (ctid)."""


import pytest
from sqlalchemy import text

from surveys import periods
from surveys.extensions import db
from surveys.periods import half_year_of
from surveys.services.questionnaires import seed
from surveys.services.rounds import create_round, hash_code, issue_codes

from ..conftest import make_app, reset_postgres
from ..helpers import GOOD_ANSWERS, fill_in

pytestmark = [pytest.mark.postgres, pytest.mark.attack]

# Eight invitees, each with a grade only they gave, answering in this order; a ninth never answers.
GRADES = {"anna": "3", "bram": "4", "cees": "5", "daan": "6", "eva": "7", "fenna": "8", "gijs": "9", "hans": "10"}


@pytest.fixture
def answered(postgres_url):
    """A partner round with nine codes, eight of them used, one answer each; returns the app and the codes
    by invitee."""
    reset_postgres(postgres_url)
    app = make_app(postgres_url)
    with app.app_context():
        db.create_all()
        seed()
        period = half_year_of(periods.today())
        round_ = create_round("partner", str(period), opens_on=period.start, closes_on=period.end, population=9)
        codes = [code for batch in issue_codes(round_, 9) for code in batch]
    by_person = dict(zip([*GRADES, "ilse"], codes, strict=True))
    client = app.test_client()
    for person, grade in GRADES.items():
        reply = fill_in(client, f"/r/{by_person[person]}", {**GOOD_ANSWERS["partner"], "P1": grade})
        assert reply.status_code == 303, reply.status_code
    yield app, by_person
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _system_columns(app, by_person):
    """Per invitee who answered: their code row's xmin and ctid; per grade given: the response's."""
    with app.app_context():
        codes = {person: db.session.execute(text(
            "SELECT xmin::text::bigint, ctid::text FROM invitation_code WHERE code_hash = :hash"),
            {"hash": hash_code(code)}).one() for person, code in by_person.items() if person in GRADES}
        codes = {person: (xmin, _place(ctid)) for person, (xmin, ctid) in codes.items()}
        responses = {str(row.value): (row.xmin, _place(row.ctid)) for row in db.session.execute(text(
            "SELECT answer.value, response.xmin::text::bigint AS xmin, response.ctid::text AS ctid "
            "FROM response JOIN answer ON answer.response_id = response.id WHERE answer.item = 'P1'"))}
    return codes, responses


def _place(ctid: str) -> tuple[int, int]:
    """'(page,slot)' as numbers, to sort by."""
    page, slot = ctid.strip("()").split(",")
    return int(page), int(slot)


def test_no_code_row_shares_a_transaction_id_with_a_response(answered):
    app, by_person = answered
    codes, responses = _system_columns(app, by_person)

    assert sorted(responses) == sorted(GRADES.values(), key=str)
    code_xmins = {xmin for xmin, _ in codes.values()}
    assert code_xmins.isdisjoint({xmin for xmin, _ in responses.values()})


def test_the_transaction_ids_of_used_codes_single_out_no_one(answered):
    """The attacker's best pairing: each used code with the response whose transaction id is nearest to
    its own. Every used code carries the same transaction id, so that pairing ties all three codes to one
    response: at most one person right."""
    app, by_person = answered
    codes, responses = _system_columns(app, by_person)

    assert len({xmin for xmin, _ in codes.values()}) == 1
    guesses = {person: min(responses, key=lambda grade: abs(responses[grade][0] - codes[person][0]))
               for person in codes}
    assert len(set(guesses.values())) == 1
    assert sum(guesses[person] == grade for person, grade in GRADES.items()) <= 1


def test_the_places_of_used_codes_do_not_follow_the_order_of_use(answered):
    """Response ids (and places) follow the order of submission. The attacker sorts the used codes by their
    place and pairs them with the responses in id order; were the codes' places in order of use, that
    would pair every person with their answer. Shuffled, all eight come out right once in 8! = 40,320."""
    app, by_person = answered
    codes, responses = _system_columns(app, by_person)

    by_place = sorted(codes, key=lambda person: codes[person][1])
    in_submission_order = sorted(responses, key=lambda grade: responses[grade][1])
    assert in_submission_order == list(GRADES.values())
    assert [GRADES[person] for person in by_place] != in_submission_order

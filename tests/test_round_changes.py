"""A manager changes a round: new dates and population N until it closes, closing early, and deleting a
round that has no responses yet. Refusals are 4xx with the reason and store nothing."""

import re
from datetime import timedelta

import pytest

from surveys import periods
from surveys.extensions import db
from surveys.models import InvitationCode, Round
from surveys.services.rounds import create_round, issue_codes
from surveys.services.users import create_user

from .test_manage import PASSWORD, log_in
from .test_reports import store_grades

TODAY = periods.today()


@pytest.fixture
def rounds(app):
    with app.app_context():
        open_one = create_round("partner", "2026-H1", opens_on=TODAY - timedelta(days=5),
                                closes_on=TODAY + timedelta(days=20), population=40)
        list(issue_codes(open_one, 3))
        closed = create_round("medewerker", "2026-H1", opens_on=TODAY - timedelta(days=30),
                              closes_on=TODAY - timedelta(days=1), population=20)
        create_user("manager@example.nl", PASSWORD, "manager")
        return open_one.id, closed.id


def post(client, round_id, action, data=None):
    page = client.get(f"/beheer/rondes/{round_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"/beheer/rondes/{round_id}/{action}", data={"csrf_token": token, **(data or {})})


def stored(app, round_id):
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        return None if round_ is None else (round_.opens_on, round_.closes_on, round_.population)


def test_a_manager_changes_dates_and_population_of_an_open_round(app, client, rounds):
    open_id, _ = rounds
    log_in(client, "manager@example.nl")
    closes = TODAY + timedelta(days=40)
    reply = post(client, open_id, "wijzigen", {"opens_on": (TODAY - timedelta(days=5)).isoformat(),
                                               "closes_on": closes.isoformat(), "population": "35"})
    assert reply.status_code == 303
    assert stored(app, open_id) == (TODAY - timedelta(days=5), closes, 35)
    # A closing day before the opening day, or a population of 0: 400, the reason, nothing stored.
    bad = post(client, open_id, "wijzigen", {"opens_on": TODAY.isoformat(),
                                             "closes_on": (TODAY - timedelta(days=3)).isoformat(), "population": "35"})
    assert bad.status_code == 400 and "ligt vóór de openingsdatum" in bad.get_data(as_text=True)
    zero = post(client, open_id, "wijzigen", {"opens_on": TODAY.isoformat(), "closes_on": closes.isoformat(),
                                              "population": "0"})
    assert zero.status_code == 400 and "minstens 1" in zero.get_data(as_text=True)
    assert stored(app, open_id) == (TODAY - timedelta(days=5), closes, 35)


def test_a_closed_round_no_longer_changes(app, client, rounds):
    _, closed_id = rounds
    log_in(client, "manager@example.nl")
    before = stored(app, closed_id)
    reply = post(client, closed_id, "wijzigen", {"opens_on": TODAY.isoformat(),
                                                 "closes_on": (TODAY + timedelta(days=9)).isoformat()})
    assert reply.status_code == 409 and "een gesloten ronde verandert niet meer" in reply.get_data(as_text=True)
    assert post(client, closed_id, "sluiten").status_code == 409
    assert stored(app, closed_id) == before


def test_closing_early_ends_the_round_yesterday(app, client, rounds):
    open_id, _ = rounds
    log_in(client, "manager@example.nl")
    assert post(client, open_id, "sluiten").status_code == 303
    assert stored(app, open_id)[1] == TODAY - timedelta(days=1)
    assert "Deze meetronde is gesloten" in client.get(f"/beheer/rondes/{open_id}").get_data(as_text=True)


def test_a_round_without_responses_can_be_deleted_one_with_responses_cannot(app, client, rounds):
    open_id, closed_id = rounds
    with app.app_context():
        store_grades("medewerker", "M1", [8], TODAY - timedelta(days=2))
        db.session.execute(db.update(db.metadata.tables["response"]).values(round_id=closed_id))
        db.session.commit()
    log_in(client, "manager@example.nl")
    refused = post(client, closed_id, "verwijderen")
    assert refused.status_code == 409 and "heeft 1 reacties en blijft bestaan" in refused.get_data(as_text=True)
    assert stored(app, closed_id) is not None
    assert post(client, open_id, "verwijderen").status_code == 303
    assert stored(app, open_id) is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(InvitationCode)) == 0


def test_no_client_letter_after_the_half_years_client_round_was_closed_early(app, client, rounds):
    from surveys.periods import half_year_of

    with app.app_context():
        period = half_year_of(TODAY)
        round_id = create_round("client", str(period), opens_on=TODAY - timedelta(days=3),
                                closes_on=period.end, population=None).id
    log_in(client, "manager@example.nl")
    assert post(client, round_id, "sluiten").status_code == 303
    page = client.get("/beheer/rondes").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    reply = client.post("/beheer/rondes/clientbrief", data={"csrf_token": token})
    assert reply.status_code == 409 and "er is al een meetronde voor client" in reply.get_data(as_text=True).lower()

"""Days and periods in the organisation's time zone (SURVEYS_TIMEZONE, Europe/Amsterdam by default), never the
server's clock zone (DESIGN.md section 4). The machine's clock is set with time-machine; the app reads it as it
always does, through datetime.now()."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Response
from surveys.periods import local_date, today
from surveys.services.rounds import create_round

from .conftest import make_app
from .helpers import GOOD_ANSWERS, codes_for, fill_in, register_tablet

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YEARS_EVE_2330_UTC = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Amsterdam


@pytest.mark.parametrize("instant, day", [
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),  # winter, UTC+1: 00:30 the next day
    (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2026, 12, 31)),  # 23:59 in Amsterdam: still that day
    (datetime(2026, 7, 14, 22, 30, tzinfo=UTC), date(2026, 7, 15)),  # summer, UTC+2: 00:30 the next day
    (datetime(2026, 7, 14, 21, 59, tzinfo=UTC), date(2026, 7, 14)),
    (datetime(2026, 3, 29, 0, 30), date(2026, 3, 29)),  # naive = UTC, as stored: 01:30 in Amsterdam
    (datetime(2026, 6, 30, 22, 30), date(2026, 7, 1)),  # 00:30 on 1 July: the second half-year
])
def test_a_day_is_the_amsterdam_day(instant, day):
    assert local_date(instant, AMSTERDAM) == day
    assert local_date(instant, "Europe/Amsterdam") == day


def test_half_past_midnight_in_amsterdam_is_the_amsterdam_day_in_the_app(tmp_path):
    # 22:30 UTC on 14 July is 00:30 on the 15th in Amsterdam (UTC+2), 23:30 UTC on 14 January is 00:30 on
    # the 15th (UTC+1); an organisation on UTC is still on the 14th.
    amsterdam = make_app(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    utc = make_app(f"sqlite:///{tmp_path / 'b.sqlite3'}", TIMEZONE="UTC")
    for instant in (datetime(2026, 7, 14, 22, 30, tzinfo=UTC), datetime(2026, 1, 14, 23, 30, tzinfo=UTC)):
        with time_machine.travel(instant, tick=False):
            with amsterdam.app_context():
                assert today() == instant.date().replace(day=15)
            with utc.app_context():
                assert today() == instant.date()


def stored_responses() -> list[tuple]:
    return [(r.questionnaire, r.submitted_on, r.half_year, r.quarter, r.round_id, r.channel)
            for r in db.session.scalars(select(Response).order_by(Response.questionnaire))]


def test_a_response_at_2330_utc_on_new_years_eve_belongs_to_the_next_years_first_half(app, client):
    """In a UTC container the service took it for 31 December, 2026-H2: the cliënt round of 2027-H1 did
    not count it, and the partner's code for 2027-H1 was "not yet open"."""
    with app.app_context():
        client_round = create_round("client", "2027-H1", opens_on=date(2027, 1, 1), closes_on=date(2027, 6, 30),
                                    population=None).id
        partner_round = create_round("partner", "2027-H1", opens_on=date(2027, 1, 1),
                                     closes_on=date(2027, 2, 15), population=20)
        partner_round_id = partner_round.id
        (code,) = codes_for(partner_round)
    register_tablet(client)

    with time_machine.travel(NEW_YEARS_EVE_2330_UTC, tick=False):
        assert datetime.now(UTC) == NEW_YEARS_EVE_2330_UTC  # the machine's clock, as the app reads it
        tablet = fill_in(client, "/q/client", GOOD_ANSWERS["client"])
        by_code = fill_in(client, f"/r/{code}", GOOD_ANSWERS["partner"])

    assert (tablet.status_code, tablet.headers["Location"]) == (303, "/q/client/volgende")
    assert (by_code.status_code, by_code.headers["Location"]) == (303, "/bedankt")
    with app.app_context():
        assert stored_responses() == [
            ("client", date(2027, 1, 1), "2027-H1", "2027-Q1", client_round, "open"),
            ("partner", date(2027, 1, 1), "2027-H1", "2027-Q1", partner_round_id, "code"),
        ]


def test_a_round_that_closed_yesterday_in_amsterdam_is_closed_at_half_past_midnight(app, client):
    with app.app_context():
        round_ = create_round("partner", "2026-H2", opens_on=date(2026, 7, 1), closes_on=date(2026, 7, 14),
                              population=20)
        (code,) = codes_for(round_)

    with time_machine.travel(datetime(2026, 7, 14, 21, 59, tzinfo=UTC), tick=False):  # 23:59 on the 14th
        assert client.get(f"/r/{code}").status_code == 200
    with time_machine.travel(datetime(2026, 7, 14, 22, 30, tzinfo=UTC), tick=False):  # 00:30 on the 15th
        closed = client.get(f"/r/{code}")
    assert closed.status_code == 410
    assert "gesloten" in closed.get_data(as_text=True)

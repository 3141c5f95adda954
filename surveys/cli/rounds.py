"""`rounds create` and `invite`: meetrondes and their one-time codes."""

import csv

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import periods
from ..exports import neutralise
from ..periods import PeriodError, parse_period
from ..services.invitations import round_stats
from ..services.rounds import RoundError, create_round, get_round, issue_codes
from .questionnaires import KnownQuestionnaire


# An AppGroup wraps its commands in an app context, also when invoked outside the `flask` command
# (app.test_cli_runner()).
@click.group("rounds", cls=AppGroup)
def rounds_group():
    """Meetrondes: one questionnaire in one period."""


@rounds_group.command("create")
@click.argument("questionnaire", type=KnownQuestionnaire())
@click.argument("period")
@click.option("--population", type=click.IntRange(min=1), help="How many were invited (for response rate and FPC).")
@click.option("--opens", "opens_on", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: period start).")
@click.option("--closes", "closes_on", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: period end).")
def rounds_create_command(questionnaire, period, population, opens_on, closes_on):
    """Open a round and print its id."""
    try:
        parsed = parse_period(period)
    except PeriodError as error:
        raise click.BadParameter(str(error), param_hint="PERIOD") from None
    try:
        round_ = create_round(questionnaire, period, population=population,
                              opens_on=opens_on.date() if opens_on else parsed.start,
                              closes_on=closes_on.date() if closes_on else parsed.end)
    except RoundError as error:
        raise click.BadParameter(str(error), param_hint=ROUND_FIELDS.get(error.field)) from None
    click.echo(round_.id)


@rounds_group.command("list")
def rounds_list_command():
    """Every round, newest first: its id (for invite), questionnaire, period, dates and state."""
    today = periods.today()
    for stats in round_stats():
        round_ = stats.round
        state = "closed" if round_.closes_on < today else ("open" if round_.opens_on <= today else "not yet open")
        population = f"N = {round_.population}" if round_.population else "N unknown"
        click.echo(f"{round_.id:>5}  {round_.questionnaire:<11} {round_.period:<8} "
                   f"{round_.opens_on.isoformat()} – {round_.closes_on.isoformat()}  {state:<12} {population}")


# Which command-line input a RoundError is about, for click's "Invalid value for ..." line.
ROUND_FIELDS = {"questionnaire": "QUESTIONNAIRE", "period": "PERIOD", "dates": "'--opens' / '--closes'",
                "population": "'--population'"}


@click.command("invite")
@with_appcontext
@click.argument("round_id", type=int)
@click.option("--count", type=click.IntRange(min=1, max=100_000), required=True, help="Number of codes.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="CSV file to write (columns code,url).")
def invite_command(round_id, count, out):
    """Make COUNT one-time codes for a round and write their links to a CSV file."""
    round_ = get_round(round_id)
    if round_ is None:
        raise click.BadParameter(f"there is no round {round_id}", param_hint="ROUND_ID")
    if round_.closes_on < periods.today():
        # Its codes would only ever show "this round is closed".
        raise click.BadParameter(f"round {round_id} ({round_.questionnaire} {round_.period}) closed on "
                                 f"{round_.closes_on.isoformat()}; open a new round for new invitations",
                                 param_hint="ROUND_ID")
    base = current_app.config["BASE_URL"].rstrip("/")
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["code", "url"])
        with click.progressbar(length=count, label="codes") as bar:
            for codes in issue_codes(round_, count):
                writer.writerows([neutralise(code), neutralise(f"{base}/r/{code}")] for code in codes)
                bar.update(len(codes))
    click.echo(f"{count} links for round {round_id} ({round_.questionnaire} {round_.period}) written to {out}")


COMMANDS = (rounds_group, invite_command)

"""Command-line interface: `flask --app surveys COMMAND`. Thin wrappers over the services."""

import csv
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .periods import PeriodError, parse_period
from .questionnaires import QUESTIONNAIRE_KEYS, QuestionnaireError
from .services import demo as demo_service
from .services import questionnaires as questionnaire_service
from .services.responses import ImportRejected, count_responses, import_responses
from .services.rounds import RoundError, create_round, get_round, issue_codes


@click.command("seed")
@with_appcontext
def seed_command():
    """Store the questionnaires' current wording (idempotent; new wording becomes a new version)."""
    try:
        results = questionnaire_service.seed()
    except QuestionnaireError as error:
        raise click.ClickException(f"a questionnaire file is not valid:\n{error}") from None
    for result in results:
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.questionnaire}: version {result.version} ({state})")


# An AppGroup wraps its commands in an app context, also when invoked outside the `flask` command
# (app.test_cli_runner()).
@click.group("rounds", cls=AppGroup)
def rounds_group():
    """Meetrondes: one questionnaire in one period."""


@rounds_group.command("create")
@click.argument("questionnaire", type=click.Choice(QUESTIONNAIRE_KEYS))
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
    if round_.closes_on < date.today():
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
                writer.writerows([code, f"{base}/r/{code}"] for code in codes)
                bar.update(len(codes))
    click.echo(f"{count} links for round {round_id} ({round_.questionnaire} {round_.period}) written to {out}")


@click.command("import-responses")
@with_appcontext
@click.argument("questionnaire", type=click.Choice(QUESTIONNAIRE_KEYS))
@click.argument("file", type=click.File("rb"))
def import_responses_command(questionnaire, file):
    """Import paper forms from CSV: every row, or none and a list of every bad row."""
    try:
        stored = import_responses(questionnaire, file.read(), today=date.today())
    except ImportRejected as rejected:
        click.echo(f"Nothing imported: {len(rejected.problems)} problem(s) in {file.name}:", err=True)
        for problem in rejected.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{stored} responses imported for {questionnaire}")


@click.command("demo")
@with_appcontext
@click.option("--responses", "total", type=click.IntRange(min=10, max=5_000_000), default=3000,
              show_default=True, help="Total number of responses to create.")
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds responses.")
def demo_command(total, seed_value, if_empty):
    """Fill the database with realistic responses over the last four half-years."""
    if if_empty and count_responses():
        click.echo("the database already holds responses; no demo data added")
        return
    with click.progressbar(length=total, label="responses") as bar:
        plan = demo_service.fill(total, seed_value=seed_value, progress=bar.update)
    periods = ", ".join(str(p) for p in plan.periods)
    click.echo(f"{plan.total} demo responses in {periods}")


def register(app: Flask) -> None:
    from . import cli_accounts, cli_charts, cli_reports, cli_retention

    for command in (seed_command, rounds_group, invite_command, import_responses_command, demo_command,
                    *cli_reports.COMMANDS, cli_charts.chart_command, *cli_accounts.COMMANDS,
                    *cli_retention.COMMANDS):
        app.cli.add_command(command)
    app.cli.add_command(__import__(f"{__package__}.cli_plan", fromlist=["plan_command"]).plan_command)

"""`import-responses` (paper forms) and `demo` (realistic responses to try the service with)."""

import click
from flask.cli import with_appcontext

from .. import periods
from ..services import demo as demo_service
from ..services.responses import ImportRejected, count_responses, import_responses
from .questionnaires import KnownQuestionnaire


@click.command("import-responses")
@with_appcontext
@click.argument("questionnaire", type=KnownQuestionnaire())
@click.argument("file", type=click.File("rb"))
def import_responses_command(questionnaire, file):
    """Import paper forms from CSV: every row, or none and a list of every bad row."""
    try:
        stored = import_responses(questionnaire, file.read(), today=periods.today())
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


COMMANDS = (import_responses_command, demo_command)

"""`publish PERIOD [--questionnaire KEY]`: make a period's figures visible in every channel."""

import click
from flask.cli import with_appcontext

from .. import periods
from ..periods import PeriodError, parse_period
from ..services import publication


@click.command("publish")
@with_appcontext
@click.argument("period")
@click.option("--questionnaire", metavar="KEY",
              help="Only this questionnaire (default: every questionnaire reported in periods of this kind).")
def publish_command(period, questionnaire):
    """Publish PERIOD (2026-H1, or a quarter for the cliënt questionnaire): its figures become visible and
    its responses final. Refused while the period runs or one of its rounds is open."""
    try:
        published = publication.publish(parse_period(period), questionnaire, by="cli", today=periods.today())
    except (PeriodError, publication.PublicationError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{period} published for {', '.join(published)}")


COMMANDS = (publish_command,)

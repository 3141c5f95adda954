"""`purge`: apply the retention periods (codes and addresses of closed rounds, old free text)."""


import click
from flask.cli import with_appcontext

from .. import periods
from ..services.retention import RetentionError, purge


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete the codes and e-mail addresses of closed rounds and free text older than FREE_TEXT_MONTHS."""
    today = periods.today()
    try:
        result = purge(today, actor="cli")
    except RetentionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{result.codes_deleted} invitation codes deleted from rounds closed before {today.isoformat()}, "
               f"{result.addresses_deleted} of them with an e-mail address")
    click.echo(f"{result.free_texts_deleted} free-text answers deleted "
               f"(submitted before {result.free_text_cutoff.isoformat()})")


COMMANDS = (purge_command,)

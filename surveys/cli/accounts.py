"""`create-user`: the first (and any further) staff account, from the command line."""

import sys

import click
from flask.cli import with_appcontext

from ..models import ROLES
from ..services.users import UserError, create_user


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="beheerder, manager or lezer.")
def create_user_command(email, role):
    """Create a staff account. The password is asked at the prompt, or read from standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(email, password, role)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"account {user.email} ({user.role}) created")


COMMANDS = (create_user_command,)

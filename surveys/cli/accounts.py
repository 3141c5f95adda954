"""`create-user`: the first (and any further) staff account, from the command line."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..models import ROLES
from ..services import password_links
from ..services.mail import MailError
from ..services.users import UserError, create_user


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="beheerder, manager or lezer.")
@click.option("--mail", "by_mail", is_flag=True,
              help="E-mail the link to the new account instead of printing it (SURVEYS_SMTP_*).")
def create_user_command(email, role, by_mail):
    """Create a staff account and print (or e-mail) a one-time link where its owner chooses the password.
    Nobody else ever knows it; the link works once, for 72 hours."""
    try:
        user = create_user(email, None, role)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"account {user.email} ({user.role}) created")
    base_url = current_app.config["BASE_URL"]
    if by_mail:
        try:
            password_links.mail_link(user, "set", base_url)
        except MailError as error:  # the account exists already: give its link to its owner another way
            click.echo(f"not mailed: {error}", err=True)
        else:
            click.echo(f"a link to choose the password was mailed to {user.email}")
            return
    token = password_links.token_for(user, "set")
    click.echo(f"choose the password within {password_links.HOURS['set']} hours at:")
    click.echo(password_links.url_for_token(token, base_url))


COMMANDS = (create_user_command,)

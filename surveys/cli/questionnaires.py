"""`seed`: the shipped questionnaires' wording, and the default organisation profile, into the database."""

import click
from flask.cli import with_appcontext

from ..questionnaires import QuestionnaireError
from ..services import organisation
from ..services import questionnaires as questionnaire_service


@click.command("seed")
@with_appcontext
def seed_command():
    """Store the questionnaires' current wording (idempotent; new wording becomes a new version), and the
    shipped organisation profile when none is set yet (a profile that is set is never overwritten)."""
    try:
        results = questionnaire_service.seed()
    except QuestionnaireError as error:
        raise click.ClickException(f"a questionnaire file is not valid:\n{error}") from None
    for result in results:
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.questionnaire}: version {result.version} ({state})")
    stored = organisation.seed_default()
    click.echo("organisation: " + ("the shipped default stored; change it at /beheer/organisatie" if stored
                                   else "profile already set (unchanged)"))


COMMANDS = (seed_command,)

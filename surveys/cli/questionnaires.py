"""`seed` (the shipped questionnaires' wording, and the default organisation profile, into the database) and
`questionnaires export/import` (one questionnaire as the shared TOML file of SCHEMA.md)."""

from pathlib import Path

import click
from flask import has_app_context
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from ..questionnaires import QuestionnaireError
from ..questionnaires.files import from_toml, to_toml
from ..services import organisation
from ..services import questionnaires as questionnaire_service


class KnownQuestionnaire(click.Choice):
    """A questionnaire key the installation knows (they are data, so the choices are read when used)."""

    name = "questionnaire"

    def __init__(self):
        super().__init__(())

    def convert(self, value, param, ctx):
        if has_app_context():
            self.choices = tuple(questionnaire_service.known_keys())
        else:
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                self.choices = tuple(questionnaire_service.known_keys())
        return super().convert(value, param, ctx)


@click.command("seed")
@with_appcontext
def seed_command():
    """Store the shipped questionnaires where they are absent (idempotent; a shipped file's new wording becomes a
    new version unless a beheerder published since), and the shipped organisation profile when none is set
    yet (a profile that is set is never overwritten)."""
    try:
        results = questionnaire_service.seed()
    except QuestionnaireError as error:
        raise click.ClickException(f"a questionnaire file is not valid:\n{error}") from None
    for result in results:
        state = ("kept: published in the editor" if result.kept else "new version" if result.created
                 else "unchanged")
        click.echo(f"{result.questionnaire}: version {result.version} ({state})")
    stored = organisation.seed_default()
    click.echo("organisation: " + ("the shipped default stored; change it at /beheer/organisatie" if stored
                                   else "profile already set (unchanged)"))


@click.group("questionnaires", cls=AppGroup)
def questionnaires_group():
    """Questionnaires as files to share between teams (surveys/questionnaires/SCHEMA.md)."""


@questionnaires_group.command("export")
@click.argument("key", type=KnownQuestionnaire())
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write, e.g. jeugd.toml.")
def export_command(key, out):
    """Write the version respondents get now of questionnaire KEY."""
    questionnaire = questionnaire_service.current(key)
    if questionnaire is None:
        raise click.ClickException(f"questionnaire '{key}' has no published version yet")
    out.write_bytes(to_toml(questionnaire.definition).encode("utf-8"))
    click.echo(f"{key}: written to {out}")


@questionnaires_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file):
    """Check FILE as the editor does and make it the version respondents get (a new questionnaire when its
    key is new). Nothing is stored when anything is wrong; every problem is listed."""
    try:
        definition = from_toml(file.read_bytes(), file.name)
        version = questionnaire_service.import_definition(definition, actor=_actor())
    except QuestionnaireError as error:
        raise click.ClickException(f"nothing imported:\n{error}") from None
    click.echo(f"{version.questionnaire}: version {version.version} is now the one respondents get")


def _actor() -> str:
    return "cli"


COMMANDS = (seed_command, questionnaires_group)

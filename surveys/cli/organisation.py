"""`organisation show` and `organisation set`: the organisation profile from the command line."""

import click
from flask.cli import with_appcontext

from ..services import organisation

#: option name → profile field; the labels are the page's, so a problem reads the same in both places.
OPTIONS = {"name": "name", "short-name": "short_name", "phone": "phone", "email": "email", "address": "address",
           "website": "website", "privacy-url": "privacy_url", "sender": "sender"}


@click.group("organisation")
def organisation_group():
    """The organisation's name and contact details, as pages, letters, e-mails and the report show them."""


@organisation_group.command("show")
@with_appcontext
def show_command():
    """Print the profile, one field a line."""
    profile = organisation.current()
    for option, field in OPTIONS.items():
        value = getattr(profile, field)
        if field == "sender" and not value:
            value = f"(the e-mail address: {profile.email})"
        click.echo(f"{option}: {value}".replace("\n", " / "))
    click.echo(f"logo: {profile.logo_type or 'none'}")


def _option(option: str, field: str):
    label = organisation.FIELDS[field][0]
    return click.option(f"--{option}", field, default=None, help=f"{label} (only what you give is changed)")


@organisation_group.command("set")
@with_appcontext
def set_command(**values):
    """Change the profile: only the fields you give; the rest keeps its value. Nothing is stored when any
    value is wrong. A postal address of several lines: separate them with \\n or ' / '."""
    if values.get("address") is not None:
        values["address"] = values["address"].replace("\\n", "\n").replace(" / ", "\n")
    if all(value is None for value in values.values()):
        raise click.UsageError("Give at least one field to change, e.g. --phone '030 123 45 67'.")
    try:
        organisation.changed(values, actor="cli")
    except organisation.ProfileInvalid as invalid:
        lines = [f"--{option}: {invalid.problems[field]}" for option, field in OPTIONS.items()
                 if field in invalid.problems]
        raise click.ClickException("nothing was changed:\n" + "\n".join(lines)) from None
    click.echo("organisation profile saved")


for _name, _field in reversed(OPTIONS.items()):
    set_command = _option(_name, _field)(set_command)

COMMANDS = (organisation_group,)

"""`kpis export` and `kpis import`: the KPI catalogue with its norms over time, as a file a team keeps or shares."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..questionnaires import QuestionnaireError
from ..services import kpi_catalogue


@click.group("kpis")
def kpis_group():
    """The KPI catalogue: KPIs and their norms from a half-year on."""


@kpis_group.command("export")
@with_appcontext
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
def export_command(out):
    """Write the catalogue in force (TOML, SCHEMA.md) to FILE."""
    out.write_text(kpi_catalogue.to_toml(kpi_catalogue.catalogue()), encoding="utf-8")
    click.echo(f"{len(kpi_catalogue.catalogue())} KPIs written to {out}")


@kpis_group.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file):
    """Check FILE and make it the catalogue in force; nothing changes when anything in it is wrong."""
    try:
        data = kpi_catalogue.read_file(file.read_bytes(), file.name)
        kpi_catalogue.store(data, by="cli")
    except QuestionnaireError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(data['kpis'])} KPIs in force from {file.name}")


COMMANDS = (kpis_group,)

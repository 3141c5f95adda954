"""Command-line interface: `flask --app surveys COMMAND`. Thin wrappers over the services, one module
per area."""

from flask import Flask

from . import (
    accounts,
    charts,
    due,
    kpis,
    organisation,
    plan,
    publication,
    questionnaires,
    reports,
    responses,
    retention,
    rounds,
)

AREAS = (questionnaires, kpis, organisation, rounds, plan, responses, publication, reports, charts, accounts, retention,
         due)


def register(app: Flask) -> None:
    for area in AREAS:
        for command in area.COMMANDS:
            app.cli.add_command(command)

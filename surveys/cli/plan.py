"""`plan ROUND_ID`: the response planner of DESIGN.md §5 on the command line."""

import click
from flask.cli import with_appcontext

from ..services.planner import PlanError, round_plan
from ..services.rounds import get_round


@click.command("plan")
@with_appcontext
@click.argument("round_id", type=int)
@click.option("--response-rate", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Expected response rate (0-1); default: the previous period's, else 0.5.")
def plan_command(round_id, response_rate):
    """How many responses (and invitations) a conclusive verdict needs, per distance from the norm."""
    round_ = get_round(round_id)
    if round_ is None:
        raise click.BadParameter(f"there is no round {round_id}", param_hint="ROUND_ID")
    try:
        plan = round_plan(round_, response_rate)
    except PlanError as error:
        raise click.ClickException(str(error)) from None
    population = "unknown" if plan.population is None else str(plan.population)
    click.echo(f"round {round_.id}: {round_.questionnaire} {round_.period}, KPI {plan.kpi.key}, "
               f"population {population}")
    click.echo(f"expected SD {plan.sd:.2f} ({'earlier half-years' if plan.sd_from_history else 'prior'}), "
               f"response rate {plan.response_rate:.0%} ({plan.rate_source})")
    click.echo("distance  responses  invitations")
    for row in plan.rows:
        responses = "–" if row.responses is None else str(row.responses)
        invitations = "–" if row.invitations is None else str(row.invitations)
        click.echo(f"{row.distance:>8.1f}  {responses:>9}  {invitations:>11}")


COMMANDS = (plan_command,)

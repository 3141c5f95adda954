"""`flask --app surveys chart KPI --format png|svg|pdf --out FILE`: one KPI over the last half-years."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..charts import FORMATS, kpi_chart
from ..periods import PeriodError, parse_period
from ..services.reports import ReportError, kpi_history


def _half_year(ctx, param, value):
    """--until as a Period; only half-years, because the chart's steps are half-years."""
    if value is None:
        return None
    try:
        period = parse_period(value)
    except PeriodError as error:
        raise click.BadParameter(str(error)) from None
    if not period.is_half_year:
        raise click.BadParameter(f"'{value}' is een kwartaal; de grafiek loopt per halfjaar, "
                                 "gebruik bijvoorbeeld 2026-H2")
    return period


@click.command("chart")
@with_appcontext
@click.argument("kpi")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="File format (default: from the --out suffix).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write.")
@click.option("--until", callback=_half_year, metavar="PERIOD",
              help="Last half-year shown, e.g. 2026-H2 (default: the current half-year).")
@click.option("--half-years", "count", type=click.IntRange(min=1, max=12), default=6, show_default=True,
              help="Number of half-years shown.")
def chart_command(kpi, fmt, out, until, count):
    """Draw KPI over the last half-years (95 % interval, norm, n) to a PNG, SVG or PDF file."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter(f"give --format {'|'.join(FORMATS)}, or an --out file ending in one of those",
                                 param_hint="--format")
    try:
        history = kpi_history(kpi, until=until, count=count)
    except ReportError as error:
        raise click.BadParameter(str(error), param_hint="KPI") from None
    out.write_bytes(kpi_chart(history, fmt))
    click.echo(f"{kpi} {history[0].period} - {history[-1].period} written to {out} ({fmt})")


COMMANDS = (chart_command,)

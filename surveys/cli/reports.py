"""Command-line reports: `report` (table, JSON or CSV) and `api-token` for the JSON API."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from ..periods import PeriodError, parse_period
from ..services.reports import KpiReport, ReportError, kpi_results
from ..services.tokens import TokenError, create_token, revoke_token

VERDICT_TEXT = {
    "boven_norm": "boven norm", "onder_norm": "onder norm",
    "niet_te_onderscheiden": "niet te onderscheiden", "te_weinig_respons": "te weinig respons",
}


def _figure(report: KpiReport, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f} %" if report.kpi.statistic == "share" else f"{value:.2f}"


def _norm(report: KpiReport) -> str:
    value = float(report.kpi.norm)
    return f"{report.kpi.operator} {value * 100:.0f} %" if report.kpi.statistic == "share" else \
        f"{report.kpi.operator} {value:g}"


def table_rows(reports: list[KpiReport]) -> list[list[str]]:
    """The report as text cells: one line per KPI, what a manager reads first."""
    rows = [["KPI", "periode", "n", "waarde", "95%-interval", "norm", "oordeel", "respons", "trend"]]
    for report in reports:
        result = report.result
        value = result.mean if report.kpi.statistic == "mean" else result.share
        interval = "–"
        if result.ci_low is not None:
            interval = f"{_figure(report, result.ci_low)} – {_figure(report, result.ci_high)}"
        verdict = VERDICT_TEXT[result.verdict] + (" (indicatief)" if result.indicative else "")
        rate = "–" if report.response_rate is None else f"{report.response_rate * 100:.0f} %"
        trend = "–"
        if report.trend and not result.suppressed:
            trend = f"{report.trend.difference:+.2f} ({report.trend.verdict.replace('_', ' ')})"
        rows.append([report.kpi.key, str(report.period), str(result.n), _figure(report, value), interval,
                     _norm(report), verdict, rate, trend])
    return rows


def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


@click.command("report")
@with_appcontext
@click.option("--period", required=True, help="A half-year (2026-H1) or, for the cliënt KPIs, a quarter (2026-Q3).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "pdf"]), default="table", show_default=True)
@click.option("--kpi", "kpis", multiple=True, help="Only this KPI (repeatable).")
@click.option("--dutch", is_flag=True, help="CSV for Dutch Excel: ';' and decimal comma.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File to write the PDF report to (--format pdf).")
def report_command(period, fmt, kpis, dutch, out):
    """The KPI results of one period, with intervals, verdicts and response rates."""
    if fmt == "pdf":
        _report_pdf(period, kpis, out)
        return
    try:
        reports = kpi_results(parse_period(period), list(kpis) or None)
    except (PeriodError, ReportError) as error:
        raise click.BadParameter(str(error), param_hint="--period/--kpi") from None
    if fmt == "json":
        click.echo(json.dumps([report.to_dict() for report in reports], indent=2, ensure_ascii=False,
                              allow_nan=False))
    elif fmt == "csv":
        from ..exports import kpi_results_csv

        for chunk in kpi_results_csv(reports, dialect="dutch" if dutch else "international"):
            click.echo(chunk, nl=False)
    else:
        click.echo(format_table(table_rows(reports)))


def _report_pdf(period: str, kpis, out: Path | None) -> None:
    """The half-year report for the gemeente (every KPI of the period) as a PDF file."""
    from ..report_pdf import halfyear_report_pdf

    if out is None or kpis:
        raise click.BadParameter("the PDF report holds every KPI and needs a file: give --out FILE and no --kpi",
                                 param_hint="--out")
    try:
        pdf = halfyear_report_pdf(parse_period(period))
    except (PeriodError, ReportError) as error:
        raise click.BadParameter(str(error), param_hint="--period") from None
    out.write_bytes(pdf)
    click.echo(f"report {period} written to {out} (pdf)")


@click.group("api-token", cls=AppGroup)
def api_token_group():
    """Tokens for the JSON API (/api/v1)."""


@api_token_group.command("create")
@click.argument("name")
def api_token_create(name):
    """Create a token called NAME and print it once; only its hash is kept."""
    try:
        token = create_token(name)
    except TokenError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    click.echo(token)
    click.echo("Keep this token safe: it is shown only now.", err=True)


@api_token_group.command("revoke")
@click.argument("name")
def api_token_revoke(name):
    """Stop the token called NAME from working."""
    if not revoke_token(name):
        raise click.BadParameter(f"there is no token named '{name}'", param_hint="NAME")
    click.echo(f"token '{name}' revoked")


COMMANDS = (report_command, api_token_group)

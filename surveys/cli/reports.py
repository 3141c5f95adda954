"""Command-line reports: `report` (table, JSON or CSV) and `api-token` for the JSON API."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from ..formatting import DATA_PROBLEM, kpi_figures, n_text, nl_number, nl_percent, norm_text, report_notes
from ..periods import PeriodError, parse_period
from ..services import publication
from ..services.reports import KpiReport, ReportError, kpi_results
from ..services.tokens import SCOPES, TokenError, create_token, revoke_token

VERDICT_TEXT = {
    "boven_norm": "boven norm", "onder_norm": "onder norm",
    "niet_te_onderscheiden": "niet te onderscheiden", "te_weinig_respons": "te weinig respons",
    publication.WITHHELD: publication.WITHHELD_TEXT.lower(),
}


def _norm(report: KpiReport) -> str:
    return norm_text(report.result.norm, report.kpi.statistic)


def _trend(report: KpiReport) -> str:
    if not report.trend or report.result.suppressed:
        return "–"
    difference = report.trend.difference
    shown = f"{nl_number(difference * 100, 1)} procentpunt" if report.kpi.statistic == "share" else \
        nl_number(difference)
    return f"{'+' if difference > 0 else ''}{shown} ({report.trend.verdict.replace('_', ' ')})"


def table_rows(reports: list[KpiReport]) -> list[list[str]]:
    """The report as text cells: one line per KPI, what a manager reads first. Figures are written as on the
    dashboard and in the PDF (formatting.kpi_figures: more decimals where a rounded bound would read as the
    norm), so no channel contradicts another."""
    rows = [["KPI", "periode", "n", "waarde", "95%-interval", "norm", "oordeel", "respons", "trend"]]
    for report in reports:
        result = report.result
        figures = kpi_figures(result, report.kpi.statistic)
        verdict = VERDICT_TEXT[result.verdict] + (" (indicatief)" if result.indicative else "")
        if "n_exceeds_population" in result.notes:
            verdict = DATA_PROBLEM[1].lower()
        rate = "–" if report.response_rate is None else nl_percent(report.response_rate)
        if report.response_hidden:
            rate = f"minder dan {report.min_n}"
        rows.append([report.kpi.key, str(report.period), n_text(result, report.min_n), figures["value"],
                     figures["interval"],
                     _norm(report), verdict, rate, _trend(report)])
    return rows


def note_lines(reports: list[KpiReport]) -> list[str]:
    """The notes in words under the table (census, clipped interval, data problem, ...)."""
    return [f"{report.kpi.key}: {text}" for report in reports for text in report_notes(report)]


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
        notes = note_lines(reports)
        if notes:
            click.echo("\nOpmerkingen:")
            for line in notes:
                click.echo(f"  {line}")


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
@click.option("--scope", type=click.Choice(sorted(SCOPES)), default="read", show_default=True,
              help="read: GET /api/v1/kpis; invite: POST /api/v1/invitations")
def api_token_create(name, scope):
    """Create a token called NAME and print it once; only its hash is kept."""
    try:
        token = create_token(name, scope)
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

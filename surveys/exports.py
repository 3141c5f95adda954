"""Data exports: KPI results and item summaries as CSV and XLSX, the raw responses as CSV.

The CSV writers are generators of text chunks; the first chunk starts with a byte-order mark, so Excel
reads the file as UTF-8. The raw export reads the responses a chunk at a time and never holds them all.
In a view, wrap a generator in ``flask.stream_with_context``: it queries the database as it is consumed.

Two rules hold for every file (DESIGN.md sections 5 and 10):

- Figures come from the scoring layer as they are. What it suppressed carries no figure here either, and
  the raw export leaves out every period in which the questionnaire has fewer responses than its min_n.
- A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage return
  at the start) gets a leading apostrophe. Numbers, negative ones included, are written as numbers.
"""

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from .extensions import db
from .models import Answer, QuestionnaireVersion, Response
from .periods import Period, parse_period
from .questionnaires import Questionnaire
from .services.questionnaires import current_version, definition_of
from .services.reports import KpiReport

BOM = "\ufeff"
DIALECTS = {"international": (",", "."), "dutch": (";", ",")}  # (field separator, decimal mark)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIGURE_DIGITS = 4
CHUNK_SIZE = 5000  # responses per query in the raw export
PERCENT, DECIMAL = "0.0 %", "0.00"  # XLSX number formats

KPI_COLUMNS = ("kpi", "label", "period", "statistic", "n", "mean_or_share", "ci_low", "ci_high", "norm",
               "operator", "verdict", "meets_norm", "suppressed", "indicative", "method", "responses",
               "population", "response_rate")
KPI_FIGURES = ("mean_or_share", "ci_low", "ci_high", "meets_norm")  # what a suppressed row never shows
ITEM_COLUMNS = ("questionnaire", "period", "item", "question", "type", "answer", "answer_label", "count", "n",
                "agree_share", "ci_low", "ci_high", "suppressed")
ITEM_FORMATS = {"agree_share": PERCENT, "ci_low": PERCENT, "ci_high": PERCENT}
RAW_COLUMNS = ("response_id", "questionnaire_version", "period", "quarter", "submitted_on", "channel")


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would otherwise evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _separators(dialect: str) -> tuple[str, str]:
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ExportError(f"unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}") from None


def _decimal(value: float, mark: str) -> str:
    """A figure rounded to four decimals without trailing zeros: 7.5, 0.6, -2.1976."""
    if not math.isfinite(value):
        return ""
    text = f"{value:.{FIGURE_DIGITS}f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return text if mark == "." else text.replace(".", mark)


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


class _CsvLines:
    """Rows of Python values to CSV lines in one dialect; texts neutralised, numbers untouched."""

    def __init__(self, dialect: str):
        separator, self.decimal_mark = _separators(dialect)
        self.writer = csv.writer(_Echo(), delimiter=separator)

    def line(self, values: Iterable[object]) -> str:
        return self.writer.writerow([self.cell(value) for value in values])

    def cell(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):  # before int: a bool is an int
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _decimal(value, self.decimal_mark)
        if isinstance(value, date):
            return value.isoformat()
        return neutralise(str(value))


# --- rows ------------------------------------------------------------------------------------------------

def _kpi_row(report: KpiReport) -> dict[str, object]:
    """One KPI as export values, taken from the JSON form so every channel shows the same fields."""
    entry = report.to_dict()
    row = {column: entry.get(column) for column in KPI_COLUMNS}
    row["mean_or_share"] = entry.get("mean" if report.kpi.statistic == "mean" else "share")
    if entry["suppressed"]:
        row |= dict.fromkeys(KPI_FIGURES)  # the scoring layer already left them out; hold that here too
    return row


def _kpi_formats(row: Mapping[str, object]) -> dict[str, str]:
    figure = PERCENT if row["statistic"] == "share" else DECIMAL
    formats = {"mean_or_share": figure, "ci_low": figure, "ci_high": figure, "response_rate": PERCENT}
    if row["statistic"] == "share":
        formats["norm"] = PERCENT
    return formats


def _count(summary, code: str) -> int | None:
    if code in summary.distribution:
        return summary.distribution[code]
    return getattr(summary, code, None)  # weet_niet and nvt sit beside a grade or agree distribution


def _item_rows(questionnaire: Questionnaire, period: Period | str,
               summaries: Mapping[str, object]) -> Iterator[dict[str, object]]:
    """One row per closed item and answer option; a suppressed item keeps its rows but shows no counts."""
    for item in questionnaire.items:
        summary = summaries.get(item.key)
        if summary is None:
            continue
        shown = not summary.suppressed
        for option in item.answer_options():
            yield {
                "questionnaire": questionnaire.key, "period": str(period), "item": item.key,
                "question": item.text.nl, "type": item.type,
                "answer": int(option.code) if option.code.isdigit() else option.code,
                "answer_label": option.label.nl, "count": _count(summary, option.code) if shown else None,
                "n": summary.n, "suppressed": summary.suppressed,
                # Only agree items carry a share; a suppressed summary has these set to None already.
                "agree_share": getattr(summary, "share", None) if shown else None,
                "ci_low": getattr(summary, "ci_low", None) if shown else None,
                "ci_high": getattr(summary, "ci_high", None) if shown else None,
            }


# --- CSV -------------------------------------------------------------------------------------------------

def kpi_results_csv(reports: Iterable[KpiReport], *, dialect: str = "international") -> Iterator[str]:
    """The KPI results as CSV chunks: "international" (``,`` and ``7.5``) or "dutch" (``;`` and ``7,5``).

    Shares, their norms and the response rate are fractions (0.7), as in the JSON report."""
    lines = _CsvLines(dialect)  # a bad dialect fails here, before the first chunk

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(KPI_COLUMNS)
        for report in reports:
            row = _kpi_row(report)
            yield lines.line(row[column] for column in KPI_COLUMNS)

    return chunks()


def item_summaries_csv(questionnaire: Questionnaire, period: Period | str, summaries: Mapping[str, object], *,
                       dialect: str = "international") -> Iterator[str]:
    """The item summaries (``reports.item_summaries``) as CSV chunks: one row per item and answer option
    with its count, and for agree items the share (helemaal) eens with its Wilson interval."""
    lines = _CsvLines(dialect)

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(ITEM_COLUMNS)
        for row in _item_rows(questionnaire, period, summaries):
            yield lines.line(row[column] for column in ITEM_COLUMNS)

    return chunks()


# --- XLSX ------------------------------------------------------------------------------------------------

def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        # Strip the control characters XLSX cannot hold first, so none can hide a formula start.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, float) and not isinstance(value, bool):
        return round(value, FIGURE_DIGITS) if math.isfinite(value) else None
    return value


def _write_sheet(sheet, columns: tuple[str, ...], rows: Iterable[tuple[Mapping, Mapping[str, str]]]) -> None:
    """A bold, frozen header row, then the rows; numbers stay numbers, with a format where one is given."""
    sheet.freeze_panes = "A2"  # a write-only sheet takes its layout before the first row
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column) + 2)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for values, formats in rows:
        cells = []
        for column in columns:
            value = _xlsx_value(values[column])
            if column in formats and value is not None:
                value = WriteOnlyCell(sheet, value=value)
                value.number_format = formats[column]
            cells.append(value)
        sheet.append(cells)


def _summary_period(reports: list[KpiReport], period: Period | str | None) -> str:
    if period is not None:
        return str(period)
    periods = {str(report.period) for report in reports}
    if len(periods) != 1:
        raise ExportError("the reports cover several periods (or none); name the item summaries' period")
    return periods.pop()


def kpi_results_xlsx(reports: Iterable[KpiReport],
                     item_summaries_by_questionnaire: Mapping[Questionnaire, Mapping[str, object]] | None = None,
                     *, period: Period | str | None = None) -> bytes:
    """A workbook with the sheet "KPI's" and one sheet of item summaries per questionnaire (named by its key).

    The item summaries are ``{questionnaire: reports.item_summaries(questionnaire, period)}``; their period is
    ``period``, or else the one period of the reports. Shares and rates are fractions shown as ``0.0 %``."""
    reports = list(reports)
    summaries_by_questionnaire = item_summaries_by_questionnaire or {}
    summary_period = _summary_period(reports, period) if summaries_by_questionnaire else None
    workbook = Workbook(write_only=True)
    kpi_rows = (_kpi_row(report) for report in reports)
    _write_sheet(workbook.create_sheet("KPI's"), KPI_COLUMNS, ((row, _kpi_formats(row)) for row in kpi_rows))
    for questionnaire, summaries in summaries_by_questionnaire.items():
        rows = _item_rows(questionnaire, summary_period, summaries)
        _write_sheet(workbook.create_sheet(questionnaire.key), ITEM_COLUMNS, ((row, ITEM_FORMATS) for row in rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- raw responses ---------------------------------------------------------------------------------------

def raw_responses_csv(questionnaire_key: str, *, period: Period | str | None = None,
                      dialect: str = "international", chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Every response to a questionnaire as CSV chunks, one row per response in the order stored.

    Columns: ``response_id`` (the database's row number, not a code), ``questionnaire_version``, ``period``
    (the half-year), ``quarter``, ``submitted_on``, ``channel``, then one column per item of the current
    questionnaire version with the answer as stored: a number, a code such as ``weet_niet``, or free text
    (neutralised). An item no longer in the current version is left out. No code or code hash: a response
    holds none.

    Minimum n: a period in which the questionnaire has fewer responses than its ``min_n`` is left out
    entirely. The period is the half-year, or the quarter when ``period`` names a quarter.

    Memory stays flat: responses come from one streaming query, ``chunk_size`` at a time, and each chunk's
    answers from one query; each chunk becomes one piece of text.
    """
    lines = _CsvLines(dialect)
    separator = _separators(dialect)[0]
    period = parse_period(period) if isinstance(period, str) else period
    if chunk_size < 1:
        raise ExportError("chunk_size must be at least 1")
    version = current_version(questionnaire_key)
    if version is None:
        raise ExportError(f"the questionnaire {questionnaire_key!r} is not in the database; run 'seed' first")
    questionnaire = definition_of(version)
    item_keys = [item.key for item in questionnaire.items]
    periods = _periods_passing_min_n(questionnaire, period)

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(RAW_COLUMNS + tuple(item_keys))
        if periods:
            yield from _raw_chunks(questionnaire, period, periods, item_keys, separator, chunk_size)

    return chunks()


def _period_column(period: Period | None):
    return Response.half_year if period is None or period.is_half_year else Response.quarter


def _periods_passing_min_n(questionnaire: Questionnaire, period: Period | None) -> list[str]:
    column = _period_column(period)
    query = (select(column, func.count()).where(Response.questionnaire == questionnaire.key)
             .group_by(column))
    if period is not None:
        query = query.where(column == str(period))
    return sorted(name for name, count in db.session.execute(query) if count >= questionnaire.min_n)


def _raw_chunks(questionnaire: Questionnaire, period: Period | None, periods: list[str], item_keys: list[str],
                separator: str, chunk_size: int) -> Iterator[str]:
    versions = dict(db.session.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.version)).all())
    first_item = len(RAW_COLUMNS)
    column_of = {key: first_item + index for index, key in enumerate(item_keys)}
    query = (select(Response.id, Response.questionnaire_version_id, Response.half_year, Response.quarter,
                    Response.submitted_on, Response.channel)
             .where(Response.questionnaire == questionnaire.key, _period_column(period).in_(periods))
             .order_by(Response.id)
             .execution_options(yield_per=chunk_size))  # a server-side cursor on PostgreSQL
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    connection = db.session.connection()  # Core rows: the ORM's per-row work would double the time
    result = connection.execute(query)
    try:
        for partition in result.partitions():
            rows = {}
            for response_id, version_id, half_year, quarter, submitted_on, channel in partition:
                rows[response_id] = [response_id, versions[version_id], half_year, quarter, submitted_on,
                                     channel] + [None] * len(item_keys)
            # A range on the primary key only: with an item filter too, SQLite walks the item index instead.
            answers = select(Answer.response_id, Answer.item, Answer.value, Answer.code, Answer.text).where(
                Answer.response_id.between(partition[0][0], partition[-1][0]))
            for response_id, item, value, code, text in connection.execute(answers):
                row = rows.get(response_id)  # None: another questionnaire's or a left-out period's response
                column = column_of.get(item)  # None: an item the current version no longer asks
                if row is not None and column is not None:
                    row[column] = value if value is not None else neutralise(code or text or "")
            writer.writerows(rows.values())
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    finally:
        result.close()  # also when the client goes away mid-download

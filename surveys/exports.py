"""Data exports: KPI results and item summaries as CSV and XLSX, the raw responses as CSV.

The CSV writers are generators of text chunks; the first chunk starts with a byte-order mark, so Excel
reads the file as UTF-8. The raw export reads the responses a chunk at a time and never holds them all.
In a view, wrap a generator in ``flask.stream_with_context``: it queries the database as it is consumed.
openpyxl is imported by the XLSX writer itself: the CSV exports, and every process that only imports
this module, do without its memory.

Two rules hold for every file (DESIGN.md sections 5 and 10):

- Figures come from the scoring layer as they are. What it suppressed carries no figure here either, and
  the raw export leaves out every period in which the questionnaire has fewer responses than its min_n.
- No text cell can become a formula, whichever separator the file is opened with (``neutralise``).
  Numbers, negative ones included, are written as numbers.
"""

import csv
import io
import math
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from sqlalchemy import BigInteger, String, case, cast, func, literal, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from .extensions import db
from .formatting import report_notes
from .models import Answer, HiddenAnswer, QuestionnaireVersion, Response
from .periods import Period, parse_period
from .questionnaires import Questionnaire
from .scoring import decimals_for
from .services import microdata, publication
from .services.questionnaires import current_version, definition_of
from .services.reports import GROUPS, KpiReport, included_response_quarters

BOM = "\ufeff"
DIALECTS = {"international": (",", "."), "dutch": (";", ",")}  # (field separator, decimal mark)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A formula character where a spreadsheet may start reading a field: at the start of the cell, or after a
# comma, semicolon or line break, with only double quotes and spaces in between (see neutralise).
_FIELD_START = re.compile(r'(?:^|(?<=[,;\n\r]))([" ]*)(?=[=+\-@\t\r])')
FIGURE_DIGITS = 4
CHUNK_SIZE = 5000  # responses per chunk of text (and per fetch) in the raw export
PERCENT, DECIMAL = "0.0 %", "0.00"  # XLSX number formats

KPI_COLUMNS = ("kpi", "label", "period", "statistic", "n", "mean_or_share", "ci_low", "ci_high", "norm",
               "operator", "verdict", "meets_norm", "suppressed", "indicative", "method", "responses",
               "population", "response_rate", "notes")
KPI_FIGURES = ("mean_or_share", "ci_low", "ci_high", "meets_norm")  # what a suppressed row never shows
ITEM_COLUMNS = ("questionnaire", "period", "item", "question", "type", "answer", "answer_label", "count", "n",
                "agree_share", "ci_low", "ci_high", "suppressed")
ITEM_FORMATS = {"agree_share": PERCENT, "ci_low": PERCENT, "ci_high": PERCENT}
RAW_COLUMNS = ("questionnaire_version", "period", "quarter", "channel")


# --- files for people: Dutch headers, words instead of codes ------------------------------------------------
# The workbook and the KPI-results and item-summaries CSVs of the downloads page are read by people. The CLI's
# ``report --format csv`` (DESIGN.md §10) and the raw export keep the machine columns above, so analysts and
# scripts still have the codes.
KPI_HEADERS = {"label": "KPI", "period": "Periode", "statistic": "Soort uitkomst", "n": "Aantal antwoorden",
               "mean_or_share": "Uitkomst", "ci_low": "95%-interval van", "ci_high": "95%-interval tot",
               "norm": "Norm", "operator": "Norm gehaald bij", "verdict": "Oordeel",
               "meets_norm": "Uitkomst haalt de norm", "suppressed": "Verborgen (te weinig respons)",
               "indicative": "Indicatief (minder dan 30 antwoorden)", "method": "Rekenmethode",
               "responses": "Ingevulde vragenlijsten", "population": "Populatie", "response_rate": "Respons",
               "notes": "Opmerkingen"}  # the KPI key (snake_case) is left out: "KPI" names it in words
ITEM_HEADERS = {"questionnaire": "Vragenlijst", "period": "Periode", "item": "Vraagnummer", "question": "Vraag",
                "type": "Soort vraag", "answer_label": "Antwoord", "count": "Aantal", "n": "Aantal antwoorden",
                "agree_share": "Aandeel (helemaal) eens", "ci_low": "95%-interval van",
                "ci_high": "95%-interval tot", "suppressed": "Verborgen (te weinig respons)"}
WORDS = {
    "statistic": {"mean": "gemiddeld cijfer", "share": "aandeel"},
    "operator": {">=": "gelijk aan of hoger dan de norm", ">": "hoger dan de norm"},
    "verdict": {"boven_norm": "boven de norm", "onder_norm": "onder de norm",
                "niet_te_onderscheiden": "niet te onderscheiden van de norm",
                "te_weinig_respons": "te weinig respons", "niet_vrijgegeven": "nog niet vrijgegeven"},
    "method": {"t": "t-toets", "t-fpc": "t-toets met eindige-populatiecorrectie",
               "t-moderated": "t-toets met gematigde spreiding",
               "t-moderated-fpc": "t-toets met gematigde spreiding en eindige-populatiecorrectie",
               "wilson": "Wilson-interval", "wilson-fpc": "Wilson-interval met eindige-populatiecorrectie",
               "descriptive": "beschrijvend (geen toets)"},
    "type": {"grade": "rapportcijfer", "agree": "eens/oneens", "choice": "keuze", "open": "open vraag"},
    "questionnaire": GROUPS,  # "client" → "Cliënten": whose questionnaire it is, as the pages name it
}
SHEET_NAMES = {"client": "Cliënt", "medewerker": "Medewerkers", "partner": "Partners", "gemeente": "Gemeente"}


_QUESTION_NUMBER = re.compile(r"[A-Z]+[0-9]+")  # P1, C12; background questions have named keys (help_from)


def question_number(key: str) -> str | None:
    """The item key people may see: a question number (P1); a named key (help_from) is a code, so None."""
    return key if _QUESTION_NUMBER.fullmatch(key) else None


def _in_words(column: str, value: object) -> object:
    """A cell for people: yes/no for a flag, words for a code (an unknown code stays as it is), and the
    question number only where the key is one (a named key is a code; the question's text says what it is)."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if column == "item":
        return question_number(value)
    return WORDS.get(column, {}).get(value, value) if isinstance(value, str) else value


def _for_people(row: Mapping[str, object], headers: Mapping[str, str]) -> dict[str, object]:
    """A row keyed by Dutch header, its codes in words; columns without a header are left out."""
    return {header: _in_words(column, row[column]) for column, header in headers.items()}


def _people_formats(formats: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    return {headers[column]: number_format for column, number_format in formats.items() if column in headers}


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


def neutralise(text: str) -> str:
    """Put an apostrophe before every formula character (``FORMULA_STARTS``) that could begin a field.

    The usual advice (an apostrophe when the cell starts with one) holds only for the separator the file
    was written with. A manager who opens the comma file with ';' (Dutch Excel does) splits each line at
    every ';', also inside a cell: ``x;=HYPERLINK(...)`` then starts a field with '=', and LibreOffice runs
    it. Under any split at ',' or ';' (and at a line break, as quoted line breaks may come loose when the
    quotes fall out of step), a field starts at the start of a cell or right after one of those characters.
    The spreadsheet then drops a leading double quote as the quoting of the field (LibreOffice also keeps
    what follows a closing quote, so ``;""=1`` reads as ``=1``), and may trim spaces: so those are skipped
    too. With an apostrophe before the formula character, every field that can start there starts as
    text. Quoting the cells would not do it: the other separator sees quotes in other places. A formula
    character anywhere else (``ex-partner``, ``a+b``) cannot start a field and is left alone."""
    return _FIELD_START.sub(r"\1'", text)


def _separators(dialect: str) -> tuple[str, str]:
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ExportError(f"unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}") from None


def _decimal(value: float, mark: str, digits: int = FIGURE_DIGITS) -> str:
    """A figure rounded to four decimals (or ``digits``) without trailing zeros: 7.5, 0.6, -2.1976."""
    if not math.isfinite(value):
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
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

    def line(self, values: Iterable[object], digits: int = FIGURE_DIGITS) -> str:
        return self.writer.writerow([self.cell(value, digits) for value in values])

    def cell(self, value: object, digits: int = FIGURE_DIGITS) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):  # before int: a bool is an int
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _decimal(value, self.decimal_mark, digits)
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
    row["notes"] = " ".join(report_notes(report)) or None
    return row


def _kpi_digits(report: KpiReport, scale: int, base: int) -> int:
    """Decimals at which no shown figure of the KPI rounds onto the norm without being on it."""
    result = report.result
    point = result.share if report.kpi.statistic == "share" else result.mean
    values = [None if v is None else v * scale for v in (point, result.ci_low, result.ci_high)]
    return decimals_for(values, result.norm.exact * scale, base)


def _kpi_formats(row: Mapping[str, object], report: KpiReport) -> dict[str, str]:
    # 0.00 for grades, 0.0 % for shares, with more decimals where a rounded figure would read as the norm.
    share = row["statistic"] == "share"
    digits = _kpi_digits(report, 100 if share else 1, 1 if share else 2)
    figure = "0." + "0" * digits + (" %" if share else "")
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
                "n": summary.n if shown else None, "suppressed": summary.suppressed,
                # Only agree items carry a share; a suppressed summary has these set to None already.
                "agree_share": getattr(summary, "share", None) if shown else None,
                "ci_low": getattr(summary, "ci_low", None) if shown else None,
                "ci_high": getattr(summary, "ci_high", None) if shown else None,
            }


# --- CSV -------------------------------------------------------------------------------------------------

def kpi_results_csv(reports: Iterable[KpiReport], *, dialect: str = "international",
                    for_people: bool = False) -> Iterator[str]:
    """The KPI results as CSV chunks: "international" (``,`` and ``7.5``) or "dutch" (``;`` and ``7,5``).

    Shares, their norms and the response rate are fractions (0.7), as in the JSON report. ``for_people``:
    Dutch headers and words instead of codes (the downloads); else the machine columns (the CLI)."""
    lines = _CsvLines(dialect)  # a bad dialect fails here, before the first chunk
    columns = tuple(KPI_HEADERS.values()) if for_people else KPI_COLUMNS

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(columns)
        for report in reports:
            row = _kpi_row(report)
            row = _for_people(row, KPI_HEADERS) if for_people else row
            yield lines.line((row[column] for column in columns), _kpi_digits(report, 1, FIGURE_DIGITS))

    return chunks()


def item_summaries_csv(questionnaire: Questionnaire, period: Period | str, summaries: Mapping[str, object], *,
                       dialect: str = "international", for_people: bool = False) -> Iterator[str]:
    """The item summaries (``reports.item_summaries``) as CSV chunks: one row per item and answer option
    with its count, and for agree items the share (helemaal) eens with its Wilson interval.

    ``for_people``: the columns and words of the workbook's questionnaire sheets (ITEM_HEADERS: the answer
    by its label, no codes), as the downloads page gives it; else the machine columns of ITEM_COLUMNS."""
    lines = _CsvLines(dialect)
    columns = tuple(ITEM_HEADERS.values()) if for_people else ITEM_COLUMNS

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(columns)
        for row in _item_rows(questionnaire, period, summaries):
            row = _for_people(row, ITEM_HEADERS) if for_people else row
            yield lines.line(row[column] for column in columns)

    return chunks()


# --- XLSX ------------------------------------------------------------------------------------------------

def _xlsx_value(value: object, digits: int = FIGURE_DIGITS) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        # Strip the control characters XLSX cannot hold first, so none can hide a formula start.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, float) and not isinstance(value, bool):
        return round(value, digits) if math.isfinite(value) else None
    return value


def _write_sheet(sheet, columns: tuple[str, ...], rows: Iterable[tuple[Mapping, Mapping[str, str], int]]) -> None:
    """A bold, frozen header row with an autofilter, then the rows; numbers stay numbers, with a format where
    one is given; each column as wide as its widest cell (within limits)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = bold
    for values, formats, digits in rows:
        sheet.append([_xlsx_value(values[column], digits) for column in columns])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=True):
            if column in formats and cell.value is not None:
                cell.number_format = formats[column]
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{sheet.max_row}"
    for index in range(1, len(columns) + 1):
        widest = max(len(_shown(cell.value)) for (cell,) in sheet.iter_rows(min_col=index, max_col=index))
        # + 4: room for the autofilter's button; long questions wrap past 60 rather than fill the screen
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 4, 8), 60)


def _shown(value: object) -> str:
    """Roughly what a cell shows: a figure with its decimals, a fraction as a percentage."""
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


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
    """A workbook with the sheet "KPI's" and one sheet of item summaries per questionnaire (named by its
    name in Dutch), for people: Dutch headers and words instead of codes (see KPI_HEADERS).

    The item summaries are ``{questionnaire: reports.item_summaries(questionnaire, period)}``; their period is
    ``period``, or else the one period of the reports. Shares and rates are fractions shown as ``0.0 %``."""
    from openpyxl import Workbook

    reports = list(reports)
    summaries_by_questionnaire = item_summaries_by_questionnaire or {}
    summary_period = _summary_period(reports, period) if summaries_by_questionnaire else None
    # Not write-only: the column widths and the autofilter's range follow from the rows (a few hundred).
    workbook = Workbook()
    workbook.remove(workbook.active)
    _write_sheet(workbook.create_sheet("KPI's"), tuple(KPI_HEADERS.values()),
                 ((_for_people(row, KPI_HEADERS), _people_formats(_kpi_formats(row, report), KPI_HEADERS),
                   _kpi_digits(report, 1, FIGURE_DIGITS)) for report in reports for row in [_kpi_row(report)]))
    for questionnaire, summaries in summaries_by_questionnaire.items():
        rows = _item_rows(questionnaire, summary_period, summaries)
        _write_sheet(workbook.create_sheet(SHEET_NAMES.get(questionnaire.key, questionnaire.key)),
                     tuple(ITEM_HEADERS.values()),
                     ((_for_people(row, ITEM_HEADERS), _people_formats(ITEM_FORMATS, ITEM_HEADERS), FIGURE_DIGITS)
                      for row in rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- raw responses ---------------------------------------------------------------------------------------

def raw_responses_csv(questionnaire_key: str, *, period: Period | str | None = None,
                      dialect: str = "international", chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Every exported response to a questionnaire as CSV chunks: protected microdata, one row per response.

    Columns: ``questionnaire_version``, ``period`` (the half-year), ``quarter`` (where it may be shown),
    ``channel`` (where it is common enough), then one column per item of the current questionnaire version
    with the answer as stored: a number, a code such as ``weet_niet``, or free text (neutralised); a rare
    background answer reads ``anders``. An item no longer in the current version is left out. No id, no day,
    no code or code hash: a response holds none. Which rows, how coarse, in what order and why:
    services/microdata.py. The period is the half-year, or the quarter when ``period`` names a quarter.

    The database makes the rows: one query returns one row per response, answers pivoted into the item
    columns, in a secret order; Python neutralises the text cells and writes the rows as CSV. Memory
    stays flat: the rows are fetched ``chunk_size`` at a time from that one query (a server-side cursor on
    PostgreSQL, a stepping cursor on SQLite), and each chunk becomes one piece of text.
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
    rows = microdata.plan(questionnaire, _period_column(period), periods,
                          _included_quarters(questionnaire, period, periods))

    def chunks() -> Iterator[str]:
        yield BOM + lines.line(RAW_COLUMNS + tuple(item_keys))
        if not rows.empty:
            yield from _raw_chunks(questionnaire, period, rows, item_keys, separator, chunk_size)

    return chunks()


def _period_column(period: Period | None):
    return Response.half_year if period is None or period.is_half_year else Response.quarter


def _periods_passing_min_n(questionnaire: Questionnaire, period: Period | None) -> list[str]:
    """The published periods of the export with at least the questionnaire's minimum n of responses."""
    column = _period_column(period)
    query = (select(column, func.count()).where(Response.questionnaire == questionnaire.key)
             .group_by(column))
    if period is not None:
        query = query.where(column == str(period))
    large = {name for name, count in db.session.execute(query) if count >= questionnaire.min_n}
    return sorted(publication.published_periods(questionnaire.key, large))


def _included_quarters(questionnaire: Questionnaire, period: Period | None, periods: list[str]) -> list[str] | None:
    """The quarters whose rows a half-year export holds, for a questionnaire reported per quarter: not a
    hidden quarter's rows beside a shown one (publication.included_quarters); None: every row of `periods`."""
    if period is not None and not period.is_half_year:
        return None
    included = [included_response_quarters(questionnaire, parse_period(name)) for name in periods]
    if all(quarters is None for quarters in included):
        return None
    return sorted(quarter for quarters in included for quarter in quarters or ())


def _raw_chunks(questionnaire: Questionnaire, period: Period | None, rows: microdata.ExportPlan,
                item_keys: list[str], separator: str, chunk_size: int) -> Iterator[str]:
    """The rows in blocks of `chunk_size` responses stored one after another, the blocks in a secret random
    order and each block's rows in a secret order of their own (services/microdata.py says why). A block is
    one range of ids, pivoted by one query: the database reads its pages in order, which a random order of
    single rows would not let it do (three times slower at a million rows on SQLite)."""
    connection = db.session.connection()  # Core rows: the ORM's per-row work would double the time
    exported = _exported(questionnaire.key, period, rows, connection.dialect.name)
    blocks = _blocks(connection, exported, chunk_size)
    secrets.SystemRandom().shuffle(blocks)
    pivot = _raw_query(rows, item_keys, connection.dialect.name).where(*exported).order_by(_secret_order(rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    # The text cells: free text, and the codes of choice items. A grade or agree cell holds a number or one
    # of the fixed codes for no answer (weet_niet, nvt); skipping those keeps a million rows fast.
    free_text = [len(RAW_COLUMNS) + at for at, key in enumerate(item_keys)
                 if questionnaire.item(key).type not in ("grade", "agree")]
    for first, last in blocks:
        block = connection.execute(pivot.where(Response.id.between(first, last)))
        writer.writerows(_neutralised(block, free_text))  # each cell a number, a text or None (empty)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _blocks(connection, exported: list, size: int) -> list[tuple[int, int]]:
    """(first id, last id) of each run of `size` exported responses, in id order: the ids are read a run at a
    time (a server-side cursor on PostgreSQL), only the ends are kept."""
    ids = connection.execute(select(Response.id).where(*exported).order_by(Response.id)
                             .execution_options(yield_per=size))
    try:
        return [(partition[0][0], partition[-1][0]) for partition in ids.partitions()]
    finally:
        ids.close()


def _neutralised(rows, free_text: list[int]):
    """The rows with their text cells (at `free_text`) neutralised; rows without text as they came."""
    if not free_text:
        return rows
    neutralised = []
    for row in rows:
        if any(row[at] for at in free_text):
            row = list(row)
            for at in free_text:
                if row[at]:
                    row[at] = neutralise(row[at])
        neutralised.append(row)
    return neutralised


def _secret_order(rows: microdata.ExportPlan):
    """The sort key of services/microdata.py, in integer arithmetic both databases share (no product
    reaches 2⁶³): an affine step, then two squaring steps, each modulo the prime p."""
    a, b, c, d = rows.order
    key = (cast(Response.id, BigInteger) * a + b) % microdata.PRIME
    key = (key * key + c) % microdata.PRIME
    return (key * key + d) % microdata.PRIME


def _exported(questionnaire_key: str, period: Period | None, rows: microdata.ExportPlan, dialect: str) -> list:
    """The conditions on the exported responses: the questionnaire's in the plan's periods (and quarters)."""
    conditions = [Response.questionnaire == questionnaire_key, _period_column(period).in_(rows.periods)]
    if rows.quarters is not None:  # a filter, never the index SQLite should walk
        column = _not_indexed(Response.quarter) if dialect == "sqlite" else Response.quarter
        conditions.append(column.in_(rows.quarters))
    return conditions


def _raw_query(rows: microdata.ExportPlan, item_keys: list[str], dialect: str):
    """One row per response (the caller names the ids): the RAW_COLUMNS, then one cell per item
    (``_answer_cell``, NULL where unanswered, coarsened as planned).

    The pivot differs per database, each shape the faster of the two there (by a third to a half at a
    million responses): SQLite looks each cell up by the answer primary key (response_id, item), one B-tree
    search per item in a correlated subquery; PostgreSQL joins the responses with their answers and
    aggregates per response (MAX ... FILTER per item)."""
    head = (QuestionnaireVersion.version, Response.half_year,
            _shown_only(Response.quarter, rows.shown_quarters), _hidden(Response.channel, rows.hidden_channels))
    if dialect == "sqlite":
        cells = [_not_given(select(_coarse_cell(dialect, rows.coarse.get(key)))
                            .where(Answer.response_id == Response.id, Answer.item == key).scalar_subquery(),
                            rows.coarse.get(key)) for key in item_keys]
        query = select(*head, *cells)
    else:
        cells = [_not_given(func.max(_coarse_cell(dialect, rows.coarse.get(key))).filter(Answer.item == key),
                            rows.coarse.get(key)) for key in item_keys]
        query = (select(*head, *cells).outerjoin(Answer, Answer.response_id == Response.id)
                 .group_by(Response.id, QuestionnaireVersion.version))
    return query.join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)


def _shown_only(column, shown):
    """The column where its value is in `shown`, else NULL (an empty cell)."""
    return case((column.in_(sorted(shown)), column), else_=None) if shown else literal(None, String)


def _hidden(column, hidden):
    """The column, NULL where its value is in `hidden`."""
    return case((column.in_(sorted(hidden)), None), else_=column) if hidden else column


def _coarse_cell(dialect: str, coarse):
    """An answer's cell, ``anders`` for the background codes the plan coarsens."""
    cell = _answer_cell(dialect)
    codes = sorted(set(coarse or ()) - {microdata.NOT_GIVEN})
    return case((Answer.code.in_(codes), literal(microdata.COARSE)), else_=cell) if codes else cell


def _not_given(cell, coarse):
    """The cell, ``anders`` where the item was not answered and the plan coarsens that too."""
    return func.coalesce(cell, literal(microdata.COARSE)) if coarse and microdata.NOT_GIVEN in coarse else cell


def _answer_cell(dialect: str):
    """An answer as its CSV cell: the number, the code or the free text (text neutralised in _raw_chunks).
    PostgreSQL wants one type in COALESCE, so there the number comes as text (csv writes 7 and '7' alike);
    SQLite mixes types, and saves the cast."""
    number = Answer.value if dialect == "sqlite" else cast(Answer.value, String)
    # A free text a manager hid (it names a person) is empty here too, as on every other channel.
    hidden = select(HiddenAnswer.item).where(HiddenAnswer.response_id == Answer.response_id,
                                             HiddenAnswer.item == Answer.item).exists()
    return func.coalesce(number, Answer.code, case((hidden, None), else_=Answer.text))


def _not_indexed(column):
    """``+column``: the same value, but SQLite will not use an index for a condition on it."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def audit_log_csv(events: Iterable, local_time, labels: Mapping[str, str]) -> Iterator[str]:
    """The audit log as a Dutch spreadsheet opens it (UTF-8 with BOM, ';'), streamed: when (local time),
    who, what (in words), details."""
    lines = _CsvLines("dutch")
    yield "\ufeff" + lines.line(("wanneer", "wie", "wat", "details"))
    for event in events:
        yield lines.line((local_time(event.at), event.actor, labels.get(event.action, event.action), event.detail))

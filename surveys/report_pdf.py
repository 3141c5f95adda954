"""The half-year report for the gemeente as one PDF: a cover, the KPI table with verdicts, the response per
questionnaire, a plain-language note on reading the intervals, and one chart per KPI.

Figures come from ``services.reports`` and charts from ``charts.kpi_chart``, so what they suppress is
suppressed here too: a KPI below its minimum n shows "te weinig respons" and no value, interval or trend.

Choices made here:

- Dutch notation throughout: a decimal comma, grades with two decimals (7,60) as on the dashboard, shares
  as a percentage with one decimal (80,0 %), response rates as whole percentages.
- A verdict is always a symbol and words (▲ Boven de norm), never colour alone; the PDF prints well in grey.
- DejaVu Sans (shipped with matplotlib, also the charts' font) rather than Helvetica: it has the symbols.
- ``invariant=1``: no creation time or random id, so the same data on the same day gives the same bytes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)
from sqlalchemy import select

from . import charts, logos, periods
from .exports import question_number
from .extensions import db
from .formatting import kpi_figures, n_text, norm_value, report_notes, verdict_label
from .models import Response, Round
from .periods import Period, half_year_of, parse_period
from .questionnaires import QUESTIONNAIRE_KEYS, load_questionnaire
from .scoring import ABOVE, BELOW, TOO_FEW, UNDECIDED
from .services import organisation
from .services.publication import WITHHELD, WITHHELD_TEXT
from .services.reports import GROUPS, KpiReport, item_summaries, kpi_history, kpi_results

BRAND, MUTED, RULE = colors.HexColor("#00576B"), colors.HexColor("#4B4B4B"), colors.HexColor("#9A9A9A")
LIGHT = colors.HexColor("#F3F5F6")
MARGIN = 1.8 * cm
LOGO_HEIGHT = 2.5 * cm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
CHART_WIDTH = CONTENT_WIDTH
CHART_HEIGHT = CHART_WIDTH * charts.HEIGHT_IN / charts.WIDTH_IN
CHART_HALF_YEARS = 6

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
VERDICTS = {
    # verdict → (symbol, words); the same symbols as the dashboard, the words carry the meaning
    ABOVE: ("▲", "Boven de norm"),
    BELOW: ("▼", "Onder de norm"),
    UNDECIDED: ("●", "Niet te onderscheiden van de norm"),
    TOO_FEW: ("–", "Te weinig respons"),
    WITHHELD: ("…", WITHHELD_TEXT),
}
NO_RESPONSE = ("–", "Geen respons")
TRENDS = {"stijging": "gestegen", "daling": "gedaald", "niet_te_onderscheiden": "geen duidelijke verandering",
          "gelijk": "gelijk gebleven"}
NBSP = "\u00a0"  # keeps a number and its % (or a norm's operator) on one line


# --- fonts and styles ------------------------------------------------------------------------------------

_FONT_LOCK = threading.Lock()
_FONTS = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
          "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf"}


def _register_fonts() -> None:
    with _FONT_LOCK:
        if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
            return
        import matplotlib  # only for its fonts' folder; matplotlib itself loads when a chart is drawn

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in _FONTS.items():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                      italic="DejaVuSans-Oblique", boldItalic="DejaVuSans-Bold")


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=10, leading=14, spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10.5, spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontName="DejaVuSans-Bold", fontSize=8, leading=10.5,
                               spaceAfter=0),
        "h1": ParagraphStyle("h1", parent=body, fontName="DejaVuSans-Bold", fontSize=16, leading=20,
                             spaceBefore=4, spaceAfter=10, textColor=BRAND, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName="DejaVuSans-Bold", fontSize=12.5, leading=16,
                             spaceBefore=14, spaceAfter=6, textColor=BRAND, keepWithNext=1),
        "caption": ParagraphStyle("caption", parent=body, fontSize=8.5, leading=11.5, textColor=MUTED,
                                  spaceBefore=2, spaceAfter=14),
        "org": ParagraphStyle("org", parent=body, fontName="DejaVuSans-Bold", fontSize=14, leading=18,
                              textColor=BRAND),
        "title": ParagraphStyle("title", parent=body, fontName="DejaVuSans-Bold", fontSize=30, leading=36,
                                spaceBefore=10, spaceAfter=12),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=13, leading=18, spaceAfter=18),
    }


# --- words and numbers -----------------------------------------------------------------------------------

def dutch_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def count(value: int) -> str:
    """A count with a dot between thousands, as Dutch readers write it: 4.586."""
    return f"{value:,}".replace(",", ".")


def figure(report: KpiReport, value: float) -> str:
    """A grade with two decimals (7,60) or a share as a percentage with one (80,0 %)."""
    return f"{_number(100 * value, 1)}{NBSP}%" if report.kpi.statistic == "share" else _number(value, 2)


def norm_text(report: KpiReport) -> str:
    norm = report.result.norm  # the norm of the report's own period
    operator = "≥" if norm.operator == ">=" else ">"
    shown = norm_value(norm, report.kpi.statistic)
    return f"{operator}{NBSP}{shown}{NBSP}%" if report.kpi.statistic == "share" else f"{operator}{NBSP}{shown}"


def verdict_words(report: KpiReport) -> tuple[str, str]:
    result = report.result
    if result.suppressed and result.n == 0 and result.verdict != WITHHELD:
        return NO_RESPONSE
    return verdict_label(result, VERDICTS)


def _shown(report: KpiReport) -> dict[str, str]:
    """Value and bounds with the decimals the pages use: never a rounded bound that reads as the norm."""
    return {key: text.replace(" %", f"{NBSP}%") for key, text in
            kpi_figures(report.result, report.kpi.statistic).items()}


def value_text(report: KpiReport) -> str:
    return "–" if report.result.suppressed else _shown(report)["value"]


def interval_text(report: KpiReport) -> str:
    result = report.result
    if result.suppressed or result.ci_low is None:
        return "–"
    return _shown(report)["interval"]


def trend_text(report: KpiReport) -> str:
    """The change since the previous period in words, with the difference; nothing for a hidden result."""
    if report.result.suppressed or report.trend is None:
        return "–"
    difference = report.trend.difference
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    if report.kpi.statistic == "share":
        return f"{sign}{_number(abs(100 * difference), 1)}{NBSP}procentpunt ({TRENDS[report.trend.verdict]})"
    return f"{sign}{_number(abs(difference), 2)} ({TRENDS[report.trend.verdict]})"


def rate_text(responses: int, population: int | None) -> str:
    if not population:
        return "niet bekend"
    if responses > population:  # never a rate above 100 %: the population count is wrong
        return "meer reacties dan N: gegevensfout"
    return f"{_number(100 * responses / population, 0)}{NBSP}%"


def notes_paragraph(reports: list[KpiReport], style) -> list:
    """What the notes of the results mean, in words: census, data problems, cut-off intervals."""
    lines = [f"{escape(report.kpi.label.nl)}: {escape(text)}" for report in reports
             for text in report_notes(report)]
    return [_p("Toelichting", style), *(Paragraph(line, style) for line in lines)] if lines else []


# --- the parts of the report ---------------------------------------------------------------------------

def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _cover(period: Period, reports: list[KpiReport], made_on: date, styles) -> list:
    profile = organisation.current()
    parts = [
        Spacer(1, 3 * cm),
        *_logo(profile),
        _p(profile.name, styles["org"]),
        _p(f"Waardering {period}", styles["title"]),
        _p(f"Hoe cliënten, partners, de gemeente en medewerkers {profile.short_name} waarderen", styles["subtitle"]),
        _p(f"Periode: {dutch_date(period.start)} tot en met {dutch_date(period.end)}", styles["body"]),
        _p(f"Gemaakt op {dutch_date(made_on)}", styles["body"]),
    ]
    if made_on <= period.end:
        parts.append(_p(f"Let op: de periode loopt nog tot en met {dutch_date(period.end)}. "
                        "De cijfers kunnen nog veranderen.", styles["body"]))
    parts += [Spacer(1, 1.2 * cm), _p("In het kort", styles["h2"])]
    items = []
    for report in reports:
        symbol, words = verdict_words(report)
        extra = " (indicatief)" if report.result.indicative else ""
        items.append(ListItem(Paragraph(f"{escape(report.kpi.label.nl)}: <b>{symbol} {escape(words)}</b>{extra}",
                                        styles["body"]), leftIndent=12, value="•"))
    parts.append(ListFlowable(items, bulletType="bullet", start="•", leftIndent=12, bulletFontName="DejaVuSans"))
    parts += [_p("Samenvatting", styles["h2"]), *(_p(sentence, styles["body"]) for sentence in summary(reports))]
    parts.append(PageBreak())
    return parts


# What each verdict means for the KPIs that have it, as a sentence; {names} is "A, B en C".
SUMMARY_SENTENCES = {
    ABOVE: "De norm is zeker gehaald bij: {names}.",
    BELOW: "De norm is zeker niet gehaald bij: {names}.",
    UNDECIDED: "Bij {names} kunnen we niet zeggen of de norm gehaald is: de norm ligt binnen het 95%-interval.",
    TOO_FEW: "Bij {names} waren er te weinig reacties om iets te zeggen.",
    WITHHELD: "De cijfers van {names} zijn nog niet vrijgegeven.",
    "none": "Voor {names} kwamen geen reacties binnen.",
}
DATA_PROBLEM_SENTENCE = ("Bij {names} zijn er meer reacties dan mensen in de doelgroep; controleer het aantal "
                         "uitgenodigden.")


def names_text(names: list[str]) -> str:
    """'A', 'A en B', 'A, B en C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def summary(reports: list[KpiReport]) -> list[str]:
    """The verdicts in plain sentences: which KPIs meet their norm, which do not, which cannot be told
    apart from it, and which have too few responses; in that order, each KPI by its name."""
    groups: dict[str, list[str]] = {}
    for report in reports:
        verdict = "data" if "n_exceeds_population" in report.result.notes else \
            "none" if verdict_words(report) == NO_RESPONSE else report.result.verdict
        groups.setdefault(verdict, []).append(report.kpi.label.nl)
    sentences = [SUMMARY_SENTENCES[verdict].format(names=names_text(groups[verdict]))
                 for verdict in (ABOVE, BELOW, UNDECIDED, TOO_FEW, "none", WITHHELD) if verdict in groups]
    if "data" in groups:
        sentences.append(DATA_PROBLEM_SENTENCE.format(names=names_text(groups["data"])))
    return sentences


TABLE_STYLE = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
    ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
]


def _kpi_table(reports: list[KpiReport], styles) -> Table:
    cell, head = styles["cell"], styles["head"]
    header = ["KPI", "Waarde", "95%-interval", "Norm", "n", "Respons", "Oordeel", "Trend t.o.v. vorige periode"]
    rows = [[_p(text, head) for text in header]]
    for report in reports:
        symbol, words = verdict_words(report)
        verdict = f"{symbol} {escape(words)}" + ("<br/><i>indicatief</i>" if report.result.indicative else "")
        rows.append([
            _p(report.kpi.label.nl, cell), _p(value_text(report), cell), _p(interval_text(report), cell),
            _p(norm_text(report), cell), _p(n_text(report.result, report.min_n), cell),
            _p("–" if report.response_rate is None else rate_text(report.responses, report.population), cell),
            Paragraph(verdict, cell), _p(trend_text(report), cell),
        ])
    widths = [3.6, 1.5, 2.55, 1.3, 1.35, 1.65, 2.75, 2.7]  # cm; n fits 100.000, "Respons" one line
    scale = CONTENT_WIDTH / (sum(widths) * cm)
    return Table(rows, colWidths=[w * cm * scale for w in widths], repeatRows=1, style=TABLE_STYLE)


def _response_table(reports: list[KpiReport], styles) -> Table:
    """Responses per questionnaire, from the KPI reports (all KPIs of a questionnaire share them)."""
    by_questionnaire = {report.kpi.questionnaire: report for report in reports}
    cell, head = styles["cell"], styles["head"]
    rows = [[_p(text, head) for text in ("Vragenlijst", "Reacties", "Uitgenodigd of in de doelgroep", "Respons")]]
    for key in QUESTIONNAIRE_KEYS:
        report = by_questionnaire.get(key)
        if report is None:
            continue
        population = "niet bekend" if report.population is None else count(report.population)
        if report.response_hidden:  # a published period's small count is a hidden group's size
            hidden = f"minder dan {report.min_n}"
            rows.append([_p(GROUPS[key], cell), _p(hidden, cell), _p(population, cell), _p("–", cell)])
            continue
        rows.append([_p(GROUPS[key], cell), _p(count(report.responses), cell), _p(population, cell),
                     _p(rate_text(report.responses, report.population), cell)])
    widths = [5, 3, 6, 3]
    scale = CONTENT_WIDTH / (sum(widths) * cm)
    return Table(rows, colWidths=[w * cm * scale for w in widths], style=TABLE_STYLE, hAlign="LEFT")


def _minimum_text(keys: Iterable[str]) -> str:
    """'5 reacties (bij de gemeente 3)': the minimum n of the questionnaires in the report, most common first."""
    minima = {key: load_questionnaire(key).min_n for key in keys}
    common = max(set(minima.values()), key=lambda value: (list(minima.values()).count(value), value))
    others = [f"bij {GROUPS[key].lower() if key != 'gemeente' else 'de gemeente'} {value}"
              for key, value in minima.items() if value != common]
    return f"{common} reacties" + (f" ({', '.join(others)})" if others else "")


def _reading_note(reports: list[KpiReport], styles) -> list:
    body = styles["body"]
    minimum = _minimum_text(dict.fromkeys(report.kpi.questionnaire for report in reports))
    points = [
        "<b>Waarde.</b> Het gemiddelde rapportcijfer (van 1 tot 10). Bij ‘zelf weer verder’ is het het deel van "
        "de cliënten dat ‘ja’ zei.",
        "<b>95%-interval.</b> Niet iedereen vult de vragenlijst in. Daarom is een uitkomst nooit helemaal zeker. "
        "Het interval geeft aan tussen welke twee getallen de echte waarde bijna zeker ligt: in 95 van de 100 "
        "keer klopt dat. Meer reacties geven een smaller interval.",
        "<b>▲ Boven de norm.</b> Het hele interval ligt boven de norm. De norm is dus vrijwel zeker gehaald.",
        "<b>▼ Onder de norm.</b> Het hele interval ligt onder de norm. De norm is dus vrijwel zeker niet gehaald.",
        "<b>● Niet te onderscheiden van de norm.</b> De norm ligt binnen het interval. We kunnen dan niet "
        "zeggen of de norm gehaald is, ook niet als de waarde zelf er net boven of onder ligt.",
        "<b>Indicatief.</b> Minder dan 30 reacties. De uitkomst laat een richting zien, maar is nog onzeker.",
        f"<b>Te weinig respons.</b> Minder dan {escape(minimum)}. Dan tonen we geen cijfers, ook niet in de "
        "grafiek. Zo kan niemand achterhalen wat één persoon heeft geantwoord. Om dezelfde reden verbergen we "
        "bij een verdeling in groepen soms ook een tweede kleine groep.",
        "<b>Trend.</b> Het verschil met de vorige periode. We schrijven alleen ‘gestegen’ of ‘gedaald’ als het "
        "verschil duidelijk is. Anders staat er ‘geen duidelijke verandering’.",
    ]
    items = [ListItem(Paragraph(point, body), leftIndent=12, value="•") for point in points]
    return [_p("Zo leest u de cijfers", styles["h2"]),
            ListFlowable(items, bulletType="bullet", start="•", leftIndent=12, bulletFontName="DejaVuSans")]


CHANNEL_WORDS = {"code": "een eigen link of code (per brief of e-mail)", "open": "een open link (op de tablet)",
                 "paper": "een papieren formulier"}


def _fieldwork(questionnaire: str, period: Period) -> tuple[list[Round], list[str]]:
    """The rounds of the questionnaire in the period's half-year, and the channels its responses came in by
    (names only: a count per channel could show a small group)."""
    half_year = str(_chart_until(period))
    rounds = list(db.session.scalars(select(Round).where(Round.questionnaire == questionnaire,
                                                         Round.period == half_year).order_by(Round.opens_on)))
    column = Response.half_year if period.is_half_year else Response.quarter
    used = set(db.session.scalars(select(Response.channel).distinct().where(
        Response.questionnaire == questionnaire, column == str(period))))
    return rounds, [CHANNEL_WORDS[channel] for channel in CHANNEL_WORDS if channel in used]


def _method(reports: list[KpiReport], period: Period, styles) -> list:
    """How the figures were gathered: each questionnaire's rounds and channels, its response (the table
    before), and what is hidden below the minimum number of responses, and why."""
    parts: list = [_p("Zo is gemeten", styles["h2"])]
    for key in dict.fromkeys(report.kpi.questionnaire for report in reports):
        rounds, channels = _fieldwork(key, period)
        when = names_text([f"van {dutch_date(r.opens_on)} tot en met {dutch_date(r.closes_on)}" for r in rounds]) \
            if rounds else "zonder meetronde (alleen open link of papier)"
        how = f"Reacties kwamen binnen via {names_text(channels)}." if channels else \
            "Er kwamen geen reacties binnen, of ze zijn al gewist na de bewaartermijn."
        questionnaire = load_questionnaire(key)
        parts.append(_p(f"{GROUPS[key]}: gemeten {when}. {how} Cijfers tonen we vanaf {questionnaire.min_n} "
                        f"reacties.", styles["body"]))
    parts.append(_p("Het aantal reacties per vragenlijst staat in de tabel ‘Respons per vragenlijst’. Heeft een "
                    "vragenlijst of een groep minder reacties dan het minimum, dan tonen we geen cijfers en geen "
                    "aantal. Zo kan niemand uit de cijfers afleiden wat één persoon heeft geantwoord.", styles["body"]))
    return parts


def _percent(part: int, whole: int) -> str:
    return f"{_number(100 * part / whole, 0)}{NBSP}%" if whole else "–"


def _answer_rows(item, summary) -> list[tuple[str, str, str]]:
    """(answer, count, percentage) per answer option; a hidden group shows why, never its count. The
    percentage is of the answers on the scale; 'weet ik niet' and 'niet van toepassing' are counted apart."""
    rows = []
    hidden = getattr(summary, "hidden", None) or {}
    for option in item.answer_options():
        if option.code in hidden:
            rows.append((option.label.nl, hidden[option.code], "–"))
            continue
        counted = summary.distribution.get(option.code) if option.code in summary.distribution else \
            getattr(summary, option.code, None)
        if counted is None:
            continue
        on_scale = option.code in summary.distribution
        rows.append((option.label.nl, count(counted), _percent(counted, summary.n) if on_scale else "telt niet mee"))
    return rows


def _item_results(reports: list[KpiReport], period: Period, styles) -> list:
    """Per questionnaire and closed question: how many gave each answer, and which percentage that is.
    Only what reports.item_summaries shows (published periods, enough responses)."""
    parts: list = [PageBreak(), _p("Uitkomsten per vraag", styles["h1"])]
    for key in dict.fromkeys(report.kpi.questionnaire for report in reports):
        heading = _p(GROUPS[key], styles["h2"])
        blocks = _question_blocks(load_questionnaire(key), period, styles) or [
            [_p("De uitkomsten per vraag komen na het vrijgeven van de resultaten.", styles["body"])]]
        # The heading stays with its first question (keepWithNext does not hold against a KeepTogether).
        blocks[0].insert(0, heading)
        parts += [KeepTogether(block) for block in blocks]
    return parts


def _question_blocks(questionnaire, period: Period, styles) -> list[list]:
    """One block (flowables to keep together) per closed question: its text and a table of answers, or
    why it is not shown."""
    cell, head = styles["cell"], styles["head"]
    summaries = item_summaries(questionnaire, period)
    blocks = []
    for item in questionnaire.items:
        summary = summaries.get(item.key)
        if summary is None:
            continue
        number = question_number(item.key)
        title = _p(f"{number}. {item.text.nl}" if number else item.text.nl, styles["head"])
        if summary.suppressed:
            blocks.append([title, _p("Te weinig antwoorden om deze vraag te tonen.", styles["small"])])
            continue
        rows = [[_p(text, head) for text in ("Antwoord", "Aantal", f"Procent (van {count(summary.n)})")]]
        rows += [[_p(text, cell) for text in row] for row in _answer_rows(item, summary)]
        widths = [CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.15, CONTENT_WIDTH * 0.25]
        table = Table(rows, colWidths=widths, style=TABLE_STYLE, hAlign="LEFT", repeatRows=1)
        blocks.append([title, Spacer(1, 2), table, Spacer(1, 8)])
    return blocks


def _chart_until(period: Period) -> Period:
    return period if period.is_half_year else half_year_of(period.start)


def _charts(reports: list[KpiReport], period: Period, styles) -> list:
    """One chart per KPI over the last half-years; none where no half-year has a figure to show."""
    parts: list = [_p("Grafieken per KPI", styles["h2"]),
                   _p(f"Elke grafiek toont de laatste {CHART_HALF_YEARS} halfjaren: de waarde, het 95%-interval "
                      "(de lijn met streepjes aan de uiteinden) en de norm (de stippellijn). Onder elk halfjaar staat "
                      "het aantal reacties (n).", styles["body"])]
    for number, report in enumerate(reports, start=1):
        history = kpi_history(report.kpi.key, until=_chart_until(period), count=CHART_HALF_YEARS)
        span = f"{history[0].period} tot en met {history[-1].period}"
        if all(entry.result.suppressed for entry in history):
            parts.append(_p(f"Grafiek {number}. {report.kpi.label.nl}: geen grafiek, want in geen van de halfjaren "
                            f"{span} waren er genoeg reacties om cijfers te tonen (te weinig respons).",
                            styles["caption"]))
            continue
        # The chart carries the KPI's name as its title; the caption below numbers it and names the span.
        image = Image(io.BytesIO(charts.kpi_chart(history, "png")), width=CHART_WIDTH, height=CHART_HEIGHT)
        parts.append(KeepTogether([image, _p(f"Grafiek {number}. {report.kpi.label.nl}, {span}.",
                                             styles["caption"])]))
    return parts


def _logo(profile) -> list:
    """The organisation's logo above its name on the cover, when it is a PNG (an SVG logo is left out:
    the PDF library draws no SVG)."""
    found = organisation.logo() if profile.logo_type == logos.PNG else None
    if found is None:
        return []
    image = Image(io.BytesIO(found[0]))
    scale = min(LOGO_HEIGHT / image.imageHeight, CONTENT_WIDTH / 2 / image.imageWidth)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    image.hAlign = "LEFT"
    return [image, Spacer(1, 0.5 * cm)]


def _numbered_canvas(period: Period, name: str) -> type[Canvas]:
    """A canvas that holds its pages until the end, so each footer can say "pagina 2 van 6" (the cover,
    page 1, has none). It also opens the reader's bookmark panel and shows the title, not the file name."""
    footer = f"{name} · Waardering {period}"

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict] = []
            self._page_bookmarks: list[str] = []
            self.showOutline()
            self.setViewerPreference("DisplayDocTitle", "true")

        def bookmarkPage(self, key, **kwargs):
            # Placed when the page is written (save): a bookmark made now would point at the first page.
            self._page_bookmarks.append(key)

        def showPage(self):
            self._held_pages.append(dict(self.__dict__))
            self._startPage()
            self._page_bookmarks = []

        def save(self):
            total = len(self._held_pages)
            for page in self._held_pages:
                self.__dict__.update(page)
                for key in self._page_bookmarks:
                    super().bookmarkPage(key)
                if self._pageNumber > 1:
                    self.saveState()
                    self.setFont("DejaVuSans", 8)
                    self.setFillColor(MUTED)
                    self.drawString(MARGIN, 1.0 * cm, footer)
                    self.drawRightString(A4[0] - MARGIN, 1.0 * cm, f"pagina {self._pageNumber} van {total}")
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


class _ReportDocument(SimpleDocTemplate):
    """Every heading becomes a bookmark in the PDF's outline, the contents a reader shows beside the pages."""

    def afterFlowable(self, flowable) -> None:
        if not isinstance(flowable, Paragraph) or flowable.style.name not in ("h1", "h2"):
            return
        seen = getattr(self, "_headings", 0)
        self._headings = seen + 1
        if flowable.style.name == "h1":
            self._had_h1 = True
        level = 1 if flowable.style.name == "h2" and getattr(self, "_had_h1", False) else 0
        key = f"kop-{seen}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)


# --- the report ----------------------------------------------------------------------------------------

def halfyear_report_pdf(period: Period | str, *, made_on: date | None = None) -> bytes:
    """The report of one half-year (or, for the cliënt KPIs only, a quarter) as PDF bytes."""
    period = parse_period(period) if isinstance(period, str) else period
    made_on = made_on or periods.today()
    reports = kpi_results(period)
    _register_fonts()
    styles = _styles()
    story = _cover(period, reports, made_on, styles)
    story += [
        _p(f"KPI's in {period}", styles["h1"]),
        _kpi_table(reports, styles),
        Spacer(1, 4),
        *notes_paragraph(reports, styles["small"]),
        _p("n is het aantal bruikbare antwoorden op de vraag; ‘weet ik niet’ en ‘n.v.t.’ tellen niet mee. "
           "Respons is het aantal reacties gedeeld door het aantal uitgenodigden, waar dat bekend is.",
           styles["small"]),
        _p("Respons per vragenlijst", styles["h2"]),
        _response_table(reports, styles),
        *_method(reports, period, styles),
        *_reading_note(reports, styles),
        *_charts(reports, period, styles),
        *_item_results(reports, period, styles),
    ]
    buffer = io.BytesIO()
    document = _ReportDocument(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"Waardering {period}", author=organisation.current().name,
        subject=f"Halfjaarrapportage waardering {period}",
        creator="surveys", lang="nl-NL", invariant=1,
    )
    document.build(story, canvasmaker=_numbered_canvas(period, organisation.current().name))
    return buffer.getvalue()

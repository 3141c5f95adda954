"""The half-year report for the gemeente as one tagged, accessible PDF (PDF/UA-1): a cover with the summary,
the KPI table with verdicts, the response per questionnaire, how it was measured, a plain-language note on
reading the intervals, one chart per KPI and the answers per question.

The report is HTML (templates/report/halfyear.html, styled by report.css beside it) that WeasyPrint lays
out as PDF with its structure tree: the language (nl), the title, headings h1-h3 (also the bookmarks),
tables with header cells and captions, and a text for every chart that says what it shows.

Figures come from ``services.reports`` and charts from ``charts.kpi_chart``, so what they suppress is
suppressed here too: a KPI below its minimum n shows "te weinig respons" and no value, interval or trend.

Choices made here:

- Dutch notation throughout: a decimal comma, grades with two decimals (7,60) as on the dashboard, shares
  as a percentage with one decimal (80,0 %), response rates as whole percentages.
- A verdict is always a symbol and words (▲ Boven de norm), never colour alone; the PDF prints well in grey.
- DejaVu Sans (shipped with matplotlib, also the charts' font): it has the symbols, on every machine.
- Nothing is fetched from outside: images are data: addresses, fonts come from matplotlib's folder.
- No creation time in the file, so the same data on the same day gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from flask import render_template
from sqlalchemy import select

from . import charts, logos, periods
from .exports import question_number
from .extensions import db
from .formatting import kpi_figures, n_text, norm_value, report_notes, verdict_label
from .formatting import norm_text as plain_norm_text
from .models import Response, Round
from .periods import Period, half_year_of, parse_period
from .scoring import ABOVE, BELOW, TOO_FEW, UNDECIDED
from .services import organisation
from .services import questionnaires as installed
from .services.publication import WITHHELD, WITHHELD_TEXT
from .services.reports import GROUPS, KpiReport, item_summaries, kpi_history, kpi_results


def questionnaire_keys() -> tuple[str, ...]:
    """The questionnaires the report knows, in the order its tables show them: the installation's, as
    respondents get them now (one made in the editor too)."""
    return tuple(installed.in_force())


TEMPLATE = "report/halfyear.html"
STYLESHEET = Path(__file__).parent / "templates" / "report" / "report.css"
PDF_VARIANT = "pdf/ua-1"
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


def notes_lines(reports: list[KpiReport]) -> list[str]:
    """What the notes of the results mean, in words: census, data problems, cut-off intervals."""
    return [f"{report.kpi.label.nl}: {text}" for report in reports for text in report_notes(report)]


# --- the parts of the report ---------------------------------------------------------------------------

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



def _kpi_rows(reports: list[KpiReport]) -> list[dict]:
    rows = []
    for report in reports:
        symbol, words = verdict_words(report)
        rows.append({
            "label": report.kpi.label.nl, "value": value_text(report), "interval": interval_text(report),
            "norm": norm_text(report), "n": n_text(report.result, report.min_n),
            "rate": "–" if report.response_rate is None else rate_text(report.responses, report.population),
            "verdict": f"{symbol} {words}", "indicative": report.result.indicative, "trend": trend_text(report),
        })
    return rows


def _response_rows(reports: list[KpiReport]) -> list[tuple[str, str, str, str]]:
    """Responses per questionnaire, from the KPI reports (all KPIs of a questionnaire share them)."""
    by_questionnaire = {report.kpi.questionnaire: report for report in reports}
    rows = []
    for key in questionnaire_keys():
        report = by_questionnaire.get(key)
        if report is None:
            continue
        population = "niet bekend" if report.population is None else count(report.population)
        if report.response_hidden:  # a published period's small count is a hidden group's size
            rows.append((GROUPS[key], f"minder dan {report.min_n}", population, "–"))
            continue
        rows.append((GROUPS[key], count(report.responses), population,
                     rate_text(report.responses, report.population)))
    return rows


def _minimum_text(keys: Iterable[str]) -> str:
    """'5 reacties (bij de gemeente 3)': the minimum n of the questionnaires in the report, most common first."""
    minima = {key: installed.in_force_one(key).min_n for key in keys}
    common = max(set(minima.values()), key=lambda value: (list(minima.values()).count(value), value))
    others = [f"bij {GROUPS[key].lower() if key != 'gemeente' else 'de gemeente'} {value}"
              for key, value in minima.items() if value != common]
    return f"{common} reacties" + (f" ({', '.join(others)})" if others else "")



def _reading_points(reports: list[KpiReport]) -> list[tuple[str, str]]:
    """(term, explanation) for each word of the KPI table."""
    minimum = _minimum_text(dict.fromkeys(report.kpi.questionnaire for report in reports))
    return [
        ("Waarde.", "Het gemiddelde rapportcijfer (van 1 tot 10). Bij ‘zelf weer verder’ is het het deel van "
                    "de cliënten dat ‘ja’ zei."),
        ("95%-interval.", "Niet iedereen vult de vragenlijst in. Daarom is een uitkomst nooit helemaal zeker. "
                          "Het interval geeft aan tussen welke twee getallen de echte waarde bijna zeker ligt: in "
                          "95 van de 100 keer klopt dat. Meer reacties geven een smaller interval."),
        ("▲ Boven de norm.", "Het hele interval ligt boven de norm. De norm is dus vrijwel zeker gehaald."),
        ("▼ Onder de norm.", "Het hele interval ligt onder de norm. De norm is dus vrijwel zeker niet gehaald."),
        ("● Niet te onderscheiden van de norm.", "De norm ligt binnen het interval. We kunnen dan niet zeggen "
                                                 "of de norm gehaald is, ook niet als de waarde zelf er net boven "
                                                 "of onder ligt."),
        ("Indicatief.", "Minder dan 30 reacties. De uitkomst laat een richting zien, maar is nog onzeker."),
        ("Te weinig respons.", f"Minder dan {minimum}. Dan tonen we geen cijfers, ook niet in de grafiek. Zo kan "
                               "niemand achterhalen wat één persoon heeft geantwoord. Om dezelfde reden "
                               "verbergen we bij een verdeling in groepen soms ook een tweede kleine groep."),
        ("Trend.", "Het verschil met de vorige periode. We schrijven alleen ‘gestegen’ of ‘gedaald’ als het "
                   "verschil duidelijk is. Anders staat er ‘geen duidelijke verandering’."),
    ]


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



def _method(reports: list[KpiReport], period: Period) -> list[str]:
    """How the figures were gathered: each questionnaire's rounds and channels, and its minimum n."""
    lines = []
    for key in dict.fromkeys(report.kpi.questionnaire for report in reports):
        rounds, channels = _fieldwork(key, period)
        when = names_text([f"van {dutch_date(r.opens_on)} tot en met {dutch_date(r.closes_on)}" for r in rounds]) \
            if rounds else "zonder meetronde (alleen open link of papier)"
        how = f"Reacties kwamen binnen via {names_text(channels)}." if channels else \
            "Er kwamen geen reacties binnen, of ze zijn al gewist na de bewaartermijn."
        lines.append(f"{GROUPS[key]}: gemeten {when}. {how} Cijfers tonen we vanaf "
                     f"{installed.in_force_one(key).min_n} reacties.")
    return lines


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


def _item_results(reports: list[KpiReport], period: Period) -> list[dict]:
    """Per questionnaire and closed question: how many gave each answer, and which percentage that is.
    Only what reports.item_summaries shows (published periods, enough responses)."""
    sections = []
    for key in dict.fromkeys(report.kpi.questionnaire for report in reports):
        questionnaire = installed.in_force_one(key)
        summaries = item_summaries(questionnaire, period)
        questions = []
        for item in questionnaire.items:
            summary = summaries.get(item.key)
            if summary is None:
                continue
            number = question_number(item.key)
            questions.append({
                "title": f"{number}. {item.text.nl}" if number else item.text.nl,
                "hidden": summary.suppressed,
                "total": None if summary.suppressed else count(summary.n),
                "rows": [] if summary.suppressed else _answer_rows(item, summary),
            })
        sections.append({"name": GROUPS[key], "questions": questions})
    return sections


def _chart_until(period: Period) -> Period:
    return period if period.is_half_year else half_year_of(period.start)


def _period_words(report: KpiReport) -> str:
    """One half-year of a chart in words, as the chart draws it: a figure or why there is none."""
    result = report.result
    if result.verdict == WITHHELD:
        return charts.WITHHELD_TEXT
    if result.suppressed:
        return charts.NO_RESPONSE_TEXT if result.n == 0 else charts.TOO_FEW_TEXT
    if report.data_problem:
        return charts.DATA_PROBLEM_TEXT
    shown = kpi_figures(result, report.kpi.statistic)
    interval = "" if result.ci_low is None else f", 95%-interval {shown['interval']}"
    return f"{shown['value']}{interval}, n = {result.n}"


def chart_text(history: list[KpiReport]) -> str:
    """What a chart shows, in words, for those who cannot see it: the half-years it draws, each one's
    figure (or why there is none), and the norm."""
    drawn = charts.drawn_history(history)
    first, last = drawn[0], drawn[-1]
    when = f"in {first.period}" if len(drawn) == 1 else f"per halfjaar, {first.period} tot en met {last.period}"
    points = " ".join(f"{report.period}: {_period_words(report)}." for report in drawn)
    return (f"Grafiek van {first.kpi.label.nl} {when}. {points} "
            f"De norm is {plain_norm_text(last.result.norm, last.kpi.statistic)}.")


def _charts(reports: list[KpiReport], period: Period) -> list[dict]:
    """One chart per KPI over the last half-years; none where no half-year has a figure to show."""
    shown = []
    for number, report in enumerate(reports, start=1):
        history = kpi_history(report.kpi.key, until=_chart_until(period), count=CHART_HALF_YEARS)
        span = f"{history[0].period} tot en met {history[-1].period}"
        if all(entry.result.suppressed for entry in history):
            shown.append({"caption": f"Grafiek {number}. {report.kpi.label.nl}: geen grafiek, want in geen van "
                                     f"de halfjaren {span} waren er genoeg reacties om cijfers te tonen (te weinig "
                                     "respons).", "src": None, "alt": None})
            continue
        # The chart carries the KPI's name as its title; the caption below numbers it and names the span.
        shown.append({"caption": f"Grafiek {number}. {report.kpi.label.nl}, {span}.",
                      "src": _data_address(charts.kpi_chart(history, "png"), logos.PNG),
                      "alt": chart_text(history)})
    return shown


def _data_address(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _logo(profile) -> dict | None:
    """The organisation's logo for the cover, PNG or SVG (a checked SVG draws nothing from outside)."""
    found = organisation.logo()
    if found is None:
        return None
    data, media_type, _ = found
    return {"src": _data_address(data, media_type), "alt": f"Logo van {profile.name}"}


# --- rendering -------------------------------------------------------------------------------------------

def _font_faces() -> str:
    """DejaVu Sans from matplotlib's folder, the charts' font: the same letters on every machine."""
    import matplotlib  # only for its fonts' folder

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = (("normal", "normal", "DejaVuSans.ttf"), ("bold", "normal", "DejaVuSans-Bold.ttf"),
             ("normal", "italic", "DejaVuSans-Oblique.ttf"), ("bold", "italic", "DejaVuSans-BoldOblique.ttf"))
    return "\n".join(f'@font-face {{ font-family: "Report Sans"; font-weight: {weight}; font-style: {style}; '
                     f'src: url("{(folder / file).as_uri()}"); }}' for weight, style, file in faces)


def _fetcher():
    """A fetcher that opens data: addresses and matplotlib's font files, and nothing else: a report never
    reaches out to the network or to other files."""
    import matplotlib
    from weasyprint import URLFetcher

    fonts = (Path(matplotlib.get_data_path()) / "fonts" / "ttf").as_uri() + "/"

    class ReportFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not (url.startswith("data:") or (url.startswith(fonts) and url.endswith(".ttf"))):
                raise ValueError(f"the report fetches nothing from {url[:60]}")
            return super().fetch(url, headers)

    return ReportFetcher(allowed_protocols=("data", "file"))


def _open_with_bookmarks(document, pdf) -> None:
    """A reader opens the report with its bookmarks (the headings) beside the pages."""
    pdf.catalog["PageMode"] = "/UseOutlines"


def halfyear_report_html(period: Period | str, *, made_on: date | None = None) -> str:
    """The report as HTML, the source of the PDF (rendered inside the app context)."""
    period = parse_period(period) if isinstance(period, str) else period
    made_on = made_on or periods.today()
    reports = kpi_results(period)
    profile = organisation.current()
    return render_template(
        TEMPLATE, period=period, profile=profile, logo=_logo(profile),
        made_on=dutch_date(made_on), start=dutch_date(period.start), end=dutch_date(period.end),
        running=made_on <= period.end,
        in_short=[(report.kpi.label.nl, *verdict_words(report), report.result.indicative) for report in reports],
        summary=summary(reports), kpi_rows=_kpi_rows(reports), notes=notes_lines(reports),
        response_rows=_response_rows(reports), method=_method(reports, period),
        reading=_reading_points(reports), chart_years=CHART_HALF_YEARS, charts=_charts(reports, period),
        sections=_item_results(reports, period),
    )


def halfyear_report_pdf(period: Period | str, *, made_on: date | None = None) -> bytes:
    """The report of one half-year (or, for the cliënt KPIs only, a quarter) as PDF bytes."""
    from weasyprint import CSS, HTML  # WeasyPrint (and Pango) load with the first report, not with the app
    from weasyprint.text.fonts import FontConfiguration

    html = halfyear_report_html(period, made_on=made_on)
    fetcher = _fetcher()
    fonts = FontConfiguration()
    stylesheets = [CSS(string=_font_faces(), font_config=fonts, url_fetcher=fetcher),
                   CSS(filename=str(STYLESHEET), font_config=fonts, url_fetcher=fetcher)]
    document = HTML(string=html, url_fetcher=fetcher, base_url=STYLESHEET.parent.as_uri() + "/")
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_variant=PDF_VARIANT,
                              finisher=_open_with_bookmarks,
                              pdf_identifier=hashlib.sha256(html.encode()).hexdigest()[:32].encode())

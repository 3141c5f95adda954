"""Numbers as Dutch readers write them: a decimal comma, percentages with a space before %."""

from fractions import Fraction

from flask import Flask

from .scoring import decimals_for
from .services.publication import WITHHELD


def nl_number(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{decimals}f}".replace(".", ",")


def nl_percent(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.{decimals}f}".replace(".", ",") + " %"


def nl_signed(value: float, decimals: int = 2) -> str:
    """A change with its sign, as Dutch print writes it: "+0,47", "−0,20" (a real minus sign), "0,00"."""
    text = nl_number(abs(value), decimals)
    if text == nl_number(0.0, decimals):
        return text
    return ("+" if value > 0 else "\u2212") + text


def kpi_value(value: float | None, statistic: str) -> str:
    """A mean as a grade (7,35) or a share as a percentage (62,3 %)."""
    return nl_percent(value, 1) if statistic == "share" else nl_number(value)


def norm_value(norm, statistic: str) -> str:
    """A norm (scoring.Norm, or a KPI's KpiNorm) as the annual plan writes it: 7, 7,5, or 70 for 70 %."""
    value = Fraction(getattr(norm, "exact", None) or norm.value) * (100 if statistic == "share" else 1)
    return str(int(value)) if value == int(value) else f"{float(value):g}".replace(".", ",")


def norm_text(norm, statistic: str) -> str:
    """"> 7", ">= 7,5", "> 70 %": the operator as the KPI file writes it."""
    return f"{norm.operator} {norm_value(norm, statistic)}" + (" %" if statistic == "share" else "")


def version_outcome(row) -> str:
    """A version's figure of an item (reports.VersionResult) in words: the mean grade, the share (helemaal) mee
    eens, or each answer's count and share; "–" when it has none to show."""
    summary = row.summary
    if summary is None or row.hidden:
        return "–"
    if row.mean is not None:
        return f"Gemiddeld cijfer {nl_number(row.mean)}"
    if getattr(summary, "share", None) is not None:
        return f"(Helemaal) mee eens: {nl_percent(summary.share, 1)}"
    counts = dict(summary.distribution or {})
    return ", ".join(f"{option.label.nl}: {counts[option.code]} ({nl_percent(counts[option.code] / summary.n)})"
                     for option in row.item.answer_options() if counts.get(option.code) and summary.n)


def register(app: Flask) -> None:
    app.add_template_filter(nl_number)
    app.add_template_filter(nl_percent)
    app.add_template_filter(nl_signed)
    app.add_template_global(kpi_value)
    app.add_template_global(norm_text)
    app.add_template_global(kpi_figures)
    app.add_template_global(note_texts)
    app.add_template_global(report_notes)
    app.add_template_global(verdict_label)
    app.add_template_global(n_text)
    app.add_template_global(responses_text)
    app.add_template_global(version_outcome)


# --- KPI figures that never contradict the verdict -------------------------------------------------------

# What a result's notes mean, in words for the manager (pages, PDF, CSV).
NOTE_TEXTS = {
    "census": "Iedereen uit de populatie heeft gereageerd: het cijfer is exact, er is geen steekproefmarge.",
    "n_exceeds_population": "Meer reacties dan de populatie (N): het aantal of de rondes kloppen niet. "
                            "Daarom geen oordeel en geen responspercentage; pas N aan.",
    "zero_spread": "Alle antwoorden zijn gelijk en er is geen vergelijkingsmaat: geen interval.",
    "single_response": "Eén antwoord: geen interval.",
    "clipped_to_scale": "Het interval is afgekapt op de schaal (cijfers 1 tot 10, aandelen 0 tot 100 %).",
}
DATA_PROBLEM = ("!", "Geen oordeel: meer reacties dan de populatie")


def kpi_decimals(result, statistic: str) -> int:
    """Decimals for a result's value and bounds: 2 for grades, 1 for percentages, more where a rounded
    figure would read as the norm without being it (7,00 next to "boven de norm")."""
    scale, base = (100, 1) if statistic == "share" else (1, 2)
    point = result.share if statistic == "share" else result.mean
    values = [None if v is None else v * scale for v in (point, result.ci_low, result.ci_high)]
    return decimals_for(values, result.norm.exact * scale, base)


def kpi_figures(result, statistic: str) -> dict[str, str]:
    """The shown value, bounds and interval of a KPI result, all with the decimals ``kpi_decimals`` gives."""
    decimals = kpi_decimals(result, statistic)

    def shown(value):
        return nl_percent(value, decimals) if statistic == "share" else nl_number(value, decimals)

    point = result.share if statistic == "share" else result.mean
    low, high = shown(result.ci_low), shown(result.ci_high)
    return {"value": shown(point), "low": low, "high": high,
            "interval": "–" if result.ci_low is None else f"{low} – {high}"}


def note_texts(result) -> list[str]:
    return [NOTE_TEXTS[note] for note in result.notes if note in NOTE_TEXTS]


def held_back_text(count: int) -> str:
    return f"{count} {'reactie' if count == 1 else 'reacties'} niet meegeteld om privacyredenen"


def report_notes(report) -> list[str]:
    """The notes of a KPI report in words: its result's, and the responses held back to keep a half-year
    and its quarters apart (services.publication.included_quarters)."""
    notes = note_texts(report.result)
    if report.held_back and not report.result.suppressed:
        notes.append(held_back_text(report.held_back) + ".")
    return notes


def verdict_label(result, verdicts: dict) -> tuple[str, str]:
    """(icon, words) of a verdict; a data problem says so instead of a verdict."""
    return DATA_PROBLEM if "n_exceeds_population" in result.notes else verdicts[result.verdict]


# --- sizes of groups: never the n of a hidden one -----------------------------------------------------------

def n_text(result, min_n: int) -> str:
    """The n of a result as every channel shows it: "–" before publication, "minder dan N" for a group
    hidden because it is small, "niet getoond" for one hidden to protect another (complementary
    suppression), never the hidden group's own n."""
    if result.verdict == WITHHELD:
        return "–"
    if result.suppressed and result.n > 0:
        return f"minder dan {min_n}" if result.n < min_n else "niet getoond"
    return str(result.n)


def responses_text(report) -> str:
    """A KPI report's response count (and N) as shown: "minder dan N" where the count is hidden."""
    if report.response_hidden:
        return f"minder dan {report.min_n}"
    text = str(report.responses)
    if report.population:
        text += f" van {report.population}"
        if report.response_rate is not None:
            text += f" ({nl_percent(report.response_rate)})"
    return text

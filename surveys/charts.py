"""KPI charts: one KPI over the half-years, with its 95 % interval, the norm and n, as PNG, SVG or PDF.

matplotlib's object API only (a ``Figure`` per chart, saved through its own canvas), never pyplot: pyplot
keeps every figure in a global registry, which leaks memory in a long-running server.

Choices made here:

- Verdicts differ by marker shape and fill and are named in the legend; the colours are Okabe-Ito, safe
  for colour-blind readers, and the shapes carry the meaning when printed in grey.
- A suppressed period (fewer answers than the minimum n) is a hatched gap saying "te weinig respons", with
  no point, interval, value or n: DESIGN.md §5 allows no figure below the minimum n in any channel.
- Grades use a zoomed axis that always holds the norm and every interval (the label names the 1-10 scale);
  shares always use the full 0-100 % axis.
- The same data gives the same bytes: fixed SVG ids and no creation dates in SVG and PDF.
- matplotlib and Pillow are imported by the functions that draw, not with the module: they would add some
  60 MB to every process that imports the app, while only a chart or PDF request draws.
"""

from __future__ import annotations

import io
import textwrap
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .formatting import norm_value
from .scoring import ABOVE, BELOW, UNDECIDED, decimals_for
from .services.publication import WITHHELD

if TYPE_CHECKING:  # charts draw results; they never query (DESIGN: charts → scoring results)
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .services.reports import KpiReport

FORMATS = ("png", "svg", "pdf")
WIDTH_IN, HEIGHT_IN, PNG_DPI = 9.0, 5.0, 120  # PNG: 1080 × 600 pixels
# A value label closer to the norm line than this share of the axis is moved this many points away from it.
LABEL_CLEARANCE, LABEL_SHIFT_PT = 0.05, 11.0
TOO_FEW_TEXT, NO_RESPONSE_TEXT = "te weinig respons", "geen respons"
WITHHELD_TEXT = "nog niet vrijgegeven"
DATA_PROBLEM_TEXT = "gegevensfout: meer reacties dan N"
INDICATIVE_TEXT = "indicatief"
CROWDED_ABOVE = 8  # more periods than this get smaller period labels and upright gap texts

INK, GREY, LIGHT = "#000000", "#555555", "#E8E8E8"


@dataclass(frozen=True)
class VerdictStyle:
    marker: str
    colour: str
    filled: bool
    label: str


# Okabe-Ito colours. Up and down triangles say "above" and "below" without colour; the open circle is the
# undecided case. In grey the two filled triangles look alike in tone, which is why shape does the work.
VERDICT_STYLES = {
    ABOVE: VerdictStyle("^", "#009E73", True, "boven de norm"),
    BELOW: VerdictStyle("v", "#D55E00", True, "onder de norm"),
    UNDECIDED: VerdictStyle("o", "#0072B2", False, "niet te onderscheiden van de norm"),
}

# Fonts and sizes for every chart. rcParams are process-wide, so they are applied per chart inside a lock
# (also needed because matplotlib is not thread-safe); the SVG and PDF keys make the output repeatable.
_STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib; SVG viewers without it fall back to sans-serif
    "font.size": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "svg.fonttype": "none",  # text stays text: searchable, selectable, read by screen readers
    "svg.hashsalt": "surveys-kpi-chart",
    "hatch.linewidth": 0.6,
}
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}
_LOCK = threading.Lock()


class ChartError(ValueError):
    """A chart that cannot be made (unknown format, empty history); the message says why."""


def kpi_chart(history: list[KpiReport], fmt: str) -> bytes:
    """The KPI over the periods of ``history`` (oldest first) as PNG, SVG or PDF bytes."""
    if fmt not in FORMATS:
        raise ChartError(f"unknown chart format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if not history:
        raise ChartError("a chart needs at least one period")
    import matplotlib

    with _LOCK, matplotlib.rc_context(_STYLE):
        figure = _draw(drawn_history(history))
        buffer = io.BytesIO()
        if fmt == "png":
            _save_png(figure, buffer)
        else:
            figure.savefig(buffer, format=fmt, metadata=_METADATA[fmt])
    return buffer.getvalue()


def _save_png(figure: Figure, buffer: io.BytesIO) -> None:
    """Agg, then Pillow at a low compression level: about 10 ms less than savefig's PNG for ~10 % more bytes
    (the chart is mostly white, so it compresses well at any level)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image.convert("RGB").save(buffer, format="png", compress_level=1, dpi=(PNG_DPI, PNG_DPI))


# --- what the chart says ------------------------------------------------------------------------------------

def _is_share(report: KpiReport) -> bool:
    return report.kpi.statistic == "share"


def _decimal(value: float | Fraction, decimals: int) -> str:
    """Dutch notation: a decimal comma."""
    return f"{float(value):.{decimals}f}".replace(".", ",")


def format_value(report: KpiReport, value: float) -> str:
    """A point estimate as the chart prints it: a grade with one decimal, a share as a whole percentage,
    more where that would round onto the norm without being on it (7,0 for 7,04 reads as "not above")."""
    scale = _scale(report)
    decimals = decimals_for([value * scale], report.result.norm.exact * scale, 0 if _is_share(report) else 1)
    return f"{_decimal(100 * value, decimals)} %" if _is_share(report) else _decimal(value, decimals)


def norm_label(report: KpiReport) -> str:
    """The norm of the report's own period, as the chart writes it: "norm > 7", "norm ≥ 7,5"."""
    norm = report.result.norm
    operator = "≥" if norm.operator == ">=" else ">"
    return f"norm {operator} {norm_value(norm, report.kpi.statistic)}" + (" %" if _is_share(report) else "")


def _scale(report: KpiReport) -> float:
    return 100.0 if _is_share(report) else 1.0


def _point(report: KpiReport) -> float | None:
    result = report.result
    value = result.share if _is_share(report) else result.mean
    return None if result.suppressed or value is None else value * _scale(report)


def _scale_limits(report: KpiReport) -> tuple[float, float]:
    return (0.0, 100.0) if _is_share(report) else (1.0, 10.0)


def _interval(report: KpiReport) -> tuple[float, float] | None:
    """The interval as drawn: cut off at the ends of the scale, where a small group's t-interval can
    reach (a mean grade below 1 is impossible, so the cut says no more than the interval does)."""
    result = report.result
    if result.suppressed or result.ci_low is None or result.ci_high is None:
        return None
    bottom, top = _scale_limits(report)
    return max(bottom, result.ci_low * _scale(report)), min(top, result.ci_high * _scale(report))


def _tick_label(report: KpiReport) -> str:
    """Period, then n and "indicatief" underneath; nothing but the period when there is no figure."""
    result = report.result
    if result.suppressed:
        return str(report.period)
    lines = [str(report.period), f"n = {result.n}"]
    if result.indicative:
        lines.append(INDICATIVE_TEXT)
    return "\n".join(lines)


def _y_range(history: list[KpiReport]) -> tuple[float, float]:
    """The whole scale: 0-100 % for shares, 1-10 for grades. One fixed range means every grade chart on a
    page (and in the PDF) can be compared at a glance, and a small change never looks dramatic."""
    return _scale_limits(history[0])


def drawn_history(history: list[KpiReport]) -> list[KpiReport]:
    """The half-years a chart draws: from the first one with a response on (never columns of "geen respons"
    for the time before the service measured anything); the newest always stays."""
    first = next((i for i, report in enumerate(history) if report.result.n > 0 or report.responses > 0),
                 len(history) - 1)
    return history[first:]


# --- drawing ------------------------------------------------------------------------------------------------

def _draw(history: list[KpiReport]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator

    first = history[0]
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=PNG_DPI, facecolor="white")
    # Fixed margins instead of a layout engine: the same size every time, and one draw pass instead of several.
    # The right margin holds the norm label, where no point or interval can cover it.
    figure.subplots_adjust(left=0.11, right=0.86, top=0.84, bottom=0.15)
    ax = figure.add_subplot()
    positions = range(len(history))
    ax.set_xlim(-0.5, len(history) - 0.5)
    ax.set_ylim(*_y_range(history))

    # Title and legend on top, where their height does not depend on how many lines the period labels take.
    figure.text(0.11, 0.965, "\n".join(textwrap.wrap(first.kpi.label.nl, 80)), ha="left", va="top",
                fontsize=12, color=INK)
    _style_axes(ax, first)
    ax.xaxis.set_major_locator(FixedLocator(list(positions)))
    crowded = len(history) > CROWDED_ABOVE
    ax.set_xticklabels([_tick_label(report) for report in history], linespacing=1.4,
                       **({"fontsize": 7.5} if crowded else {}))

    # Each period is judged by its own year's norm: one dashed line while the norm holds, a step where the
    # annual plan changed it; the label on the right names the newest.
    norms = [float(report.result.norm.exact) * _scale(report) for report in history]
    last = history[-1]
    norm = norms[-1]
    if len(set(norms)) == 1:
        norm_line = ax.axhline(norm, color=INK, linestyle=(0, (6, 3)), linewidth=1.2, zorder=2)
    else:
        (norm_line,) = ax.step([-0.5, *positions, len(history) - 0.5], [norms[0], *norms, norms[-1]],
                               where="mid", color=INK, linestyle=(0, (6, 3)), linewidth=1.2, zorder=2)
    norm_line.set_gid("norm")
    ax.annotate(norm_label(last), (1, norm), xycoords=("axes fraction", "data"), xytext=(6, 0),
                textcoords="offset points", ha="left", va="center", color=INK, annotation_clip=False)

    # Gap texts stand in the half of the plot away from the norm line, so the line does not cross them.
    low, high = ax.get_ylim()
    gap_height = 0.25 if (norm - low) / (high - low) > 0.5 else 0.75
    verdicts = set()
    for x, report in zip(positions, history, strict=True):
        if report.result.verdict == WITHHELD:
            _draw_gap(ax, x, WITHHELD_TEXT, gap_height, crowded)
        elif report.result.suppressed:
            _draw_gap(ax, x, NO_RESPONSE_TEXT if report.result.n == 0 else TOO_FEW_TEXT, gap_height, crowded)
        elif report.data_problem:  # more responses than N: no verdict to draw
            _draw_gap(ax, x, DATA_PROBLEM_TEXT, gap_height, crowded)
        else:
            verdicts.add(_draw_point(ax, x, report, norms[x]))

    legend = [(_legend_marker(style), style.label) for v, style in VERDICT_STYLES.items() if v in verdicts]
    legend.append((norm_line, norm_label(last)))
    figure.legend([h for h, _ in legend], [label for _, label in legend], loc="lower left",
                  bbox_to_anchor=(0.1, 0.855), borderaxespad=0, ncol=min(len(legend), 4), frameon=False,
                  handlelength=2.2, columnspacing=1.6)
    return figure


def _style_axes(ax, report: KpiReport) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    if _is_share(report):
        answers = " of ".join(f"‘{code}’" for code in report.kpi.share_codes)
        ax.set_ylabel(f"aandeel {answers} (%)\nmet 95 %-interval")
        ax.yaxis.set_major_locator(MultipleLocator(10))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f} %"))
    else:
        ax.set_ylabel("gemiddeld rapportcijfer (1-10)\nmet 95 %-interval")
        ax.yaxis.set_major_locator(MultipleLocator(1))  # report grades are whole numbers
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}"))
    ax.grid(axis="y", color=LIGHT, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", length=0, pad=6)


def _marker_style(style: VerdictStyle) -> dict:
    return dict(linestyle="none", marker=style.marker, markersize=10, color=style.colour, markeredgewidth=1.8,
                markerfacecolor=style.colour if style.filled else "white")


def _legend_marker(style: VerdictStyle) -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D([], [], **_marker_style(style))


def _label_offset(ax, point: float, norm: float) -> float:
    """Points to move a value label up or down so it never sits on the norm line: zero when the point is
    clear of it, else away from the line (above when the point is on or above it)."""
    low, high = ax.get_ylim()
    clear = (high - low) * LABEL_CLEARANCE
    if abs(point - norm) >= clear:
        return 0.0
    return LABEL_SHIFT_PT if point >= norm else -LABEL_SHIFT_PT


def _draw_point(ax, x: int, report: KpiReport, norm: float) -> str:
    """The point estimate with its interval (when there is one) and its value beside it; returns the
    verdict it was drawn as."""
    verdict = report.result.verdict if report.result.verdict in VERDICT_STYLES else UNDECIDED
    style = VERDICT_STYLES[verdict]
    point, interval = _point(report), _interval(report)
    if interval is not None:
        # One line with a "_" marker at both ends: the interval and its caps (cheaper than ax.errorbar).
        ax.plot([x, x], list(interval), color=style.colour, linewidth=2, marker="_", markersize=14,
                markeredgewidth=2, zorder=3, gid=f"interval-{report.period}")
    ax.plot([x], [point], zorder=3, gid=f"point-{report.period}", **_marker_style(style))
    ax.annotate(format_value(report, report.result.share if _is_share(report) else report.result.mean),
                (x, point), xytext=(10, _label_offset(ax, point, norm)), textcoords="offset points", ha="left",
                va="center",
                fontsize=10, fontweight="bold", color=INK, zorder=4,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})
    return verdict


def _draw_gap(ax, x: int, text: str, height: float, crowded: bool) -> None:
    """A hatched column with the reason in words where a period has no figure to show."""
    span = ax.axvspan(x - 0.42, x + 0.42, facecolor="#F4F4F4", edgecolor="#BBBBBB", hatch="///", linewidth=0,
                      zorder=1)
    span.set_gid(f"gap-{text.replace(' ', '-')}")
    ax.text(x, height, text, transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=9,
            rotation=90 if crowded else 0,
            color=INK, bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": GREY,
                             "linewidth": 0.6}, zorder=4)

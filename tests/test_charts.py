"""KPI charts: a manager exports the gemeente KPI over the half-years and sees each period's mean, interval
and n, the norm, and a labelled gap where too few answered, without any figure of that small group."""

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from surveys.answers import AnswerValue
from surveys.charts import kpi_chart
from surveys.cli.charts import chart_command
from surveys.services.questionnaires import current_version
from surveys.services.reports import kpi_history
from surveys.services.responses import NewResponse, store_many

from .helpers import publish

SVG = "{http://www.w3.org/2000/svg}"

# Gemeente G1 grades per half-year; the gemeente's minimum n is 3. 2024-H2 has no responses at all.
GEMEENTE_GRADES = {
    date(2025, 3, 14): [7, 8, 8, 9],  # 2025-H1: n = 4, mean 8,0
    date(2025, 10, 2): [2, 3],  # 2025-H2: n = 2, below the minimum; its mean 2,5 must appear nowhere
    date(2026, 4, 20): [6, 7, 7, 8, 9],  # 2026-H1: n = 5, mean 7,4
}
UNTIL = ["--until", "2026-H1", "--half-years", "4"]


SHOWN = ("2024-H2", "2025-H1", "2025-H2", "2026-H1")  # the half-years the charts draw, published


def store(questionnaire: str, item: str, answers_by_day: dict) -> None:
    """Put exact answers in the database, one response per answer, and publish the charts' half-years."""
    responses = [
        NewResponse(day, [AnswerValue(item, value=answer) if isinstance(answer, int) else
                          AnswerValue(item, code=answer)])
        for day, answers in answers_by_day.items() for answer in answers
    ]
    store_many(current_version(questionnaire), responses, channel="paper")
    publish(*SHOWN)


@pytest.fixture
def gemeente_history(app):
    with app.app_context():
        store("gemeente", "G1", GEMEENTE_GRADES)
        from surveys.periods import parse_period

        yield kpi_history("gemeente_cooperation", until=parse_period("2026-H1"), count=4)


def svg_texts(svg: bytes) -> list[str]:
    """Every piece of text a reader of the SVG sees."""
    root = ET.fromstring(svg)
    return ["".join(element.itertext()).strip() for element in root.iter(f"{SVG}text")]


def svg_ids(svg: bytes) -> set[str]:
    return {element.get("id") for element in ET.fromstring(svg).iter() if element.get("id")}


def test_svg_shows_each_period_its_n_the_norm_and_the_gaps(gemeente_history):
    svg = kpi_chart(gemeente_history, "svg")
    texts = svg_texts(svg)

    assert "Gemeentewaardering voor de samenwerking" in texts
    assert "norm > 7" in texts
    for period in ("2025-H1", "2025-H2", "2026-H1"):
        assert period in texts
    # 2024-H2, before the first response, is not drawn: no column of "geen respons" for a time before the
    # service measured anything (issue 17).
    assert "2024-H2" not in texts and "geen respons" not in texts
    assert {"n = 4", "n = 5", "8,0", "7,4"} <= set(texts)  # the visible periods: n and mean
    assert "te weinig respons" in texts  # 2025-H2
    assert texts.count("indicatief") == 2
    ids = svg_ids(svg)
    assert {"point-2025-H1", "interval-2025-H1", "point-2026-H1", "interval-2026-H1"} <= ids


def test_svg_holds_no_figure_of_the_suppressed_period(gemeente_history):
    svg = kpi_chart(gemeente_history, "svg")
    texts = svg_texts(svg)

    assert gemeente_history[2].result.suppressed and gemeente_history[2].result.n == 2
    assert not any("2,5" in text or "2.5" in text for text in texts)  # its mean, as the chart writes means
    assert b"2,5" not in svg
    assert "n = 2" not in texts and not any(text.endswith("= 2") for text in texts)
    assert not {"point-2025-H2", "interval-2025-H2", "point-2024-H2", "interval-2024-H2"} & svg_ids(svg)


def test_share_kpi_in_percentages(app):
    with app.app_context():
        # 2026-H1: 8 of 10 "ja" (weet_niet left out) → 80 %.
        store("client", "C4", {date(2026, 2, 9): ["ja"] * 8 + ["nee", "een_beetje", "weet_niet"]})
        from surveys.periods import parse_period

        history = kpi_history("client_self_reliance", until=parse_period("2026-H1"), count=2)
    texts = svg_texts(kpi_chart(history, "svg"))

    assert {"norm > 70 %", "80 %", "n = 10", "0 %", "100 %"} <= set(texts)
    assert "geen respons" not in texts and "2025-H2" not in texts  # before the first response


def test_png_and_pdf(gemeente_history):
    png = kpi_chart(gemeente_history, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1080, 600)

    assert kpi_chart(gemeente_history, "pdf").startswith(b"%PDF-")


def test_same_data_same_bytes(gemeente_history):
    for fmt in ("png", "svg", "pdf"):
        assert kpi_chart(gemeente_history, fmt) == kpi_chart(gemeente_history, fmt), fmt


def test_unknown_format_is_refused(gemeente_history):
    with pytest.raises(ValueError, match="png, svg, pdf"):
        kpi_chart(gemeente_history, "gif")


def test_charts_never_load_pyplot():
    """pyplot keeps every figure in a global registry: a server must not import it, even indirectly."""
    script = textwrap.dedent("""
        import sys
        from surveys.charts import kpi_chart
        from surveys.periods import parse_period
        from surveys.questionnaires import load_kpis
        from surveys.scoring import GradeAggregate, Norm, mean_result
        from surveys.services.reports import KpiReport

        kpi = next(kpi for kpi in load_kpis() if kpi.key == "partner_cooperation")
        norm = Norm(">", 7.0)
        history = [KpiReport(kpi, parse_period(period), mean_result(GradeAggregate.from_values(grades), norm,
                                                                     min_n=5), None, len(grades), None)
                   for period, grades in (("2025-H2", [7, 8, 8, 9, 6, 7]), ("2026-H1", [5, 6]))]
        for fmt in ("png", "svg", "pdf"):
            assert kpi_chart(history, fmt)
        print("pyplot" if "matplotlib.pyplot" in sys.modules else "clean")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


# --- the command a manager runs ------------------------------------------------------------------------------

MAGIC = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF-"}


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_chart_command_writes_each_format(app, tmp_path, fmt):
    with app.app_context():
        store("gemeente", "G1", GEMEENTE_GRADES)
    out = tmp_path / f"gemeente.{fmt}"

    result = app.test_cli_runner().invoke(chart_command, ["gemeente_cooperation", "--format", fmt,
                                                          "--out", str(out), *UNTIL])

    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert "2024-H2 - 2026-H1" in result.output
    if fmt == "svg":
        texts = svg_texts(out.read_bytes())
        assert "te weinig respons" in texts and "n = 2" not in texts


def test_chart_command_takes_the_format_from_the_file_name(app, tmp_path):
    out = tmp_path / "partner.svg"
    with app.app_context():
        publish(*SHOWN)
    result = app.test_cli_runner().invoke(chart_command, ["partner_cooperation", "--out", str(out), *UNTIL])
    assert result.exit_code == 0, result.output
    assert "geen respons" in svg_texts(out.read_bytes())


@pytest.mark.parametrize("args, message", [
    (["no_such_kpi", "--format", "png"], "onbekende KPI no_such_kpi"),
    (["partner_cooperation", "--format", "png", "--until", "2026-Q3"], "kwartaal"),
    (["partner_cooperation", "--format", "png", "--until", "H1-2026"], "'H1-2026' is geen periode"),
    (["partner_cooperation", "--format", "gif"], "'gif' is not one of"),
    (["partner_cooperation"], "--format png|svg|pdf"),  # no format and "chart.out" says none either
])
def test_chart_command_fails_clearly(app, tmp_path, args, message):
    out = tmp_path / "chart.out"
    result = app.test_cli_runner().invoke(chart_command, [*args, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()

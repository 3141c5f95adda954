"""Numbers as Dutch readers write them: a decimal comma, percentages with a space before %."""

from flask import Flask


def nl_number(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{decimals}f}".replace(".", ",")


def nl_percent(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.{decimals}f}".replace(".", ",") + " %"


def kpi_value(value: float | None, statistic: str) -> str:
    """A mean as a grade (7,35) or a share as a percentage (62,3 %)."""
    return nl_percent(value, 1) if statistic == "share" else nl_number(value)


def register(app: Flask) -> None:
    app.add_template_filter(nl_number)
    app.add_template_filter(nl_percent)
    app.add_template_global(kpi_value)

"""Reporting periods: half-years (``2026-H1``) and quarters (``2026-Q3``), and the day it is now.

A response belongs to the period of its submission date in the organisation's time zone
(SURVEYS_TIMEZONE, DESIGN.md section 4), never the server's clock zone: `today()` is the one place a day
is decided."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: The zone when no app is running (a pure function called from a script); the app's comes from its config.
DEFAULT_TIMEZONE = "Europe/Amsterdam"

_PATTERN = re.compile(r"^(\d{4})-(H[12]|Q[1-4])$")


class PeriodError(ValueError):
    """A period string that is not of the form 2026-H1 or 2026-Q3."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # "H" for a half-year, "Q" for a quarter
    index: int

    def __str__(self) -> str:
        return f"{self.year}-{self.kind}{self.index}"

    @property
    def is_half_year(self) -> bool:
        return self.kind == "H"

    @property
    def months(self) -> int:
        return 6 if self.is_half_year else 3

    @property
    def start(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        last_month = self.index * self.months
        if last_month == 12:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, last_month + 1, 1).toordinal() - 1)

    def previous(self) -> "Period":
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, 12 // self.months)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """Parse ``2026-H1`` or ``2026-Q3``; raise PeriodError with a readable message otherwise."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise PeriodError(f"'{text}' is geen periode: gebruik bijvoorbeeld 2026-H1 (halfjaar) of 2026-Q3 (kwartaal)")
    year, part = int(match.group(1)), match.group(2)
    if not 2000 <= year <= 2100:
        raise PeriodError(f"'{text}': het jaar {year} ligt buiten 2000-2100")
    return Period(year, part[0], int(part[1]))


def half_year_of(day: date) -> Period:
    return Period(day.year, "H", 1 if day.month <= 6 else 2)


def quarter_of(day: date) -> Period:
    return Period(day.year, "Q", (day.month - 1) // 3 + 1)


def local_date(instant: datetime, zone: ZoneInfo | str) -> date:
    """The calendar day `instant` falls on in `zone`. A naive instant is UTC, as the database stores them."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(_zone(zone) if isinstance(zone, str) else zone).date()


def local_zone() -> ZoneInfo:
    """The organisation's time zone: SURVEYS_TIMEZONE of the running app (checked at start-up)."""
    return _zone(current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE)


def today() -> date:
    """The day it is now in the organisation's time zone: the submission day of a response, the day rounds
    open and close on, the default period of every page and command."""
    return local_date(datetime.now(UTC), local_zone())


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)

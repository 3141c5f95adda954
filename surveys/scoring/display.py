"""How many decimals a shown figure needs so that it never contradicts the verdict.

"7,00 – 7,72 boven de norm" next to "5,78 – 7,00 onder de norm" is what two decimals do to bounds of
7.0018 and 6.9989. A bound (or a mean) that rounds to the norm's value without being equal to it gets
more decimals until it no longer does; one that *is* the norm stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

MAX_DECIMALS = 6


def decimals_for(values: Iterable[float | None], norm: float | Fraction, decimals: int) -> int:
    """The fewest decimals ≥ ``decimals`` at which no value rounds to ``norm`` unless it equals it.

    Values and norm are in the unit shown (a share as a percentage: pass 100·share and 100·norm).
    At most ``MAX_DECIMALS``: beyond that a difference is noise of the floating point.
    """
    exact = Fraction(str(norm)) if isinstance(norm, float) else Fraction(norm)
    close = [Fraction(value) for value in values if value is not None and Fraction(value) != exact]
    shown = decimals
    while shown < MAX_DECIMALS and any(round(value, shown) == exact for value in close):
        shown += 1
    return shown

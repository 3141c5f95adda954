"""The KPI page of a period answered in two versions of a questionnaire: the tables per version (issue 15)
pass axe on a desktop and a phone, as the rest of the page does."""

import pytest

from ..helpers import publish
from ..test_any_questionnaire import PASSWORD, partner_in_two_versions
from .conftest import DESKTOP, PHONE, screenshot
from .test_accessibility import axe_violations

pytestmark = pytest.mark.browser


def test_the_results_per_version_pass_axe(site, new_page):
    with site.app.app_context():
        partner_in_two_versions([6, 7, 8, 8, 9], [9, 10, 7, 8, 6, 10], new_agree=[4, 5, 2, 5, 4, 1],
                                old_p7=[5, 4, 4, 2, 3])
        publish("2026-H1", questionnaires=("partner",))
    page = new_page(DESKTOP)
    site.log_in(page, "manager@example.nl", PASSWORD)
    assert page.goto(f"{site.url}/beheer/kpi/partner_cooperation?periode=2026-H1").status == 200
    assert page.locator("table.versions").count() == 3  # P1 and P10 beside their summaries, P7 on its own
    found = {}
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        found[f"axe at {size['width']}x{size['height']}"] = axe_violations(page)
        screenshot(page, f"staff-kpi-versions-{size['width']}")
    # On a phone a table too wide scrolls inside its own box, as the other tables of the page do.
    page.set_viewport_size(PHONE)
    widths = page.eval_on_selector_all(".table-wrap:has(table.versions)",
                                       "boxes => boxes.map(box => box.getBoundingClientRect().right)")
    assert len(widths) == 3 and max(widths) <= PHONE["width"], widths
    # Nor does the page: the answer distributions with their bars fit (they made it 394 px wide before).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert {check: lines for check, lines in found.items() if lines} == {}

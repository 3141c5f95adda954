"""Every respondent page, in Dutch and in English, with errors shown and without: zero axe-core violations of
WCAG 2.0/2.1 A and AA on a phone and on a desktop, no sideways scrolling and nothing cut off at 320 px wide
with the text at 200 %, and a screenshot of each at both sizes for a person to look at. The staff pages
(login, dashboard, KPI page and the other management pages) pass the same axe rules."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from surveys import periods
from surveys.answers import AnswerValue
from surveys.extensions import db
from surveys.models import Round, User
from surveys.periods import half_year_of
from surveys.services import demo, kpi_catalogue, password_links
from surveys.services.questionnaires import current_version
from surveys.services.responses import NewResponse, store_response
from surveys.services.rounds import create_round, look_up_code
from surveys.services.users import create_user

from ..helpers import codes_for, open_round
from .conftest import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser

AXE = pytest.importorskip("axe_playwright_python.sync_playwright",
                          reason="axe-playwright-python not installed: pip install -e '.[test]'").Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
NARROW = {"width": 320, "height": 640}
PASSWORD = "een lang wachtwoord voor axe"

FORMS = ("client", "partner", "gemeente", "medewerker")
RESPONDENT_PAGES = (
    [f"form-{key}" for key in FORMS] + [f"errors-{key}" for key in FORMS]
    + ["thanks", "next-person", "code-unknown", "code-used", "code-closed", "code-deleted", "code-not-yet-open",
       "accessibility", "not-found"]
)

# Finds what would make a person scroll sideways or lose text at this width: the page wider than the
# window, an element sticking out of it, or content spilling over (or cut off by) its own box.
REFLOW_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.visually-hidden, .skip-link, head, script, style')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -1 || box.right > width + 1) {
      problems.push(`${name(el)} sticks out of the window: ${Math.round(box.left)}..${Math.round(box.right)}px`);
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'TEXTAREA') {
      problems.push(`${name(el)} spills over: content ${el.scrollWidth}px in a ${el.clientWidth}px box`);
    }
    const clips = ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY);
    if (clips && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) {
      problems.push(`${name(el)} cuts off its content`);
    }
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def urls(site):
    """Paths of the pages that need data: a valid code per questionnaire and the codes that cannot be used."""
    with site.app.app_context():
        today = periods.today()
        partner_round = open_round("partner")
        partner, used = codes_for(partner_round, 2)
        (gemeente,) = codes_for(open_round("gemeente"))
        (medewerker,) = codes_for(open_round("medewerker"))
        # One round per questionnaire and period: the closed cliënt round is the previous half-year's.
        (closed,) = codes_for(create_round("client", str(half_year_of(today).previous()),
                                           opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1),
                                           population=40))
        (not_yet,) = codes_for(open_round("client", days_back=-5, days_ahead=20))
        lookup = look_up_code(used, today)
        store_response(current_version("partner"), NewResponse(today, (AnswerValue("P1", value=7),),
                                                               partner_round.id), channel="code",
                       code_id=lookup.code_id)
    forms = {"client": "/q/client", "partner": f"/r/{partner}", "gemeente": f"/r/{gemeente}",
             "medewerker": f"/r/{medewerker}"}
    return {**{f"form-{key}": url for key, url in forms.items()},
            **{f"errors-{key}": url for key, url in forms.items()},
            "thanks": "/bedankt", "next-person": "/q/client/volgende",
            "code-unknown": "/r/deze-code-bestaat-niet", "code-used": f"/r/{used}",
            "code-closed": f"/r/{closed}", "code-not-yet-open": f"/r/{not_yet}",
            "code-deleted": "/r/K7Q2-M9XD-4HNP-W3RT",  # a code's shape, after a round closed: perhaps purged
            "accessibility": "/toegankelijkheid", "not-found": "/bestaat-niet"}


def open_respondent_page(page, site, urls, name: str, language: str) -> None:
    page.goto(f"{site.url}{urls[name]}?lang={language}")
    if name.startswith("errors-"):
        with page.expect_navigation():
            page.click("button.button[type=submit]")  # nothing answered: every required question has an error
        assert page.locator(".error-summary").is_visible()
    assert page.locator("html").get_attribute("lang") == language


def axe_violations(page) -> list[str]:
    """The violations as readable lines: rule, impact, help, then each offending element and why."""
    lines = []
    for violation in AXE.run(page, options=AXE_OPTIONS).response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} – {violation['helpUrl']}")
        lines += [f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]]
    return lines


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", RESPONDENT_PAGES)
def test_respondent_page_passes_axe_and_reflows_with_large_text(site, urls, new_page, name, language):
    """One visit per page (to keep the suite quick): axe on a desktop and a phone, with a screenshot of
    each, then 320 px wide with the text at 200 %. Every problem found is listed, not only the first."""
    page = new_page(DESKTOP)
    site.as_tablet(page)  # the open link answers the office tablet only
    open_respondent_page(page, site, urls, name, language)
    found = {}
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        found[f"axe at {size['width']}x{size['height']}"] = axe_violations(page)
        screenshot(page, f"{name}-{language}")
    page.set_viewport_size(NARROW)
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "36px"  # 1.125rem of 32px
    found["320 px wide, text at 200 %"] = page.evaluate(REFLOW_PROBLEMS)
    if found["320 px wide, text at 200 %"]:
        screenshot(page, f"reflow-{name}-{language}")
    assert {check: lines for check, lines in found.items() if lines} == {}, "\n".join(
        f"{check}:\n" + "\n".join(lines) for check, lines in found.items() if lines)


def test_the_reflow_check_finds_a_page_too_wide(site, new_page):
    """The check above must be able to fail."""
    page = new_page(NARROW)
    page.goto(f"{site.url}/toegankelijkheid")
    page.evaluate("""() => { const p = document.createElement('p');
      p.style.width = '30rem'; p.textContent = 'breed'; document.querySelector('main').append(p); }""")
    assert any("wide" in problem for problem in page.evaluate(REFLOW_PROBLEMS))


STAFF_PAGES = ("/beheer/", "/beheer/kpi/client_support", "/beheer/rondes", "/beheer/downloads",
               "/beheer/gebruikers", "/beheer/logboek", "/beheer/bewaartermijnen", "/beheer/tablet",
               "/beheer/organisatie", "/beheer/vragenlijsten", "/beheer/vragenlijsten/client",
               "/beheer/vragenlijsten/client/voorbeeld", "/beheer/papieren-formulieren")


@pytest.fixture(scope="module")
def beheerder(site):
    """A beheerder (who may open every management page), with demo data behind the figures."""
    with site.app.app_context():
        create_user("axe@example.nl", PASSWORD, "beheerder")
        demo.fill(200)
    return "axe@example.nl"


def test_staff_pages_have_no_axe_violations(site, beheerder, new_page):
    page = new_page(DESKTOP)
    found = {}
    page.goto(f"{site.url}/beheer/inloggen")
    found["login"] = axe_violations(page)
    page.click("button:has-text('Inloggen')")  # nothing filled in: the login page with its errors
    found["login with errors"] = axe_violations(page)
    page.goto(f"{site.url}/beheer/wachtwoord-vergeten")
    found["forgot password"] = axe_violations(page)
    with site.app.app_context():
        link = password_links.token_for(db.session.scalar(select(User).filter_by(email=beheerder)), "reset")
    page.goto(f"{site.url}/beheer/wachtwoord-instellen/{link}")
    found["choose a password"] = axe_violations(page)
    site.log_in(page, beheerder, PASSWORD)
    for path in STAFF_PAGES:
        assert page.goto(f"{site.url}{path}").status == 200, path
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            found[f"{path} at {size['width']} px"] = axe_violations(page)
            if path in ("/beheer/", "/beheer/kpi/client_support"):
                screenshot(page, "staff-dashboard" if path == "/beheer/" else "staff-kpi")
    page.goto(f"{site.url}/beheer/organisatie")
    page.fill("#email", "geen adres")
    page.click("button:has-text('Opslaan')")  # the organisation page with an error next to its field
    assert page.locator("#email-error").is_visible()
    found["/beheer/organisatie with errors"] = axe_violations(page)
    page.goto(f"{site.url}/beheer/vragenlijsten/partner")
    page.fill("#title-en", "")
    page.fill("#items-9-key", "P1")  # the blank question: a key in use, and no text yet
    page.click("button:has-text('Concept opslaan') >> nth=0")
    assert page.locator("#title-en-error").is_visible() and page.locator("#items-9-key-error").is_visible()
    found["/beheer/vragenlijsten/partner with errors"] = axe_violations(page)
    page.goto(f"{site.url}/beheer/vragenlijsten")
    page.fill("#key", "Jeugd 12+")
    page.click("button:has-text('Vragenlijst maken')")
    assert page.locator("#key-error").is_visible()
    found["/beheer/vragenlijsten with errors"] = axe_violations(page)
    page.goto(f"{site.url}/beheer/papieren-formulieren")
    page.set_input_files("#file", files=[{"name": "papier.csv", "mimeType": "text/csv",
                                          "buffer": b"date,P1,P2,P3,P4,P5,P6,P7\n2026-02-30,7,4,4,4,4,4,4\n"
                                                    b"2026-03-02,11,4,4,4,4,4,4\n"}])
    page.select_option("#questionnaire", "partner")
    page.click("button:has-text('Inlezen')")  # every bad line listed
    assert page.locator(".error-summary li").count() == 2
    found["/beheer/papieren-formulieren with errors"] = axe_violations(page)
    with site.app.app_context():  # the respondent pages' "not yet open" cliënt round opens today: a letter needs it
        db.session.execute(update(Round).where(Round.questionnaire == "client", Round.opens_on > periods.today(),
                                               Round.period == str(half_year_of(periods.today())))
                           .values(opens_on=periods.today()))
        db.session.commit()
    page.goto(f"{site.url}/beheer/rondes")
    page.click("button:has-text('Eén cliëntcode met brief')")  # POST, then the page that offers the letter
    assert page.locator("h1").inner_text() == "Brief voor de cliënt"
    found["client letter page"] = axe_violations(page)
    with page.expect_download() as download:
        page.click("a:has-text('Brief downloaden (PDF)')")
    assert download.value.suggested_filename.startswith("clientbrief-ronde-")
    page.reload()  # the letter went with its download: the page says so and makes no new code
    assert page.locator("h1").inner_text() == "Brief niet meer beschikbaar"
    found["client letter page after the download"] = axe_violations(page)
    assert {name: lines for name, lines in found.items() if lines} == {}, "\n".join(
        f"{name}:\n" + "\n".join(lines) for name, lines in found.items() if lines)


def test_the_kpi_form_passes_axe_empty_with_errors_and_for_a_kpi_with_a_coming_norm(site, new_page):
    """Issue 15: the beheerder's KPI list, the form for a new KPI (with every problem next to its field) and the
    form of an existing KPI with a norm that can still be taken away, at desktop and phone width."""
    with site.app.app_context():
        create_user("kpi-axe@example.nl", PASSWORD, "beheerder")
        coming = str(half_year_of(periods.today() + timedelta(days=190)))
        kpi_catalogue.store(kpi_catalogue.with_norm("client_goals", coming, ">=", "7,5"), by="kpi-axe@example.nl")
    page = new_page(DESKTOP)
    site.log_in(page, "kpi-axe@example.nl", PASSWORD)
    found = {}
    for path in ("/beheer/kpis", "/beheer/kpis/nieuw", "/beheer/kpis/client_goals/wijzigen"):
        assert page.goto(f"{site.url}{path}").status == 200, path
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            found[f"{path} at {size['width']} px"] = axe_violations(page)
    assert page.locator("button:has-text('Norm weghalen')").count() == 1
    page.goto(f"{site.url}/beheer/kpis/nieuw")
    page.fill("#label-nl", "Cliënten die weer verder kunnen")
    page.select_option("#item", "C4")
    page.check("#statistic-share")
    page.fill("#share_codes", "ja, misschien")
    page.fill("#norm", "150")
    page.click("button:has-text('KPI toevoegen')")
    assert page.locator("#label-en-error").is_visible() and page.locator("#share_codes-error").is_visible()
    assert " ".join(page.locator("#norm-error").inner_text().split()) == (
        "Fout: Een norm voor een aandeel ligt tussen 0 en 1 (0,7 is 70 %), niet 1.5 (150 %).")
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        found[f"/beheer/kpis/nieuw with errors at {size['width']} px"] = axe_violations(page)
    screenshot(page, "staff-kpi-form-errors")
    assert {name: lines for name, lines in found.items() if lines} == {}, "\n".join(
        f"{name}:\n" + "\n".join(lines) for name, lines in found.items() if lines)


A4_CONTENT_PX = 703  # 210 mm less 2 × 12 mm of @page margin = 186 mm, at 96 CSS px per inch


def test_a_manager_prints_the_dashboard_on_a4_and_the_kpi_page_of_an_ended_half_year_passes_axe(
        site, beheerder, new_page):
    """Issue 17: printing cut off the verdict and trend columns and printed the menu. In print media at the
    width of an A4 page every column of the KPI table lies on the page and the menu is gone; the PDF of the
    print view holds every column heading. The KPI page of an ended half-year (contents, percentages with bars,
    the chart's table, free text with its filters and buttons) has no axe violations."""
    page = new_page(DESKTOP)
    site.log_in(page, beheerder, PASSWORD)
    ended = half_year_of(periods.today()).previous()
    assert page.goto(f"{site.url}/beheer/kpi/client_support?periode={ended}").status == 200
    assert axe_violations(page) == []
    screenshot(page, "staff-kpi-ended-half-year")
    page.goto(f"{site.url}/beheer/?periode={ended}")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
    assert not page.locator(".manage-nav").is_visible()
    assert not page.locator(".period-picker").is_visible()
    for cell in page.locator(".kpi-table th, .kpi-table td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= A4_CONTENT_PX + 1, cell.inner_text()
    screenshot(page, "staff-dashboard-print")
    pdf = page.pdf(format="A4")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    for heading in ("KPI", "Waarde", "interval", "Norm", "Respons", "Oordeel", "Trend"):  # "95%-" may wrap
        assert heading in text, heading
    assert "Uitloggen" not in text

"""Browser tests: headless Chromium from Debian's packages, driven by Playwright, against a real gunicorn
server on a SQLite database prepared here. One browser for the whole run, one server per module.

Without /usr/bin/chromium (or SURVEYS_CHROMIUM) every test here is skipped with the way to get it."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from surveys.extensions import db
from surveys.services.kiosk import COOKIE, register_device
from surveys.services.questionnaires import seed

from ..conftest import make_app
from ..server import ROOT, running_server

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@dataclass
class Site:
    """The running server's address, and an app on the same database to prepare data and check results."""

    url: str
    app: Flask
    tablet: str  # the device token of the office tablet registered here

    def log_in(self, page, email: str, password: str) -> None:
        """Log in on the management login page as a staff member would, and wait for the dashboard."""
        page.goto(f"{self.url}/beheer/inloggen")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button:has-text('Inloggen')")
        page.wait_for_url(f"{self.url}/beheer/")

    def as_tablet(self, page) -> None:
        """Make the page's browser the registered office tablet (its device cookie, as registration sets it)."""
        page.context.add_cookies([{"name": COOKIE, "value": self.tablet, "url": self.url, "httpOnly": True,
                                   "sameSite": "Lax"}])


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """A server of this module's own, on an SQLite file with the schema and the questionnaires."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'surveys.sqlite3'}"
    app = make_app(url)
    with app.app_context():
        db.create_all()
        seed()
        tablet = register_device("Tablet balie", actor="manager@example.nl")
    with running_server(url, workers=2) as base:
        yield Site(base, app, tablet)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def new_page(browser):
    """new_page(size, locale=None): a page in a fresh browser context (no cookies), closed after the test."""
    contexts = []

    def open_page(size: dict, locale: str | None = None):
        context = browser.new_context(viewport=size, locale=locale or "nl-NL", accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save the whole page for a person to look at, named by what it shows and the window size."""
    size = page.viewport_size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

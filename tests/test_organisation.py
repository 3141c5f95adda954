"""Another team adopts the service without touching code: a beheerder sets the organisation profile at
/beheer/organisatie (or with `organisation set`), and every page, letter, e-mail and the half-year
report then names that team and its contact details. Houten is only the shipped default data."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import event, func, select

from surveys import logos, periods
from surveys.extensions import db
from surveys.models import AuditEvent, Organisation
from surveys.services.users import create_user

from .helpers import codes_for, open_round
from .test_manage import PASSWORD, csrf_token_from, log_in

SURVEYS = Path(__file__).resolve().parent.parent / "surveys"
DEFAULT_FILE = SURVEYS / "defaults" / "organisation.toml"
TEXT_FILES = (".py", ".html", ".po", ".css", ".toml", ".md", ".cfg", ".txt", ".js", ".json", ".mako", ".ini")

VOORBEELD = {
    "name": "Stichting Wijkteam Voorbeeld",
    "short_name": "Wijkteam Voorbeeld",
    "phone": "0348 123 456",
    "email": "vragen@wijkteam-voorbeeld.nl",
    "address": "Postbus 12\r\n3440 AA Voorbeeld",
    "website": "https://www.wijkteam-voorbeeld.nl",
    "privacy_url": "https://www.wijkteam-voorbeeld.nl/privacy",
    "sender": "enquete@wijkteam-voorbeeld.nl",
}
CONTACT_NL = ('Vragen? Bel <a href="tel:0348123456">0348 123 456</a> of mail '
              '<a href="mailto:vragen@wijkteam-voorbeeld.nl">vragen@wijkteam-voorbeeld.nl</a>.')


def test_no_template_or_module_names_houten():
    """Houten lives in the shipped default data only; code, templates and translations take the profile."""
    assert "Houten" in DEFAULT_FILE.read_text(encoding="utf-8")  # the one exception is what it says it is
    found = [str(path.relative_to(SURVEYS)) for path in sorted(SURVEYS.rglob("*"))
             if path.is_file() and path.suffix in TEXT_FILES and path != DEFAULT_FILE
             and "houten" in path.read_text(encoding="utf-8").lower()]
    assert found == []


@pytest.fixture
def beheerder(app):
    """A test client logged in as a beheerder."""
    with app.app_context():
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
    client = app.test_client()
    assert log_in(client, "beheerder@example.nl").status_code == 303
    return client


def save_profile(client, values: dict):
    token = csrf_token_from(client.get("/beheer/organisatie").get_data(as_text=True))
    return client.post("/beheer/organisatie", data={"csrf_token": token, **values})


def upload_logo(client, content: bytes, filename: str):
    token = csrf_token_from(client.get("/beheer/organisatie").get_data(as_text=True))
    return client.post("/beheer/organisatie/logo", content_type="multipart/form-data",
                       data={"csrf_token": token, "logo": (io.BytesIO(content), filename)})


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> list[str]:
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_the_profile_set_on_the_page_shows_on_every_page_letter_and_the_report(app, beheerder):
    reply = save_profile(beheerder, VOORBEELD)
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/beheer/organisatie")
    with app.app_context():
        round_ = open_round("partner")
        round_id, code = round_.id, codes_for(round_)[0]
        event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation_changed")).one()
    assert event_.actor == "beheerder@example.nl"
    assert "short_name: 'Sociaal Team Houten' → 'Wijkteam Voorbeeld'" in event_.detail
    assert "phone: '030 000 00 00' → '0348 123 456'" in event_.detail

    respondent = app.test_client()
    pages = {"questionnaire": respondent.get(f"/r/{code}"), "accessibility": respondent.get("/toegankelijkheid"),
             "error": respondent.get("/bestaat-niet")}
    assert [reply.status_code for reply in pages.values()] == [200, 200, 404]
    for name, reply in pages.items():
        html = reply.get_data(as_text=True)
        assert re.search(r"<title>[^<]* – Wijkteam Voorbeeld</title>", html), name
        assert '<p class="site-name">Wijkteam Voorbeeld</p>' in html, name
        assert CONTACT_NL in html, name
        assert '<a href="https://www.wijkteam-voorbeeld.nl/privacy">Privacyverklaring</a>' in html, name
        assert "Houten" not in html, name
    statement = pages["accessibility"].get_data(as_text=True)
    assert "Wijkteam Voorbeeld wil dat iedereen de vragenlijsten kan invullen" in statement
    assert ('Bel <a href="tel:0348123456">0348 123 456</a> of mail '
            '<a href="mailto:vragen@wijkteam-voorbeeld.nl">vragen@wijkteam-voorbeeld.nl</a>. Wij helpen u graag.') \
        in statement
    assert "Dan kunt u een klacht indienen bij Wijkteam Voorbeeld." in statement
    english = respondent.get("/toegankelijkheid?lang=en").get_data(as_text=True)
    assert "Wijkteam Voorbeeld wants everyone to be able to fill in the questionnaires" in english
    assert ('Questions? Call <a href="tel:0348123456">0348 123 456</a> or e-mail '
            '<a href="mailto:vragen@wijkteam-voorbeeld.nl">vragen@wijkteam-voorbeeld.nl</a>.') in english

    page = f"/beheer/rondes/{round_id}"
    token = csrf_token_from(beheerder.get(page).get_data(as_text=True))
    letter = beheerder.post(f"{page}/codes", data={"csrf_token": token, "count": "1", "kind": "pdf"})
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    (text,) = pdf_text(letter.data)
    assert text.startswith("Stichting Wijkteam Voorbeeld Wat vindt u van de samenwerking met Wijkteam Voorbeeld?")
    assert "U werkt samen met Stichting Wijkteam Voorbeeld." in text
    assert "Hebt u een vraag? Bel 0348 123 456 of mail vragen@wijkteam-voorbeeld.nl." in text
    assert text.endswith("Met vriendelijke groet, Wijkteam Voorbeeld")
    assert PdfReader(io.BytesIO(letter.data)).metadata.author == "Stichting Wijkteam Voorbeeld"

    period = f"{periods.today().year}-H{1 if periods.today().month <= 6 else 2}"
    report = beheerder.get(f"/beheer/downloads/halfjaarrapport.pdf?periode={period}")
    assert report.status_code == 200
    pages_text = pdf_text(report.data)
    assert pages_text[0].startswith(f"Stichting Wijkteam Voorbeeld Waardering {period} Hoe cliënten, partners, "
                                    "de gemeente en medewerkers Wijkteam Voorbeeld waarderen")
    assert pages_text[1].startswith(f"Stichting Wijkteam Voorbeeld · Waardering {period}") or \
        f"Stichting Wijkteam Voorbeeld · Waardering {period}" in pages_text[1]
    assert not any("Houten" in text for text in pages_text)


def test_a_wrong_profile_names_every_problem_next_to_its_field_and_stores_nothing(app, beheerder):
    wrong = {**VOORBEELD, "name": "  ", "phone": "bel ons", "email": "vragen@", "website": "ftp://voorbeeld.nl",
             "privacy_url": "javascript:alert(1)", "sender": "enquete"}

    reply = save_profile(beheerder, wrong)

    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    expected = {
        "name": "Vul de volledige naam in.",
        "phone": "Vul een telefoonnummer in, zoals 030 123 45 67 of +31 30 123 45 67.",
        "email": "Vul een geldig e-mailadres in, zoals info@voorbeeld.nl.",
        "website": "Vul een webadres in dat begint met https:// (of http://), zoals https://www.voorbeeld.nl/privacy.",
        "privacy_url": "Vul een webadres in dat begint met https:// (of http://), zoals "
                       "https://www.voorbeeld.nl/privacy.",
        "sender": "Vul een geldig e-mailadres in, zoals info@voorbeeld.nl.",
    }
    shown = dict(re.findall(r'<p class="error-message" id="([a-z_]+)-error"><span class="visually-hidden">Fout: '
                            r'</span>([^<]+)</p>', html))
    assert shown == expected
    assert 'id="phone" name="phone" value="bel ons"' in html  # what was typed stays, to be corrected
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action.like("organisation%"))) == 0


def png(width: int = 40, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 87, 107)).save(out, format="PNG")
    return out.getvalue()


def test_a_png_logo_is_served_with_its_hash_and_shown_on_pages_and_the_report_cover(app, beheerder):
    content = png()
    digest = hashlib.sha256(content).hexdigest()

    assert upload_logo(beheerder, content, "logo.png").status_code == 303

    respondent = app.test_client()
    html = respondent.get("/toegankelijkheid").get_data(as_text=True)
    assert f'<img class="site-logo" src="/organisatie/logo?v={digest[:16]}" alt="">' in html
    served = respondent.get(f"/organisatie/logo?v={digest[:16]}")
    assert (served.status_code, served.mimetype, served.data) == (200, "image/png", content)
    assert served.headers["ETag"] == f'"{digest}"'
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["Content-Security-Policy"].endswith("; sandbox")
    assert respondent.get("/organisatie/logo", headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    period = f"{periods.today().year}-H{1 if periods.today().month <= 6 else 2}"
    report = beheerder.get(f"/beheer/downloads/halfjaarrapport.pdf?periode={period}")
    assert len(PdfReader(io.BytesIO(report.data)).pages[0].images) == 1

    token = csrf_token_from(beheerder.get("/beheer/organisatie").get_data(as_text=True))
    assert beheerder.post("/beheer/organisatie/logo/verwijderen", data={"csrf_token": token}).status_code == 303
    assert respondent.get("/organisatie/logo").status_code == 404
    with app.app_context():
        details = [e.detail for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)
                                                        .where(AuditEvent.action == "organisation_logo_changed"))]
    assert details == [f"logo: geen → PNG {digest[:12]} (1 kB)", f"logo: PNG {digest[:12]} → geen"]


SAFE_SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
            b'<title>Logo</title><defs><linearGradient id="g"><stop offset="0" stop-color="#00576B"/>'
            b'</linearGradient></defs><rect width="10" height="10" fill="url(#g)"/><use href="#g"/></svg>')


def test_a_safe_svg_logo_is_kept_and_served_as_svg(app, beheerder):
    assert upload_logo(beheerder, SAFE_SVG, "logo.svg").status_code == 303
    served = app.test_client().get("/organisatie/logo")
    assert (served.status_code, served.mimetype, served.data) == (200, "image/svg+xml", SAFE_SVG)
    assert served.headers["Cache-Control"] == "no-cache"  # no ?v=: the browser asks again, with its ETag


def svg(inner: str, attributes: str = "") -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"{attributes}>'
            f"{inner}</svg>").encode()


@pytest.mark.parametrize(("content", "reason"), [
    (svg("<script>alert(1)</script>"), "<script>"),
    (svg("<rect/>", ' onload="alert(1)"'), "de gebeurtenis onload"),
    (svg('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>'), "<foreignObject>"),
    (svg('<use href="https://example.org/logo.svg#a"/>'), "een verwijzing naar een ander bestand"),
    (svg('<use xlink:href="javascript:alert(1)"/>'), "een verwijzing naar een ander bestand"),
    (svg('<rect fill="url(https://example.org/p.svg#x)"/>'), "een verwijzing naar een ander bestand"),
    (svg('<image href="logo.png"/>'), "<image>"),
    (svg("<style>rect { fill: red }</style>"), "<style>"),
    (svg("<rect/>", ' style="fill: url(https://example.org/x)"'), "het attribuut style"),
    (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]>' + svg("<text>&a;</text>"), "bevat een DOCTYPE of ENTITY"),
    (b'<?xml-stylesheet href="https://example.org/s.css"?>' + svg("<rect/>"), "<?xml-stylesheet?>"),
    (b"<svg><rect></svg>", "geen geldige XML"),
    (b"<html><body>logo</body></html>", "Het logo moet een PNG- of SVG-bestand zijn."),
    (b"GIF89a" + bytes(40), "Het logo moet een PNG- of SVG-bestand zijn."),
    (logos.PNG_SIGNATURE + bytes(40), "Dit PNG-bestand is beschadigd."),
    (png(5000, 1), "Het logo mag hoogstens 4000 bij 4000 beeldpunten zijn."),
    (logos.PNG_SIGNATURE + bytes(200 * 1024), "Het logo is 201 kB. Een logo mag hoogstens 200 kB zijn."),
    (b"", "Kies een bestand met het logo."),
], ids=["script", "onload", "foreignObject", "external use", "javascript href", "external url()", "image",
        "style element", "style attribute", "entity", "xml-stylesheet", "broken xml", "html", "gif", "broken png",
        "png too wide", "too large", "empty"])
def test_a_logo_that_is_not_a_plain_png_or_svg_is_refused_with_the_reason(content, reason):
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check(content)
    assert reason in str(refused.value)


def test_an_unsafe_svg_upload_is_named_next_to_the_field_and_nothing_is_stored(app, beheerder):
    reply = upload_logo(beheerder, svg("<script>alert(1)</script>"), "logo.svg")
    assert reply.status_code == 400
    assert ('<p class="error-message" id="logo-error"><span class="visually-hidden">Fout: </span>Dit SVG-bestand '
            "bevat onderdelen die niet veilig zijn: &lt;script&gt;.") in reply.get_data(as_text=True)
    assert app.test_client().get("/organisatie/logo").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_a_respondent_page_reads_the_profile_once(app):
    """Every respondent page shows the profile in several places; it costs one query per request."""
    with app.app_context():
        code = codes_for(open_round("client"))[0]
        statements = []
        listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = app.test_client().get(f"/r/{code}").get_data(as_text=True)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    assert html.count("Sociaal Team Houten") >= 2  # the title and the header, at least
    assert len([s for s in statements if re.search(r"\bFROM organisation\b", s)]) == 1


SHOWN_DEFAULT = ("name: Stichting Sociaal Team Houten\nshort-name: Sociaal Team Houten\nphone: 030 000 00 00\n"
                 "email: info@sociaalteamhouten.nl\naddress: \nwebsite: https://www.sociaalteamhouten.nl\n"
                 "privacy-url: https://www.sociaalteamhouten.nl/privacy\nsender: waardering@sociaalteamhouten.nl\n"
                 "logo: none\n")


def test_the_cli_shows_and_sets_the_profile_and_refuses_wrong_values(app, runner):
    assert runner.invoke(args=["organisation", "show"]).output == SHOWN_DEFAULT

    wrong = runner.invoke(args=["organisation", "set", "--email", "vragen@", "--website", "ftp://voorbeeld.nl",
                                "--phone", "12"])
    assert wrong.exit_code == 1
    assert wrong.output == ("Error: nothing was changed:\n"
                            "--phone: Vul een telefoonnummer in, zoals 030 123 45 67 of +31 30 123 45 67.\n"
                            "--email: Vul een geldig e-mailadres in, zoals info@voorbeeld.nl.\n"
                            "--website: Vul een webadres in dat begint met https:// (of http://), zoals "
                            "https://www.voorbeeld.nl/privacy.\n")
    assert runner.invoke(args=["organisation", "show"]).output == SHOWN_DEFAULT

    done = runner.invoke(args=["organisation", "set", "--name", "Stichting Wijkteam Voorbeeld", "--short-name",
                               "Wijkteam Voorbeeld", "--phone", "+31 348 123 456", "--email",
                               "vragen@wijkteam-voorbeeld.nl", "--website", "https://www.wijkteam-voorbeeld.nl",
                               "--privacy-url", "https://www.wijkteam-voorbeeld.nl/privacy",
                               "--address", "Postbus 12 / 3440 AA Voorbeeld", "--sender", ""])
    assert (done.exit_code, done.output) == (0, "organisation profile saved\n")
    assert runner.invoke(args=["organisation", "show"]).output == (
        "name: Stichting Wijkteam Voorbeeld\nshort-name: Wijkteam Voorbeeld\nphone: +31 348 123 456\n"
        "email: vragen@wijkteam-voorbeeld.nl\naddress: Postbus 12 / 3440 AA Voorbeeld\n"
        "website: https://www.wijkteam-voorbeeld.nl\nprivacy-url: https://www.wijkteam-voorbeeld.nl/privacy\n"
        "sender: (the e-mail address: vragen@wijkteam-voorbeeld.nl)\nlogo: none\n")
    with app.app_context():
        (event_,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation_changed")).all()
    assert event_.actor == "cli"
    assert "address: '' → 'Postbus 12\\n3440 AA Voorbeeld'" in event_.detail

"""A manager runs a round from the browser: opens it, downloads links and printable letters, hands a
closing cliënt a letter in two clicks, invites by e-mail through a real SMTP server (aiosmtpd) and
reminds only those who have not answered; addresses go when the round closes."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from cryptography.fernet import Fernet
from pypdf import PdfReader
from reportlab.graphics.barcode.qr import QrCodeWidget
from sqlalchemy import func, select, update

from surveys import periods
from surveys.extensions import db
from surveys.models import AuditEvent, InvitationCode, Round, WaitingLetter
from surveys.periods import half_year_of
from surveys.services import due, retention
from surveys.services.invitations import erase_closed_round_contacts
from surveys.services.mail import MailSettings, parse_address_list, send_reminders
from surveys.services.rounds import create_round, hash_code
from surveys.services.users import create_user

from .helpers import GOOD_ANSWERS, codes_for, fill_in, open_round
from .mailbox import BASE_URL, LINK
from .server import free_port
from .test_manage import PASSWORD, log_in

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def manager(app):
    """A test client logged in as a manager."""
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
    client = app.test_client()
    assert log_in(client, "manager@example.nl").status_code == 303
    return client


def token(client, url: str = "/beheer/rondes") -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def post(client, url: str, page: str, data: dict, **kwargs):
    """Post a form the way the browser does: with the CSRF token of the page that holds it."""
    return client.post(url, data={"csrf_token": token(client, page), **data}, **kwargs)


def make_round(app, questionnaire: str = "partner", **kwargs) -> int:
    with app.app_context():
        return open_round(questionnaire, **kwargs).id


def stored_codes(app, round_id: int | None = None) -> list[InvitationCode]:
    with app.app_context():
        query = select(InvitationCode).order_by(InvitationCode.id)
        if round_id is not None:
            query = query.where(InvitationCode.round_id == round_id)
        codes = list(db.session.scalars(query))
        db.session.expunge_all()
        return codes


def audit_details(app, action: str) -> list[str]:
    with app.app_context():
        return [event.detail for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def respondent_status(app, code: str) -> int:
    return app.test_client().get(f"/r/{code}").status_code


# --- rounds ----------------------------------------------------------------------------------------------

ROUND = {"questionnaire": "partner", "period": "2026-H1", "opens_on": "2026-01-05", "closes_on": "2026-02-15",
         "population": "40"}


def test_a_manager_creates_a_round_and_sees_it_in_the_list(app, manager):
    reply = post(manager, "/beheer/rondes", "/beheer/rondes", ROUND)

    assert reply.status_code == 303
    with app.app_context():
        (round_,) = db.session.scalars(select(Round)).all()
        assert (round_.questionnaire, round_.period, round_.opens_on, round_.closes_on, round_.population) == \
            ("partner", "2026-H1", date(2026, 1, 5), date(2026, 2, 15), 40)
        round_id = round_.id
    assert reply.headers["Location"].endswith(f"/beheer/rondes/{round_id}")
    page = manager.get(reply.headers["Location"]).get_data(as_text=True)
    assert f"Meetronde {round_id} is gemaakt." in page
    listing = manager.get("/beheer/rondes").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>Ronde {round_id}</a></th>(.*?)</tr>", listing, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells == ["Partners", "2026-H1", "05-01-2026 t/m 15-02-2026 gesloten" if periods.today() > date(2026, 2, 15)
                     else "05-01-2026 t/m 15-02-2026", "40", "0", "0", "0", "0 %"]


@pytest.mark.parametrize("change, field, message", [
    ({"closes_on": "2026-01-01"}, "closes_on", "De sluitdatum 2026-01-01 ligt vóór de openingsdatum 2026-01-05."),
    ({"period": "2026-H3"}, "period", "&#39;2026-H3&#39; is geen periode"),
    ({"period": "2026-Q1"}, "period", "De vragenlijst &#39;partner&#39; werkt met halfjaren, niet met kwartalen."),
    ({"questionnaire": "klant"}, "questionnaire", "Kies een vragenlijst uit de lijst."),
    ({"population": "veel"}, "population", "Vul een heel getal in, bijvoorbeeld 40."),
    ({"population": "0"}, "population", "De populatie (aantal uitgenodigden) moet minstens 1 zijn."),
    ({"opens_on": "5-1-2026"}, "opens_on", "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-01-31."),
    ({"closes_on": ""}, "closes_on", "Vul de laatste dag in."),
])
def test_a_bad_round_gets_a_dutch_message_next_to_its_field_and_stores_nothing(app, manager, change, field,
                                                                                message):
    reply = post(manager, "/beheer/rondes", "/beheer/rondes", {**ROUND, **change})

    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    next_to_field = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', html, re.S)
    assert next_to_field and message in next_to_field.group(1), html
    assert "De meetronde is niet gemaakt" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_a_round_without_the_forms_token_is_refused(app, manager):
    assert manager.post("/beheer/rondes", data=ROUND).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0


# --- links and letters -----------------------------------------------------------------------------------

def test_the_csv_holds_five_working_links_whose_hashes_alone_are_stored(app, manager):
    round_id = make_round(app)
    page = f"/beheer/rondes/{round_id}"

    reply = post(manager, f"{page}/codes", page, {"count": "5", "kind": "csv"})

    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="ronde-{round_id}-links.csv"'
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 5 and list(rows[0]) == ["code", "url"]
    assert all(row["url"] == f"{BASE_URL}/r/{row['code']}" for row in rows)
    assert len({row["code"] for row in rows}) == 5
    codes = stored_codes(app, round_id)
    assert sorted(c.code_hash for c in codes) == sorted(hash_code(row["code"]) for row in rows)
    assert not any(c.used or c.email for c in codes)
    for row in rows:
        assert manager.get(urlsplit(row["url"]).path).status_code == 200
    assert audit_details(app, "export") == [f"ronde {round_id}: 5 links als CSV"]
    assert "<dt>Codes gemaakt</dt><dd>5</dd>" in manager.get(page).get_data(as_text=True)


def qr_matrix(page) -> list[list[bool]]:
    """The QR modules as drawn on a page: the runs of `x y w 1 re` inside the letter's scaled block."""
    content = page.get_contents().get_data().decode("latin-1")
    runs = [tuple(map(int, run)) for run in re.findall(r"(\d+) (\d+) (\d+) 1 re", content)]
    size = max(x + w for x, _, w in runs)
    matrix = [[False] * size for _ in range(size)]
    for x, y, w in runs:
        for col in range(x, x + w):
            matrix[y][col] = True
    return matrix


def reference_qr(url: str) -> list[list[bool]]:
    qr = QrCodeWidget(url, barLevel="M").qr
    qr.make()
    return [[bool(module) for module in row] for row in qr.modules]


def test_the_letters_pdf_has_one_page_per_code_with_its_link_and_qr_code(app, manager):
    round_id = make_round(app)
    page = f"/beheer/rondes/{round_id}"

    reply = post(manager, f"{page}/codes", page, {"count": "3", "kind": "pdf"})

    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    pdf = PdfReader(io.BytesIO(reply.get_data()))
    assert len(pdf.pages) == 3
    codes = []
    for letter in pdf.pages:
        text = letter.extract_text()
        (code,) = LINK.findall(text)
        codes.append(code)
        # The code alone too, to type at a short address: four groups of four, no look-alike characters.
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", code)
        assert code in text.splitlines()
        assert (f"Lukt dat niet? Ga dan naar {BASE_URL}/code en vul deze code in. Hoofdletters of kleine letters "
                "maakt niet uit:") in " ".join(text.split())
        assert "Beste samenwerkingspartner," in text
        assert "Het invullen duurt ongeveer 3 minuten. Uw antwoorden zijn anoniem." in text
        assert "Stichting Sociaal Team Houten" in text
        matrix = qr_matrix(letter)
        assert matrix == reference_qr(f"{BASE_URL}/r/{code}")
        # the three finder squares sit top-left, top-right and bottom-left: the code is not mirrored
        n = len(matrix)
        for top, left in ((0, 0), (0, n - 7), (n - 7, 0)):
            assert all(matrix[top][left + i] and matrix[top + 6][left + i] for i in range(7))
        assert not all(matrix[n - 7][n - 7 + i] for i in range(7))
    assert sorted(c.code_hash for c in stored_codes(app, round_id)) == sorted(hash_code(c) for c in codes)
    assert all(respondent_status(app, code) == 200 for code in codes)
    assert audit_details(app, "export") == [f"ronde {round_id}: 3 brieven als PDF"]


def test_a_gemeente_letter_says_confidential_but_not_fully_anonymous(app, manager):
    round_id = make_round(app, "gemeente")
    page = f"/beheer/rondes/{round_id}"
    reply = post(manager, f"{page}/codes", page, {"count": "1", "kind": "pdf"})
    text = " ".join(PdfReader(io.BytesIO(reply.get_data())).pages[0].extract_text().split())
    assert "Wij gaan vertrouwelijk om met uw antwoorden. Maar de groep is klein. Daarom zijn uw antwoorden " \
           "niet helemaal anoniem." in text
    assert "Uw antwoorden zijn anoniem" not in text


@pytest.mark.parametrize("data, message", [
    ({"count": "0", "kind": "csv"}, "Maak per keer 1 tot 5000 links."),
    ({"count": "5001", "kind": "csv"}, "Maak per keer 1 tot 5000 links."),
    ({"count": "301", "kind": "pdf"}, "Maak per keer 1 tot 300 brieven."),
    ({"count": "tien", "kind": "pdf"}, "Vul een heel getal in"),
    ({"count": "", "kind": "pdf"}, "Vul in hoeveel codes u wilt maken."),
    ({"count": "3", "kind": "xlsx"}, "Kies brieven of links."),
])
def test_a_bad_count_or_kind_is_named_and_makes_no_codes(app, manager, data, message):
    round_id = make_round(app)
    page = f"/beheer/rondes/{round_id}"
    reply = post(manager, f"{page}/codes", page, data)
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert stored_codes(app) == []


def test_a_closed_round_makes_no_codes(app, manager):
    round_id = make_round(app, days_back=30, days_ahead=-1)
    page = f"/beheer/rondes/{round_id}"
    listing = manager.get(page).get_data(as_text=True)
    assert "Deze meetronde is gesloten." in listing and "Codes maken en downloaden" not in listing

    reply = post(manager, f"{page}/codes", page, {"count": "2", "kind": "csv"})

    assert reply.status_code == 409
    assert "Deze meetronde is gesloten sinds" in reply.get_data(as_text=True)
    assert stored_codes(app) == []


def test_a_cliënt_gets_a_code_and_letter_in_two_clicks(app, manager):
    dashboard = manager.get("/beheer/").get_data(as_text=True)
    assert '<a href="/beheer/rondes">Meetrondes</a>' in dashboard  # click one
    assert "Eén cliëntcode met brief" in manager.get("/beheer/rondes").get_data(as_text=True)

    made = post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})  # click two

    assert made.status_code == 303
    page_url = made.headers["Location"]
    assert re.fullmatch(r"/beheer/rondes/clientbrief/[\w-]{22}", page_url)
    page = manager.get(page_url)
    assert page.status_code == 200
    assert f'href="{page_url}/pdf" download>Brief downloaden (PDF)' in page.get_data(as_text=True)
    assert manager.get(page_url).status_code == 200  # a reload: the same page, no second code
    assert len(stored_codes(app)) == 1

    reply = manager.get(f"{page_url}/pdf")  # click three: the download

    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="clientbrief-ronde-')
    (letter,) = PdfReader(io.BytesIO(reply.get_data())).pages
    text = letter.extract_text()
    (code,) = LINK.findall(text)
    assert "Beste inwoner," in text
    today = periods.today()
    with app.app_context():
        (round_,) = db.session.scalars(select(Round)).all()
        period = half_year_of(today)
        assert (round_.questionnaire, round_.period, round_.opens_on, round_.closes_on, round_.population) == \
            ("client", str(period), today, period.end, None)
        round_id = round_.id
    assert [c.code_hash for c in stored_codes(app, round_id)] == [hash_code(code)]
    assert respondent_status(app, code) == 200
    assert audit_details(app, "export") == [f"cliëntbrief: 1 code in ronde {round_id}"]
    # Once only: the code has left the session with the download.
    again = manager.get(f"{page_url}/pdf")
    assert again.status_code == 404 and "Deze brief is al gedownload" in again.get_data(as_text=True)
    assert manager.get(page_url).status_code == 404
    assert len(stored_codes(app)) == 1

    post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})  # the next cliënt: same round
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1
    assert len(stored_codes(app, round_id)) == 2


def test_the_cliënt_letter_uses_the_client_round_already_open(app, manager):
    round_id = make_round(app, "client", population=None)
    post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1
    assert len(stored_codes(app, round_id)) == 1


def test_two_cliënt_letters_at_the_same_moment_share_one_new_round(app, monkeypatch):
    """Two professionals ask for a cliënt letter at once while no cliënt round is open. Each request first
    sees no round; slowed down here so both certainly do before either creates one. Still one round."""
    import threading
    import time

    from surveys.services import letters

    looked_up = letters.open_round_for

    def slow_lookup(questionnaire, today):
        found = looked_up(questionnaire, today)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(letters, "open_round_for", slow_lookup)
    start, rounds, failures = threading.Barrier(2), [], []

    def ask():
        try:
            with app.app_context():
                start.wait()
                rounds.append(letters.client_code(periods.today(), "https://example.org")[0])
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    with app.app_context():
        (only,) = db.session.scalars(select(Round.id)).all()
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 2
    assert rounds == [only, only]


# --- e-mail ----------------------------------------------------------------------------------------------

def upload(client, round_id: int, content: bytes, name: str = "adressen.txt"):
    page = f"/beheer/rondes/{round_id}"
    return post(client, f"{page}/uitnodigingen", page, {"addresses": (io.BytesIO(content), name)},
                content_type="multipart/form-data")


def remind(client, round_id: int):
    page = f"/beheer/rondes/{round_id}"
    return post(client, f"{page}/herinneringen", page, {})


ADDRESSES = ["ans@example.nl", "bram@partner.example", "cor@school.example"]


def test_invitations_and_reminders_reach_a_real_smtp_server_and_never_a_used_code(app, manager, smtp, caplog):
    round_id = make_round(app)

    reply = upload(manager, round_id, ("\n".join(ADDRESSES) + "\n").encode())

    assert reply.status_code == 303
    assert "3 uitnodigingen verstuurd." in manager.get(reply.headers["Location"]).get_data(as_text=True)
    assert sorted(r for mail in smtp.mails for r in mail.recipients) == sorted(ADDRESSES)
    first = {mail.recipients[0]: mail for mail in smtp.mails}
    for address, mail in first.items():
        assert mail.sender == "waardering@sociaalteamhouten.nl" and mail.message["To"] == address
        # The shipped organisation profile: its sender address, under its full name.
        assert mail.message["From"] == "Stichting Sociaal Team Houten <waardering@sociaalteamhouten.nl>"
        assert mail.message["Message-ID"].endswith("@sociaalteamhouten.nl>")  # the domain of the address
        assert mail.message["Subject"] == "Wat vindt u van de samenwerking met Sociaal Team Houten?"
        assert f'<a href="{BASE_URL}/r/{mail.code}">' in mail.html
        assert "Uw antwoorden zijn anoniem." in mail.text
    codes = stored_codes(app, round_id)
    assert {(c.email, c.code_hash) for c in codes} == {(a, hash_code(m.code)) for a, m in first.items()}
    assert all(respondent_status(app, mail.code) == 200 for mail in first.values())

    # Bram answers with his link
    respondent = app.test_client()
    answered = fill_in(respondent, f"/r/{first['bram@partner.example'].code}", GOOD_ANSWERS["partner"])
    assert answered.status_code == 303 and answered.headers["Location"].endswith("/bedankt")

    reply = remind(manager, round_id)

    assert reply.status_code == 303
    assert "2 herinneringen verstuurd." in manager.get(reply.headers["Location"]).get_data(as_text=True)
    reminders = smtp.mails[3:]
    assert sorted(m.recipients[0] for m in reminders) == ["ans@example.nl", "cor@school.example"]
    for mail in reminders:
        assert mail.message["Subject"] == "Herinnering: Wat vindt u van de samenwerking met Sociaal Team Houten?"
        assert "Gebruik deze nieuwe link. De link uit de eerste e-mail werkt niet meer." in mail.text
        old = first[mail.recipients[0]].code
        assert mail.code != old
        assert respondent_status(app, old) == 404
        assert respondent_status(app, mail.code) == 200
    assert respondent_status(app, first["bram@partner.example"].code) == 410  # used, and not reminded
    after = {c.email: c for c in stored_codes(app, round_id)}
    assert {email: c.reminders_sent for email, c in after.items()} == \
        {"ans@example.nl": 1, "bram@partner.example": 0, "cor@school.example": 1}
    assert after["bram@partner.example"].used

    assert audit_details(app, "invitations_sent") == [f"ronde {round_id}: 3 uitnodigingen per e-mail",
                                                      f"ronde {round_id}: 2 herinneringen per e-mail"]
    logged = caplog.text
    assert not any(a in logged for a in ADDRESSES) and not any(m.code in logged for m in smtp.mails)


def test_a_second_upload_of_the_same_list_invites_only_the_new_addresses(app, manager, smtp):
    round_id = make_round(app)
    upload(manager, round_id, b"ans@example.nl\n")
    reply = upload(manager, round_id, b"ANS@example.nl\ndirk@example.nl\n")
    assert reply.status_code == 303
    page = manager.get(reply.headers["Location"]).get_data(as_text=True)
    assert "1 uitnodiging verstuurd." in page
    assert "1 adres had al een uitnodiging in deze ronde en kreeg geen tweede." in page
    assert [m.recipients for m in smtp.mails] == [["ans@example.nl"], ["dirk@example.nl"]]
    assert len(stored_codes(app, round_id)) == 2


def test_a_bad_address_list_names_its_lines_and_stores_and_sends_nothing(app, manager, smtp):
    round_id = make_round(app)

    reply = upload(manager, round_id, b"ans@example.nl\ngeen adres\nbram@example.nl\nAns@Example.nl\n")

    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    problems = re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="problems">(.*?)</ul>', html, re.S).group(1))
    assert problems == ["regel 2: &#39;geen adres&#39; is geen e-mailadres",
                        "regel 4: Ans@Example.nl staat ook al op regel 1"]
    assert "Er is niets verstuurd en niets opgeslagen." in html
    assert smtp.mails == [] and stored_codes(app) == []


@pytest.mark.parametrize("content, problem", [
    (b"", "Het bestand bevat geen e-mailadressen."),
    (b"\xff\xfeans@example.nl", "Het bestand is geen tekst in UTF-8."),
    (b"naam;email\nAns;ans@example.nl\nBram;\n", "regel 3: geen e-mailadres ingevuld"),
    (b"ans@example.nl\r\nbram@example.nl\nans@example.nl\nevil@example.nl\r\nBcc: x@example.nl\n",
     "regel 5: &#39;Bcc: x@example.nl&#39; is geen e-mailadres"),
])
def test_address_list_problems(app, manager, smtp, content, problem):
    round_id = make_round(app)
    reply = upload(manager, round_id, content)
    assert reply.status_code == 400 and problem in reply.get_data(as_text=True)
    assert smtp.mails == [] and stored_codes(app) == []


def test_an_address_list_may_be_a_csv_with_an_email_column():
    content = '\ufeffnaam;E-mail;organisatie\n"Ans, de Vries";ans@example.nl;school\n\nBram;bram@ggd.example;GGD\n'
    assert [(a.line, a.email) for a in parse_address_list(content.encode())] == \
        [(2, "ans@example.nl"), (4, "bram@ggd.example")]


def test_a_file_without_any_file_is_refused(app, manager, smtp):
    round_id = make_round(app)
    page = f"/beheer/rondes/{round_id}"
    reply = post(manager, f"{page}/uitnodigingen", page, {}, content_type="multipart/form-data")
    assert reply.status_code == 400 and "Kies een bestand met e-mailadressen." in reply.get_data(as_text=True)


def test_an_unreachable_mail_server_gives_a_clear_503_and_stores_nothing(app, manager):
    round_id = make_round(app)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nobody listens there

    reply = upload(manager, round_id, b"ans@example.nl\nbram@example.nl\n")

    html = reply.get_data(as_text=True)
    assert reply.status_code == 503
    assert "De mailserver (127.0.0.1, poort" in html and "is niet bereikbaar" in html
    assert "Er is niets verstuurd en niets opgeslagen." in html
    assert stored_codes(app) == []
    assert audit_details(app, "invitations_sent") == []


def test_a_mail_server_that_stops_halfway_keeps_only_what_was_sent(app, manager, smtp):
    round_id = make_round(app)
    smtp.accept_only = 1

    reply = upload(manager, round_id, ("\n".join(ADDRESSES) + "\n").encode())

    html = reply.get_data(as_text=True)
    assert reply.status_code == 503
    assert "stopte tijdens het versturen" in html
    assert "1 uitnodiging verstuurd. 2 uitnodigingen zijn niet verstuurd. Daarvoor is niets opgeslagen." in html
    assert [(c.email, c.code_hash) for c in stored_codes(app)] == [("ans@example.nl", hash_code(smtp.mails[0].code))]
    assert audit_details(app, "invitations_sent") == [
        f"ronde {round_id}: 1 uitnodiging per e-mail, 2 niet verstuurd (mailserver)"]

    smtp.accept_only = None  # the server is back: the same list again reaches only the other two
    assert upload(manager, round_id, ("\n".join(ADDRESSES) + "\n").encode()).status_code == 303
    assert [m.recipients[0] for m in smtp.mails] == ADDRESSES
    assert sorted(c.email for c in stored_codes(app)) == sorted(ADDRESSES)


def test_a_refused_address_is_reported_by_line_and_the_others_go(app, manager, smtp):
    round_id = make_round(app)
    smtp.refuse = {"bram@partner.example"}
    reply = upload(manager, round_id, ("\n".join(ADDRESSES) + "\n").encode())
    assert reply.status_code == 303
    page = manager.get(reply.headers["Location"]).get_data(as_text=True)
    assert "De mailserver weigerde 1 adres (regel 2); daarvoor is niets veranderd." in page
    assert sorted(c.email for c in stored_codes(app)) == ["ans@example.nl", "cor@school.example"]


class MarkingMailer:
    """Stands in for the SMTP connection: while the first reminder goes out, another code of the round
    is used (as a respondent submitting at that moment would)."""

    settings = MailSettings("localhost", 25, None, None, False, "waardering@sociaalteamhouten.nl")

    def __init__(self, code_id: int):
        self.code_id, self.sent = code_id, []

    def send(self, message):
        if not self.sent:
            db.session.execute(update(InvitationCode).where(InvitationCode.id == self.code_id).values(used=True))
        self.sent.append(message["To"])


def test_a_code_used_while_reminders_go_out_is_not_reminded(app):
    with app.app_context():
        round_ = open_round("partner")
        codes_for(round_, 2)
        first, second = db.session.scalars(select(InvitationCode).order_by(InvitationCode.id)).all()
        first.email, second.email = "ans@example.nl", "bram@example.nl"
        db.session.commit()
        mailer = MarkingMailer(second.id)

        report = send_reminders(round_, mailer, BASE_URL, periods.today())

        assert (report.sent, report.skipped, mailer.sent) == (1, 1, ["ans@example.nl"])
        assert [c.reminders_sent for c in db.session.scalars(select(InvitationCode).order_by(InvitationCode.id))] \
            == [1, 0]


def test_reminders_with_the_mail_server_down_keep_the_old_links_working(app, manager, smtp):
    round_id = make_round(app)
    upload(manager, round_id, b"ans@example.nl\n")
    code = smtp.mails[0].code
    smtp.accept_only = 1

    reply = remind(manager, round_id)

    assert reply.status_code == 503
    assert "0 herinneringen verstuurd. 1 herinnering is niet verstuurd. Daarvoor is niets veranderd: de links " \
           "in de eerdere e-mails werken nog." in reply.get_data(as_text=True)
    (stored,) = stored_codes(app)
    assert (stored.code_hash, stored.reminders_sent) == (hash_code(code), 0)
    assert respondent_status(app, code) == 200


def test_no_invitations_or_reminders_for_a_closed_round(app, manager, smtp):
    round_id = make_round(app, days_back=30, days_ahead=-1)
    assert upload(manager, round_id, b"ans@example.nl\n").status_code == 409
    assert remind(manager, round_id).status_code == 409
    assert smtp.mails == [] and stored_codes(app) == []


def test_reminders_without_anyone_to_remind_do_not_need_the_mail_server(app, manager):
    round_id = make_round(app)
    with app.app_context():
        codes_for(db.session.get(Round, round_id), 2)  # codes from letters: no address to remind
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # and no mail server
    reply = remind(manager, round_id)
    assert reply.status_code == 303
    assert "Er is geen herinnering verstuurd." in manager.get(reply.headers["Location"]).get_data(as_text=True)


# --- retention -------------------------------------------------------------------------------------------

def test_addresses_are_erased_only_for_rounds_that_have_closed(app):
    today = date(2026, 7, 10)
    with app.app_context():
        closed = create_round("partner", "2026-H1", opens_on=date(2026, 5, 1), closes_on=today - timedelta(days=1),
                              population=10)
        closing_today = create_round("gemeente", "2026-H1", opens_on=date(2026, 5, 1), closes_on=today,
                                     population=10)
        later = create_round("medewerker", "2026-H2", opens_on=today, closes_on=date(2026, 9, 1), population=50)
        rounds = {"closed": closed.id, "today": closing_today.id, "later": later.id}
        for name, round_ in (("closed", closed), ("today", closing_today), ("later", later)):
            codes_for(round_, 3)
            ids = db.session.scalars(select(InvitationCode.id).where(InvitationCode.round_id == round_.id)).all()
            for number, code_id in enumerate(ids[:2]):
                db.session.get(InvitationCode, code_id).email = f"{name}{number}@example.nl"
        db.session.commit()

        assert erase_closed_round_contacts(today) == 2
        assert erase_closed_round_contacts(today) == 0

        left = db.session.execute(select(InvitationCode.round_id, InvitationCode.email)).all()
    assert sorted(email for round_id, email in left if email) == \
        ["later0@example.nl", "later1@example.nl", "today0@example.nl", "today1@example.nl"]
    assert [email for round_id, email in left if round_id == rounds["closed"]] == [None, None, None]
    assert len(left) == 9  # the codes themselves stay; deleting them is the purge's job


# --- the cliënt letter's code stays out of the session cookie --------------------------------------------------

def session_contents(app, client) -> str:
    """The manager's session cookie as anyone holding it can read it: signed, not encrypted."""
    cookie = client.get_cookie("session")
    return json.dumps(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def sealed_code(app, client, letter_id: str) -> str:
    """The waiting letter's code, opened the one way there is: the database's sealed link with the session's key."""
    key, _made = json.loads(session_contents(app, client))["client_letters"][letter_id]
    with app.app_context():
        (letter,) = db.session.scalars(select(WaitingLetter)).all()
        (code,) = LINK.findall(Fernet(key.encode()).decrypt(letter.sealed_link).decode())
    return code


def places_holding(app, client, code: str) -> list[str]:
    """Where the plain code can be read: the decoded session cookie, or any column of any table."""
    found = ["session cookie"] if code in session_contents(app, client) else []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                found += [f"{table.name}.{column}" for column, value in row.items()
                          if code in (value.decode("latin-1") if isinstance(value, bytes) else str(value))]
    return found


def test_the_cliënt_letter_keeps_its_code_out_of_the_cookie_and_expires_after_ten_minutes(app, manager):
    made_at = datetime.now(UTC)
    with time_machine.travel(made_at, tick=False):
        made = post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})
    page_url = made.headers["Location"]
    letter_id = page_url.rsplit("/", 1)[1]
    code = sealed_code(app, manager, letter_id)
    assert [c.code_hash for c in stored_codes(app)] == [hash_code(code)]  # the code the letter would carry
    assert places_holding(app, manager, code) == []

    with time_machine.travel(made_at + timedelta(minutes=9, seconds=59), tick=False):
        assert manager.get(page_url).status_code == 200  # a reload within the ten minutes: still there
    with time_machine.travel(made_at + timedelta(minutes=10, seconds=1), tick=False):
        page = manager.get(page_url)
        assert page.status_code == 410 and "<h1>Deze brief is verlopen</h1>" in page.get_data(as_text=True)
        download = manager.get(f"{page_url}/pdf")
    assert download.status_code == 410 and download.mimetype == "text/html"
    html = download.get_data(as_text=True)
    assert "<h1>Deze brief is verlopen</h1>" in html
    assert "U kon de brief downloaden tot 10 minuten nadat de code was gemaakt. Die tijd is voorbij." in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WaitingLetter)) == 0
    assert json.loads(session_contents(app, manager))["client_letters"] == {}
    assert places_holding(app, manager, code) == []
    assert len(stored_codes(app)) == 1  # the code itself stays valid, as any unused code: only its hash


def waiting_letters(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WaitingLetter))


@pytest.mark.parametrize("sweep", ["purge", "run-due"])
def test_a_letter_never_downloaded_goes_after_its_ten_minutes(app, manager, sweep):
    """The purge deletes it, and so does every run of `run-due` (every five minutes), purge or not."""
    def sweep_now():
        if sweep == "purge":
            with app.app_context():
                retention.purge(periods.today())
        else:
            with app.app_context():
                assert due.run_due(periods.today(), BASE_URL) is not None  # it ran (the digest has no mail here)

    made_at = datetime.now(UTC)
    with time_machine.travel(made_at, tick=False):
        post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})
        post(manager, "/beheer/rondes/clientbrief", "/beheer/rondes", {})
    assert waiting_letters(app) == 2
    with time_machine.travel(made_at + timedelta(minutes=9), tick=False):
        sweep_now()
    assert waiting_letters(app) == 2
    with time_machine.travel(made_at + timedelta(minutes=10, seconds=1), tick=False):
        sweep_now()
    assert waiting_letters(app) == 0

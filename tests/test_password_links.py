"""Passwords chosen through a one-time, expiring e-mail link (DESIGN.md section 11): the first password of a
new account, so nobody but its owner knows it, and a forgotten one. Each link works once, for a few hours,
only for an active account, and ends every session the account had."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, User
from surveys.services.users import create_user, set_active

from .test_admin import PASSWORD, log_in, post_form, token

NEW_PASSWORD = "fiets lamp regen appel"
LINK_PATH = re.compile(r"http://127\.0\.0\.1:5000(/beheer/wachtwoord-instellen/[A-Za-z0-9._-]+)")


@pytest.fixture
def manager(app):
    with app.app_context():
        create_user("manager@example.nl", PASSWORD, "manager")
        create_user("beheerder@example.nl", PASSWORD, "beheerder")
        db.session.remove()


def ask_for_link(client, email: str):
    return post_form(client, "/beheer/wachtwoord-vergeten", "/beheer/wachtwoord-vergeten", {"email": email})


def choose(client, path: str, password: str = NEW_PASSWORD, repeat: str | None = None):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"new": password, "repeat": password if repeat is None else repeat,
                                   "csrf_token": token(page.get_data(as_text=True))})


def link_in(mail) -> str:
    (path,) = LINK_PATH.findall(mail.text)
    return path


def events(app, *actions) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))]


def test_a_forgotten_password_is_reset_through_a_link_that_works_once(app, client, manager, smtp):
    other_browser = app.test_client()
    assert log_in(other_browser, "manager@example.nl").status_code == 303
    page = ask_for_link(client, " Manager@Example.nl ")
    assert page.status_code == 200
    assert "Als er een account is voor manager@example.nl, krijgt u binnen een paar minuten een mail" \
        in page.get_data(as_text=True)
    (mail,) = smtp.mails
    assert mail.recipients == ["manager@example.nl"] and mail.message["Subject"] == "Nieuw wachtwoord kiezen"
    assert "De link werkt één keer, en 2 uur lang." in mail.text
    path = link_in(mail)

    form = client.get(path)
    assert form.status_code == 200 and "Voor het account manager@example.nl." in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store" and form.headers["Referrer-Policy"] == "no-referrer"
    chosen = choose(client, path)
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/beheer/inloggen"
    assert "Uw wachtwoord is ingesteld. U kunt nu inloggen." in client.get("/beheer/inloggen").get_data(as_text=True)

    # The link a second time (the same browser, or whoever else read the mail): refused, nothing changes.
    again = client.get(path)
    assert again.status_code == 410
    assert "Deze link is al gebruikt of werkt niet meer; vraag een nieuwe link aan." in again.get_data(as_text=True)
    form_token = token(client.get("/beheer/inloggen").get_data(as_text=True))
    assert client.post(path, data={"new": "een ander lang wachtwoord", "repeat": "een ander lang wachtwoord",
                                   "csrf_token": form_token}).status_code == 410
    assert log_in(client, "manager@example.nl", PASSWORD).status_code == 401
    assert log_in(client, "manager@example.nl", NEW_PASSWORD).status_code == 303
    # The session a thief may hold from before the reset has ended.
    assert other_browser.get("/beheer/").status_code == 302
    assert events(app, "password_link_sent", "password_reset_by_link") == [
        ("password_link_sent", "manager@example.nl"), ("password_reset_by_link", "manager@example.nl")]


def test_the_forgot_page_says_the_same_for_unknown_and_deactivated_addresses_and_mails_nobody(
        app, client, manager, smtp):
    with app.app_context():
        set_active(db.session.scalar(select(User).filter_by(email="manager@example.nl")), False, actor="test")
    for address in ("niemand@example.nl", "manager@example.nl"):
        page = ask_for_link(client, address)
        assert page.status_code == 200
        assert f"Als er een account is voor {address}, krijgt u binnen een paar minuten een mail" \
            in page.get_data(as_text=True)
    assert smtp.mails == []
    refused = ask_for_link(client, "geen adres")
    assert refused.status_code == 400
    assert "Vul een geldig e-mailadres in, zoals naam@example.nl." in refused.get_data(as_text=True)


def test_a_link_expires_and_one_that_was_changed_or_belongs_to_a_deactivated_account_does_not_work(
        app, client, manager, smtp):
    with app.app_context():
        create_user("lezer@example.nl", PASSWORD, "lezer")
    ask_for_link(client, "manager@example.nl")
    ask_for_link(client, "lezer@example.nl")
    manager_link, lezer_link = (link_in(mail) for mail in smtp.mails)
    with time_machine.travel(timedelta(hours=2, minutes=1)):
        late = client.get(manager_link)
    assert late.status_code == 410
    assert "Deze link is verlopen; vraag een nieuwe link aan." in late.get_data(as_text=True)
    tampered = manager_link[:-3] + ("aaa" if not manager_link.endswith("aaa") else "bbb")
    assert "Deze link klopt niet" in client.get(tampered).get_data(as_text=True)
    with app.app_context():
        set_active(db.session.scalar(select(User).filter_by(email="lezer@example.nl")), False, actor="test")
    assert client.get(lezer_link).status_code == 410
    assert log_in(client, "manager@example.nl", PASSWORD).status_code == 303  # nothing changed


def test_a_weak_password_through_the_link_is_refused_next_to_its_field_and_the_link_keeps_working(
        app, client, manager, smtp):
    ask_for_link(client, "manager@example.nl")
    path = link_in(smtp.mails[0])
    for password, message in (("elf tekens!", "Het wachtwoord moet minstens 12 tekens lang zijn."),
                              ("wachtwoord1234", "Dit wachtwoord is te makkelijk te raden")):
        refused = choose(client, path, password)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    differing = choose(client, path, NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert "De twee nieuwe wachtwoorden zijn niet gelijk." in differing.get_data(as_text=True)
    assert choose(client, path).status_code == 303


def test_create_user_prints_a_link_and_nobody_but_the_owner_knows_the_password(app, client):
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["create-user", "nieuw@example.nl", "--role", "beheerder"],
                                              input="een wachtwoord dat niemand hoort te lezen\n")
    assert output.exit_code == 0, output.output
    lines = output.output.splitlines()
    assert lines[:2] == ["account nieuw@example.nl (beheerder) created", "choose the password within 72 hours at:"]
    (path,) = LINK_PATH.findall(lines[2])
    # The account has no password until its owner follows the link: no password at all logs in.
    for guess in ("", "een wachtwoord dat niemand hoort te lezen", "!"):
        assert log_in(client, "nieuw@example.nl", guess).status_code in (400, 401)
    assert choose(client, path).status_code == 303
    assert log_in(client, "nieuw@example.nl", NEW_PASSWORD).status_code == 303
    assert client.get(path).status_code == 410
    assert events(app, "password_set_by_link") == [("password_set_by_link", "nieuw@example.nl")]


def test_create_user_mails_the_link_with_mail(app, client, smtp):
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["create-user", "nieuw@example.nl", "--role", "lezer", "--mail"])
    assert output.exit_code == 0, output.output
    assert output.output.splitlines()[-1] == "a link to choose the password was mailed to nieuw@example.nl"
    assert "wachtwoord-instellen" not in output.output
    (mail,) = smtp.mails
    assert mail.message["Subject"] == "Kies uw wachtwoord" and "De link werkt één keer, en 72 uur lang." in mail.text
    assert choose(client, link_in(mail)).status_code == 303


def test_a_beheerder_sends_a_new_link_and_the_old_password_still_works_until_it_is_used(app, client, manager, smtp):
    assert log_in(client, "beheerder@example.nl").status_code == 303
    with app.app_context():
        manager_id = db.session.scalar(select(User.id).filter_by(email="manager@example.nl"))
    sent = post_form(client, "/beheer/gebruikers", f"/beheer/gebruikers/{manager_id}/link", {})
    assert sent.status_code == 303
    assert ("manager@example.nl krijgt een mail met een link om een wachtwoord te kiezen. De link werkt één keer, "
            "2 uur lang.") in client.get("/beheer/gebruikers").get_data(as_text=True)
    (mail,) = smtp.mails
    other = app.test_client()
    assert log_in(other, "manager@example.nl", PASSWORD).status_code == 303
    assert choose(app.test_client(), link_in(mail)).status_code == 303
    assert log_in(app.test_client(), "manager@example.nl", PASSWORD).status_code == 401


def test_without_password_login_there_are_no_password_links(app, client, manager):
    app.config["PASSWORD_LOGIN"] = False
    assert client.get("/beheer/wachtwoord-vergeten").status_code == 404
    assert client.get("/beheer/wachtwoord-instellen/iets").status_code == 404

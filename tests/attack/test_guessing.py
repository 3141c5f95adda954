"""Guessing: invitation codes and API tokens cannot be enumerated, and passwords cannot be tried at
length, because the rate limits hold on a real server (DESIGN.md sections 4 and 10).

The server runs with the limits on and small, and one worker: SURVEYS_RATELIMIT_STORAGE_URI is memory://
here, which counts per worker process (with several workers or machines, production points it at redis,
see README.md), so one worker makes the counts exact. The attackers come from different loopback addresses
(127.0.0.2, 127.0.0.3, …), which the server sees as different clients without trusting any header.

Unknown and used codes: both get a 4xx page and neither shows anything of the round or questionnaire,
but they do not look the same: "deze link werkt niet" (404) and "deze link is al gebruikt" (410). That
is deliberate. The respondent who filled in the form and opens the letter's link again deserves to hear
that the answers arrived. An attacker learns nothing useful from it: a code has 136 random bits, so the
only codes that can ever answer "used" are codes the attacker already holds (a stolen letter), and the
limit below stops any search for others long before one could be found."""

import secrets

import httpx
import pytest

from surveys.extensions import db
from surveys.services.tokens import create_token
from surveys.services.users import create_user

from ..conftest import make_app
from ..helpers import GOOD_ANSWERS, codes_for, open_round
from ..server import gunicorn_server
from .common import clear_message, csrf_token, log_in, report
from .conftest import close, prepared_app

pytestmark = [pytest.mark.attack, pytest.mark.server]

PASSWORD = "een lang wachtwoord"
LIMITS = {"SURVEYS_RATELIMIT_ENABLED": "true", "SURVEYS_CODE_LIMIT": "10 per minute",
          "SURVEYS_API_LIMIT": "5 per minute", "SURVEYS_LOGIN_LIMIT": "6 per 10 minutes",
          "SURVEYS_LOGIN_ACCOUNT_LIMIT": "3 per 15 minutes"}
GUESSES = 40


@pytest.fixture(scope="module")
def site(module_database_url):
    app = prepared_app(module_database_url)
    with app.app_context():
        codes = codes_for(open_round("partner"), 2)
        for number in range(12):
            create_user(f"medewerker{number}@example.nl", PASSWORD, "lezer")
        create_user("manager@example.nl", PASSWORD, "manager")
        token = create_token("monitor")
        db.session.remove()
        db.engine.dispose()
    with gunicorn_server(module_database_url, workers=1, env=LIMITS) as server:
        yield server.url, codes, token
    close(app)


def from_address(base: str, last_byte: int) -> httpx.Client:
    """A browser on another loopback address: the server sees it as another client."""
    return httpx.Client(base_url=base, timeout=60,
                        transport=httpx.HTTPTransport(local_address=f"127.0.0.{last_byte}"))


def test_guessing_codes_meets_the_limit_and_used_and_unknown_codes_show_nothing(site, module_database_url):
    base, (code, other_code), _ = site
    with from_address(base, 2) as attacker:
        replies = [attacker.get(f"/r/{secrets.token_urlsafe(17)}") for _ in range(GUESSES)]
        # A forged X-Forwarded-For does not make a new client: no proxy is trusted (SURVEYS_TRUSTED_PROXIES=0).
        spoofed = attacker.get(f"/r/{other_code}", headers={"X-Forwarded-For": "203.0.113.7"})
    statuses = [reply.status_code for reply in replies]
    with from_address(base, 3) as respondent:
        page = respondent.get(f"/r/{code}")
        sent = respondent.post(f"/r/{code}", data={**GOOD_ANSWERS["partner"], "csrf_token": csrf_token(page.text)})
        used = respondent.get(f"/r/{code}")
        unknown = respondent.get(f"/r/{secrets.token_urlsafe(17)}")
    report("guessing codes", module_database_url, guesses=GUESSES,
           statuses={s: statuses.count(s) for s in set(statuses)},
           spoofed_address=spoofed.status_code, real_respondent=[page.status_code, sent.status_code],
           used_code=used.status_code, unknown_code=unknown.status_code)
    assert statuses == [404] * 10 + [429] * (GUESSES - 10)
    assert "Even wachten" in replies[-1].text and clear_message(replies[-1])
    assert spoofed.status_code == 429
    assert (page.status_code, sent.status_code) == (200, 303), "another address is not held up by the attacker"
    assert (used.status_code, unknown.status_code) == (410, 404)
    assert "Deze link is al gebruikt" in used.text and "Deze link werkt niet" in unknown.text
    for reply in (used, unknown):
        clear_message(reply)
        for word in ("partner", "Partner", "samenwerking", "meetronde 1", "csrf_token"):
            assert word not in reply.text, f"a code page tells {word!r}"


def test_guessing_api_tokens_gets_401_then_429(site, module_database_url):
    base, _, token = site
    with from_address(base, 4) as attacker:
        replies = [attacker.get("/api/v1/kpis?period=2026-H1", headers={"Authorization": f"Bearer svy_{guess}"})
                   for guess in (secrets.token_urlsafe(32) for _ in range(15))]
        with_the_right_token = attacker.get("/api/v1/kpis?period=2026-H1", headers={"Authorization": f"Bearer {token}"})
    with from_address(base, 5) as monitor:
        honest = monitor.get("/api/v1/kpis?period=2026-H1", headers={"Authorization": f"Bearer {token}"})
    statuses = [reply.status_code for reply in replies]
    report("guessing API tokens", module_database_url, guesses=len(replies),
           statuses={s: statuses.count(s) for s in set(statuses)},
           right_token_same_address=with_the_right_token.status_code,
           right_token_other_address=honest.status_code)
    assert statuses == [401] * 5 + [429] * 10
    assert all(reply.json()["detail"] for reply in replies[:5])
    assert all(reply.headers["Content-Type"] == "application/problem+json"
               and reply.json()["detail"].startswith("too many")
               for reply in replies[5:]), "the API answers with a problem (RFC 9457), also when it limits"
    assert replies[0].headers["WWW-Authenticate"] == 'Bearer realm="surveys"'
    assert with_the_right_token.status_code == 429, "once limited, an address is limited whatever it sends"
    assert honest.status_code == 200


def test_wrong_passwords_hold_up_the_guesser_but_never_lock_out_the_owner(site, module_database_url):
    base, _, _ = site
    # Three wrong passwords for one account from one address, spelled three ways, then a fourth try …
    spellings = ("manager@example.nl", "Manager@Example.nl", " MANAGER@example.nl ")
    with from_address(base, 10) as attacker:
        statuses = [log_in(attacker, spelling, "raden maar").status_code for spelling in spellings]
        blocked = log_in(attacker, "manager@example.nl", "nog eens raden")
        # … while the same address may still try another account (up to the limit per address).
        other_account = log_in(attacker, "medewerker0@example.nl", PASSWORD)
    # The owner, at their own desk, logs in at once: the attacker's failures cannot lock them out.
    with from_address(base, 14) as owner:
        owner_reply = log_in(owner, "manager@example.nl", PASSWORD)
    report("login per account and address", module_database_url, wrong_passwords=statuses,
           fourth_try=blocked.status_code, owner=owner_reply.status_code, other_account=other_account.status_code)
    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429 and "Even wachten" in blocked.text
    assert "Probeer het over 15 minuten opnieuw." in blocked.text
    assert 890 < int(blocked.headers["Retry-After"]) <= 900
    assert owner_reply.status_code == 303
    assert other_account.status_code == 303


def test_failed_logins_are_limited_per_address_across_accounts(site, module_database_url):
    base, _, _ = site
    with from_address(base, 20) as attacker:
        # One wrong password for each of eight accounts: under every account's limit, over the address's.
        statuses = [log_in(attacker, f"medewerker{number}@example.nl", "raden maar").status_code
                    for number in range(1, 9)]
    with from_address(base, 21) as colleague:
        elsewhere = log_in(colleague, "medewerker9@example.nl", PASSWORD)
    report("login per address", module_database_url, statuses=statuses, other_address=elsewhere.status_code)
    assert statuses == [401] * 6 + [429] * 2
    assert elsewhere.status_code == 303


def test_behind_a_trusted_proxy_the_limit_counts_the_address_the_proxy_saw(database_url):
    """SURVEYS_TRUSTED_PROXIES=1 (one nginx in front): the limits count the client address the proxy put
    last in X-Forwarded-For, not the proxy's own, and not what the client wrote there itself."""
    app = make_app(database_url, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1, CODE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()

    def guess(forwarded_for: str) -> int:
        return client.get(f"/r/{secrets.token_urlsafe(17)}", headers={"X-Forwarded-For": forwarded_for}).status_code

    first = [guess(f"198.51.100.{n}, 192.0.2.1") for n in range(5)]  # the client's own entries differ
    second = [guess("192.0.2.2") for _ in range(2)]
    report("trusted proxy", database_url, first_client=first, second_client=second)
    assert first == [404, 404, 404, 429, 429]
    assert second == [404, 404]
    close(app)

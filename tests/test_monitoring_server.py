"""No code, e-mail address or answer reaches the server's log or /metrics (DESIGN.md sections 6 and 7), told as
a day on a real gunicorn server with two workers: respondents answer through code links and e-mailed
invitations, someone tries wrong and used codes, a form comes back with an error, paper forms are imported,
the mail server goes down. /metrics then shows exactly what happened, added up over both workers, and keeps
the counts of a worker that was killed."""

import csv
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from surveys.extensions import db
from surveys.services.users import create_user

from .attack.common import csrf_token, log_in
from .attack.conftest import close, prepared_app
from .helpers import GOOD_ANSWERS, open_round
from .mailbox import LINK, Collector
from .server import ROOT, SERVER_SECRET, free_port, gunicorn_server
from .test_monitoring import samples, value

pytestmark = pytest.mark.server

PASSWORD = "een lang wachtwoord"
HEALTH_CHECKS = 60


def answer(base: str, code: str, answers: dict) -> httpx.Response:
    """A respondent opens the link and sends the form (with the page's CSRF token, in their own session)."""
    with httpx.Client(base_url=base, timeout=30) as respondent:
        page = respondent.get(f"/r/{code}")
        assert page.status_code == 200, page.status_code
        return respondent.post(f"/r/{code}", data={**answers, "csrf_token": csrf_token(page.text)})


def metrics_dir_files(directory: Path) -> dict[str, set[int]]:
    """The kind of each file prometheus-client keeps (counter, histogram, gauge_livesum) → the pids that wrote one."""
    found: dict[str, set[int]] = {}
    for path in directory.glob("*.db"):
        kind, pid = path.stem.rsplit("_", 1)
        found.setdefault(kind, set()).add(int(pid))
    return found


def test_no_code_address_or_answer_reaches_the_log_or_the_metrics(database_url, tmp_path):
    marker = f"kenmerk-{secrets.token_hex(6)}"  # in every free-text answer of the day
    addresses = [f"ans.{secrets.token_hex(3)}@example.nl", f"bram.{secrets.token_hex(3)}@partner.example"]
    app = prepared_app(database_url)
    with app.app_context():
        client_round, partner_round = open_round("client").id, open_round("partner").id
        create_user("manager@example.nl", PASSWORD, "manager")
        db.session.remove()
        db.engine.dispose()
    links = tmp_path / "links.csv"
    invited = app.test_cli_runner().invoke(args=["invite", str(client_round), "--count", "2", "--out", str(links)])
    assert invited.exit_code == 0, invited.output
    link_codes = [row["code"] for row in csv.DictReader(links.open(encoding="utf-8"))]
    close(app)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # A file of a previous run, which would add 5 responses to today's if gunicorn did not empty the directory.
    stale = MmapedDict(str(metrics_dir / "counter_1.db"))
    key = mmap_key("surveys_responses_stored", "surveys_responses_stored_total", ["questionnaire", "channel"],
                   ["client", "code"], "Responses stored in an earlier run.")
    stale.write_value(key, 5.0, 0.0)
    stale.close()
    collector = Collector()
    smtp = Controller(collector, hostname="127.0.0.1", port=free_port())
    smtp.start()
    smtp_running = True
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "SURVEYS_SMTP_HOST": "127.0.0.1",
           "SURVEYS_SMTP_PORT": str(smtp.port)}
    scraped = []
    try:
        with gunicorn_server(database_url, workers=2, env=env) as server:
            base = server.url
            # A cliënt answers through a code link, with a free text.
            client_answers = {**GOOD_ANSWERS["client"], "C10": f"Fijn geholpen {marker}"}
            assert answer(base, link_codes[0], client_answers).status_code == 303
            # A manager invites two partners by e-mail; the first answers.
            manager = httpx.Client(base_url=base, timeout=30)
            assert log_in(manager, "manager@example.nl", PASSWORD).status_code == 303
            page = manager.get(f"/beheer/rondes/{partner_round}")
            sent = manager.post(f"/beheer/rondes/{partner_round}/uitnodigingen",
                                data={"csrf_token": csrf_token(page.text)},
                                files={"addresses": ("adressen.txt", "\n".join(addresses).encode())})
            assert sent.status_code == 303, sent.text[:500]
            assert sorted(r for mail in collector.mails for r in mail.recipients) == sorted(addresses)
            mailed = {mail.recipients[0]: LINK.search(mail.text).group(1) for mail in collector.mails}
            partner_answers = {**GOOD_ANSWERS["partner"], "P8": f"Goed overleg {marker}"}
            assert answer(base, mailed[addresses[0]], partner_answers).status_code == 303
            # The second link code comes back with an error (a grade of 11) and its free text.
            wrong_answers = {**client_answers, "C1": "11"}
            assert answer(base, link_codes[1], wrong_answers).status_code == 422
            # Somebody tries a used code and two made-up ones.
            wrong_codes = [secrets.token_urlsafe(17), secrets.token_urlsafe(17)]
            assert httpx.get(f"{base}/r/{link_codes[0]}").status_code == 410
            assert [httpx.get(f"{base}/r/{code}").status_code for code in wrong_codes] == [404, 404]
            # The mail server goes down while the manager sends reminders: one log line, with nginx's request id.
            smtp.stop()
            smtp_running = False
            request_id = secrets.token_hex(16)
            page = manager.get(f"/beheer/rondes/{partner_round}")
            reminded = manager.post(f"/beheer/rondes/{partner_round}/herinneringen",
                                    data={"csrf_token": csrf_token(page.text)}, headers={"X-Request-ID": request_id})
            assert reminded.status_code == 503 and reminded.headers["X-Request-ID"] == request_id
            manager.close()
            # Paper forms are imported from the command line, which shares the server's environment.
            paper = tmp_path / "papier.csv"
            paper.write_text("date,C1,C2,C3,C4,C5,C6,C7,C8,C9,C10,respondent_role,help_from\n"
                             f"{time.strftime('%Y-%m-%d')},8,7,nvt,ja,5,4,weet_niet,3,2,Papier {marker},,\n",
                             encoding="utf-8")
            imported = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "surveys", "import-responses", "client", str(paper)],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
                env={**os.environ, **env, "SURVEYS_DATABASE_URL": database_url,
                     "SURVEYS_SECRET_KEY": SERVER_SECRET})
            assert (imported.returncode, imported.stdout) == (0, "1 responses imported for client\n"), imported.stderr
            # Enough health checks at once that both workers answer some.
            with ThreadPoolExecutor(6) as pool:
                checks = list(pool.map(lambda _: httpx.get(f"{base}/healthz", timeout=30).status_code,
                                       range(HEALTH_CHECKS)))
            assert checks == [200] * HEALTH_CHECKS
            workers = server.worker_pids()
            assert len(workers) == 2
            assert set(workers) <= metrics_dir_files(metrics_dir)["counter"], "both workers counted requests"
            # and nobody else wrote there: not the master, not the import command
            assert set().union(*metrics_dir_files(metrics_dir).values()) == set(workers)

            def scrape() -> dict:
                reply = httpx.get(f"{base}/metrics", timeout=30)
                assert reply.status_code == 200
                scraped.append(reply.text)
                return samples(reply.text)

            before = scrape()
            # A worker dies; its counts stay, its requests in progress go (gunicorn's child_exit hook).
            os.kill(workers[0], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while workers[0] in server.worker_pids() or len(server.worker_pids()) < 2:
                assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
                time.sleep(0.1)
            files = metrics_dir_files(metrics_dir)
            assert workers[0] not in files["gauge_livesum"] and workers[0] in files["counter"]
            after = scrape()
            log = server.log.read_text(errors="replace")
            from_outside = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "192.0.2.7"})
    finally:
        if smtp_running:
            smtp.stop()

    assert from_outside.status_code == 403
    # The app's one log line of the day carries nginx's request id, and says what failed without whom.
    assert re.search(rf"\[WARNING\] \[{request_id}\] surveys: reminders for round {partner_round}: mail server "
                     r"unavailable", log), log[-3000:]
    secrets_of_the_day = {"link codes": link_codes, "mailed codes": list(mailed.values()),
                          "wrong codes": wrong_codes, "addresses": addresses, "answers": [marker]}
    for where, text in {"server log": log, "metrics": "\n".join(scraped),
                        "import output": imported.stdout + imported.stderr}.items():
        for what, values in secrets_of_the_day.items():
            assert not [v for v in values if v in text], f"{what} in the {where}"

    for found in (before, after):
        requests = {(labels["endpoint"], labels["method"], labels["status"]): count
                    for (name, frozen), count in found.items() if name == "surveys_http_requests_total"
                    for labels in [dict(frozen)] if labels["endpoint"] not in ("metrics", "health.healthz")}
        assert requests == {
            ("respond.by_code", "GET", "2xx"): 3, ("respond.by_code", "POST", "3xx"): 2,
            ("respond.by_code", "POST", "4xx"): 1, ("respond.by_code", "GET", "4xx"): 3,
            ("auth.login", "GET", "2xx"): 1, ("auth.login", "POST", "3xx"): 1,
            ("manage.round_page", "GET", "2xx"): 2, ("manage.round_invite", "POST", "3xx"): 1,
            ("manage.round_remind", "POST", "5xx"): 1,
        }  # and no respond.thanks: httpx follows no redirect
        # gunicorn_server waited for one 200 from /healthz before the test began
        assert value(found, "surveys_http_requests_total", endpoint="health.healthz", method="GET",
                     status="2xx") == HEALTH_CHECKS + 1
        assert value(found, "surveys_http_request_duration_seconds_count", endpoint="respond.by_code") == 9
        assert value(found, "surveys_responses_stored_total", questionnaire="client", channel="code") == 1
        assert value(found, "surveys_responses_stored_total", questionnaire="partner", channel="code") == 1
        assert value(found, "surveys_http_unavailable_total", endpoint="manage.round_remind") == 1
        assert value(found, "surveys_http_requests_in_progress", endpoint="metrics") == 1  # the scrape itself
        # None in progress. After the kill, the zero has a sample only when a surviving worker also answered a
        # code request (which worker gets which request is the kernel's choice); a missing one reads as none.
        in_progress = value(found, "surveys_http_requests_in_progress", endpoint="respond.by_code")
        assert in_progress == 0 if found is before else in_progress in (0, None)
    assert value(before, "surveys_http_requests_total", endpoint="metrics", method="GET", status="2xx") is None
    assert value(after, "surveys_http_requests_total", endpoint="metrics", method="GET", status="2xx") == 1

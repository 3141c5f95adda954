"""`run-due`: the jobs that happen by date (reminders, publication, retention), for cron, a systemd timer or a
CronJob."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import periods
from ..services.due import LEASE, run_due


@click.command("run-due")
@with_appcontext
def run_due_command():
    """Send due reminders, publish the periods that are due and purge what the retention settings say; safe to
    run every few minutes from several machines (one run works at a time; the others say so and stop)."""
    report = run_due(periods.today(), current_app.config["BASE_URL"])
    if report is None:
        click.echo(f"another run-due is busy (it holds the lease for at most {int(LEASE.total_seconds() // 60)} "
                   "minutes); nothing done")
        return
    click.echo(report.summary())
    if report.failures:
        raise SystemExit(1)  # cron and systemd show the run as failed, so someone looks


COMMANDS = (run_due_command,)

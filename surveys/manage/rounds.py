"""Meetrondes: open a round, make its codes as a CSV of links or as printable letters, invite by e-mail
and send reminders, and give a closing cliënt a code with its letter in two clicks.

Plain codes are never stored, so every form that makes codes answers with the file itself; the one cliënt
code waits, sealed, until its letter is downloaded (see letters.LETTER_MINUTES)."""


import time

from flask import Response, abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError

from .. import periods
from ..auth import role_required
from ..periods import half_year_of
from ..services import audit, due, invitations, letters, mail, planner
from ..services import questionnaires as questionnaire_service
from ..services.questionnaires import current_version, definition_of
from ..services.rounds import RoundError, close_round, create_round, delete_round, get_round, update_round
from . import bp
from .admin import local_time

QUESTIONNAIRE_LABELS = {
    "client": "Cliënten (na afsluiting)",
    "partner": "Partners",
    "gemeente": "Gemeente",
    "medewerker": "Medewerkers (huis op orde)",
}
DOWNLOAD_KINDS = {"pdf": "Brieven om te printen (PDF)", "csv": "Links in een CSV-bestand"}
# Which form field a RoundError from create_round is about.
ROUND_FIELDS = {"questionnaire": "questionnaire", "period": "period", "dates": "closes_on",
                "population": "population", "count": "count"}


def _not_filled_in(field) -> None:
    """Blanks only: the field counts as not sent, so InputRequired refuses it (it looks at the raw text, and
    " " is text) and Optional skips it. Without this a blank date reached create_round as None."""
    field.data = None
    field.raw_data = []


class _DutchParseMessage:
    """A blank value counts as not filled in; an unreadable one gets `parse_message` in Dutch."""

    parse_message: str

    def process_formdata(self, valuelist):
        if valuelist and not valuelist[0].strip():
            _not_filled_in(self)
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.parse_message) from None


class DutchDateField(_DutchParseMessage, DateField):
    """A date as yyyy-mm-dd (what <input type=date> sends); empty is left to InputRequired."""

    parse_message = "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-01-31."


class DutchIntegerField(_DutchParseMessage, IntegerField):
    parse_message = "Vul een heel getal in, bijvoorbeeld 40."


def questionnaire_labels() -> dict[str, str]:
    """Every questionnaire respondents can get, by key: the shipped ones with their own label, the others
    (made in the editor) with their title."""
    labels = {}
    for key in questionnaire_service.known_keys():
        served = questionnaire_service.current(key)
        if served is not None:
            labels[key] = QUESTIONNAIRE_LABELS.get(key) or f"{served.title.nl} ({key})"
    return labels


def _known_questionnaire(form, field) -> None:
    if field.data not in questionnaire_labels():
        raise ValidationError("Kies een vragenlijst uit de lijst.")


class RoundForm(FlaskForm):
    # A <select> on the page. Checked here too: the loader's message for an unknown key is English.
    questionnaire = StringField("Vragenlijst", validators=[
        InputRequired("Kies een vragenlijst."),
        _known_questionnaire])
    period = StringField("Periode", validators=[InputRequired("Vul een periode in, bijvoorbeeld 2026-H1.")])
    opens_on = DutchDateField("Eerste dag", validators=[InputRequired("Vul de eerste dag in.")])
    closes_on = DutchDateField("Laatste dag", validators=[InputRequired("Vul de laatste dag in.")])
    population = DutchIntegerField("Populatie (aantal uitgenodigden)", validators=[Optional()])


class EditRoundForm(FlaskForm):
    opens_on = DutchDateField("Eerste dag", validators=[InputRequired("Vul de eerste dag in.")])
    closes_on = DutchDateField("Laatste dag", validators=[InputRequired("Vul de laatste dag in.")])
    population = DutchIntegerField("Populatie (aantal uitgenodigden)", validators=[Optional()])


class CodesForm(FlaskForm):
    count = DutchIntegerField("Aantal codes", validators=[InputRequired("Vul in hoeveel codes u wilt maken.")])
    # Radio buttons on the page (DOWNLOAD_KINDS); a plain field, so the check and its message are ours.
    kind = StringField("Soort download", default="pdf",
                       validators=[InputRequired("Kies brieven of links."),
                                   AnyOf(list(DOWNLOAD_KINDS), message="Kies brieven of links.")])


class AddressesForm(FlaskForm):
    addresses = FileField("Bestand met e-mailadressen",
                          validators=[FileRequired("Kies een bestand met e-mailadressen.")])


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # the body holds codes: no copy in any cache
    return response


@bp.route("/rondes", methods=["GET", "POST"])
@role_required("manager")
def rounds():
    """All rounds with their codes and response, the cliënt-letter button, and a form for a new round."""
    today = periods.today()
    period = half_year_of(today)
    form = RoundForm(data={"period": str(period), "opens_on": today, "closes_on": period.end})
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                round_ = create_round(form.questionnaire.data, form.period.data, opens_on=form.opens_on.data,
                                      closes_on=form.closes_on.data, population=form.population.data)
            except RoundError as error:
                getattr(form, ROUND_FIELDS.get(error.field, "questionnaire")).errors.append(_sentence(str(error)))
            else:
                flash(f"Meetronde {round_.id} is gemaakt.")
                return redirect(url_for("manage.round_page", round_id=round_.id), code=303)
        status = 400
    return render_template("manage/rounds.html", stats=invitations.round_stats(), form=form,
                           labels=questionnaire_labels(), today=today), status


# The cliënt letter is POST-redirect-GET: the POST makes the code, the page it redirects to offers the letter
# once. The code's link waits in the database encrypted (letters.seal_letter), with the key in the manager's
# own session cookie: that cookie is signed, not encrypted, so it must not hold the code itself. After the
# download or LETTER_MINUTES both are gone; the letter is drawn from the link at the download.
LETTER_MINUTES = letters.LETTER_MINUTES
WAITING_LETTERS = "client_letters"  # session key: {letter id: [key, made at (epoch seconds)]}


def _waiting_letters() -> dict[str, list]:
    """The letters of this session: those waiting, and those that expired within the last hour (so their
    page can say they expired rather than that they are unknown). Older ones are dropped."""
    now = time.time()
    waiting = {letter_id: entry for letter_id, entry in session.get(WAITING_LETTERS, {}).items()
               if isinstance(entry, list) and len(entry) == 2 and now - entry[1] < 3600}
    session[WAITING_LETTERS] = waiting
    return waiting


def _letter_page(letter_id: str, round_id: int | None, status: int):
    return render_template("manage/client_letter.html", letter_id=letter_id, round_id=round_id,
                           expired=status == 410, minutes=LETTER_MINUTES), status


@bp.route("/rondes/clientbrief", methods=["POST"])
@role_required("manager")
def client_letter():
    """One cliënt code in the cliënt round open today (opened if there is none); then on to its letter."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        round_id, url = letters.client_code(periods.today(), _base_url())
    except RoundError as error:  # this half-year's cliënt round was closed early: no second one
        abort(409, _sentence(str(error)))
    audit.record("export", actor=current_user.email, detail=f"cliëntbrief: 1 code in ronde {round_id}")
    letter_id, key = letters.seal_letter(round_id, url)
    _waiting_letters()[letter_id] = [key, time.time()]
    session.modified = True
    return redirect(url_for("manage.client_letter_page", letter_id=letter_id), code=303)


@bp.route("/rondes/clientbrief/<letter_id>")
@role_required("manager")
def client_letter_page(letter_id: str):
    """The page that offers the letter just made; a reload shows it again and makes no new code."""
    entry = _waiting_letters().get(letter_id)
    if entry is None:
        return _letter_page(letter_id, None, 404)
    try:
        round_id = letters.letter_waiting(letter_id)
    except letters.LetterExpired:
        return _letter_page(letter_id, None, 410)
    if round_id is None:  # downloaded, or gone with the purge after its time
        return _letter_page(letter_id, None, 410 if time.time() - entry[1] >= LETTER_MINUTES * 60 else 404)
    return _letter_page(letter_id, round_id, 200)


@bp.route("/rondes/clientbrief/<letter_id>/pdf")
@role_required("manager")
def client_letter_pdf(letter_id: str):
    """The letter as a download, once: after it the code is gone, from the database and the session."""
    entry = _waiting_letters().pop(letter_id, None)
    session.modified = True
    if entry is None:
        return _letter_page(letter_id, None, 404)
    try:
        opened = letters.open_letter(letter_id, entry[0])
    except letters.LetterExpired:
        return _letter_page(letter_id, None, 410)
    if opened is None:
        return _letter_page(letter_id, None, 410 if time.time() - entry[1] >= LETTER_MINUTES * 60 else 404)
    round_id, url = opened
    pdf = letters.letter_for_code(_round_or_404(round_id), url, periods.today())
    return _download(pdf, "application/pdf", f"clientbrief-ronde-{round_id}.pdf")


def _round_or_404(round_id: int):
    round_ = get_round(round_id)
    if round_ is None:
        abort(404)
    return round_


def _round_page(round_id: int, status: int = 200, *, codes_form=None, addresses_form=None,
                problems=None, error=None, edit_form=None):
    (stats,) = invitations.round_stats(round_id) or abort(404)
    return render_template(
        "manage/rounds_detail.html", stats=stats, round=stats.round, labels=questionnaire_labels(),
        kinds=DOWNLOAD_KINDS,
        codes_form=codes_form or CodesForm(formdata=None),
        addresses_form=addresses_form or AddressesForm(formdata=None), problems=problems or [], error=error,
        reminder_targets=mail.reminder_targets(round_id), closed=stats.round.closes_on < periods.today(),
        plan=_plan_or_none(stats.round), schedule=_schedule(stats.round), local_time=local_time,
        edit_form=edit_form or EditRoundForm(formdata=None, obj=stats.round),
        limits={"pdf": letters.MAX_LETTERS, "csv": letters.MAX_LINKS,
                "addresses": mail.MAX_ADDRESSES}), status


def _schedule(round_) -> dict:
    """What happens to the round by itself: the next automatic reminder and what `run-due` did last."""
    questionnaire = definition_of(current_version(round_.questionnaire))
    return {"next_reminder": due.next_reminder(round_), "days": questionnaire.reminder_days,
            "max": questionnaire.max_reminders, "last_run": due.last_run()}


def _plan_or_none(round_):
    """The response planner for the round's mean-grade KPI; None for a questionnaire without one."""
    try:
        return planner.round_plan(round_)
    except planner.PlanError:
        return None


@bp.route("/rondes/<int:round_id>")
@role_required("manager")
def round_page(round_id: int):
    """A round: how many codes exist and are used, and the forms to make codes, invite and remind."""
    return _round_page(round_id)


@bp.route("/rondes/<int:round_id>/wijzigen", methods=["POST"])
@role_required("manager")
def round_edit(round_id: int):
    """Change the dates and the population N of a round that has not closed."""
    round_ = _round_or_404(round_id)
    if round_.closes_on < periods.today():
        return _round_page(round_id, 409, error=f"Meetronde {round_id} is gesloten; een gesloten ronde verandert "
                                                 "niet meer.")
    form = EditRoundForm()
    if not form.validate_on_submit():
        return _round_page(round_id, 400, edit_form=form)
    try:
        update_round(round_, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                     population=form.population.data, today=periods.today())
    except RoundError as error:
        field = {"population": form.population}.get(error.field, form.closes_on)
        field.errors.append(_sentence(str(error)))
        return _round_page(round_id, 400, edit_form=form)
    audit.record("round_changed", actor=current_user.email,
                 detail=f"ronde {round_id}: {round_.opens_on} tot {round_.closes_on}, populatie {round_.population}")
    flash("De meetronde is gewijzigd.")
    return redirect(url_for("manage.round_page", round_id=round_id), code=303)


@bp.route("/rondes/<int:round_id>/sluiten", methods=["POST"])
@role_required("manager")
def round_close(round_id: int):
    """Close a round now, before its last day."""
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        close_round(round_, periods.today())
    except RoundError as error:
        return _round_page(round_id, 409, error=_sentence(str(error)))
    audit.record("round_closed", actor=current_user.email, detail=f"ronde {round_id}")
    flash("De meetronde is gesloten.")
    return redirect(url_for("manage.round_page", round_id=round_id), code=303)


@bp.route("/rondes/<int:round_id>/verwijderen", methods=["POST"])
@role_required("manager")
def round_delete(round_id: int):
    """Delete a round without responses (with its codes)."""
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        delete_round(round_)
    except RoundError as error:
        return _round_page(round_id, 409, error=_sentence(str(error)))
    audit.record("round_deleted", actor=current_user.email, detail=f"ronde {round_id}")
    flash(f"Meetronde {round_id} is verwijderd.")
    return redirect(url_for("manage.rounds"), code=303)


@bp.route("/rondes/<int:round_id>/codes", methods=["POST"])
@role_required("manager")
def round_codes(round_id: int):
    """Make codes and answer with them at once: letters as PDF or links as CSV (the codes are not stored)."""
    round_ = _round_or_404(round_id)
    form = CodesForm()
    if not form.validate_on_submit():
        return _round_page(round_id, 400, codes_form=form)
    today, count = periods.today(), form.count.data
    try:
        invitations.check_open(round_, today)
        if form.kind.data == "csv":
            content = letters.links_csv(round_, count, _base_url())
            kind, mimetype, name = "links als CSV", "text/csv; charset=utf-8", "links.csv"
        else:
            content = letters.letters_pdf(round_, count, _base_url(), today)
            kind, mimetype, name = "brieven als PDF", "application/pdf", "brieven.pdf"
    except invitations.RoundClosedError as error:
        return _round_page(round_id, 409, error=str(error))
    except RoundError as error:
        form.count.errors.append(_sentence(str(error)))
        return _round_page(round_id, 400, codes_form=form)
    audit.record("export", actor=current_user.email, detail=f"ronde {round_id}: {count} {kind}")
    return _download(content, mimetype, f"ronde-{round_id}-{name}")


@bp.route("/rondes/<int:round_id>/uitnodigingen", methods=["POST"])
@role_required("manager")
def round_invite(round_id: int):
    """Invite every address of an uploaded list by e-mail, each with a new code; all lines valid or none."""
    round_ = _round_or_404(round_id)
    form = AddressesForm()
    if not form.validate_on_submit():
        return _round_page(round_id, 400, addresses_form=form)
    today = periods.today()
    try:
        invitations.check_open(round_, today)
        addresses = mail.parse_address_list(form.addresses.data.read())
        with mail.Mailer(mail.MailSettings.from_config(current_app.config)) as mailer:
            report = mail.send_invitations(round_, addresses, mailer, _base_url(), today)
    except invitations.RoundClosedError as error:
        return _round_page(round_id, 409, error=str(error))
    except mail.AddressListRejected as rejected:
        return _round_page(round_id, 400, problems=rejected.problems,
                           error="Er is niets verstuurd en niets opgeslagen. Verbeter het bestand en probeer het "
                                 "opnieuw.")
    except mail.MailError as error:
        current_app.logger.warning("invitations for round %s: mail server unavailable", round_id)
        return _round_page(round_id, 503, error=f"{error} Er is niets verstuurd en niets opgeslagen. Probeer het "
                                                "later opnieuw of vraag de beheerder de instellingen te controleren.")
    return _after_sending(round_id, report, reminders=False)


@bp.route("/rondes/<int:round_id>/herinneringen", methods=["POST"])
@role_required("manager")
def round_remind(round_id: int):
    """Remind every unused code that has an address, each with a new link (the old one stops working)."""
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    today = periods.today()
    try:
        invitations.check_open(round_, today)
        if not mail.reminder_targets(round_id):  # nothing to send: no need for the mail server
            flash("Er is geen code met een e-mailadres die nog niet is gebruikt. Er is geen herinnering verstuurd.")
            return redirect(url_for("manage.round_page", round_id=round_id), code=303)
        with mail.Mailer(mail.MailSettings.from_config(current_app.config)) as mailer:
            report = mail.send_reminders(round_, mailer, _base_url(), today)
    except invitations.RoundClosedError as error:
        return _round_page(round_id, 409, error=str(error))
    except mail.MailError as error:
        current_app.logger.warning("reminders for round %s: mail server unavailable", round_id)
        return _round_page(round_id, 503, error=f"{error} Er is geen herinnering verstuurd; de links in de eerste "
                                                "e-mails werken nog. Probeer het later opnieuw.")
    return _after_sending(round_id, report, reminders=True)


def _count(number: int, one: str, more: str) -> str:
    return f"{number} {one if number == 1 else more}"


def _after_sending(round_id: int, report: mail.SendReport, reminders: bool):
    """Audit the counts, then show them: on the round page after a redirect, or as a 503 when the mail
    server stopped halfway."""
    one, more = ("herinnering", "herinneringen") if reminders else ("uitnodiging", "uitnodigingen")
    detail = f"ronde {round_id}: {_count(report.sent, one, more)} per e-mail"
    if report.skipped:
        detail += f", {report.skipped} overgeslagen"
    if report.refused:
        detail += f", {len(report.refused)} geweigerd"
    if report.failure:
        detail += f", {report.not_sent} niet verstuurd (mailserver)"
    if report.sent or report.failure:
        audit.record("invitations_sent", actor=current_user.email, detail=detail)
    messages = [f"{_count(report.sent, one, more)} verstuurd."]
    if report.skipped and reminders:
        messages.append(f"{_count(report.skipped, 'code is', 'codes zijn')} intussen gebruikt en "
                        f"{'kreeg' if report.skipped == 1 else 'kregen'} geen herinnering.")
    elif report.skipped:
        messages.append(f"{_count(report.skipped, 'adres had', 'adressen hadden')} al een uitnodiging in deze "
                        f"ronde en {'kreeg' if report.skipped == 1 else 'kregen'} geen tweede.")
    if report.refused:
        # Line numbers only: a flashed message travels in the session cookie, an address must not.
        lines = ", ".join(f"regel {a.line}" for a in report.refused if a.line)
        messages.append(f"De mailserver weigerde {_count(len(report.refused), 'adres', 'adressen')}"
                        f"{f' ({lines})' if lines else ''}; daarvoor is niets veranderd.")
    if not report.failure:
        for message in messages:
            flash(message)
        return redirect(url_for("manage.round_page", round_id=round_id), code=303)
    messages.append(f"{_count(report.not_sent, one + ' is', more + ' zijn')} niet verstuurd.")
    messages.append("Daarvoor is niets veranderd: de links in de eerdere e-mails werken nog." if reminders else
                    "Daarvoor is niets opgeslagen. Stuur later dezelfde lijst opnieuw: wie al een uitnodiging "
                    "kreeg, krijgt geen tweede.")
    return _round_page(round_id, 503, error=f"{report.failure} {' '.join(messages)}")


def _sentence(message: str) -> str:
    """A service message as a sentence on the page: capital first letter, full stop."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."

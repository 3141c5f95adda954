"""The beheerder's pages: staff accounts and roles, the audit log, and retention (purge)."""

from datetime import UTC, date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Regexp, ValidationError

from .. import exports, periods
from ..auth import role_required
from ..extensions import db
from ..models import ROLES
from ..services import audit, password_links, retention, second_factor, users
from ..services.mail import MailError
from . import bp
from .downloads import CSV_TYPE, StreamInOwnContext, attachment

ROLE_LABELS = {
    "beheerder": "Beheerder (gebruikers, bewaartermijnen, logboek en alles van de manager)",
    "manager": "Manager (meetrondes, uitnodigingen, dashboard, downloads, open antwoorden)",
    "lezer": "Lezer (alleen het dashboard)",
}
ROLE_MESSAGE = "Kies een rol: beheerder, manager of lezer."

#: The audit log's actions in plain Dutch; an action not listed here is shown as it is stored.
ACTION_LABELS = {
    "login": "Ingelogd",
    "login_failed": "Inloggen mislukt",
    "logout": "Uitgelogd (op elk apparaat)",
    "login_second_factor": "Ingelogd met tweede factor",
    "login_sso": "Ingelogd via de organisatie (single sign-on)",
    "login_sso_failed": "Single sign-on zonder account",
    "login_second_factor_failed": "Tweede factor fout",
    "recovery_code_used": "Herstelcode gebruikt",
    "second_factor_enrolled": "Tweede factor ingesteld",
    "second_factor_reset": "Tweede factor uitgezet door beheerder",
    "second_factor_required": "Tweede factor verplicht gemaakt",
    "second_factor_optional": "Tweede factor niet meer verplicht",
    "password_changed": "Wachtwoord gewijzigd",
    "password_change_failed": "Wachtwoord wijzigen mislukt (huidig wachtwoord fout)",
    "password_link_sent": "Link voor wachtwoord gemaild",
    "password_set_by_link": "Wachtwoord gekozen via link (nieuw account)",
    "password_reset_by_link": "Nieuw wachtwoord gekozen via link",
    "export": "Download",
    "free_text_viewed": "Open antwoorden bekeken",
    "free_text_hidden": "Open antwoord verborgen",
    "user_created": "Account aangemaakt",
    "role_changed": "Rol gewijzigd",
    "user_activated": "Account geactiveerd",
    "user_deactivated": "Account gedeactiveerd",
    "purge": "Opgeschoond (bewaartermijnen)",
    "invitations_sent": "Uitnodigingen verstuurd",
    "publish": "Resultaten vrijgegeven",
    "kpis_changed": "KPI's of normen gewijzigd",
    "kpi_added": "KPI toegevoegd",
    "round_changed": "Meetronde gewijzigd",
    "round_closed": "Meetronde gesloten",
    "round_deleted": "Meetronde verwijderd",
    "paper_forms_imported": "Papieren formulieren ingelezen",
    "digest_on": "Overzichtsmail aangezet",
    "digest_off": "Overzichtsmail uitgezet",
    "kiosk_registered": "Tablet geregistreerd",
    "kiosk_revoked": "Tablet ingetrokken",
    "api_token_created": "API-sleutel gemaakt",
    "api_token_revoked": "API-sleutel ingetrokken",
    "organisation_changed": "Gegevens van de organisatie gewijzigd",
    "organisation_logo_changed": "Logo van de organisatie gewijzigd",
    "questionnaire_created": "Vragenlijst gemaakt",
    "questionnaire_draft_changed": "Concept van een vragenlijst gewijzigd",
    "questionnaire_published": "Vragenlijst gepubliceerd",
    "questionnaire_imported": "Vragenlijst ingelezen uit een bestand",
}



def local_time(moment: datetime) -> str:
    """A stored UTC time as Dutch readers expect it: in the organisation's time zone, day first."""
    return moment.replace(tzinfo=UTC).astimezone(periods.local_zone()).strftime("%d-%m-%Y %H:%M:%S")


def local_day(moment: datetime) -> str:
    """The day a stored UTC time falls on in the organisation's time zone, day first."""
    return periods.local_date(moment, periods.local_zone()).strftime("%d-%m-%Y")


def zone_name() -> str:
    zone = periods.local_zone().key
    return "Nederlandse tijd" if zone == "Europe/Amsterdam" else zone


def _not_taken(form, field) -> None:
    if field.data and users.email_taken(field.data):
        raise ValidationError(f"Er is al een account voor {users.normalise_email(field.data)}.")


class NewUserForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[
        InputRequired("Vul een e-mailadres in."),
        Length(max=254, message="Een e-mailadres is hoogstens 254 tekens lang."),
        # The same shape the service accepts (one @, no spaces), and a dot in the domain.
        Regexp(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$", message="Vul een geldig e-mailadres in, zoals naam@example.nl."),
        _not_taken,
    ])
    # Text fields checked against the known values: the templates draw the <select> themselves.
    role = StringField("Rol", validators=[InputRequired(ROLE_MESSAGE), AnyOf(ROLES, message=ROLE_MESSAGE)])


class RoleForm(FlaskForm):
    role = StringField("Rol", validators=[InputRequired(ROLE_MESSAGE), AnyOf(ROLES, message=ROLE_MESSAGE)])


class ActiveForm(FlaskForm):
    active = StringField("Status", validators=[InputRequired("Kies actief of gedeactiveerd."),
                                              AnyOf(("0", "1"), message="Kies actief of gedeactiveerd.")])


def _users_page(new_form: NewUserForm | None = None, row_errors: dict | None = None, status: int = 200):
    return render_template("manage/admin_users.html", accounts=users.list_users(),
                           new_form=new_form or NewUserForm(formdata=None), row_errors=row_errors or {},
                           role_labels=ROLE_LABELS, roles=ROLES, local_day=local_day, has_password=users.has_password,
                           second_factor_required=second_factor.required()), status


def _account_or_404(user_id: int):
    user = users.get_user(str(user_id))
    if user is None:
        abort(404)
    return user


@bp.route("/gebruikers", endpoint="users")
@role_required("beheerder")
def users_page():
    """All staff accounts, with their role and status, and the form for a new account."""
    return _users_page()


@bp.route("/gebruikers/nieuw", methods=["POST"])
@role_required("beheerder")
def create_user():
    """Make an account with the e-mail address and role the beheerder typed, and mail its owner a one-time
    link to choose the password: the beheerder never knows it."""
    form = NewUserForm()
    if not form.validate_on_submit():
        duplicate = any(message.startswith("Er is al een account") for message in form.email.errors)
        return _users_page(form, status=409 if duplicate else 400)
    try:
        user = users.create_user(form.email.data, None, form.role.data, actor=current_user.email)
    except users.UserError as error:
        # Next to the field it is about (the address), else above the form.
        message = f"{str(error).capitalize()}."
        if "e-mailadres" in message:
            form.email.errors = [message]
        else:
            form.form_errors.append(message)
        return _users_page(form, status=400)
    except IntegrityError:  # another beheerder made the same account a moment earlier
        db.session.rollback()
        form.email.errors = [f"Er is al een account voor {users.normalise_email(form.email.data)}."]
        return _users_page(form, status=409)
    flash(f"Account {user.email} aangemaakt met de rol {user.role}. {_mail_link(user)}")
    return redirect(url_for("manage.users"), code=303)


def _mail_link(user) -> str:
    """Mail the account a link to choose its password (a new one while it has none yet); says how that went."""
    purpose = "reset" if users.has_password(user) else "set"
    try:
        password_links.mail_link(user, purpose, current_app.config["BASE_URL"])
    except MailError as error:
        return f"De mail met de link is niet verstuurd: {error} Probeer het later opnieuw met 'Link sturen'."
    return (f"{user.email} krijgt een mail met een link om een wachtwoord te kiezen. De link werkt één keer, "
            f"{password_links.HOURS[purpose]} uur lang.")


@bp.route("/gebruikers/<int:user_id>/link", methods=["POST"])
@role_required("beheerder")
def send_password_link(user_id: int):
    """Mail an account a new link to choose its password: when its first mail got lost or it forgot it."""
    user = _account_or_404(user_id)
    if not user.active:
        return _users_page(row_errors={user.id: "Een gedeactiveerd account krijgt geen link. Activeer het eerst."},
                           status=409)
    flash(_mail_link(user))
    return redirect(url_for("manage.users"), code=303)


@bp.route("/gebruikers/<int:user_id>/rol", methods=["POST"])
@role_required("beheerder")
def change_role(user_id: int):
    """Give an account another role; a beheerder cannot change their own (so one always remains)."""
    user = _account_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _users_page(row_errors={user.id: form.role.errors[0] if form.role.errors else ROLE_MESSAGE},
                           status=400)
    if user.id == current_user.id:
        return _users_page(row_errors={user.id: "U kunt uw eigen rol niet wijzigen. Vraag dit aan een andere "
                                                "beheerder."}, status=409)
    if form.role.data != user.role:
        try:
            users.change_role(user, form.role.data, actor=current_user.email)
        except users.UserError as error:
            return _users_page(row_errors={user.id: f"{str(error).capitalize()}."}, status=409)
        flash(f"{user.email} heeft nu de rol {user.role}.")
    return redirect(url_for("manage.users"), code=303)


@bp.route("/gebruikers/<int:user_id>/tweede-factor", methods=["POST"])
@role_required("beheerder")
def reset_second_factor(user_id: int):
    """Switch off another account's second factor (a lost phone): it enrols again at its next login."""
    user = _account_or_404(user_id)
    if user.id == current_user.id:
        return _users_page(row_errors={user.id: "U kunt uw eigen tweede factor niet opnieuw instellen. Koppel een "
                                                "nieuwe app via Tweede factor, of vraag het een andere beheerder."},
                           status=409)
    if user.totp_secret:
        second_factor.reset(user, actor=current_user.email)
        flash(f"De tweede factor van {user.email} staat uit; bij de volgende keer inloggen stelt deze hem opnieuw in.")
    return redirect(url_for("manage.users"), code=303)


class RequiredForm(FlaskForm):
    required = StringField("Verplicht", validators=[InputRequired("Kies verplicht of niet verplicht."),
                                                    AnyOf(("0", "1"), message="Kies verplicht of niet verplicht.")])


@bp.route("/gebruikers/tweede-factor-verplicht", methods=["POST"])
@role_required("beheerder")
def require_second_factor():
    """Require the second factor of every account (or no longer): who has none enrols at the next click."""
    form = RequiredForm()
    if not form.validate_on_submit():
        abort(400, "Kies verplicht of niet verplicht.")
    required = form.required.data == "1"
    second_factor.set_required(required, actor=current_user.email)
    flash("De tweede factor is nu verplicht voor iedereen." if required else
          "De tweede factor is niet meer verplicht.")
    return redirect(url_for("manage.users"), code=303)


@bp.route("/gebruikers/<int:user_id>/status", methods=["POST"])
@role_required("beheerder")
def set_active(user_id: int):
    """Deactivate an account (it can no longer log in, its sessions end) or activate it again."""
    user = _account_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        return _users_page(row_errors={user.id: form.active.errors[0] if form.active.errors
                                       else "Kies actief of gedeactiveerd."}, status=400)
    active = form.active.data == "1"
    if user.id == current_user.id and not active:
        return _users_page(row_errors={user.id: "U kunt uw eigen account niet deactiveren. Vraag dit aan een "
                                                "andere beheerder."}, status=409)
    if active != user.active:
        try:
            users.set_active(user, active, actor=current_user.email)
        except users.UserError as error:
            return _users_page(row_errors={user.id: f"{str(error).capitalize()}."}, status=409)
        flash(f"Account {user.email} is {'weer actief' if active else 'gedeactiveerd'}.")
    return redirect(url_for("manage.users"), code=303)


#: Events per page of the audit log.
AUDIT_PAGE = 100


def _audit_selection() -> tuple[audit.Selection, dict[str, str]]:
    """The filters of the query string, and a Dutch message per filter that could not be read (that filter
    then does not apply)."""
    args, problems = request.args, {}
    action = args.get("actie") or None
    if action is not None and action not in ACTION_LABELS:
        problems["actie"], action = "Onbekende actie; kies een actie uit de lijst.", None
    actor = (args.get("wie") or "").strip() or None
    if actor is not None and len(actor) > 254:
        problems["wie"], actor = "Vul hoogstens 254 tekens in (een e-mailadres of een deel ervan).", None
    days = {}
    for name in ("van", "tot"):
        try:
            days[name] = date.fromisoformat(args[name]) if args.get(name) else None
        except ValueError:
            problems[name], days[name] = "Vul een datum in als 2026-12-31.", None
    if days["van"] and days["tot"] and days["tot"] < days["van"]:
        problems["tot"], days["tot"] = "De datum 'tot en met' ligt vóór de datum 'van'.", None
    return audit.Selection(action, actor, days["van"], days["tot"]), problems


@bp.route("/logboek")
@role_required("beheerder")
def audit_log():
    """The audit log, newest first, a page at a time: who did what, when; filtered by kind of event,
    person and days."""
    selection, problems = _audit_selection()
    number = request.args.get("pagina", "1")
    number = int(number) if number.isdigit() and 0 < int(number) < 10**6 else 1
    events, total = audit.page(selection, number, AUDIT_PAGE)
    pages = max(1, -(-total // AUDIT_PAGE))
    filters = {name: request.args[name] for name in ("actie", "wie", "van", "tot")
               if request.args.get(name) and name not in problems}
    return render_template("manage/admin_audit.html", events=events, selection=selection, problems=problems,
                           labels=ACTION_LABELS, local_time=local_time, zone=zone_name(), total=total,
                           page=min(number, pages), pages=pages, filters=filters, args=request.args), \
        400 if problems else 200


@bp.route("/logboek.csv")
@role_required("beheerder")
def audit_log_csv():
    """The selected events as CSV (UTF-8 with BOM, ; and the organisation's local times), audited."""
    selection, problems = _audit_selection()
    if problems:
        abort(400, description=" ".join(problems.values()))
    lines = exports.audit_log_csv(audit.every(selection), local_time, ACTION_LABELS)
    return attachment(StreamInOwnContext(lines), CSV_TYPE, "logboek.csv", "logboek")


def _retention_page(error: str | None = None, status: int = 200):
    try:
        state = retention.status(periods.today())
    except retention.RetentionError as problem:
        state, error, status = None, str(problem), 500
    return render_template("manage/admin_retention.html", state=state, error=error, local_time=local_time), status


@bp.route("/bewaartermijnen", endpoint="retention")
@role_required("beheerder")
def retention_page():
    """The retention settings, what a purge would remove today, and when it last ran."""
    return _retention_page()


@bp.route("/bewaartermijnen/opschonen", methods=["POST"])
@role_required("beheerder")
def purge_now():
    """Run the purge now, as `flask --app surveys purge` does, and say what it removed. (CSRFProtect has
    checked the form's token before this runs.)"""
    try:
        result = retention.purge(periods.today(), actor=current_user.email)
    except retention.RetentionError as error:
        return _retention_page(str(error), 500)
    flash(f"Opgeschoond: {result.codes_deleted} codes verwijderd (waarvan {result.addresses_deleted} met "
          f"e-mailadres) en {result.free_texts_deleted} open antwoorden.")
    return redirect(url_for("manage.retention"), code=303)

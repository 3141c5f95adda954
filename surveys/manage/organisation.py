"""The beheerder's page for the organisation profile: name, contact details and logo."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..logos import MAX_BYTES, LogoRefused
from ..services import organisation
from . import bp

HINTS = {
    "name": "Zoals op brieven en in de rapportage, bijvoorbeeld: Stichting Wijkteam Voorbeeld.",
    "short_name": "In de titel van elke pagina en in zinnen: Wijkteam Voorbeeld.",
    "phone": "Voor vragen van wie een vragenlijst invult. Het staat onder elke pagina.",
    "email": "Voor vragen van wie een vragenlijst invult. Het staat onder elke pagina.",
    "address": "Niet verplicht. Elke regel van het adres op een eigen regel.",
    "website": "Begint met https://.",
    "privacy_url": "Het webadres van uw privacyverklaring. Elke pagina linkt ernaar.",
    "sender": "Niet verplicht. Het adres waarvan uitnodigingen komen; leeg: het e-mailadres hierboven.",
}


def _page(values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          logo_error: str | None = None, status: int = 200):
    profile = organisation.current()
    return render_template("manage/admin_organisation.html", profile=profile,
                           values=values or {name: getattr(profile, name) for name in organisation.FIELDS},
                           errors=errors or {}, logo_error=logo_error, fields=organisation.FIELDS, hints=HINTS,
                           max_kb=MAX_BYTES // 1024), status


@bp.route("/organisatie", endpoint="organisation")
@role_required("beheerder")
def organisation_page():
    """The organisation's name, contact details and logo, as respondents, letters and the report show them."""
    return _page()


@bp.route("/organisatie", methods=["POST"], endpoint="organisation_save")
@role_required("beheerder")
def save_organisation():
    """Store the profile the beheerder typed; every problem is named next to its field, nothing stored."""
    values = {name: request.form.get(name, "") for name in organisation.FIELDS}
    try:
        organisation.update(values, actor=current_user.email)
    except organisation.ProfileInvalid as invalid:
        return _page(values, invalid.problems, status=400)
    flash("De gegevens van de organisatie zijn opgeslagen.")
    return redirect(url_for("manage.organisation"), code=303)


@bp.route("/organisatie/logo", methods=["POST"])
@role_required("beheerder")
def organisation_logo():
    """Store an uploaded logo (PNG or SVG, checked) in place of the one before."""
    upload = request.files.get("logo")
    try:
        organisation.set_logo(upload.read() if upload else b"", actor=current_user.email)
    except LogoRefused as refused:
        return _page(logo_error=str(refused), status=400)
    flash("Het nieuwe logo is opgeslagen.")
    return redirect(url_for("manage.organisation"), code=303)


@bp.route("/organisatie/logo/verwijderen", methods=["POST"])
@role_required("beheerder")
def remove_organisation_logo():
    """Take the logo away; pages then show the name only."""
    if organisation.remove_logo(actor=current_user.email):
        flash("Het logo is verwijderd.")
    return redirect(url_for("manage.organisation"), code=303)

"""The beheerder's KPI page: the catalogue in force with each KPI's norms over time, a new norm from a
half-year on, and the catalogue as a file to download, edit and upload (the same checks as `kpis import`)."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..questionnaires import QuestionnaireError
from ..services import kpi_catalogue
from . import MENU, bp

MENU.append(("manage.kpis", "KPI's en normen", "beheerder"))


def _page(problem: str | None = None, status: int = 200):
    return render_template("manage/kpis.html", kpis=kpi_catalogue.catalogue(), problem=problem,
                           form=request.form if problem else {}), status


@bp.route("/kpis", endpoint="kpis")
@role_required("beheerder")
def kpis_page():
    return _page()


@bp.route("/kpis/norm", methods=["POST"])
@role_required("beheerder")
def add_norm():
    """A new norm for one KPI from a half-year on; earlier periods keep theirs."""
    form = request.form
    try:  # the same checks as a file: store() reads the changed catalogue through parse_kpis first
        kpi_catalogue.store(kpi_catalogue.with_norm(form.get("kpi", ""), form.get("from", "").strip(),
                                                    form.get("operator", ""), form.get("norm", "")),
                            by=current_user.email)
    except QuestionnaireError as error:
        return _page(str(error), 400)
    flash(f"De norm van {form['kpi']} vanaf {form['from'].strip()} is opgeslagen. Eerdere perioden houden hun norm.")
    return redirect(url_for("manage.kpis"), code=303)


@bp.route("/kpis/bestand")
@role_required("beheerder")
def download():
    response = Response(kpi_catalogue.to_toml(kpi_catalogue.catalogue()), mimetype="application/toml")
    response.headers["Content-Disposition"] = 'attachment; filename="kpis.toml"'
    return response


@bp.route("/kpis/bestand", methods=["POST"], endpoint="upload")
@role_required("beheerder")
def upload():
    """A catalogue file edited elsewhere: checked whole; nothing changes when anything is wrong."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page("Kies een bestand (kpis.toml).", 400)
    content = file.read(1_000_001)
    if len(content) > 1_000_000:
        return _page("Het bestand is groter dan 1 MB; een KPI-catalogus is veel kleiner.", 413)
    try:
        data = kpi_catalogue.read_file(content, file.filename)
    except QuestionnaireError as error:
        return _page(str(error), 400)
    kpi_catalogue.store(data, by=current_user.email)
    flash(f"De KPI-catalogus uit {file.filename} is nu in gebruik.")
    return redirect(url_for("manage.kpis"), code=303)

"""The beheerder's KPI page: the catalogue in force with each KPI's norms over time, a new norm from a
half-year on, and the catalogue as a file to download, edit and upload (the same checks as `kpis import`).
A KPI is also added or changed with a form; it goes through the same checker, so it names the same problems."""

from collections import defaultdict

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..questionnaires import TYPE_WORDS, Kpi, QuestionnaireError
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
        kpi_catalogue.store(data, by=current_user.email)
    except QuestionnaireError as error:
        return _page(str(error), 400)
    flash(f"De KPI-catalogus uit {file.filename} is nu in gebruik.")
    return redirect(url_for("manage.kpis"), code=303)


#: The form's fields for a KPI that exists: its key and norms are not in it (a norm has its own form).
EDIT_FIELDS = ("label-nl", "label-en", "questionnaire", "item", "statistic", "share_codes")
#: The new KPI's first norm is norms[0] of its entry in the catalogue.
FIRST_NORM = {"norms-0-from": "from", "norms-0-operator": "operator", "norms-0-norm": "norm"}


def _errors_by_field(error: QuestionnaireError, place: int, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """The checker's problems by the form field they belong to; a problem of no field of this form ('')
    is named at the top of the form, with its place in the catalogue when it is about another KPI."""
    errors = defaultdict(list)
    prefix = f"kpis-{place}-"
    for problem in error.found:
        name = FIRST_NORM.get(problem.field[len(prefix):], problem.field[len(prefix):]) \
            if problem.field.startswith(prefix) else ""
        if name in fields:
            errors[name].append(problem.message)
        else:
            errors[""].append(problem.message if problem.field.startswith(prefix) or not problem.where
                              else f"{problem.where}: {problem.message}")
    return dict(errors)


def _form_page(kpi: Kpi | None, values: dict, errors: dict | None = None, status: int = 200, problem: str = ""):
    questionnaires = kpi_catalogue.questionnaires_in_use()
    items = {key: [(item.key, item.text.nl, TYPE_WORDS[item.type],
                    [option.code for option in item.answer_options() if option.code not in ("weet_niet", "nvt")])
                   for item in questionnaire.items if item.type in ("grade", "agree", "choice")]
             for key, questionnaire in questionnaires.items()}
    return render_template("manage/kpi_form.html", kpi=kpi, values=values, errors=errors or {}, problem=problem,
                           questionnaires=questionnaires, items=items, fields=EDIT_FIELDS if kpi else
                           kpi_catalogue.FORM_FIELDS, starts_later=kpi_catalogue.starts_later), status


def _kpi_or_404(key: str) -> Kpi:
    kpi = next((kpi for kpi in kpi_catalogue.catalogue() if kpi.key == key), None)
    if kpi is None:
        abort(404)
    return kpi


@bp.route("/kpis/nieuw", methods=["GET", "POST"], endpoint="kpi_new")
@role_required("beheerder")
def new_kpi():
    """A new KPI on any grade, statement or choice question of any questionnaire, with its first norm."""
    if request.method == "GET":
        return _form_page(None, {"questionnaire": "client", "statistic": "mean", "operator": ">"})
    form = request.form
    data, place = kpi_catalogue.with_kpi(form)
    try:
        kpi_catalogue.store(data, by=current_user.email, action="kpi_added")
    except QuestionnaireError as error:
        return _form_page(None, form, _errors_by_field(error, place, kpi_catalogue.FORM_FIELDS), 400)
    flash(f"De KPI {data['kpis'][place]['label']['nl']} is toegevoegd (sleutel {data['kpis'][place]['key']}).")
    return redirect(url_for("manage.kpis"), code=303)


@bp.route("/kpis/<key>/wijzigen", methods=["GET", "POST"], endpoint="kpi_edit")
@role_required("beheerder")
def edit_kpi(key: str):
    """A KPI's name, question and figure. Its key stays: it is in addresses, the API and the reports."""
    kpi = _kpi_or_404(key)
    if request.method == "GET":
        return _form_page(kpi, kpi_catalogue.form_values(kpi))
    data, place = kpi_catalogue.with_kpi(request.form, key)
    try:
        kpi_catalogue.store(data, by=current_user.email)
    except QuestionnaireError as error:
        return _form_page(kpi, request.form, _errors_by_field(error, place, EDIT_FIELDS), 400)
    flash(f"De KPI {data['kpis'][place]['label']['nl']} is opgeslagen.")
    return redirect(url_for("manage.kpis"), code=303)


@bp.route("/kpis/<key>/norm/weg", methods=["POST"], endpoint="kpi_remove_norm")
@role_required("beheerder")
def remove_norm(key: str):
    """Take away a norm that has not begun yet (a norm that holds already stays: the past keeps its norm)."""
    kpi = _kpi_or_404(key)
    since = request.form.get("from", "").strip()
    try:
        kpi_catalogue.store(kpi_catalogue.without_norm(key, since), by=current_user.email)
    except QuestionnaireError as error:
        return _form_page(kpi, kpi_catalogue.form_values(kpi), status=400, problem=str(error))
    flash(f"De norm van {kpi.label.nl} vanaf {since} is weggehaald.")
    return redirect(url_for("manage.kpi_edit", key=key), code=303)

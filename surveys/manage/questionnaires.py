"""The beheerder's questionnaire editor: list, create (empty or as a copy), edit the draft, preview it as a
respondent, publish it as a new version, and download or upload it as the shared TOML file."""

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..answers import AnswerSheet
from ..auth import role_required
from ..questionnaires import KEY_PATTERN, QuestionnaireError, parse_questionnaire
from ..questionnaires.files import from_toml, to_toml
from ..services import questionnaires as questionnaire_service
from . import bp
from . import questionnaire_form as form_rules

MAX_FILE_BYTES = 200_000

#: A new empty questionnaire starts with one open question, so it is whole from the start.
EMPTY_START = {
    "intro": {"nl": "Wij willen graag weten wat u vindt. Het invullen duurt een paar minuten.",
              "en": "We would like to know what you think. It takes a few minutes."},
    "items": [{"key": "opmerking", "type": "open", "required": False, "background": False,
               "text": {"nl": "Wat wilt u ons nog zeggen?", "en": "Is there anything else you would like to tell us?"},
               "hint": {"nl": "Schrijf geen namen of andere persoonlijke gegevens op.",
                        "en": "Please do not write names or other personal details."}}],
}


def _errors_by_field(error: QuestionnaireError) -> dict[str, list[str]]:
    errors = defaultdict(list)
    for problem in error.found:
        errors[problem.field].append(problem.message)
    return dict(errors)


def _known_or_404(key: str) -> None:
    if not questionnaire_service.is_known(key):
        abort(404)


@bp.route("/vragenlijsten", endpoint="questionnaires")
@role_required("beheerder")
def questionnaire_list(values: dict | None = None, errors: dict | None = None, status: int = 200):
    """Every questionnaire, with its version and whether a draft waits; and the form to add one."""
    rows = [{"key": key, "version": questionnaire_service.current_version(key),
             "draft": questionnaire_service.has_draft(key), "title": _title(key)}
            for key in questionnaire_service.known_keys()]
    return render_template("manage/questionnaires.html", rows=rows, values=values or {"copy_from": "client"},
                           errors=errors or {}), status


def _title(key: str) -> str:
    return questionnaire_service.draft_of(key).get("title", {}).get("nl", key)


@bp.route("/vragenlijsten/nieuw", methods=["POST"], endpoint="questionnaire_create")
@role_required("beheerder")
def create_questionnaire():
    """A new questionnaire: empty (one open question) or a copy of another one, under a new key."""
    values = {name: request.form.get(name, "").strip() for name in ("key", "copy_from", "title-nl", "title-en")}
    key = values["key"]
    if values["copy_from"] and KEY_PATTERN.fullmatch(key):
        if not questionnaire_service.is_known(values["copy_from"]):
            abort(400)
        definition = _copy(questionnaire_service.draft_of(values["copy_from"]), key)
    else:
        definition = {"key": key, **EMPTY_START}
    definition["title"] = {"nl": values["title-nl"], "en": values["title-en"]}
    try:
        questionnaire_service.create(key, definition, actor=current_user.email)
    except QuestionnaireError as error:
        return questionnaire_list(values, _errors_by_field(error), status=400)
    flash(f"De vragenlijst '{key}' is gemaakt. Pas het concept aan en publiceer het.")
    return redirect(url_for("manage.questionnaire_edit", questionnaire=key), code=303)


def _copy(definition: dict, key: str) -> dict:
    """A copy under a new key. Answers are counted per question key, so each question gets a key of its own:
    the new key before the old one (jeugd_C1)."""
    return {**definition, "key": key,
            "items": [{**item, "key": f"{key}_{item['key']}"[:40]} for item in definition["items"]]}


def _editor(key: str, definition: dict, errors: dict | None = None, status: int = 200, file_errors=None):
    current = questionnaire_service.current_version(key)
    return render_template("manage/questionnaire_edit.html", key=key, d=definition,
                           rows=form_rules.rows_of(definition), errors=errors or {}, file_errors=file_errors or [],
                           current=current, has_draft=questionnaire_service.has_draft(key), rules=form_rules), status


@bp.route("/vragenlijsten/<questionnaire>", endpoint="questionnaire_edit")
@role_required("beheerder")
def edit_questionnaire(questionnaire: str):
    """The draft of a questionnaire in one form: settings, then every question."""
    _known_or_404(questionnaire)
    return _editor(questionnaire, questionnaire_service.draft_of(questionnaire))


@bp.route("/vragenlijsten/<questionnaire>", methods=["POST"], endpoint="questionnaire_save")
@role_required("beheerder")
def save_questionnaire(questionnaire: str):
    """Store the form as the draft (after moving or deleting a question, when a button asked for that).
    Every problem is shown next to its field, and then nothing is stored."""
    _known_or_404(questionnaire)
    definition = form_rules.definition_from(request.form, questionnaire, questionnaire_service.draft_of(questionnaire))
    form_rules.apply_action(definition, request.form.get("action", "save"))
    try:
        questionnaire_service.save_draft(questionnaire, definition, actor=current_user.email)
    except QuestionnaireError as error:
        return _editor(questionnaire, definition, _errors_by_field(error), status=400)
    flash("Het concept is opgeslagen. Respondenten zien het pas na publiceren.")
    return redirect(url_for("manage.questionnaire_edit", questionnaire=questionnaire), code=303)


@bp.route("/vragenlijsten/<questionnaire>/voorbeeld", endpoint="questionnaire_preview")
@role_required("beheerder")
def preview_questionnaire(questionnaire: str):
    """The draft as a respondent sees it on the real form page, marked as an example; it cannot be sent."""
    _known_or_404(questionnaire)
    draft = parse_questionnaire(questionnaire_service.draft_of(questionnaire), f"concept {questionnaire}")
    return render_template("respond/form.html", questionnaire=draft, form=AnswerSheet(draft), blank_questions=None,
                           form_token=None, stale=False, preview=True)


@bp.route("/vragenlijsten/<questionnaire>/publiceren", methods=["POST"], endpoint="questionnaire_publish")
@role_required("beheerder")
def publish_questionnaire(questionnaire: str):
    """The draft becomes the version respondents get (a new version; answered versions stay as they are)."""
    _known_or_404(questionnaire)
    try:
        version = questionnaire_service.publish(questionnaire, actor=current_user.email)
    except QuestionnaireError as error:
        return _editor(questionnaire, questionnaire_service.draft_of(questionnaire), _errors_by_field(error), 400)
    flash(f"Versie {version.version} van '{questionnaire}' is gepubliceerd. Nieuwe antwoorden horen bij deze versie.")
    return redirect(url_for("manage.questionnaire_edit", questionnaire=questionnaire), code=303)


@bp.route("/vragenlijsten/<questionnaire>/concept-weggooien", methods=["POST"], endpoint="questionnaire_discard")
@role_required("beheerder")
def discard_questionnaire_draft(questionnaire: str):
    """Throw the draft away and start again from the published version."""
    _known_or_404(questionnaire)
    if questionnaire_service.current_version(questionnaire) is None:
        abort(400)
    questionnaire_service.discard_draft(questionnaire, actor=current_user.email)
    flash("Het concept is weggegooid.")
    return redirect(url_for("manage.questionnaire_edit", questionnaire=questionnaire), code=303)


@bp.route("/vragenlijsten/<questionnaire>/bestand", endpoint="questionnaire_download")
@role_required("beheerder")
def download_questionnaire(questionnaire: str):
    """The draft as the TOML file another team can import (SCHEMA.md)."""
    _known_or_404(questionnaire)
    content = to_toml(questionnaire_service.draft_of(questionnaire))
    return content.encode("utf-8"), 200, {
        "Content-Type": "application/toml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{questionnaire}.toml"'}


@bp.route("/vragenlijsten/<questionnaire>/bestand", methods=["POST"], endpoint="questionnaire_upload")
@role_required("beheerder")
def upload_questionnaire(questionnaire: str):
    """A TOML file as the new draft, checked as the import checks it; every problem is listed."""
    _known_or_404(questionnaire)
    upload = request.files.get("file")
    content = upload.read(MAX_FILE_BYTES + 1) if upload else b""
    try:
        if not content:
            raise QuestionnaireError("Kies een bestand.")
        if len(content) > MAX_FILE_BYTES:
            raise QuestionnaireError(f"Het bestand is groter dan {MAX_FILE_BYTES // 1000} kB.")
        definition = from_toml(content, upload.filename or "bestand")
        questionnaire_service.save_draft(questionnaire, definition, actor=current_user.email)
    except QuestionnaireError as error:
        return _editor(questionnaire, questionnaire_service.draft_of(questionnaire), status=400,
                       file_errors=str(error).splitlines())
    flash("Het bestand is het nieuwe concept. Kijk het na en publiceer het.")
    return redirect(url_for("manage.questionnaire_edit", questionnaire=questionnaire), code=303)

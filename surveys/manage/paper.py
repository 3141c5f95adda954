"""Paper forms in the browser: the same CSV, checks and messages as `flask --app surveys import-responses`
(services.responses.import_responses): every row is stored, or none and every bad row is listed."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import InputRequired

from .. import periods
from ..auth import role_required
from ..services import audit
from ..services.responses import ImportRejected, import_responses
from . import bp
from .rounds import _known_questionnaire, _sentence, questionnaire_labels


class PaperForm(FlaskForm):
    # A <select> on the page; checked here too, with a Dutch message.
    questionnaire = StringField("Vragenlijst", validators=[InputRequired("Kies een vragenlijst."),
                                                           _known_questionnaire])
    file = FileField("CSV-bestand met de antwoorden", validators=[FileRequired("Kies een CSV-bestand.")])


@bp.route("/papieren-formulieren", methods=["GET", "POST"])
@role_required("manager")
def paper_forms():
    """Upload a CSV of paper forms; on any problem nothing is stored and every problem is shown."""
    form = PaperForm()
    problems: list[str] = []
    if form.is_submitted():
        if form.validate():
            questionnaire = form.questionnaire.data
            try:
                stored = import_responses(questionnaire, form.file.data.read(), today=periods.today())
            except ImportRejected as rejected:
                problems = [_sentence(str(problem)) for problem in rejected.problems]
            else:
                audit.record("paper_forms_imported", actor=current_user.email,
                             detail=f"papieren formulieren: {stored} reacties voor {questionnaire}")
                flash(f"{stored} {'reactie' if stored == 1 else 'reacties'} ingelezen voor "
                      f"{questionnaire_labels()[questionnaire]}.")
                return redirect(url_for("manage.paper_forms"), code=303)
        status = 400
    else:
        status = 200
    return render_template("manage/paper_forms.html", form=form, problems=problems,
                           labels=questionnaire_labels()), status

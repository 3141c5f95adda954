"""Turning submitted answers into checked answer values.

One form class per questionnaire version serves the respondent pages (with CSRF) and the paper
import (without), so a web answer and a paper answer pass exactly the same rules."""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError

from .questionnaires import MISSING_CODES, Item, Questionnaire

_ALLOWED_CONTROLS = {"\n", "\t"}


@dataclass(frozen=True)
class AnswerValue:
    """A checked answer, ready to store: exactly one of value, code and text is set."""

    item: str
    value: int | None = None
    code: str | None = None
    text: str | None = None


class SingleValueMixin:
    """Refuse a field sent twice: which of two answers would be the respondent's?"""

    def process_formdata(self, valuelist):
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(_("Dit antwoord is meer dan één keer verstuurd. Kies één antwoord."))
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        # Stop here: Optional() would otherwise wipe this error when the first of the values is blank.
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)


class AnswerChoiceField(SingleValueMixin, StringField):
    """One answer code out of a fixed set (the page renders the radio buttons from the questionnaire).
    The wrong-choice message says what to pick (in the respondent's language, see i18n.py)."""

    def __init__(self, *args, codes: tuple[str, ...], invalid_message: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.invalid_message = invalid_message

    def pre_validate(self, form):
        super().pre_validate(form)
        # StopValidation, not ValidationError: Optional() clears errors for a blank value such as " ",
        # which would then be stored as an answer code.
        if self.data not in (None, "") and self.data not in self.codes:
            raise StopValidation(self.invalid_message)


class OpenTextField(SingleValueMixin, TextAreaField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            # Browsers send CRLF; store plain newlines and no surrounding blanks.
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n").strip()


def no_control_characters(form, field: Field) -> None:
    text = field.data or ""
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in _ALLOWED_CONTROLS for ch in text):
        raise ValidationError(
            _("Deze tekst bevat tekens die we niet kunnen opslaan. Gebruik gewone letters en cijfers."))


def _choice_for(item: Item) -> AnswerChoiceField:
    codes = tuple(option.code for option in item.answer_options())
    if item.type == "grade":
        invalid = _l("Kies een heel cijfer van 1 tot 10, of 'weet ik niet'.")
    else:
        invalid = _l("Kies een van de antwoorden in de lijst.")
    validators = [InputRequired(message=_l("Kies een antwoord bij deze vraag."))] if item.required else [Optional()]
    return AnswerChoiceField(item.text.nl, codes=codes, validators=validators, invalid_message=invalid)


def _text_for(item: Item) -> OpenTextField:
    return OpenTextField(item.text.nl, validators=[
        Optional(),
        # Lazy (the form class is cached across requests); Length fills in %(max)d.
        Length(max=item.max_length, message=_l("Uw antwoord is te lang. Gebruik hoogstens %(max)d tekens.")),
        no_control_characters,
    ])


class ResponseForm(FlaskForm):
    """Base of the generated forms: one field per item, named by the item key."""

    questionnaire: Questionnaire

    def answer_values(self) -> list[AnswerValue]:
        """The answers given, after validate(); unanswered items are left out."""
        values = []
        for item in self.questionnaire.items:
            data = self[item.key].data
            if data in (None, ""):
                continue
            if item.type == "open":
                values.append(AnswerValue(item.key, text=data))
            elif item.type in ("grade", "agree") and data not in MISSING_CODES:
                values.append(AnswerValue(item.key, value=int(data)))
            else:
                values.append(AnswerValue(item.key, code=data))
        return values

    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the summary at the top of the page, in question order."""
        return [(key, str(messages[0])) for key, messages in self.errors.items() if messages]


@lru_cache(maxsize=64)
def form_class(questionnaire: Questionnaire) -> type[ResponseForm]:
    """The form class for one questionnaire version."""
    fields = {"questionnaire": questionnaire}
    for item in questionnaire.items:
        fields[item.key] = _text_for(item) if item.type == "open" else _choice_for(item)
    return type(f"{questionnaire.key.title()}ResponseForm", (ResponseForm,), fields)


def check_answers(questionnaire: Questionnaire, data: MultiDict) -> tuple[list[AnswerValue], dict]:
    """Validate answers outside a request (paper import): (values, {item: [messages]})."""
    form = form_class(questionnaire)(formdata=data, meta={"csrf": False})
    if form.validate():
        return form.answer_values(), {}
    return [], {key: [str(message) for message in messages] for key, messages in form.errors.items()}

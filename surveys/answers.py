"""Turning submitted answers into checked answer values.

One set of rules per item serves the respondent pages and the paper import, so a web answer and a paper
answer pass exactly the same checks. The rules are plain code rather than a form library: a form post
is the hottest path of the service, and binding a dozen form fields per request cost more than storing
the answers. (The CSRF token of a post is checked before, in respond.refuse_unreadable_posts.)

The rules, per item:

- A field sent more than once is refused: which of two answers would be the respondent's?
- A choice (grade, agree, choice) must be one of the item's answer codes. Blank means unanswered, which a
  required item refuses; whitespace is not blank but a wrong answer, never stored as a code.
- A free text has its line ends made plain and its surrounding blanks removed. Only blanks means
  unanswered. It may be at most the item's max_length long and hold no control characters but newline
  and tab.
"""

import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .questionnaires import MISSING_CODES, Item, Questionnaire

_ALLOWED_CONTROLS = {"\n", "\t"}


@dataclass(frozen=True)
class AnswerValue:
    """A checked answer, ready to store: exactly one of value, code and text is set."""

    item: str
    value: int | None = None
    code: str | None = None
    text: str | None = None


@dataclass
class AnswerField:
    """One question as the page shows it again: the answer sent (None when not sent), why it is refused
    (`errors`, beside the question) and the same in a few words for the error summary (`summary`)."""

    data: str | None = None
    errors: list[str] = field(default_factory=list)
    summary: str | None = None


def _refused(raw: str | None, message: str, summary: str) -> AnswerField:
    return AnswerField(raw, [message], summary)


# What to do when a question has no answer, per kind of question: beside it, and in the summary (with its number).
def _unanswered(item: Item, number: int, raw: str | None) -> AnswerField:
    if item.type == "grade":
        return _refused(raw, _("Kies een cijfer van 1 tot 10. Weet u het niet? Kies dan 'Weet ik niet'."),
                        _("Kies een cijfer bij vraag %(number)d.", number=number))
    if item.type == "agree":
        return _refused(raw, _("Kies hoe eens u het bent met deze zin. Weet u het niet? Kies dan 'Weet ik niet'."),
                        _("Kies hoe eens u het bent bij vraag %(number)d.", number=number))
    return _refused(raw, _("Kies een van de antwoorden."), _("Kies een antwoord bij vraag %(number)d.", number=number))


def _check(item: Item, number: int, sent: list[str]) -> AnswerField:
    if len(sent) > 1:
        return _refused(None, _("Dit antwoord is meer dan één keer verstuurd. Kies één antwoord."),
                        _("Kies één antwoord bij vraag %(number)d.", number=number))
    raw = sent[0] if sent else None
    if item.type == "open":
        return _check_text(item, number, raw)
    if raw not in (None, "") and all(option.code != raw for option in item.answer_options()):
        if item.type == "grade":
            return _refused(raw, _("Kies een heel cijfer van 1 tot 10, of 'Weet ik niet'."),
                            _("Kies een heel cijfer bij vraag %(number)d.", number=number))
        return _refused(raw, _("Kies een van de antwoorden in de lijst."),
                        _("Kies een antwoord uit de lijst bij vraag %(number)d.", number=number))
    if item.required and not raw:
        return _unanswered(item, number, raw)
    return AnswerField(raw)


def _check_text(item: Item, number: int, raw: str | None) -> AnswerField:
    if raw is None:
        return AnswerField(None)
    # Browsers send CRLF; store plain newlines and no surrounding blanks.
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return AnswerField(text)
    errors, summary = [], None
    if len(text) > item.max_length:
        errors.append(_("Uw antwoord is te lang. Gebruik hoogstens %(max)d tekens.", max=item.max_length))
        summary = _("Maak uw antwoord bij vraag %(number)d korter.", number=number)
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in _ALLOWED_CONTROLS for ch in text):
        errors.append(_("Deze tekst bevat tekens die we niet kunnen opslaan. Gebruik gewone letters en cijfers."))
        summary = summary or _("Haal de vreemde tekens weg bij vraag %(number)d.", number=number)
    return AnswerField(text, errors, summary)


class AnswerSheet:
    """The answers to one questionnaire as sent (`formdata`, None for an empty page), once `validate()`
    has checked them: `sheet[item_key]` is that question's AnswerField, `errors` the refused ones."""

    def __init__(self, questionnaire: Questionnaire, formdata: MultiDict | None = None):
        self.questionnaire = questionnaire
        self.formdata = formdata
        self.fields = {item.key: AnswerField() for item in questionnaire.items}

    def __getitem__(self, key: str) -> AnswerField:
        return self.fields[key]

    @property
    def errors(self) -> dict[str, list[str]]:
        return {key: answer.errors for key, answer in self.fields.items() if answer.errors}

    def validate(self) -> bool:
        formdata = self.formdata if self.formdata is not None else MultiDict()
        self.fields = {item.key: _check(item, number, formdata.getlist(item.key))
                       for number, item in enumerate(self.questionnaire.items, start=1)}
        return not self.errors

    def show_again(self) -> None:
        """The answers as sent, to show on the page again without checking them (the language switch):
        nothing is stored from this sheet, and nobody is told off for a question not answered yet."""
        self.validate()
        self.fields = {key: AnswerField(answer.data) for key, answer in self.fields.items()}

    def answer_values(self) -> list[AnswerValue]:
        """The answers given, after validate(); unanswered items are left out."""
        values = []
        for item in self.questionnaire.items:
            data = self.fields[item.key].data
            if data in (None, ""):
                continue
            if item.type == "open":
                values.append(AnswerValue(item.key, text=data))
            elif item.type in ("grade", "agree") and data not in MISSING_CODES:
                values.append(AnswerValue(item.key, value=int(data)))
            else:
                values.append(AnswerValue(item.key, code=data))
        return values


def check_answers(questionnaire: Questionnaire, data: MultiDict) -> tuple[list[AnswerValue], dict]:
    """Validate answers outside a request (paper import): (values, {item: [messages]})."""
    sheet = AnswerSheet(questionnaire, data)
    if sheet.validate():
        return sheet.answer_values(), {}
    return [], sheet.errors

"""Respondent pages in plain Dutch (taalniveau B1, DESIGN.md §3 and STYLE.md): every text a respondent can
meet, from the questionnaires, the respondent templates and the messages of the form and error pages, in
short sentences and without the words the B1 review found too hard."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from surveys.questionnaires import QUESTIONNAIRE_KEYS, load_questionnaire

ROOT = Path(__file__).resolve().parent.parent / "surveys"
# Where respondent-facing messages are written: the respondent templates, the page frame, the error page, the
# form's checks and the error messages. (Staff pages are Dutch for staff; they are not in this check.)
RESPONDENT_SOURCES = ("templates/respond/", "templates/base.html", "templates/error.html", "answers.py", "errors.py")
LONGEST_SENTENCE = 20  # words; the B1 guideline of the Rijksoverheid's "Direct duidelijk"
# Found in the B1 review of issue 17, with what replaced them: an abbreviation and words above B1.
TOO_HARD = ("n.v.t.", "zorgaanbieder", "persoonlijke gegevens", "naaste", "venster", "meetronde", "rapportage",
            "bijsturen", "bij te sturen")


def respondent_messages() -> list[str]:
    """The Dutch messages of the respondent pages, as marked for translation."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = []
    for filename, _line, message, _comments, _context in extract_from_dir(ROOT, method_map=method_map,
                                                                           keywords=keywords):
        if filename.replace("\\", "/").startswith(RESPONDENT_SOURCES):
            found += [message] if isinstance(message, str) else [text for text in message if text]
    return found


def questionnaire_texts() -> list[str]:
    """The Dutch wording of every shipped questionnaire: title, intro, questions, hints and answers."""
    texts = []
    for key in QUESTIONNAIRE_KEYS:
        questionnaire = load_questionnaire(key)
        texts += [questionnaire.title.nl, questionnaire.intro.nl]
        for item in questionnaire.items:
            texts += [item.text.nl, *(t.nl for t in (item.hint, item.nvt_label) if t)]
            texts += [option.label.nl for option in item.answer_options()]
    return texts


def respondent_texts() -> list[str]:
    return respondent_messages() + questionnaire_texts()


def sentences(text: str) -> list[str]:
    """A text's sentences; a placeholder such as %(organisation)s counts as one word."""
    text = re.sub(r"%\(\w+\)[sd]", "X", text)
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


def test_the_check_splits_sentences_and_counts_placeholders_as_words():
    assert sentences("Kies een cijfer. Weet u het niet? Kies dan 'Weet ik niet'.") == [
        "Kies een cijfer.", "Weet u het niet?", "Kies dan 'Weet ik niet'."]
    assert sentences("Bel %(phone)s of mail %(email)s.") == ["Bel X of mail X."]


def test_the_texts_are_found():
    """The collection must hold the texts it is meant to check, or the checks below would pass on nothing."""
    texts = respondent_texts()
    assert "Antwoorden versturen" in texts  # a template
    assert "Dit antwoord is meer dan één keer verstuurd. Kies één antwoord." in texts  # answers.py
    assert "Pagina niet gevonden" in texts  # errors.py
    assert "Wat kan het Sociaal Team beter doen in de samenwerking?" in texts  # a questionnaire
    assert "Beheer" not in " ".join(texts)  # no staff page


def test_no_respondent_sentence_is_longer_than_20_words():
    too_long = [(len(sentence.split()), sentence) for text in respondent_texts() for sentence in sentences(text)
                if len(sentence.split()) > LONGEST_SENTENCE]
    assert too_long == []


def test_no_respondent_text_uses_a_word_the_b1_review_found_too_hard():
    found = [(word, text) for text in respondent_texts() for word in TOO_HARD
             if re.search(rf"(?<!\w){re.escape(word)}", text, re.IGNORECASE)]
    assert found == []

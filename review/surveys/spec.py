"""A public-satisfaction questionnaire as plain data (群众满意度测评, 当事人满意度).

Citizens and parties to cases answer on a phone, without an account, about the institution,
a department or the prosecutor who handled their case. No Flask app or database is needed
here: gettext only translates the error messages of ``Questionnaire.clean``.

One response yields a satisfaction index from 0 to 100 (``Questionnaire.index``); plans map
the mean index of all responses to points (``SurveySource``).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

KINDS = ("satisfaction", "single", "multiple", "rating", "text")
TARGETS = ("unit", "department", "person")
# The satisfaction scale of the source documents (shared/domain.md), best first as printed on forms.
SATISFACTION = ((5, "满意", "Satisfied"), (4, "较满意", "Fairly satisfied"), (3, "基本满意", "Basically satisfied"),
                (2, "不太满意", "Not very satisfied"), (1, "不满意", "Dissatisfied"))
RATING_MAX = 10
INDEX_KINDS = ("satisfaction", "rating")     # the kinds with a numeric scale, hence an index
CHOICE_KINDS = ("single", "multiple")        # the kinds with options
CONDITION_KINDS = ("satisfaction", "single", "multiple", "rating")  # a show_if can test these
TEXT_MAX = 2000


def is_english(lang: str) -> bool:
    """``en`` and its regional variants (``en_GB``, ``en-US``) pick the English texts."""
    return lang == "en" or lang.startswith(("en_", "en-"))


@dataclass(frozen=True)
class Option:
    code: str
    text: str
    text_en: str | None = None

    def label(self, lang: str = "zh") -> str:
        return self.text_en if is_english(lang) and self.text_en else self.text


@dataclass(frozen=True)
class ShowIf:
    """Show the question only when the earlier ``question`` was answered with one of ``values``
    (for a multiple-choice question: when any of them is selected). Values are kept as the
    strings a form submits, so that ``"5"`` and option codes compare alike."""
    question: str
    values: tuple[str, ...]

    def met(self, answer: object) -> bool:
        if answer is None:
            return False
        if isinstance(answer, (list, tuple, set)):
            return any(str(a) in self.values for a in answer)
        return str(answer) in self.values


@dataclass(frozen=True)
class Question:
    code: str
    kind: str
    text: str
    text_en: str | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    show_if: ShowIf | None = None
    index: bool = True  # counts toward the satisfaction index (only satisfaction and rating kinds can)

    def __post_init__(self) -> None:
        # A question without a scale can never count; normalising here keeps equality (and
        # so the YAML round trip) independent of how the flag was spelt for such a question.
        if self.index and self.kind not in INDEX_KINDS:
            object.__setattr__(self, "index", False)

    def label(self, lang: str = "zh") -> str:
        return self.text_en if is_english(lang) and self.text_en else self.text

    def choices(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(submitted value, label) pairs in display order; none for a text question."""
        if self.kind == "satisfaction":
            return [(str(v), en if is_english(lang) else zh) for v, zh, en in SATISFACTION]
        if self.kind == "rating":
            return [(str(v), str(v)) for v in range(1, RATING_MAX + 1)]
        if self.kind in CHOICE_KINDS:
            return [(o.code, o.label(lang)) for o in self.options]
        return []

    def values(self) -> list[str]:
        return [value for value, _label in self.choices()]

    @property
    def counts(self) -> bool:
        """Whether an answer to this question enters the satisfaction index."""
        return self.index and self.kind in INDEX_KINDS

    def score(self, answer: object) -> float | None:
        """An answer on 0–100: the scale's bottom is 0 and its top 100."""
        if not self.counts or isinstance(answer, bool) or not isinstance(answer, int):
            return None
        top = 5 if self.kind == "satisfaction" else RATING_MAX
        if not 1 <= answer <= top:
            return None  # not a choice of this question: stored data that no longer fits
        return (answer - 1) / (top - 1) * 100


@dataclass(frozen=True)
class Section:
    title: str
    title_en: str | None
    questions: tuple[Question, ...]

    def label(self, lang: str = "zh") -> str:
        return self.title_en if is_english(lang) and self.title_en else self.title


@dataclass(frozen=True)
class Questionnaire:
    name: str
    target: str
    title: str
    title_en: str | None
    intro: str | None
    intro_en: str | None
    sections: tuple[Section, ...]

    def label(self, lang: str = "zh") -> str:
        return self.title_en if is_english(lang) and self.title_en else self.title

    def intro_text(self, lang: str = "zh") -> str | None:
        return self.intro_en if is_english(lang) and self.intro_en else self.intro

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions() if q.code == code), None)

    def visible(self, answers: dict[str, object]) -> set[str]:
        """Codes of the questions shown, given the answers so far. A condition on a hidden
        question is never met, so hiding cascades down a chain of conditions."""
        shown: set[str] = set()
        for q in self.questions():
            if _shown(q, answers, shown):
                shown.add(q.code)
        return shown

    def clean(self, form: dict[str, list[str]]) -> tuple[dict[str, object], dict[str, str]]:
        """Typed answers and errors by question code from submitted form values.

        One pass in order: conditions only refer to earlier questions, so each question's
        visibility is decided by answers already cleaned. An answer to a hidden question is
        dropped (a phone may submit what the user typed before changing an earlier answer),
        and so is an invalid one: the questions depending on it stay hidden until it is fixed."""
        answers: dict[str, object] = {}
        errors: dict[str, str] = {}
        shown: set[str] = set()
        for q in self.questions():
            if not _shown(q, answers, shown):
                continue
            shown.add(q.code)
            value, error = _clean_one(q, form.get(q.code) or [])
            if error:
                errors[q.code] = error
            elif value is not None:
                answers[q.code] = value
            elif q.required:
                errors[q.code] = _("Please answer this question.")
        return answers, errors

    def index(self, answers: dict[str, object]) -> float | None:
        """The satisfaction index of one response, 0–100: the mean over its answered index
        questions; None when it answered none (it then says nothing about satisfaction)."""
        scores = [s for q in self.questions() if (s := q.score(answers.get(q.code))) is not None]
        return sum(scores) / len(scores) if scores else None


def _shown(q: Question, answers: dict[str, object], shown: set[str]) -> bool:
    if q.show_if is None:
        return True
    return q.show_if.question in shown and q.show_if.met(answers.get(q.show_if.question))


def _clean_one(q: Question, raw: list[str]) -> tuple[object | None, str | None]:
    """(typed answer or None when unanswered, error or None)."""
    # Unchecked radios and empty inputs arrive as empty strings; they mean "no answer".
    given = [v.strip() for v in raw if isinstance(v, str) and v.strip()]
    if q.kind == "multiple":
        return _clean_multiple(q, given)
    if not given:
        return None, None
    given = list(dict.fromkeys(given))  # a double-submitted field repeats the same value: still one answer
    if len(given) > 1:
        return None, _("Give only one answer.")
    value = given[0]
    if q.kind == "text":
        return _clean_text(value)
    if value not in q.values():
        return None, _invalid_choice(q, value)
    return (int(value) if q.kind in INDEX_KINDS else value), None


def _clean_multiple(q: Question, given: list[str]) -> tuple[list[str] | None, str | None]:
    known = q.values()
    unknown = [v for v in dict.fromkeys(given) if v not in known]
    if unknown:
        return None, _("Not among the options: %(values)s.", values=", ".join(unknown))
    # Option order, not click order, and each option once: a tampered or double-submitted form
    # must not count an option twice.
    picked = [code for code in known if code in given]
    return (picked or None), None


def _clean_text(value: str) -> tuple[str | None, str | None]:
    # Browsers send line breaks as CRLF; count them as one character, as the user sees them.
    value = value.replace("\r\n", "\n")
    if len(value) > TEXT_MAX:
        return None, _("The answer is too long: %(length)d characters, at most %(max)d.",
                       length=len(value), max=TEXT_MAX)
    return value, None


def _invalid_choice(q: Question, value: str) -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"  # don't echo a whole pasted essay back
    if q.kind == "satisfaction":
        return _("%(value)s is not a satisfaction level (1 to 5).", value=shown)
    if q.kind == "rating":
        return _("%(value)s is not a score from 1 to %(max)d.", value=shown, max=RATING_MAX)
    return _("%(value)s is not among the options.", value=shown)

"""Questionnaires in and out of YAML.

Reading collects every problem, each named by its path (``总体评价 › informed: options are
required for a single-choice question``), refuses unknown keys, and returns a questionnaire
only when there are none.

The format::

    name: 当事人满意度问卷          # unique name; plans refer to it:
                                    #   source: {type: survey, questionnaire: 当事人满意度问卷}
    target: person                  # what is rated: unit | department | person
    title: 请对承办检察官的工作进行评价
    title_en: Please rate the prosecutor who handled your case   # optional
    intro: 本问卷不记名……            # optional, shown above the questions
    intro_en: This survey is anonymous…                          # optional
    sections:                       # at least one
      - title: 总体评价              # required; title_en optional
        questions:                  # at least one per section
          - code: overall           # ^[a-z][a-z0-9_]{0,39}$, unique in the questionnaire
            kind: satisfaction      # 满意 5, 较满意 4, 基本满意 3, 不太满意 2, 不满意 1
            text: 您对承办检察官的总体评价
            text_en: Overall, how satisfied are you with the prosecutor?
          - code: informed
            kind: single            # one option
            text: 检察官是否告知您的诉讼权利？
            options:                # two or more; codes ^[a-z0-9_]{1,40}$, unique in the question
              - {code: "yes", text: 是, text_en: "Yes"}   # quote yes/no/on/off and numbers:
              - {code: "no", text: 否, text_en: "No"}     # YAML would read them as true/false/1
          - code: problems
            kind: multiple          # any number of options
            text: 您遇到了哪些问题？
            options: [...]
            required: false         # default true
            show_if: {question: informed, in: ["no"]}
          - code: score
            kind: rating            # 1 to 10
            text: 请为检察官打分（1–10）
            index: false            # satisfaction and rating count toward the index unless false
          - code: remarks
            kind: text              # free text, at most 2000 characters
            text: 其他意见建议
            required: false

Rules beyond the shape:

- ``show_if`` shows a question only when an EARLIER question (satisfaction, rating, single or
  multiple) was answered with one of the values in ``in`` (for multiple: any of them selected).
  The values must be choices of that question: option codes, or levels such as ``[1, 2]``. A
  hidden question is never required and its answer is dropped; a question conditioned on a
  hidden one is hidden too.
- ``index: true`` is allowed only on satisfaction and rating questions, where it is the default.
  The index of one response is the mean, over its answered index questions, of the answer on
  0–100 (satisfaction: (v − 1) / 4 × 100, rating: (v − 1) / 9 × 100).
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from flask_babel import gettext as _

from ..core import safe_yaml
from ..core.quoting import label_of, quoted

from .spec import CHOICE_KINDS, CONDITION_KINDS, INDEX_KINDS, KINDS, TARGETS, Option, Question, Questionnaire, \
    Section, ShowIf

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPTION_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
# Field names of the answer forms besides the questions' own (review/surveys/public_routes.py).
RESERVED_CODES = frozenset({"code", "send", "target", "csrf_token"})
QUESTIONNAIRE_KEYS = {"name", "target", "title", "title_en", "intro", "intro_en", "sections"}
SECTION_KEYS = {"title", "title_en", "questions"}
QUESTION_KEYS = {"code", "kind", "text", "text_en", "required", "options", "show_if", "index"}
OPTION_KEYS = {"code", "text", "text_en"}
SHOW_IF_KEYS = {"question", "in"}
KIND_NAMES = {"single": "single-choice", "multiple": "multiple-choice"}


class QuestionnaireInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _path(*parts: str) -> str:
    return " › ".join(p for p in parts if p)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []
        # Questions read so far, by code: show_if may only look back at these.
        self.earlier: dict[str, Question] = {}
        self.codes: set[str] = set()
        self.refused: set[str] = set()  # codes of questions refused for a problem of their own

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def mapping(self, data: Any, allowed: set[str], where: str, what: str) -> bool:
        """Whether ``data`` is a mapping; a misspelt key would silently do nothing
        (``requierd: false`` leaves the question required), so unknown keys are refused."""
        if not isinstance(data, dict):
            self.bad(where, _("%(what)s must be a mapping", what=what))
            return False
        for key in data:
            if key not in allowed:
                self.bad(where, _("unknown key %(key)r (allowed: %(allowed)s)", key=quoted(key),
                                  allowed=", ".join(sorted(allowed))))
        return True

    def text(self, data: dict, key: str, where: str, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(where, _("%(key)s is required", key=key))
            return None
        if not isinstance(value, str):
            # YAML reads yes/no as booleans and 12 as a number; say how to keep them as text.
            self.bad(where, _("%(key)s must be text, not %(value)r (put it in quotes)", key=key,
                              value=quoted(value)))
            return None
        return value.strip()

    def flag(self, data: dict, key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.bad(where, _("%(key)s must be true or false, not %(value)r", key=key, value=quoted(value)))
            return default
        return value

    # --- questionnaire ---

    def questionnaire(self, data: Any) -> Questionnaire | None:
        if not isinstance(data, dict):
            self.bad("", _("A questionnaire file must be a mapping with name, target, title and sections."))
            return None
        self.mapping(data, QUESTIONNAIRE_KEYS, "", "")
        name = self.text(data, "name", "", required=True)
        target = data.get("target")
        if target is None:
            self.bad("", _("target is required (%(known)s)", known=", ".join(TARGETS)))
        elif target not in TARGETS:
            self.bad("", _("target must be one of %(known)s, not %(value)r", known=", ".join(TARGETS),
                           value=quoted(target)))
        title = self.text(data, "title", "", required=True)
        title_en, intro, intro_en = (self.text(data, key, "") for key in ("title_en", "intro", "intro_en"))
        raw_sections = data.get("sections")
        sections: list[Section] = []
        if not isinstance(raw_sections, list) or not raw_sections:
            self.bad("", _("the questionnaire needs a list of sections"))
        else:
            for n, item in enumerate(raw_sections, start=1):
                section = self.section(item, n)
                if section is not None:
                    sections.append(section)
        return Questionnaire(name=name or "", target=target if target in TARGETS else "", title=title or "",
                             title_en=title_en, intro=intro, intro_en=intro_en, sections=tuple(sections))

    def section(self, data: Any, n: int) -> Section | None:
        # Sections are named by their title; an untitled one by its place.
        title = data.get("title") if isinstance(data, dict) else None
        where = label_of(title.strip()) if isinstance(title, str) and title.strip() else _("section %(n)d", n=n)
        if not self.mapping(data, SECTION_KEYS, where, _("a section")):
            return None
        title = self.text(data, "title", where, required=True)
        title_en = self.text(data, "title_en", where)
        raw = data.get("questions")
        if not isinstance(raw, list) or not raw:
            self.bad(where, _("the section needs a list of questions"))
            return None
        questions = [q for q in (self.question(item, where, i) for i, item in enumerate(raw, start=1)) if q]
        return Section(title or "", title_en, tuple(questions))

    def question(self, data: Any, section: str, n: int) -> Question | None:
        code = data.get("code") if isinstance(data, dict) else None
        where = _path(section, label_of(code) if isinstance(code, str) and code else _("question %(n)d", n=n))
        if not self.mapping(data, QUESTION_KEYS, where, _("a question")):
            return None
        before = len(self.problems)
        code_ok = self.code(data, where)
        kind = data.get("kind")
        if kind is None:
            self.bad(where, _("kind is required (%(known)s)", known=", ".join(KINDS)))
        elif kind not in KINDS:
            self.bad(where, _("kind must be one of %(known)s, not %(value)r", known=", ".join(KINDS),
                              value=quoted(kind)))
        text = self.text(data, "text", where, required=True)
        text_en = self.text(data, "text_en", where)
        required = self.flag(data, "required", where, True)
        index = self.flag(data, "index", where, kind in INDEX_KINDS)
        if index and kind in KINDS and kind not in INDEX_KINDS:
            self.bad(where, _("only satisfaction and rating questions can count toward the index"))
        options = self.options(data, kind, where)
        show_if = self.show_if(data.get("show_if"), where) if "show_if" in data else None
        if len(self.problems) > before:
            if code_ok:
                self.refused.add(data["code"])
            return None
        question = Question(code=data["code"], kind=kind, text=text, text_en=text_en, required=required,
                            options=options, show_if=show_if, index=index)
        self.earlier[question.code] = question
        return question

    def code(self, data: dict, where: str) -> bool:
        code = data.get("code")
        if code is None:
            self.bad(where, _("code is required"))
            return False
        if not isinstance(code, str) or not CODE.match(code):
            self.bad(where, _("code %(code)r must be lower-case letters, digits and _, starting with a letter, "
                              "at most 40", code=quoted(code)))
            return False
        if code in RESERVED_CODES:
            self.bad(where, _("%(code)s is a name the answer form uses itself; choose another code", code=code))
            return False
        if code in self.codes:
            self.bad(where, _("question code %(code)s is used twice", code=code))
            return False
        self.codes.add(code)
        return True

    def options(self, data: dict, kind: Any, where: str) -> tuple[Option, ...]:
        raw = data.get("options")
        if kind not in CHOICE_KINDS:
            if "options" in data and kind in KINDS:
                self.bad(where, _("options are only for single- and multiple-choice questions"))
            return ()
        if not isinstance(raw, list) or len(raw) < 2:
            self.bad(where, _("options are required for a %(kind)s question (at least two)", kind=KIND_NAMES[kind]))
            return ()
        out: list[Option] = []
        seen: set[str] = set()
        for n, item in enumerate(raw, start=1):
            option = self.option(item, _path(where, _("option %(n)d", n=n)))
            if option is None:
                continue
            if option.code in seen:
                self.bad(where, _("option code %(code)s is used twice", code=option.code))
                continue
            seen.add(option.code)
            out.append(option)
        return tuple(out)

    def option(self, data: Any, where: str) -> Option | None:
        if not self.mapping(data, OPTION_KEYS, where, _("an option")):
            return None
        code = data.get("code")
        ok = self.option_code(code, where, _("option code"))
        text = self.text(data, "text", where, required=True)
        text_en = self.text(data, "text_en", where)
        return Option(code, text, text_en) if ok and text is not None else None

    def option_code(self, code: Any, where: str, what: str) -> bool:
        if code is None:
            self.bad(where, _("%(what)s is required", what=what))
            return False
        if not isinstance(code, str):
            # yes, no, on, off, true, false and numbers are not strings to YAML: the author's
            # "no" arrives as False, and nothing here can tell what they typed.
            self.bad(where, _("%(what)s %(value)r is not text: put it in quotes, e.g. \"yes\"", what=what,
                              value=quoted(code)))
            return False
        if not OPTION_CODE.match(code):
            self.bad(where, _("%(what)s %(value)r must be lower-case letters, digits and _, at most 40",
                              what=what, value=quoted(code)))
            return False
        return True

    def show_if(self, data: Any, where: str) -> ShowIf | None:
        where = _path(where, "show_if")
        if not self.mapping(data, SHOW_IF_KEYS, where, "show_if"):
            return None
        ref = data.get("question")
        if not isinstance(ref, str) or not ref:
            self.bad(where, _("question is required: the code of an earlier question"))
            return None
        target = self.earlier.get(ref)
        if target is None:
            # A refused question is already listed; a second line about it would only add noise.
            if ref not in self.refused:
                self.bad(where, _("%(code)s is not an earlier question", code=label_of(ref)))
            return None
        if target.kind not in CONDITION_KINDS:
            self.bad(where, _("%(code)s is a %(kind)s question; a condition can only test satisfaction, rating, "
                              "single- and multiple-choice questions", code=ref, kind=target.kind))
            return None
        values = self.condition_values(data.get("in"), target, where)
        return ShowIf(ref, values) if values else None

    def condition_values(self, raw: Any, target: Question, where: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.bad(where, _("in must be a list of answers of %(code)s", code=target.code))
            return ()
        valid = target.values()
        out: list[str] = []
        for value in raw:
            if target.kind in INDEX_KINDS and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # levels are naturally written as numbers: in: [1, 2]
            elif target.kind in CHOICE_KINDS and not self.option_code(value, where, _("value")):
                continue
            if not isinstance(value, str) or value not in valid:
                self.bad(where, _("%(value)r is not a choice of %(code)s (%(valid)s)", value=quoted(value),
                                  code=target.code, valid=", ".join(valid)))
                continue
            out.append(value)
        return tuple(out)


def parse_questionnaire(data: Any) -> Questionnaire:
    """A questionnaire from already-parsed YAML/JSON data; raises QuestionnaireInvalid listing
    every problem."""
    reader = _Reader()
    questionnaire = reader.questionnaire(data)
    if reader.problems or questionnaire is None:
        raise QuestionnaireInvalid(reader.problems)
    return questionnaire


def load_questionnaire(text: str) -> Questionnaire:
    """A questionnaire from YAML written by a user: read within the bounds of review.core.safe_yaml."""
    try:
        data = safe_yaml.load(text)
    except safe_yaml.YamlProblem as exc:
        raise QuestionnaireInvalid([exc.message]) from None
    return parse_questionnaire(data)


# --- writing -------------------------------------------------------------------


def _with_en(out: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        out[key] = value


def _question_dict(q: Question, kinds: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"code": q.code, "kind": q.kind, "text": q.text}
    _with_en(out, "text_en", q.text_en)
    if q.options:
        out["options"] = []
        for o in q.options:
            option = {"code": o.code, "text": o.text}
            _with_en(option, "text_en", o.text_en)
            out["options"].append(option)
    if not q.required:
        out["required"] = False
    if q.show_if is not None:
        values: list[Any] = list(q.show_if.values)
        if kinds.get(q.show_if.question) in INDEX_KINDS:
            values = [int(v) for v in values]  # levels read better as numbers; the reader makes them strings again
        out["show_if"] = {"question": q.show_if.question, "in": values}
    if q.kind in INDEX_KINDS and not q.index:
        out["index"] = False
    return out


def questionnaire_to_dict(q: Questionnaire) -> dict[str, Any]:
    kinds = {question.code: question.kind for question in q.questions()}
    out: dict[str, Any] = {"name": q.name, "target": q.target, "title": q.title}
    _with_en(out, "title_en", q.title_en)
    if q.intro:
        out["intro"] = q.intro
    _with_en(out, "intro_en", q.intro_en)
    out["sections"] = []
    for s in q.sections:
        section: dict[str, Any] = {"title": s.title}
        _with_en(section, "title_en", s.title_en)
        section["questions"] = [_question_dict(question, kinds) for question in s.questions]
        out["sections"].append(section)
    return out


def dump_questionnaire(q: Questionnaire) -> str:
    return yaml.safe_dump(questionnaire_to_dict(q), allow_unicode=True, sort_keys=False, width=100)

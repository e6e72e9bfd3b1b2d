"""Questionnaires for public satisfaction surveys: the YAML reader refuses bad files with every
problem named by its path, the examples load, and a questionnaire cleans phone answers and turns
them into a satisfaction index. Plain data: no app, no database (gettext without an app
leaves the English messages as they are)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from review.surveys.spec import SATISFACTION, Option, Question, Questionnaire, Section
from review.surveys.yaml_io import (QuestionnaireInvalid, dump_questionnaire, load_questionnaire,
                                    parse_questionnaire, questionnaire_to_dict)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "questionnaires"

GOOD = """
name: 测试问卷
target: person
title: 请对承办检察官进行评价
title_en: Please rate the prosecutor
sections:
  - title: 总体评价
    questions:
      - {code: overall, kind: satisfaction, text: 总体评价, text_en: Overall}
      - code: informed
        kind: single
        text: 是否告知诉讼权利？
        options: [{code: "yes", text: 是, text_en: "Yes"}, {code: "no", text: 否}]
      - code: problems
        kind: multiple
        text: 遇到了哪些问题？
        required: false
        show_if: {question: informed, in: ["no"]}
        options: [{code: rude, text: 态度生硬}, {code: slow, text: 办案拖延}, {code: other, text: 其他}]
      - code: detail            # required, but only asked when "other" was picked above
        kind: text
        text: 请说明其他问题
        show_if: {question: problems, in: [other]}
  - title: 打分
    questions:
      - {code: score, kind: rating, text: 请打分}
      - {code: helpful, kind: satisfaction, text: 是否方便, index: false}
      - {code: low, kind: text, text: 为何不满意, required: false, show_if: {question: overall, in: [1, 2]}}
      - {code: remarks, kind: text, text: 其他意见, required: false}
"""


def good() -> dict:
    return yaml.safe_load(GOOD)


def problems_of(data) -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as exc:
        parse_questionnaire(data)
    return exc.value.problems


def question(data: dict, code: str) -> dict:
    return next(q for s in data["sections"] for q in s["questions"] if q.get("code") == code)


# --- reading and writing -------------------------------------------------------------


@pytest.mark.parametrize("name, title, target", [
    ("party_satisfaction", "当事人满意度问卷", "person"),
    ("public_satisfaction", "群众满意度测评问卷", "unit"),
])
def test_examples_load_and_round_trip(name, title, target):
    q = load_questionnaire((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert (q.name, q.target) == (title, target)
    assert load_questionnaire(dump_questionnaire(q)) == q
    kinds = {x.kind for x in q.questions()}
    assert {"satisfaction", "single", "multiple", "text"} <= kinds
    assert any(x.show_if for x in q.questions())
    # English throughout, so that the phone page can switch languages.
    assert q.title_en and q.intro_en and all(s.title_en for s in q.sections)
    assert all(x.text_en for x in q.questions())
    assert all(o.text_en for x in q.questions() for o in x.options)


def test_good_questionnaire_loads_and_round_trips():
    q = load_questionnaire(GOOD)
    assert [x.code for x in q.questions()] == ["overall", "informed", "problems", "detail", "score", "helpful",
                                                "low", "remarks"]
    assert q.question("problems").show_if.values == ("no",)
    assert q.question("low").show_if.values == ("1", "2")  # levels written as numbers, kept as form strings
    assert q.question("detail").required and not q.question("remarks").required
    assert [x.index for x in q.questions()] == [True, False, False, False, True, False, False, False]
    assert q.question("nothing") is None
    text = dump_questionnaire(q)
    assert "'yes'" in text and "'no'" in text  # quoted, or YAML would read them back as booleans
    assert question(yaml.safe_load(text), "low")["show_if"] == {"question": "overall", "in": [1, 2]}
    assert load_questionnaire(text) == q
    assert parse_questionnaire(questionnaire_to_dict(q)) == q


def test_defaults_are_not_written_out():
    out = questionnaire_to_dict(load_questionnaire(GOOD))
    overall = out["sections"][0]["questions"][0]
    assert overall == {"code": "overall", "kind": "satisfaction", "text": "总体评价", "text_en": "Overall"}
    assert question(out, "helpful")["index"] is False
    assert "intro" not in out


def test_a_question_without_a_scale_never_counts():
    assert Question("remarks", "text", "意见", index=True).index is False
    assert Question("overall", "satisfaction", "总体").index is True


def test_yaml_syntax_error_is_one_problem_with_its_line():
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire("name: x\nsections: [\n  - a: b\n")
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith("line ")


def test_not_a_mapping():
    assert problems_of(["a"]) == ["A questionnaire file must be a mapping with name, target, title and sections."]


# --- validation: every problem named by its path, nothing returned -------------------------


def drop(*keys):
    def change(d):
        target = d
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]
    return change


def set_(path, value):
    def change(d):
        target = d
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
    return change


def on_question(which: str, /, **changes):
    def change(d):
        q = question(d, which)
        for key, value in changes.items():
            if value is ...:
                del q[key]
            else:
                q[key] = value
    return change


TARGETS = "unit, department, person"
KINDS = "satisfaction, single, multiple, rating, text"
Q_KEYS = "code, index, kind, options, required, show_if, text, text_en"


@pytest.mark.parametrize("change, expected", [
    # required keys
    (drop("name"), "name is required"),
    (set_(["name"], "  "), "name is required"),
    (drop("target"), f"target is required ({TARGETS})"),
    (drop("title"), "title is required"),
    (drop("sections"), "the questionnaire needs a list of sections"),
    (set_(["sections"], []), "the questionnaire needs a list of sections"),
    (drop("sections", 0, "title"), "section 1: title is required"),
    (set_(["sections", 1, "questions"], []), "打分: the section needs a list of questions"),
    (set_(["sections", 1], "打分"), "section 2: a section must be a mapping"),
    (on_question("helpful", code=...), "打分 › question 2: code is required"),
    (on_question("overall", kind=...), f"总体评价 › overall: kind is required ({KINDS})"),
    (on_question("overall", text=...), "总体评价 › overall: text is required"),
    # allowed values
    (set_(["target"], "court"), f"target must be one of {TARGETS}, not 'court'"),
    (on_question("overall", kind="scale"), f"总体评价 › overall: kind must be one of {KINDS}, not 'scale'"),
    (on_question("helpful", code="Helpful"),
     "打分 › Helpful: code 'Helpful' must be lower-case letters, digits and _, starting with a letter, at most 40"),
    (on_question("remarks", code="1st"),
     "打分 › 1st: code '1st' must be lower-case letters, digits and _, starting with a letter, at most 40"),
    (on_question("remarks", code="score"), "打分 › score: question code score is used twice"),
    (on_question("overall", text=True), "总体评价 › overall: text must be text, not True (put it in quotes)"),
    (set_(["title_en"], 12), "title_en must be text, not 12 (put it in quotes)"),
    (on_question("remarks", required="no"), "打分 › remarks: required must be true or false, not 'no'"),
    # options
    (on_question("informed", options=...),
     "总体评价 › informed: options are required for a single-choice question (at least two)"),
    (on_question("problems", options=[{"code": "rude", "text": "态度生硬"}]),
     "总体评价 › problems: options are required for a multiple-choice question (at least two)"),
    (on_question("overall", options=[{"code": "a", "text": "甲"}, {"code": "b", "text": "乙"}]),
     "总体评价 › overall: options are only for single- and multiple-choice questions"),
    (on_question("informed", options=[{"code": "yes", "text": "是"}, {"code": "yes", "text": "对"}]),
     "总体评价 › informed: option code yes is used twice"),
    (on_question("informed", options=[{"code": True, "text": "是"}, {"code": "no", "text": "否"}]),
     '总体评价 › informed › option 1: option code True is not text: put it in quotes, e.g. "yes"'),
    (on_question("informed", options=[{"code": "yes", "text": "是"}, {"code": "No!", "text": "否"}]),
     "总体评价 › informed › option 2: option code 'No!' must be lower-case letters, digits and _, at most 40"),
    (on_question("informed", options=[{"code": "yes", "text": "是"}, {"code": "no"}]),
     "总体评价 › informed › option 2: text is required"),
    # index
    (on_question("informed", index=True),
     "总体评价 › informed: only satisfaction and rating questions can count toward the index"),
    (on_question("remarks", index=True),
     "打分 › remarks: only satisfaction and rating questions can count toward the index"),
    # show_if
    (on_question("informed", show_if={"question": "score", "in": [10]}),
     "总体评价 › informed › show_if: score is not an earlier question"),
    (on_question("informed", show_if={"question": "nothing", "in": ["a"]}),
     "总体评价 › informed › show_if: nothing is not an earlier question"),
    (on_question("informed", show_if={"question": "informed", "in": ["yes"]}),
     "总体评价 › informed › show_if: informed is not an earlier question"),
    (on_question("score", show_if={"question": "detail", "in": ["x"]}),
     "打分 › score › show_if: detail is a text question; a condition can only test satisfaction, rating, "
     "single- and multiple-choice questions"),
    (on_question("problems", show_if={"question": "informed", "in": ["maybe"]}),
     "总体评价 › problems › show_if: 'maybe' is not a choice of informed (yes, no)"),
    (on_question("problems", show_if={"question": "informed", "in": [False]}),
     '总体评价 › problems › show_if: value False is not text: put it in quotes, e.g. "yes"'),
    (on_question("low", show_if={"question": "overall", "in": [0, 2]}),
     "打分 › low › show_if: '0' is not a choice of overall (5, 4, 3, 2, 1)"),
    (on_question("low", show_if={"question": "score", "in": [11]}),
     "打分 › low › show_if: '11' is not a choice of score (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)"),
    (on_question("low", show_if={"question": "overall", "in": []}),
     "打分 › low › show_if: in must be a list of answers of overall"),
    (on_question("low", show_if={"question": "overall"}),
     "打分 › low › show_if: in must be a list of answers of overall"),
    (on_question("low", show_if={"in": [1]}),
     "打分 › low › show_if: question is required: the code of an earlier question"),
    (on_question("low", show_if="overall"), "打分 › low › show_if: show_if must be a mapping"),
    # unknown keys at every level
    (set_(["version"], 2), "unknown key 'version' (allowed: intro, intro_en, name, sections, target, title, "
                           "title_en)"),
    (set_(["sections", 0, "name"], "x"), "总体评价: unknown key 'name' (allowed: questions, title, title_en)"),
    (on_question("remarks", requierd=False), f"打分 › remarks: unknown key 'requierd' (allowed: {Q_KEYS})"),
    (on_question("informed", options=[{"code": "yes", "text": "是", "value": 1}, {"code": "no", "text": "否"}]),
     "总体评价 › informed › option 1: unknown key 'value' (allowed: code, text, text_en)"),
    (on_question("problems", show_if={"question": "informed", "in": ["no"], "not": True}),
     "总体评价 › problems › show_if: unknown key 'not' (allowed: in, question)"),
])
def test_each_problem_is_named_by_its_path(change, expected):
    data = good()
    change(data)
    assert problems_of(data) == [expected]


def test_every_problem_is_listed_at_once():
    data = good()
    data["target"] = "court"
    on_question("informed", options=[{"code": True, "text": "是"}, {"code": False, "text": "否"}])(data)
    on_question("remarks", kind="essay", colour="red")(data)
    found = problems_of(data)
    assert found == [
        f"target must be one of {TARGETS}, not 'court'",
        '总体评价 › informed › option 1: option code True is not text: put it in quotes, e.g. "yes"',
        '总体评价 › informed › option 2: option code False is not text: put it in quotes, e.g. "yes"',
        # informed is refused, so problems' condition on it adds no second line about it
        f"打分 › remarks: unknown key 'colour' (allowed: {Q_KEYS})",
        f"打分 › remarks: kind must be one of {KINDS}, not 'essay'",
    ]


def test_unquoted_yes_no_in_yaml_is_explained():
    text = GOOD.replace('{code: "yes", text: 是, text_en: "Yes"}, {code: "no", text: 否}',
                        "{code: yes, text: 是}, {code: no, text: 否}")
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire(text)
    assert exc.value.problems[:2] == [
        '总体评价 › informed › option 1: option code True is not text: put it in quotes, e.g. "yes"',
        '总体评价 › informed › option 2: option code False is not text: put it in quotes, e.g. "yes"',
    ]


# --- visibility ------------------------------------------------------------------------


@pytest.fixture
def q() -> Questionnaire:
    return load_questionnaire(GOOD)


ALWAYS = {"overall", "informed", "score", "helpful", "remarks"}


def test_visible_follows_earlier_answers(q):
    assert q.visible({}) == ALWAYS
    assert q.visible({"informed": "yes"}) == ALWAYS
    assert q.visible({"informed": "no"}) == ALWAYS | {"problems"}
    assert q.visible({"informed": "no", "problems": ["rude", "other"]}) == ALWAYS | {"problems", "detail"}
    assert q.visible({"overall": 2}) == ALWAYS | {"low"}
    assert q.visible({"overall": 3}) == ALWAYS


def test_hiding_cascades_down_a_chain(q):
    # problems is hidden, so a stale answer to it does not show detail.
    assert q.visible({"informed": "yes", "problems": ["other"]}) == ALWAYS


# --- cleaning -------------------------------------------------------------------------


def form(**fields) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


BASE = dict(overall="4", informed="yes", score="8", helpful="5")


def test_clean_types_every_kind(q):
    answers, errors = q.clean(form(overall="5", informed="no", problems=["slow", "other"], detail="  等了三个月  ",
                                   score="10", helpful="1", remarks="", csrf_token="abc"))
    assert errors == {}
    assert answers == {"overall": 5, "informed": "no", "problems": ["slow", "other"], "detail": "等了三个月",
                       "score": 10, "helpful": 1}


def test_required_questions_must_be_answered(q):
    answers, errors = q.clean({"overall": [""], "remarks": ["  "]})
    assert answers == {}
    assert errors == {code: "Please answer this question." for code in ("overall", "informed", "score", "helpful")}


def test_hidden_question_is_not_required_and_its_answer_dropped(q):
    answers, errors = q.clean(form(**BASE, problems=["rude"], detail="", low="太慢"))
    assert errors == {}
    assert answers == {"overall": 4, "informed": "yes", "score": 8, "helpful": 5}


def test_chained_hiding_in_clean(q):
    # informed = yes hides problems, which hides detail: required as it is, detail is not asked.
    answers, errors = q.clean(form(**BASE, problems=["other"]))
    assert errors == {} and "problems" not in answers and "detail" not in answers
    # informed = no and other picked: now detail is asked.
    _answers, errors = q.clean(form(**{**BASE, "informed": "no"}, problems=["other"]))
    assert errors == {"detail": "Please answer this question."}
    # informed = no but other not picked: detail stays hidden.
    answers, errors = q.clean(form(**{**BASE, "informed": "no"}, problems=["rude"], detail="x"))
    assert errors == {} and "detail" not in answers


def test_optional_multiple_may_be_empty(q):
    answers, errors = q.clean(form(**{**BASE, "informed": "no"}))
    assert errors == {} and "problems" not in answers


def test_invalid_earlier_answer_hides_what_depends_on_it(q):
    _answers, errors = q.clean(form(**{**BASE, "informed": "maybe"}, problems=["other"]))
    assert errors == {"informed": "maybe is not among the options."}


@pytest.mark.parametrize("code, value, error", [
    ("overall", "6", "6 is not a satisfaction level (1 to 5)."),
    ("overall", "0", "0 is not a satisfaction level (1 to 5)."),
    ("overall", "满意", "满意 is not a satisfaction level (1 to 5)."),
    ("score", "11", "11 is not a score from 1 to 10."),
    ("score", "0", "0 is not a score from 1 to 10."),
    ("score", "7.5", "7.5 is not a score from 1 to 10."),
    ("score", "07", "07 is not a score from 1 to 10."),
    ("informed", "YES", "YES is not among the options."),
    ("informed", "x" * 100, "x" * 40 + "… is not among the options."),
    ("informed", ["yes", "no"], "Give only one answer."),
    ("score", ["3", "4"], "Give only one answer."),
])
def test_invalid_values_are_named(q, code, value, error):
    answers, errors = q.clean(form(**{**BASE, code: value}))
    assert errors == {code: error}
    assert code not in answers


def test_the_same_value_twice_is_one_answer(q):
    answers, errors = q.clean(form(**{**BASE, "score": ["3", "3"]}))
    assert errors == {} and answers["score"] == 3


def test_multiple_keeps_option_order_and_drops_duplicates(q):
    answers, errors = q.clean(form(**{**BASE, "informed": "no"}, problems=["other", "rude", "other", "", "rude"],
                                   detail="x"))
    assert errors == {} and answers["problems"] == ["rude", "other"]


def test_multiple_refuses_unknown_options(q):
    _answers, errors = q.clean(form(**{**BASE, "informed": "no"}, problems=["rude", "bribe", "bribe", "late"]))
    assert errors == {"problems": "Not among the options: bribe, late."}


def test_text_is_stripped_and_limited(q):
    answers, errors = q.clean(form(**BASE, remarks="\n  " + "好" * 2000 + "  \n"))
    assert errors == {} and answers["remarks"] == "好" * 2000
    # A line break typed on the phone is one character, though the browser sends two.
    answers, errors = q.clean(form(**BASE, remarks="ab" + "\r\na" * 999))
    assert errors == {} and len(answers["remarks"]) == 2000
    answers, errors = q.clean(form(**BASE, remarks="好" * 2001))
    assert errors == {"remarks": "The answer is too long: 2001 characters, at most 2000."}
    assert "remarks" not in answers


# --- choices and labels --------------------------------------------------------------


def test_choices_and_labels(q):
    assert q.question("overall").choices() == [("5", "满意"), ("4", "较满意"), ("3", "基本满意"), ("2", "不太满意"),
                                               ("1", "不满意")]
    assert q.question("overall").choices("en")[0] == ("5", "Satisfied")
    assert q.question("score").choices() == [(str(i), str(i)) for i in range(1, 11)]
    # English where given, Chinese otherwise.
    assert q.question("informed").choices("en") == [("yes", "Yes"), ("no", "否")]
    assert q.question("informed").choices() == [("yes", "是"), ("no", "否")]
    assert q.question("remarks").choices() == []
    assert q.question("overall").label("en") == "Overall"
    assert q.question("score").label("en") == "请打分"
    assert q.question("overall").label() == "总体评价"


# --- the satisfaction index ------------------------------------------------------------


def test_index_maps_satisfaction_and_rating_to_0_100(q):
    assert q.index({"overall": 5, "score": 10}) == 100
    assert q.index({"overall": 1, "score": 1}) == 0
    assert q.index({"overall": 3, "score": 1}) == pytest.approx(25)       # (50 + 0) / 2
    assert q.index({"overall": 4}) == pytest.approx(75)                   # (4 − 1) / 4
    assert q.index({"score": 4}) == pytest.approx(100 / 3)                # (4 − 1) / 9


def test_index_ignores_questions_outside_it(q):
    # helpful is a satisfaction question with index: false; the others have no scale.
    answers = {"overall": 5, "helpful": 1, "informed": "no", "problems": ["rude"], "remarks": "差"}
    assert q.index(answers) == 100


def test_index_is_none_when_nothing_counts(q):
    assert q.index({}) is None
    assert q.index({"helpful": 5, "informed": "yes"}) is None


def test_index_of_cleaned_answers(q):
    answers, _errors = q.clean(form(overall="4", informed="yes", score="7", helpful="2"))
    assert q.index(answers) == pytest.approx((75 + 200 / 3) / 2)


def scaled_questionnaire(kinds: list[str]) -> Questionnaire:
    questions = tuple(Question(f"q{i}", kind, f"问题{i}") for i, kind in enumerate(kinds))
    return Questionnaire("随机", "unit", "测评", None, None, None, (Section("评价", None, questions),))


@given(st.lists(st.sampled_from(["satisfaction", "rating"]), min_size=1, max_size=12).flatmap(
    lambda kinds: st.tuples(st.just(kinds), st.tuples(*(
        st.one_of(st.none(), st.sampled_from([v for v, _zh, _en in SATISFACTION]) if k == "satisfaction"
                  else st.integers(1, 10)) for k in kinds)))))
def test_index_stays_within_0_100(case):
    kinds, values = case
    q = scaled_questionnaire(kinds)
    answers = {f"q{i}": v for i, v in enumerate(values) if v is not None}
    index = q.index(answers)
    if answers:
        assert index is not None and 0 <= index <= 100
    else:
        assert index is None


def test_options_in_code_are_plain_data():
    # Built in code rather than read: the same behaviour.
    question_ = Question("pick", "single", "选择", options=(Option("a", "甲", "A"), Option("b", "乙")))
    q = Questionnaire("代码问卷", "department", "测评", None, None, None, (Section("一", None, (question_,)),))
    assert q.clean({"pick": ["b"]}) == ({"pick": "b"}, {})
    assert load_questionnaire(dump_questionnaire(q)) == q


def test_question_codes_may_not_take_the_answer_forms_own_field_names():
    from review.surveys.yaml_io import QuestionnaireInvalid, parse_questionnaire
    data = {"name": "x", "target": "unit", "title": "t", "sections": [{"title": "s", "questions": [
        {"code": "target", "kind": "satisfaction", "text": "q"}]}]}
    with pytest.raises(QuestionnaireInvalid) as exc:
        parse_questionnaire(data)
    assert "target" in exc.value.problems[0] and "form" in exc.value.problems[0]

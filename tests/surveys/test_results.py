"""Survey results: per target and question, the index, verified and unverified apart, the k-threshold
for people, moderation of texts, exports, and the index feeding a campaign's survey indicator."""
import csv
import io
import os

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review.campaigns import operations as campaign_ops
from review.campaigns.models import Result
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan
from review.surveys import answering, tokens
from review.surveys.models import SurveyAnswer
from review.surveys.operations import create_survey, save_questionnaire
from review.surveys.yaml_io import load_questionnaire

from ..factories import small_institution

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "questionnaires")
PLAN = """
name: 检察官考核（含当事人评价）
year: 2025
mode: weights
appraises: {categories: [quota]}
indicators:
  - code: work
    name: 工作
    weight: 80
    source: {type: manual}
  - code: parties
    name: 当事人满意度
    weight: 20
    source: {type: survey, questionnaire: 当事人满意度问卷}
grades: {rules: [{grade: 合格}]}
"""


def answer(overall, score, remarks=""):
    form = {"overall": [str(overall)], "informed": ["yes"], "attitude": [str(overall)], "integrity": ["not_seen"],
            "score": [str(score)]}
    if overall <= 2:
        form["reasons"] = ["delay"]
    if remarks:
        form["remarks"] = [remarks]
    return form


@pytest.fixture
def answered(make, app, client, auth):
    o = small_institution(make)
    campaign = campaign_ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    with open(os.path.join(EXAMPLES, "party_satisfaction.yaml"), encoding="utf-8") as f:
        version = save_questionnaire(load_questionnaire(f.read()))
    survey = create_survey(version, o["county"], "当事人满意度调查", campaign)
    well, few = o["s1"][0], o["s1"][1]
    made = tokens.new_tokens(4)
    tokens.issue(survey, well.id, well.name, made)
    other = tokens.new_tokens(2)
    tokens.issue(survey, few.id, few.name, other)
    for t, (overall, score, text) in zip(made, [(5, 10, "=HYPERLINK(1)"), (5, 9, ""), (4, 8, "很负责"),
                                                (2, 4, "拖得太久")]):
        answering.submit(t.code, answer(overall, score, text))
    answering.submit(other[0].code, answer(1, 1, "只有一个人说"))
    survey.open_key = "kiosk-key"
    for _i in range(3):
        answering.submit_open(survey, well.id, answer(5, 10))
    answering.close(survey)
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    return o, survey, campaign


def test_index_and_distributions_verified_and_unverified_apart(client, answered):
    o, survey, _c = answered
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    q = survey.questionnaire_version.spec()
    expected = sum(q.index(answering_form) for answering_form in [
        {"overall": 5, "attitude": 5, "score": 10}, {"overall": 5, "attitude": 5, "score": 9},
        {"overall": 4, "attitude": 4, "score": 8}, {"overall": 2, "attitude": 2, "score": 4}]) / 4
    assert f"{expected:.1f}" in page
    assert "当事人满意度，满分 20" in page and f"{expected / 100 * 20:.2f}" in page  # onto the indicator's points
    assert "data-chart" in page and "echarts" in page
    detail = client.get(f"/surveys/{survey.id}/results/person/{o['s1'][0].id}").get_data(as_text=True)
    assert "很负责" in detail and "拖得太久" in detail
    unverified = client.get(f"/surveys/{survey.id}/results/person/{o['s1'][0].id}?unverified=1").get_data(as_text=True)
    assert "未经验证" in unverified and "100.0" in unverified


def test_a_person_with_fewer_than_k_answers_shows_nothing(client, answered):
    o, survey, _c = answered
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "少于 3 份" in page
    detail = client.get(f"/surveys/{survey.id}/results/person/{o['s1'][1].id}").get_data(as_text=True)
    assert "只有一个人说" not in detail
    raw = client.get(f"/surveys/{survey.id}/results.csv").data.decode("utf-8-sig")
    assert "只有一个人说" not in raw


def test_texts_are_hidden_never_deleted_and_the_office_is_audited(client, answered):
    o, survey, _c = answered
    text = db.session.scalar(select(SurveyAnswer).where(SurveyAnswer.value == "拖得太久"))
    assert client.post(f"/surveys/{survey.id}/texts/{text.id}/moderate", data={"hide": "1"}).status_code == 302
    assert db.session.get(SurveyAnswer, text.id).hidden
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "surveys.hide_text")) is not None
    raw = client.get(f"/surveys/{survey.id}/results.csv").data.decode("utf-8-sig")
    assert "拖得太久" not in raw
    detail = client.get(f"/surveys/{survey.id}/results/person/{o['s1'][0].id}").get_data(as_text=True)
    assert "<s>拖得太久</s>" in detail  # the office still sees it, struck through


def test_exports_escape_formulas_and_carry_a_bom(client, answered):
    o, survey, _c = answered
    raw = client.get(f"/surveys/{survey.id}/results.csv").data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    formula = [r for r in rows if "HYPERLINK" in r[4]]
    assert formula and formula[0][4].startswith("'=")
    wb = load_workbook(io.BytesIO(client.get(f"/surveys/{survey.id}/results.xlsx").data))
    cells = [c for row in wb["Answers" if "Answers" in wb.sheetnames else wb.sheetnames[1]].iter_rows()
             for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and cells[0].data_type == "s"


def test_the_index_feeds_the_campaigns_survey_indicator(answered):
    o, survey, campaign = answered
    q = survey.questionnaire_version.spec()
    lines = {line["code"]: line for line in db.session.get(Result, (campaign.id, o["s1"][0].id)).lines()}
    expected = sum(q.index(f) for f in [{"overall": 5, "attitude": 5, "score": 10}, {"overall": 5, "attitude": 5, "score": 9},
                                        {"overall": 4, "attitude": 4, "score": 8},
                                        {"overall": 2, "attitude": 2, "score": 4}]) / 4
    assert lines["parties"]["points"] == pytest.approx(expected / 100 * lines["parties"]["max"], abs=0.01)
    few = {line["code"]: line for line in db.session.get(Result, (campaign.id, o["s1"][1].id)).lines()}
    assert few["parties"]["points"] is None  # one answer: below k, no index

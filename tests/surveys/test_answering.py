"""Answering without an account: a token counts once (race-free), answers are stored with nothing
that identifies the person, counted in groups; friendly refusals; rate limits; the kiosk's open link."""
import os

import pytest
from sqlalchemy import DateTime, Integer, select

from review.core.access import Role
from review.core.errors import DomainError
from review.extensions import db, limiter
from review.surveys import answering, tokens
from review.surveys.models import (SurveyAnswer, SurveyPoolEntry, SurveyResponse, SurveySuppression, SurveyToken,
                                   TokenBatch)
from review.surveys.operations import create_survey, save_questionnaire
from review.surveys.yaml_io import load_questionnaire

from ..concurrency import race
from ..conftest import make_app, rate_limited_app
from ..factories import Factory, small_institution

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "questionnaires")
GOOD = {"overall": "5", "informed": "yes", "attitude": "4", "integrity": "not_seen", "score": "9",
        "remarks": "检察官很耐心"}


def questionnaire():
    with open(os.path.join(EXAMPLES, "party_satisfaction.yaml"), encoding="utf-8") as f:
        return save_questionnaire(load_questionnaire(f.read()))


@pytest.fixture
def issued(make, app):
    o = small_institution(make)
    survey = create_survey(questionnaire(), o["county"], "当事人满意度调查")
    made = tokens.new_tokens(12)
    tokens.issue(survey, o["s1"][0].id, o["s1"][0].name, made)
    make.commit()
    return o, survey, made


def counted() -> int:
    """Responses counted: written out, or (a target below k) kept only as their number."""
    written = db.session.scalar(select(db.func.count()).select_from(SurveyResponse))
    return written + sum(n.responses for n in db.session.scalars(select(SurveySuppression)))


def send(client, secret, answers=GOOD):
    return client.post("/survey/", data={"code": secret, "send": "1", **answers})


def test_a_token_opens_the_questionnaire_and_counts_once(client, issued):
    o, survey, made = issued
    page = client.post("/survey/", data={"code": made[0].link})  # as the page's script posts the QR fragment
    assert page.status_code == 200 and "您对承办检察官" in page.get_data(as_text=True)
    assert o["s1"][0].name in page.get_data(as_text=True)
    done = send(client, made[0].code.lower())
    assert done.status_code == 200 and "已记录" in done.get_data(as_text=True)
    again = send(client, made[0].link)
    assert again.status_code == 410 and "已经使用" in again.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(SurveyToken).where(SurveyToken.used.is_(True))) == 1


def test_missing_answers_keep_the_token_and_what_was_typed(client, issued):
    o, survey, made = issued
    partial = dict(GOOD)
    partial.pop("overall")
    resp = send(client, made[0].code, partial)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "请回答此题" in html and "检察官很耐心" in html
    assert not any(t.used for t in db.session.scalars(select(SurveyToken)))
    assert db.session.scalars(select(SurveyPoolEntry)).all() == []


def test_conditional_questions_only_count_when_shown(client, issued):
    o, survey, made = issued
    resp = send(client, made[0].code, {**GOOD, "overall": "5", "reasons": "delay"})  # reasons hidden when satisfied
    assert resp.status_code == 200
    answering.close(survey)
    db.session.commit()
    assert not db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.question == "reasons")).all()


def test_answers_wait_sealed_until_the_survey_closes(client, auth, issued, make):
    o, survey, made = issued
    for t in made[:4]:
        send(client, t.code)
    assert db.session.scalars(select(SurveyResponse)).all() == []  # nothing readable while the survey is open
    assert len(db.session.scalars(select(SurveyPoolEntry)).all()) == 4
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "结束时统计" in page and "尚无已统计的答卷" in page
    assert client.post(f"/surveys/{survey.id}/close").status_code == 302
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert len(responses) == 4 and db.session.scalars(select(SurveyPoolEntry)).all() == []
    assert all(r.verified and r.target_id == o["s1"][0].id for r in responses)
    assert {round(r.index, 1) for r in responses} == {round(survey.questionnaire_version.spec().index(
        {"overall": 5, "attitude": 4, "score": 9}), 1)}


def test_closing_while_people_answer_leaves_no_answer_behind(issued, _schema):
    from review.surveys.models import Survey
    o, survey, made = issued
    secrets_, sid = [t.code for t in made[:10]], survey.id
    db.session.commit()
    db.session.remove()
    form = {k: [v] for k, v in GOOD.items()}

    def answerer(secret):
        return lambda: (lambda: answering.submit(secret, form))

    def closer():
        s = db.session.get(Survey, sid)
        return lambda: answering.close(s)

    outcomes = race(make_app(_schema), [answerer(x) for x in secrets_] + [closer], answering.TokenRefused)
    assert len(outcomes) == 11
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 0
    spent = db.session.scalar(select(db.func.count()).select_from(SurveyToken).where(SurveyToken.used.is_(True)))
    assert spent == outcomes.count("ok") - 1 == counted()


def test_closing_while_people_answer_through_the_page_leaves_no_answer_behind(issued, _schema):
    """The page's way of answering (on PostgreSQL one statement outside the request's transaction)
    against closing: every answer is either counted or refused, none is left sealed."""
    from review.surveys.models import Survey
    o, survey, made = issued
    secrets_, sid = [t.code for t in made[:10]], survey.id
    db.session.commit()
    db.session.remove()
    form = {k: [v] for k, v in GOOD.items()}

    def answerer(secret):
        # As one sending request does: read the token, then write, with nothing committed between.
        return lambda: (lambda: answering.submit_from_page(answering.open_for_page(secret, sending=True), form))

    def closer():
        s = db.session.get(Survey, sid)
        return lambda: answering.close(s)

    outcomes = race(make_app(_schema), [answerer(x) for x in secrets_] + [closer], answering.TokenRefused)
    assert len(outcomes) == 11
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 0
    spent = db.session.scalar(select(db.func.count()).select_from(SurveyToken).where(SurveyToken.used.is_(True)))
    assert spent == outcomes.count("ok") - 1 == counted()


def test_a_token_withdrawn_or_a_survey_closed_while_the_page_is_open_is_refused_unspent(client, issued):
    o, survey, made = issued
    batch = db.session.scalar(select(TokenBatch))
    assert client.post("/survey/", data={"code": made[0].code}).status_code == 200   # the page is open...
    tokens.revoke(batch)                                                               # ...the batch withdrawn
    db.session.commit()
    resp = send(client, made[0].code)
    assert resp.status_code == 410 and "已被收回" in resp.get_data(as_text=True)
    batch.revoked = False
    db.session.commit()
    assert client.post("/survey/", data={"code": made[1].code}).status_code == 200
    answering.close(survey)                                                            # ...the survey closed
    db.session.commit()
    resp = send(client, made[1].code)
    assert resp.status_code == 410 and "不再接受" in resp.get_data(as_text=True)
    assert not db.session.scalar(select(SurveyToken).where(SurveyToken.used.is_(True)))
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 0


def test_on_postgresql_the_statement_that_spends_checks_the_batch_and_the_survey_again(issued):
    """Between the page's read and its one writing statement another request withdraws the batch or
    closes the survey: the statement spends nothing and the person is told why (on SQLite the request's
    write transaction holds the database between the two, so nothing can come between)."""
    o, survey, made = issued
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        return
    form = {k: [v] for k, v in GOOD.items()}
    batch = db.session.scalar(select(TokenBatch))
    opened = answering.open_for_page(made[0].code, sending=True)
    tokens.revoke(batch)
    db.session.commit()
    with pytest.raises(answering.TokenRefused) as refused:
        answering.submit_from_page(opened, form)
    assert refused.value.reason == "revoked"
    batch.revoked = False
    db.session.commit()
    opened = answering.open_for_page(made[0].code, sending=True)
    answering.close(survey)
    db.session.commit()
    with pytest.raises(answering.TokenRefused) as refused:
        answering.submit_from_page(opened, form)
    assert refused.value.reason == "expired"
    assert not db.session.scalar(select(SurveyToken).where(SurveyToken.used.is_(True)))
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 0


def test_a_lost_session_keeps_the_answers_and_asks_to_send_again(_schema, issued):
    o, survey, made = issued
    db.session.commit()
    app = make_app(_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        resp = client.post("/survey/", data={"code": made[0].code, "send": "1", **GOOD})  # no CSRF token
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422 and "页面已过期" in html and "检察官很耐心" in html
        assert not db.session.scalar(select(SurveyToken).where(SurveyToken.used.is_(True)))
        db.session.remove()
        db.engine.dispose()



def test_a_scanned_code_opens_its_questionnaire_with_a_new_cookie_and_the_answer_counts(_schema, issued):
    """A phone that scans the slip has no session yet: opening the questionnaire must not say "expired";
    the page it gets carries the CSRF token that makes the sending count."""
    import re
    o, survey, made = issued
    db.session.commit()
    app = make_app(_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        page = client.post("/survey/", data={"code": made[0].link})
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "页面已过期" not in html and "您对承办检察官" in html
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        done = client.post("/survey/", data={"code": made[0].link, "csrf_token": csrf, "send": "1", **GOOD})
        assert done.status_code == 200 and "已记录" in done.get_data(as_text=True)
        assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 1
        db.session.remove()
        db.engine.dispose()

def test_a_few_answers_about_a_target_show_nothing_whatever_else_there_is(client, auth, issued, make):
    o, survey, made = issued
    send(client, made[0].code)                                  # one verified answer...
    survey.open_key = "kiosk"
    for _i in range(4):                                         # ...and four through the open link
        answering.submit_open(survey, o["s1"][0].id, {k: [v] for k, v in GOOD.items()})
    answering.close(survey)
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    from review.surveys import results
    [row] = results.summary(survey)
    assert row.withheld and row.index is None and row.index_unverified is not None
    detail = client.get(f"/surveys/{survey.id}/results/person/{o['s1'][0].id}").get_data(as_text=True)
    assert "少于 3 份" in detail and "检察官很耐心" not in detail


def test_the_count_stores_nothing_of_a_part_below_k_but_its_number(client, auth, issued, make):
    """The k rule applies at the count: the database never holds what the pages would not show."""
    o, survey, made = issued
    for t in made[:2]:                                          # two verified answers: below k = 3
        send(client, t.code, {**GOOD, "remarks": "只有两个人知道"})
    survey.open_key = "kiosk"
    for _i in range(3):                                         # three through the open link: shown
        answering.submit_open(survey, o["s1"][0].id, {k: [v] for k, v in GOOD.items()})
    answering.close(survey)
    db.session.commit()
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert len(responses) == 3 and not any(r.verified for r in responses)
    stored = db.session.scalars(select(SurveyAnswer.value)).all()
    assert "只有两个人知道" not in stored
    [note] = db.session.scalars(select(SurveySuppression)).all()
    assert (note.target_id, note.verified, note.responses) == (o["s1"][0].id, True, 2)
    from review.surveys import results
    [row] = results.summary(survey)
    assert (row.responses, row.withheld, row.index) == (2, True, None)
    assert row.unverified == 3 and row.index_unverified is not None


def test_closing_counts_what_waits_and_refuses_later_answers(client, issued):
    o, survey, made = issued
    send(client, made[0].code)
    assert answering.close(survey) == 1
    db.session.commit()
    assert survey.open_key is None
    resp = client.post("/survey/", data={"code": made[1].code})
    assert resp.status_code == 410 and "不再接受" in resp.get_data(as_text=True)


def test_friendly_refusals_reveal_nothing_about_other_tokens(client, issued, make):
    o, survey, made = issued
    batch = db.session.scalars(select(TokenBatch)).one()
    batch.revoked = True
    db.session.commit()
    assert "收回" in client.post("/survey/", data={"code": made[3].code}).get_data(as_text=True)
    unknown = client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code})
    assert unknown.status_code == 422 and "没有找到" in unknown.get_data(as_text=True)
    typo = client.post("/survey/", data={"code": made[4].code[:-1] + ("0" if made[4].code[-1] != "0" else "1")})
    assert typo.status_code == 422 and "不是有效的短码" in typo.get_data(as_text=True)
    assert client.get(f"/survey/{made[5].link}").status_code == 404  # no secret in a path


def test_validity_window(client, issued, make):
    from datetime import date, timedelta
    o, survey, made = issued
    batch = db.session.scalars(select(TokenBatch)).one()
    batch.valid_from = date.today() + timedelta(days=3)
    db.session.commit()
    assert "起" in client.post("/survey/", data={"code": made[0].code}).get_data(as_text=True)
    batch.valid_from, batch.valid_until = None, date.today() - timedelta(days=3)
    db.session.commit()
    assert client.post("/survey/", data={"code": made[0].code}).status_code == 410


def test_nothing_identifying_is_stored_with_an_answer():
    for model in (SurveyResponse, SurveyAnswer, SurveyPoolEntry):
        table = model.__table__
        columns = set(table.columns.keys())
        assert not columns & {"token_id", "token", "batch_id", "ip", "address", "user_agent", "created_at"}
        assert not any(isinstance(c.type, DateTime) for c in table.columns), table.name
        [pk] = table.primary_key.columns
        assert not isinstance(pk.type, Integer), table.name
        assert {fk.column.table.name for fk in table.foreign_keys} <= {"surveys", "survey_responses"}


def test_fifty_concurrent_uses_of_one_token_store_exactly_one_answer(issued, _schema):
    o, survey, made = issued
    secret = made[0].code
    db.session.commit()
    db.session.remove()
    form = {k: [v] for k, v in GOOD.items()}

    def attempt():
        return lambda: answering.submit(secret, form)

    outcomes = race(make_app(_schema), [attempt] * 50, answering.TokenRefused)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 49
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 1


def test_the_open_link_takes_unverified_answers_counted_apart(client, auth, issued, make, app):
    o, survey, made = issued
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    client.post(f"/surveys/{survey.id}/open-link", data={"on": "1"})
    db.session.expire_all()
    key = db.session.get(type(survey), survey.id).open_key
    assert key
    auth.logout()
    page = client.get(f"/survey/open/{key}")
    assert page.status_code == 200 and "未经验证" in page.get_data(as_text=True)
    assert client.post(f"/survey/open/{key}", data={"send": "1", **GOOD}).status_code == 422  # whom about?
    for _i in range(3):
        assert client.post(f"/survey/open/{key}",
                           data={"send": "1", "target": str(o["s1"][0].id), **GOOD}).status_code == 200
    answering.close(survey)
    db.session.commit()
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert len(responses) == 3 and not any(r.verified for r in responses)
    assert client.get(f"/survey/open/{key}").status_code == 404  # closing switches the open link off
    assert client.get("/survey/open/nothing-here").status_code == 404


@pytest.fixture
def limited(_schema):
    with rate_limited_app(_schema, SURVEY_LIMIT_PER_ADDRESS="5 per minute") as app:
        yield app


def test_guessing_is_rate_limited_per_address_and_nothing_is_kept_per_code(limited):
    client = limited.test_client()
    for _i in range(10):  # typos fail the check symbol: no lookup, no penalty
        assert client.post("/survey/", data={"code": "ABCD-EFGH-JKZ"}).status_code == 422
    for _i in range(5):
        assert client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code}).status_code == 422
    resp = client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code})
    assert resp.status_code == 429 and "尝试次数过多" in resp.get_data(as_text=True)
    # The limiter's storage names addresses only: a key per code would time that token's use.
    keys = list(limiter.storage.storage) if hasattr(limiter.storage, "storage") else []
    assert keys and not any("code" in k for k in keys), keys


def _page_ticket(client, code) -> str:
    import re
    html = client.post("/survey/", data={"code": code}).get_data(as_text=True)
    return re.search(r'name="ticket" value="([^"]+)"', html).group(1)


def test_a_page_sent_with_its_ticket_counts_once_and_a_wrong_ticket_spends_nothing_by_itself(client, issued, make):
    """The page carries a ticket (survey, questionnaire, target) so that sending need not read the token
    first; the statement that spends checks every part of it. A ticket altered or stale — another
    target, another survey, a questionnaire not asked — never pools an answer under it: the page falls
    back to reading the token, and the answer counts for the token's own target, once."""
    o, survey, made = issued
    ticket = _page_ticket(client, made[0].code)
    survey_id, version_id, kind, target_id = ticket.split(".")
    assert (int(survey_id), kind, int(target_id)) == (survey.id, "person", o["s1"][0].id)
    other = o["s1"][1].id
    for forged in (f"{survey_id}.{version_id}.{kind}.{other}", f"{survey_id}.{int(version_id) + 1}.{kind}.{target_id}",
                   f"{int(survey_id) + 1}.{version_id}.{kind}.{target_id}", f"{survey_id}.{version_id}.unit.{target_id}",
                   "1.2.person", "x.y.z.w", f"{survey_id}.{version_id}.{kind}.{2 ** 40}"):
        if db.engine.dialect.name == "postgresql":
            assert answering.send_by_ticket(made[1].code, forged, {k: [v] for k, v in GOOD.items()}) is None
    assert not db.session.scalar(select(SurveyToken).where(SurveyToken.used.is_(True)))
    forged = f"{survey_id}.{version_id}.{kind}.{other}"
    resp = client.post("/survey/", data={"code": made[0].code, "ticket": forged, "send": "1", **GOOD})
    assert resp.status_code == 200 and "已记录" in resp.get_data(as_text=True)
    resp = client.post("/survey/", data={"code": made[0].code, "ticket": ticket, "send": "1", **GOOD})
    assert resp.status_code == 410
    answering.close(survey)
    db.session.commit()
    # The token's own target, not the forged one (one answer, below k: only its number is kept).
    notes = db.session.scalars(select(SurveySuppression)).all()
    assert [(n.target_id, n.responses) for n in notes] == [(o["s1"][0].id, 1)]


def test_a_ticket_sent_after_the_batch_is_withdrawn_or_the_survey_closed_spends_nothing(client, issued):
    o, survey, made = issued
    ticket = _page_ticket(client, made[0].code)
    batch = db.session.scalar(select(TokenBatch))
    tokens.revoke(batch)
    db.session.commit()
    resp = client.post("/survey/", data={"code": made[0].code, "ticket": ticket, "send": "1", **GOOD})
    assert resp.status_code == 410 and "已被收回" in resp.get_data(as_text=True)
    batch.revoked = False
    db.session.commit()
    ticket = _page_ticket(client, made[1].code)
    answering.close(survey)
    db.session.commit()
    resp = client.post("/survey/", data={"code": made[1].code, "ticket": ticket, "send": "1", **GOOD})
    assert resp.status_code == 410 and "不再接受" in resp.get_data(as_text=True)
    assert not db.session.scalar(select(SurveyToken).where(SurveyToken.used.is_(True)))
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 0


def test_fifty_concurrent_sendings_of_one_ticket_store_exactly_one_answer(issued, _schema, client):
    o, survey, made = issued
    ticket = _page_ticket(client, made[0].code)
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        return  # the ticket's one statement is PostgreSQL's; SQLite sends in its write transaction
    db.session.remove()
    form = {k: [v] for k, v in GOOD.items()}

    def spend():
        if answering.send_by_ticket(made[0].code, ticket, form) is None:
            raise answering.TokenRefused("used", "used")

    outcomes = race(make_app(_schema), [lambda: spend] * 50, answering.TokenRefused)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 49
    assert db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) == 1


def test_an_address_over_its_guess_limit_is_refused_even_with_a_good_code_and_good_codes_cost_no_count(limited):
    """Only misses count (good codes ask the limiter's storage nothing); once an address is over its
    limit this process refuses it at once, found codes included, until the window ends."""
    from review.core import guesses
    client = limited.test_client()
    o = small_institution(Factory())
    survey = create_survey(questionnaire(), o["county"], "当事人满意度调查")
    made = tokens.new_tokens(20)
    tokens.issue(survey, o["s1"][0].id, o["s1"][0].name, made)
    db.session.commit()
    for t in made[:12]:   # twelve good codes: more than the limit of 5, and nothing counted
        assert client.post("/survey/", data={"code": t.code}).status_code == 200
    assert not list(getattr(limiter.storage, "storage", {}))
    for _i in range(5):
        assert client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code}).status_code == 422
    assert client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code}).status_code == 429
    assert client.post("/survey/", data={"code": made[12].code}).status_code == 429   # refused, even a good one
    assert guesses.refused("survey-lookup", "127.0.0.1")
    assert not guesses.refused("survey-lookup", "10.0.0.9")

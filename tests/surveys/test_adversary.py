"""An adversary who knows which tokens were spent, in which order, and what each respondent answered,
holds the database (during and after the survey), the logs and Redis: nothing links a response to its
token better than chance."""
import logging
import random
import uuid

import pytest
from sqlalchemy import select, text

from review.ballots import sealing
from review.surveys import answering, tokens
from review.surveys.operations import create_survey

from ..ballots.test_adversary import beats_chance
from ..conftest import rate_limited_app
from ..factories import Factory, small_institution
from .test_answering import GOOD, questionnaire

REDIS = "redis://127.0.0.1:6379/13"
RESPONDENTS = 24


@pytest.fixture
def redis_limited(_schema):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    try:
        Redis.from_url(REDIS).ping()
    except RedisDown:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"adv-{uuid.uuid4().hex[:8]}"
    with rate_limited_app(_schema, RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX=prefix,
                          SURVEY_K_THRESHOLD=3) as app:
        yield app, Redis.from_url(REDIS), prefix
    for key in Redis.from_url(REDIS).scan_iter(f"*{prefix}*"):
        Redis.from_url(REDIS).delete(key)


def test_no_channel_links_a_response_to_its_token(redis_limited, caplog):
    from review.extensions import db
    app, redis, prefix = redis_limited
    make = Factory()
    o = small_institution(make)
    survey = create_survey(questionnaire(), o["county"], "当事人满意度调查")
    made = tokens.new_tokens(RESPONDENTS)
    tokens.issue(survey, o["s1"][0].id, o["s1"][0].name, made)
    make.commit()
    client = app.test_client()
    rng = random.Random(5)
    spent = []   # the adversary's knowledge: tokens in the order they were used, and each one's answers
    before = set(redis.scan_iter(f"*{prefix}*"))
    with caplog.at_level(logging.DEBUG):
        for i, t in enumerate(made):
            overall = str(rng.choice([1, 2, 3, 4, 5]))
            remarks = f"第{i:02d}位" + "好" * rng.randrange(0, 300)
            answers = {**GOOD, "overall": overall, "reasons": "delay", "remarks": remarks}  # reasons: shown if low
            resp = client.post("/survey/", data={"code": t.code, "send": "1", **answers})
            assert resp.status_code == 200
            spent.append((t, overall, remarks))
    # Redis: good codes leave nothing (no key per code, no counter timed by a use).
    assert set(redis.scan_iter(f"*{prefix}*")) == before
    assert client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code}).status_code == 422
    keys = [k.decode() for k in set(redis.scan_iter(f"*{prefix}*")) - before]
    assert keys and all("survey-lookup" in k and "127.0.0.1" in k for k in keys)
    assert not any(t.code in k or t.link in k for k in keys for t, _o, _r in spent)
    # Logs: no code, no answer.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(t.code in logged or t.link in logged or r in logged for t, _o, r in spent)
    # A dump while the survey is open: every pooled response has one length.
    pool = db.session.execute(text("SELECT sealed FROM survey_pool")).scalars().all()
    assert len(pool) == RESPONDENTS and len({len(bytes(r)) for r in pool}) == 1
    assert {bytes(r)[:1] for r in pool} == {sealing.VERSION}
    answering.close(survey)
    db.session.commit()
    # A dump after the count: physical order against the order of use.
    overall = db.session.execute(text("SELECT value FROM survey_answers WHERE question = 'overall'")).scalars().all()
    assert sorted(overall) == sorted(o for _t, o, _r in spent)
    assert not beats_chance(list(overall), [o for _t, o, _r in spent], random.Random(3))
    remarks = db.session.execute(text("SELECT value FROM survey_answers WHERE question = 'remarks'")).scalars().all()
    assert not beats_chance(list(remarks), [r for _t, _o, r in spent], random.Random(4))
    if db.engine.dialect.name == "postgresql":
        response_xids = set(db.session.execute(text("SELECT xmin::text FROM survey_responses")).scalars())
        token_xids = set(db.session.execute(text("SELECT xmin::text FROM survey_tokens WHERE used")).scalars())
        assert len(response_xids) == 1 and not response_xids & token_xids
    # The responses keep no token, no time finer than the day.
    columns = set(db.session.execute(select(text("*")).select_from(text("survey_responses"))).keys())
    assert columns == {"id", "survey_id", "target_kind", "target_id", "day", "verified", "index"}

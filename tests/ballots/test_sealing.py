"""What a sealed row shows a reader of the database or of a backup taken while people vote: that it
exists, nothing more — one length for every row of a pool whatever was written, no time in clear, no
opening in another pool; and what a copy of SQLite's files taken after the count still holds: nothing
of the pool it emptied."""
import base64
import json
import os

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, text

from review.ballots import sealing, voting
from review.ballots.models import AnonymousComment, PoolEntry, RaterGroup
from review.campaigns import operations as ops
from review.extensions import db
from review.surveys import answering, tokens
from review.surveys.models import SurveyPoolEntry
from review.surveys.operations import create_survey

from ..surveys.test_answering import GOOD, questionnaire
from .test_voting import assignment, ballot, open_campaign  # noqa: F401 - fixture

LONGEST = "😀" * 2000          # four bytes a character: the longest comment there can be


def test_every_ballot_of_a_pool_has_one_length_whatever_its_comment(open_campaign):  # noqa: F811
    o, c = open_campaign
    chief = o["chief"]
    comments = ["", "很好" * 300, LONGEST, '"\\' * 1000, "\x00\x01\x1b" * 600 + "末"]
    raters = o["s1"] + o["s2"]
    for rater, comment in zip(raters, comments):
        voting.submit(assignment(c, rater, chief, RaterGroup.DEMOCRATIC).id, rater, ballot(c, RaterGroup.DEMOCRATIC),
                      comment)
        db.session.commit()
    rows = db.session.scalars(select(PoolEntry.sealed)).all()
    assert len(rows) == len(comments)
    assert {len(r) for r in rows} == {sealing.sealed_length()}
    # No Fernet token (whose first bytes carry the time in clear): the version byte, then a random nonce.
    assert all(r[:1] == sealing.VERSION for r in rows)
    assert len({r[1:1 + sealing.NONCE] for r in rows}) == len(rows)


def test_control_characters_are_dropped_from_comments_so_no_character_weighs_more_than_four_bytes(open_campaign):  # noqa: F811,E501
    o, c = open_campaign
    for rater in o["s1"] + o["s2"]:   # enough ballots for the group to be shown
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC), "甲\x00乙\x1b丙\n丁\t戊")
        db.session.commit()
    ops.move(c, "close")
    db.session.commit()
    assert {x.text for x in db.session.scalars(select(AnonymousComment))} == {"甲乙丙\n丁\t戊"}


def test_a_sealed_row_opens_only_in_its_own_pool(app):
    row = sealing.seal({"a": 1}, pool="ballots", pool_id=7)
    assert sealing.unseal(row, pool="ballots", pool_id=7) == {"a": 1}
    for pool, pool_id in (("ballots", 8), ("survey", 7)):
        with pytest.raises(sealing.SealError):
            sealing.unseal(row, pool=pool, pool_id=pool_id)
    tampered = row[:-1] + bytes([row[-1] ^ 1])
    with pytest.raises(sealing.SealError):
        sealing.unseal(tampered, pool="ballots", pool_id=7)


def test_rows_sealed_before_the_upgrade_still_open(app):
    """A pool filled by the previous version (Fernet) is counted after an upgrade in the middle of voting."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"review-ballot-pool",
               info=b"anonymous ballots v1").derive(app.config["SECRET_KEY"].encode())
    old = Fernet(base64.urlsafe_b64encode(key)).encrypt(json.dumps({"ratee": 3}).encode())
    assert sealing.unseal(old, pool="ballots", pool_id=1) == {"ratee": 3}


def test_a_larger_content_than_the_pool_size_rounds_up_in_steps(app):
    assert sealing.padded_size(100, 1024) == 1024
    assert sealing.padded_size(1025, 1024) == 1024 + sealing.STEP
    row = sealing.seal({"x": "a" * 3000}, pool="survey", pool_id=1, size=1024)
    assert len(row) == sealing.sealed_length(1024 + sealing.STEP)   # 3,016 bytes framed: one step more


def test_every_survey_response_of_a_survey_has_one_length_whatever_was_written(client, make):
    from ..factories import small_institution
    o = small_institution(make)
    survey = create_survey(questionnaire(), o["county"], "当事人满意度调查")
    made = tokens.new_tokens(4)
    tokens.issue(survey, o["s1"][0].id, o["s1"][0].name, made)
    make.commit()
    for t, remarks in zip(made, ["", "好", "😀" * 2000, '"' * 2000]):
        resp = client.post("/survey/", data={"code": t.code, "send": "1", **{**GOOD, "remarks": remarks}})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    rows = db.session.scalars(select(SurveyPoolEntry.sealed)).all()
    q = survey.questionnaire_version.spec()
    assert {len(r) for r in rows} == {sealing.sealed_length(answering.pool_size(q))}


def _raw(path: str) -> bytes:
    data = b""
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                data += f.read()
    return data


def test_a_copy_of_the_sqlite_files_taken_after_the_count_holds_none_of_the_pool(open_campaign):  # noqa: F811
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's files")
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
    o, c = open_campaign
    for rater in o["s1"] + o["s2"]:
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC), "意见")
        db.session.commit()
    rows = db.session.scalars(select(PoolEntry.sealed)).all()
    path = db.engine.url.database
    assert all(r[20:60] in _raw(path) for r in rows)   # while voting, the pool is on disk (sealed)
    ops.move(c, "close")
    db.session.commit()
    db.session.remove()
    leftover = _raw(path)
    assert not any(r[20:60] in leftover for r in rows)
    assert os.path.getsize(path + "-wal") == 0 if os.path.exists(path + "-wal") else True


def test_the_pool_has_no_rowid_on_sqlite(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rowid is SQLite's")
    for table in ("ballot_pool", "survey_pool", "survey_tokens", "survey_responses", "survey_answers"):
        with pytest.raises(Exception):
            db.session.execute(text(f"SELECT rowid FROM {table}"))
        db.session.rollback()


def test_a_reader_holding_the_log_is_waited_for_then_reported(app, caplog, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    from review import database
    monkeypatch.setattr(database, "SCRUB_ATTEMPTS", 2)
    monkeypatch.setattr(database, "SCRUB_WAIT_SECONDS", 0.01)
    db.session.execute(text("CREATE TABLE IF NOT EXISTS scrub_probe (x)"))
    db.session.execute(text("INSERT INTO scrub_probe VALUES (1)"))
    db.session.commit()
    reader = db.engine.raw_connection()
    writer = db.engine.raw_connection()
    try:
        reader.driver_connection.execute("BEGIN")
        reader.driver_connection.execute("SELECT * FROM scrub_probe").fetchall()   # holds a snapshot
        writer.driver_connection.execute("INSERT INTO scrub_probe VALUES (2)")      # a frame it keeps in the log
        writer.driver_connection.commit()
        with caplog.at_level("WARNING"):
            assert database.scrub_after_count("ballot_pool") is False
        assert any("could not be truncated" in r.getMessage() for r in caplog.records)
    finally:
        reader.driver_connection.rollback()
        reader.close()
        writer.close()
    assert database.scrub_after_count("ballot_pool") is True
    db.session.execute(text("DROP TABLE scrub_probe"))
    db.session.commit()

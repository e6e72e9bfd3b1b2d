"""Scrutineers hold the only key to a campaign's anonymous ballots: cards printed once at opening,
ballots sealed to the public key, nothing the server holds opens them while voting is open, and the
count at close needs enough cards entered together."""
import re

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import inspect, select, text

from review.ballots import ballot_key, scrutineers, sealing, voting
from review.ballots.models import AnonymousAnswer, PoolEntry, RaterGroup
from review.campaigns import operations as ops
from review.core.access import Role
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db

from ..factories import small_institution
from .test_voting import assignment, ballot
from .test_assignments import PLAN


@pytest.fixture
def office_campaign(make, auth):
    from review.plans.operations import save_plan
    from review.plans.yaml_io import load_plan
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    return o, campaign


def cards_from(html: str) -> list[str]:
    """The words of each card, as a scrutineer reads them off the printed page."""
    return [" ".join(re.findall(r"<li>([a-z]+)</li>", block))
            for block in re.findall(r'<ol class="key-words">(.*?)</ol>', html, re.S)]


def open_with_cards(client, campaign, total=3, threshold=2):
    resp = client.post(f"/campaigns/{campaign.id}/ballot-key",
                       data={"mode": "scrutineers", "scrutineers": str(total), "threshold": str(threshold)})
    assert resp.status_code == 302
    resp = client.post(f"/campaigns/{campaign.id}/move", data={"action": "open"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    cards = cards_from(html)
    assert len(cards) == total and all(len(c.split()) == 33 for c in cards)
    assert html.count("<svg") >= total   # a QR code a card
    db.session.expire_all()
    return cards, html


def every_stored_byte() -> bytes:
    """Everything the database holds, table by table (what a dump gives an adversary)."""
    out = []
    for table in inspect(db.session.connection()).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            out += [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in row]
    return b"\x00".join(out)


def test_opening_prints_the_cards_once_and_the_server_keeps_no_key_that_opens_a_ballot(client, office_campaign):
    o, c = office_campaign
    cards, html = open_with_cards(client, c)
    assert c.ballot_public_key is not None and scrutineers.fingerprint(c.ballot_public_key) in html
    for rater in o["s1"] + o["s2"]:
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC), "很好")
        db.session.commit()
    rows = db.session.scalars(select(PoolEntry.sealed)).all()
    assert rows and {r[:1] for r in rows} == {sealing.VERSION_PUBLIC}
    assert {len(r) for r in rows} == {sealing.sealed_length(public=True)}
    # Neither the server's key nor anything stored opens a ballot: the private key is nowhere.
    with pytest.raises(sealing.SealError):
        sealing.unseal(rows[0], pool="ballots", pool_id=c.id)
    private = scrutineers.rebuild(c.ballot_public_key, cards[:2]).private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    dump = every_stored_byte()
    assert private not in dump and private.hex().encode() not in dump
    assert not any(" ".join(card.split()[i:i + 3]).encode() in dump for card in cards for i in range(0, 30, 3))
    # The page that showed the cards is the only copy: the campaign page does not show them again.
    page = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "key-words" not in page and scrutineers.fingerprint(c.ballot_public_key) in page


def test_the_count_waits_for_enough_scrutineers_and_forgets_the_key(client, office_campaign):
    o, c = office_campaign
    cards, _html = open_with_cards(client, c, total=3, threshold=2)
    for rater in o["s1"] + o["s2"]:
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC))
        db.session.commit()
    assert client.post(f"/campaigns/{c.id}/move", data={"action": "close"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(AnonymousAnswer)).all() == []          # nothing counted at close
    assert ballot_key.awaiting_count(c)
    with pytest.raises(DomainError):
        ops.move(c, "publish", until=__import__("datetime").date(2099, 1, 1))
    db.session.rollback()
    # One card is not enough; a mistyped card is named; a card of another key is refused.
    resp = client.post(f"/campaigns/{c.id}/count", data={"share1": cards[0]})
    assert resp.status_code == 422 and cards[0].split()[3] not in resp.get_data(as_text=True)
    typo = cards[1].split()
    typo[7] = "academic" if typo[7] != "academic" else "acid"
    resp = client.post(f"/campaigns/{c.id}/count", data={"share1": cards[0], "share3": " ".join(typo)})
    assert resp.status_code == 422 and "2" in re.search(r'id="count-error">([^<]+)', resp.get_data(as_text=True)).group(1)
    _other, foreign = scrutineers.new_key(3, 2)
    resp = client.post(f"/campaigns/{c.id}/count", data={"share1": foreign[0].words, "share2": foreign[1].words})
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(AnonymousAnswer)).all() == []
    # Two cards, typed as people type (capitals, numbering, line breaks): counted.
    typed = "\n".join(f"{i}. {w.upper()}" for i, w in enumerate(cards[2].split(), 1))
    resp = client.post(f"/campaigns/{c.id}/count", data={"share1": cards[0], "share3": typed})
    assert resp.status_code == 302
    db.session.expire_all()
    assert c.ballots_counted and db.session.scalars(select(PoolEntry)).all() == []
    assert len(db.session.scalars(select(AnonymousAnswer)).all()) == 5 * len(ballot(c, RaterGroup.DEMOCRATIC))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaigns.counted_by_scrutineers"))
    assert entry is not None and cards[0].split()[4] not in f"{entry.summary} {entry.before} {entry.after}"
    assert client.get(f"/campaigns/{c.id}/count").status_code == 302         # nothing waits any more


def test_new_cards_only_while_no_ballot_is_sealed_and_the_choice_only_in_a_draft(client, office_campaign):
    o, c = office_campaign
    first, _html = open_with_cards(client, c)
    key = c.ballot_public_key
    resp = client.post(f"/campaigns/{c.id}/key-cards")
    assert resp.status_code == 200
    second = cards_from(resp.get_data(as_text=True))
    db.session.expire_all()
    assert c.ballot_public_key != key and set(second).isdisjoint(first)
    with pytest.raises(DomainError):
        scrutineers.rebuild(c.ballot_public_key, first[:2])                 # the old cards open nothing
    rater = o["s1"][0]
    voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater, ballot(c, RaterGroup.DEMOCRATIC))
    db.session.commit()
    resp = client.post(f"/campaigns/{c.id}/key-cards")
    assert resp.status_code == 302
    db.session.expire_all()
    assert scrutineers.rebuild(c.ballot_public_key, second[1:]) is not None
    with pytest.raises(DomainError):
        ballot_key.choose(c, "server")


@pytest.mark.parametrize("total,threshold", [(3, 1), (2, 3), (10, 2)])
def test_the_numbers_of_cards_are_checked(app, make, total, threshold):
    from review.plans.operations import save_plan
    from review.plans.yaml_io import load_plan
    o = small_institution(make)
    c = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    with pytest.raises(DomainError):
        ballot_key.choose(c, "scrutineers", total, threshold)


def test_a_campaign_on_the_servers_key_says_so_and_counts_at_close(client, office_campaign):
    o, c = office_campaign
    page = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "服务器" in page or "server" in page
    assert client.post(f"/campaigns/{c.id}/move", data={"action": "open"}).status_code == 302


def test_the_command_line_prints_the_cards_at_opening_and_counts_with_cards_typed_at_its_prompt(runner, make):
    from review.plans.operations import save_plan
    from review.plans.yaml_io import load_plan
    o = small_institution(make)
    c = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ballot_key.choose(c, "scrutineers", 3, 2)
    make.commit()
    result = runner.invoke(args=["campaigns", "move", str(c.id), "open"])
    assert result.exit_code == 0, result.output
    cards = re.findall(r"^Card \d: (.+)$", result.output, re.M)
    assert len(cards) == 3 and scrutineers.fingerprint(c.ballot_public_key) in result.output
    for rater in o["s1"] + o["s2"]:
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC))
        db.session.commit()
    assert runner.invoke(args=["campaigns", "move", str(c.id), "close"]).exit_code == 0
    wrong = runner.invoke(args=["campaigns", "count", str(c.id)], input=f"{cards[0]}\n{cards[0]}\n")
    assert wrong.exit_code != 0 and cards[0] not in wrong.output
    done = runner.invoke(args=["campaigns", "count", str(c.id)], input=f"{cards[2]}\n{cards[0]}\n")
    assert done.exit_code == 0, done.output
    assert "5 anonymous ballots counted" in done.output and cards[0] not in done.output
    db.session.expire_all()
    assert c.ballots_counted


def test_more_cards_than_needed_and_words_cut_to_four_letters_are_taken(app):
    public, cards = scrutineers.new_key(3, 2)
    short = " ".join(w[:4] for w in cards[1].words.split())
    assert scrutineers.rebuild(public, [cards[0].words, short, cards[2].words]) is not None


def test_a_row_that_does_not_open_stops_the_count_with_a_message_and_changes_nothing(client, office_campaign):
    o, c = office_campaign
    cards, _html = open_with_cards(client, c)
    for rater in o["s1"] + o["s2"]:
        voting.submit(assignment(c, rater, o["chief"], RaterGroup.DEMOCRATIC).id, rater,
                      ballot(c, RaterGroup.DEMOCRATIC))
        db.session.commit()
    other, _cards = scrutineers.new_key(3, 2)   # a row sealed to another key (a race, a restored backup)
    db.session.add(PoolEntry(id="f" * 32, campaign_id=c.id, sealed=sealing.seal_to(
        other, {"ratee": o["chief"].id}, pool="ballots", pool_id=c.id)))
    db.session.commit()
    assert client.post(f"/campaigns/{c.id}/move", data={"action": "close"}).status_code == 302
    resp = client.post(f"/campaigns/{c.id}/count", data={"share1": cards[0], "share2": cards[1]})
    assert resp.status_code == 422 and "没有计入任何选票" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert not c.ballots_counted and len(db.session.scalars(select(PoolEntry)).all()) == 6
    assert db.session.scalars(select(AnonymousAnswer)).all() == []


def test_every_ballot_of_a_large_plan_has_the_room_its_longest_ballot_needs(app, make):
    from review.plans.operations import save_plan
    from review.plans.yaml_io import load_plan
    indicators = "\n".join(f"""  - code: q{i:02d}_{'x' * 30}
    name: 题{i}
    weight: 1
    source: {{type: ballot, scale: leader_eval, groups: {{democratic: 100}}}}""" for i in range(100))
    plan = f"""
name: 大方案
year: 2025
mode: weights
appraises: {{categories: [quota]}}
indicators:
{indicators}
grades: {{rules: [{{grade: 合格}}]}}
"""
    o = small_institution(make)
    c = ops.create_campaign(save_plan(load_plan(plan)), o["county"])
    size = ballot_key.ballot_size(c)
    assert size > sealing.BALLOT_SIZE
    longest = {"ratee": 2 ** 31 - 1, "group": "democratic", "comment": "😀" * sealing.COMMENT_MAX,
               "answers": {f"q{i:02d}_{'x' * 30}": 100.0 for i in range(100)}}
    assert len(sealing.seal(longest, pool="ballots", pool_id=c.id, size=size)) == sealing.sealed_length(size)
    assert len(sealing.seal({"answers": {}}, pool="ballots", pool_id=c.id, size=size)) == sealing.sealed_length(size)

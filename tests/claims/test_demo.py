"""The demo helper: every state of a claim, a deduction, keepers and entries with evidence; once only."""
import io

from pypdf import PdfReader
from sqlalchemy import func, select

from review.claims.models import Claim, ClaimState
from review.demo import claims as demo
from review.evidence import storage
from review.evidence.models import EvidenceFile
from review.extensions import db
from review.registers.models import RegisterEntry, RegisterKeeper


def test_the_demo_shows_every_state_and_runs_once(world):
    users = {u.login: u for u in world.users.values()}
    counts = demo.seed(world.campaign, users)
    db.session.commit()
    assert counts["keepers"] == 5 and counts["entries"] >= 5 and counts["deductions"] == 1
    states = {(c.kind, c.state) for c in db.session.scalars(select(Claim))}
    for state in ClaimState:
        assert ("bonus", state) in states, state
    assert ("deduction", ClaimState.APPROVED) in states
    rejected = db.session.scalars(select(Claim).where(Claim.state == ClaimState.REJECTED)).first()
    assert rejected.office_note
    assert db.session.scalar(select(func.count(RegisterKeeper.id))) == 5
    for f in db.session.scalars(select(EvidenceFile)):
        with open(storage.path_of(f), "rb") as fh:
            assert len(PdfReader(io.BytesIO(fh.read())).pages) == 1
    before = (db.session.scalar(select(func.count(Claim.id))), db.session.scalar(select(func.count(RegisterEntry.id))))
    assert demo.seed(world.campaign, users) == {}
    assert before == (db.session.scalar(select(func.count(Claim.id))),
                      db.session.scalar(select(func.count(RegisterEntry.id))))


def test_tiny_pdf_is_accepted_as_evidence(app):
    assert storage.check(storage.Upload("x.pdf", demo.tiny_pdf("hello (world)"))).content_type == storage.PDF

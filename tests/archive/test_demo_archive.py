"""`make run` seeds the demo with `flask demo --if-empty --archive`: last year's final campaign comes
with its appraisal files, and HR finds the staff login's file, whose code checks out."""
from sqlalchemy import func, select

from review.archive import issue as archive
from review.archive.models import ArchiveFile
from review.campaigns.models import Campaign, CampaignState, Result
from review.demo import appeals as appeals_demo
from review.extensions import db
from review.org.models import Person


def test_the_demo_comes_with_last_years_archive(app, runner, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    result = runner.invoke(args=["demo", "--if-empty", "--archive"])
    assert result.exit_code == 0, result.output
    past = db.session.scalar(select(Campaign).where(Campaign.year == 2024))
    assert past.state is CampaignState.FINAL
    people = db.session.scalar(select(func.count()).select_from(Result).where(Result.campaign_id == past.id))
    assert db.session.scalar(select(func.count(ArchiveFile.id)).where(ArchiveFile.year == 2024)) == people
    # The demo staff login (the accepted appeal of 2024) has a file.
    appellant = db.session.scalar(select(Person).where(Person.staff_no == appeals_demo.STAFF))
    rows = db.session.scalars(select(ArchiveFile).where(ArchiveFile.year == 2024)).all()
    assert all(archive.store().verify(r.sha256) for r in rows)
    assert len({r.code for r in rows}) == people
    assert any(r.person_id == appellant.id for r in rows)
    # Running `make run` again issues nothing new.
    again = runner.invoke(args=["demo", "--if-empty", "--archive"])
    assert again.exit_code == 0 and f"issued 0, unchanged {people}" in again.output

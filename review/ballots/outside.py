"""Outside bodies' opinions (征询党委、人大、政协、纪委等意见): the performance office enters, per body,
a rating of every person the plan asks them about, on the plan's scale. Each body counts as one
ballot of the rater group "outside"."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select

from ..campaigns.models import Campaign, CampaignSubject
from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person
from .models import OutsideRating, RaterGroup
from .voting import Question, questions

BODY_MAX = 100


def outside_questions(campaign: Campaign) -> list[Question]:
    return questions(campaign, RaterGroup.OUTSIDE)


def ratees(campaign: Campaign) -> list[Person]:
    return list(db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                   .where(CampaignSubject.campaign_id == campaign.id).order_by(Person.staff_no)))


def bodies(campaign: Campaign) -> list[tuple[str, int]]:
    """Bodies entered so far, with how many people each rated."""
    return [(body, n) for body, n in db.session.execute(
        select(OutsideRating.body, func.count(func.distinct(OutsideRating.ratee_id)))
        .where(OutsideRating.campaign_id == campaign.id).group_by(OutsideRating.body).order_by(OutsideRating.body))]


def existing(campaign: Campaign, body: str) -> dict[tuple[int, str], float]:
    return {(r, code): v for r, code, v in db.session.execute(
        select(OutsideRating.ratee_id, OutsideRating.indicator, OutsideRating.value)
        .where(OutsideRating.campaign_id == campaign.id, OutsideRating.body == body))}


def save(campaign: Campaign, body: str, answers: dict[int, dict[str, float]]) -> dict[int, str]:
    """Replace the body's ratings. Every person the body rates must be rated on every question;
    people left out entirely are not rated by this body. Returns errors by person (nothing
    written when there are any)."""
    if not campaign.accepts_inputs:
        raise DomainError(_("Ratings can be entered only before voting closes."))
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Name the outside body."))
    if len(body) > BODY_MAX:
        raise DomainError(_("The body's name is too long: at most %(n)d characters.", n=BODY_MAX))
    qs = outside_questions(campaign)
    if not qs:
        raise DomainError(_("The plan asks no questions of outside bodies."))
    allowed = {p.id for p in ratees(campaign)}
    errors: dict[int, str] = {}
    rows = []
    for pid, values in answers.items():
        if pid not in allowed:
            raise DomainError(_("This person is not appraised in this campaign."))
        given = {code: v for code, v in values.items() if v is not None}
        if not given:
            continue
        missing = [q.name for q in qs if q.code not in given]
        wrong = [q.name for q in qs if q.code in given and given[q.code] not in q.values]
        if missing or wrong:
            errors[pid] = _("Rate every question: %(names)s.", names="、".join(missing + wrong))
            continue
        rows += [{"campaign_id": campaign.id, "body": body, "ratee_id": pid, "indicator": q.code,
                  "value": given[q.code]} for q in qs]
    if errors:
        return errors
    if not rows:
        raise DomainError(_("Rate at least one person."))
    before = _described(campaign, existing(campaign, body))
    _delete(campaign, body)
    db.session.execute(insert(OutsideRating), rows)
    after = _described(campaign, {(r["ratee_id"], r["indicator"]): r["value"] for r in rows})
    audit.record("outside.save", summary=_("%(body)s: %(n)d people rated", body=body,
                                           n=len({r["ratee_id"] for r in rows})),
                 object_type="ballot_outside_ratings", object_label=body, before=before or None, after=after,
                 unit_path=campaign.unit.path)
    return {}


def remove(campaign: Campaign, body: str) -> int:
    before = _described(campaign, existing(campaign, body))
    n = _delete(campaign, body)
    if n:
        audit.record("outside.remove", summary=body, object_type="ballot_outside_ratings", object_label=body,
                     before=before, unit_path=campaign.unit.path)
    return n


def _delete(campaign: Campaign, body: str) -> int:
    return db.session.execute(delete(OutsideRating).where(
        OutsideRating.campaign_id == campaign.id, OutsideRating.body == body)).rowcount


def _described(campaign: Campaign, values: dict[tuple[int, str], float]) -> dict[str, float]:
    """For the audit log: "name · indicator" → value."""
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_({r for r, _c in values}))).all())
    return {f"{names.get(r, r)} · {code}": v for (r, code), v in sorted(values.items())}

"""Campaign read queries: progress of each source, what blocks closing (the results: review/results)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from ..core.access import Role
from ..extensions import db
from ..org.models import Unit
from ..plans.spec import KpiSource
from .operations import BY_HAND
from .models import Campaign, CampaignSubject, ManualEntry


def visible_campaigns(user) -> list[Campaign]:
    stmt = select(Campaign).join(Unit, Unit.id == Campaign.unit_id).order_by(Campaign.year.desc(), Campaign.id.desc())
    if user.role is not Role.ADMIN:
        if user.scope_unit is None:
            return []
        stmt = stmt.where(Unit.path.startswith(user.scope_unit.path, autoescape=True))
    return list(db.session.scalars(stmt))


@dataclass
class Progress:
    code: str
    path: str
    source: str
    entered: int
    total: int
    by_hand: bool

    @property
    def complete(self) -> bool:
        # Bonus and deduction items without an entry simply had no occurrences.
        return self.entered >= self.total or self.source in ("bonus", "deduction")


def progress(campaign: Campaign) -> list[Progress]:
    """For every leaf: how many appraised people have data (one GROUP BY query)."""
    plan = campaign.plan_version.spec()
    total = db.session.scalar(select(func.count()).select_from(CampaignSubject)
                              .where(CampaignSubject.campaign_id == campaign.id)) or 0
    counts = dict(db.session.execute(
        select(ManualEntry.indicator, func.count(ManualEntry.id))
        .join(CampaignSubject, (CampaignSubject.campaign_id == ManualEntry.campaign_id)
              & (CampaignSubject.person_id == ManualEntry.person_id))
        .where(ManualEntry.campaign_id == campaign.id).group_by(ManualEntry.indicator)).all())
    kpi_counts: Counter = Counter()
    if plan.kpi_measures():
        from ..kpi.values import current
        subjects = set(db.session.scalars(select(CampaignSubject.person_id)
                                          .where(CampaignSubject.campaign_id == campaign.id)))
        kpi_counts.update(measure for pid, measure in current(campaign.id) if pid in subjects)
    out = []
    for path, node in plan.leaves():
        by_hand = isinstance(node.source, BY_HAND)
        entered = kpi_counts[node.source.measure] if isinstance(node.source, KpiSource) else counts.get(node.code, 0)
        out.append(Progress(node.code, " › ".join(path), node.source.type, entered, total, by_hand))
    return out


def blockers(campaign: Campaign, items: list[Progress]) -> list[str]:
    """What a performance officer should settle before closing (closing is still allowed: it is their call)."""
    from flask_babel import gettext as _
    out = []
    for p in items:
        if not p.complete:
            out.append(_("%(path)s: %(missing)d of %(total)d people have no data yet.", path=p.path,
                         missing=p.total - p.entered, total=p.total))
    return out

"""Between the database and the pure engine: gather a campaign's inputs with a few
aggregate queries (no per-person loops), score, and store the results."""
from __future__ import annotations

from sqlalchemy import delete, select

from ..core.timeutil import utcnow
from ..database import bulk_insert
from ..extensions import db
from ..org.models import Department, Person, Unit
from ..plans.spec import BonusSource, DeductionSource, ManualSource
from ..scoring import PersonInputs, Subject, score_campaign, stored
from .models import Campaign, CampaignState, CampaignSubject, ManualEntry, PeriodKind, Result, VetoEntry


def gather(campaign: Campaign, lang: str = "zh") -> tuple:
    plan = campaign.plan_version.spec()
    rows = db.session.execute(
        select(Person.id, Person.staff_no, Person.name, Person.category_code, Unit.name, Department.name,
               Person.leader_role)
        .join(CampaignSubject, CampaignSubject.person_id == Person.id)
        .join(Unit, Unit.id == Person.unit_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(CampaignSubject.campaign_id == campaign.id)
        .order_by(Person.staff_no))
    subjects = [Subject(pid, no, name, cat, unit, dept, role.value if role else None)
                for pid, no, name, cat, unit, dept, role in rows]
    inputs: dict[int, PersonInputs] = {s.id: PersonInputs() for s in subjects}
    kinds = {node.code: node.source for _path, node in plan.leaves()}
    entered = {code for code, src in kinds.items() if isinstance(src, ManualSource)}
    counted = {code for code, src in kinds.items() if isinstance(src, (BonusSource, DeductionSource))}
    for pid, code, value, reason in db.session.execute(
            select(ManualEntry.person_id, ManualEntry.indicator, ManualEntry.value, ManualEntry.reason)
            .where(ManualEntry.campaign_id == campaign.id)):
        data = inputs.get(pid)
        if data is None:
            continue
        if code in entered:
            data.manual[code] = (value, reason)
        elif code in counted:
            data.occurrences[code] = data.occurrences.get(code, 0) + value
            data.sources.setdefault(code, []).append(("src_office", {"n": f"{value:g}", "reason": reason}))
    for pid, veto in db.session.execute(select(VetoEntry.person_id, VetoEntry.veto)
                                        .where(VetoEntry.campaign_id == campaign.id)):
        if pid in inputs:
            inputs[pid].vetoes.add(veto)
    _gather_ballots(campaign, inputs)
    _gather_surveys(campaign, plan, subjects, inputs)
    _gather_kpis(campaign, inputs)
    _gather_claims(campaign, kinds, inputs)
    _gather_registers(campaign, kinds, inputs, lang)
    from ..appeals.adjustments import gather as gather_adjustments; gather_adjustments(campaign, inputs)
    rolled = {node.code for _path, node in plan.leaves() if node.rollup}
    if rolled and campaign.period_kind is PeriodKind.YEAR:
        _gather_periods(campaign, rolled, inputs)
    return plan, subjects, inputs


def _gather_ballots(campaign: Campaign, inputs: dict[int, PersonInputs]) -> None:
    """Ballot sums and counts per ratee, indicator and rater group, as the disclosure rule lets them
    through (review/ballots/disclosure.py): the engine never uses what a page may not show, so no
    score can be combined with a page to reveal a hidden group."""
    from ..ballots import results
    for (ratee, code), (groups, pooled, withheld) in results.disclosed_sums(campaign).items():
        data = inputs.get(ratee)
        if data is None:
            continue
        data.ballots.setdefault(code, {}).update(groups)
        if pooled and "others" in groups:
            data.pooled[code] = set(pooled)
        if withheld:
            data.withheld.setdefault(code, set()).update(withheld)
    for (ratee, code), groups in results.named_tallies(campaign).items():
        if ratee in inputs:
            for group, tally in groups.items():
                inputs[ratee].ballots.setdefault(code, {})[group] = (tally.total, tally.count)


def _day(moment) -> str:
    return moment.date().isoformat() if moment else ""


def _gather_kpis(campaign: Campaign, inputs: dict[int, PersonInputs]) -> None:
    """Current KPI values, each with the batch or approved entry it came from: the records in the
    order they were made, a later record's value replacing an earlier one (review/kpi/values.py)."""
    from ..auth.models import User
    from ..kpi.models import KpiBatch, KpiEntry, KpiRecord
    records = db.session.execute(
        select(KpiRecord.person_id, KpiRecord.values, KpiRecord.batch_id, KpiRecord.entry_id, KpiRecord.recorded_at)
        .where(KpiRecord.campaign_id == campaign.id).order_by(KpiRecord.id)).all()
    if not records:
        return
    batch_ids = {r[2] for r in records if r[2] is not None}
    entry_ids = {r[3] for r in records if r[3] is not None}
    batches = {bid: (f"#{bid} " + (name or (f"API {client}" if client else str(origin))))
               for bid, name, client, origin in db.session.execute(
                   select(KpiBatch.id, KpiBatch.filename, KpiBatch.client_batch_id, KpiBatch.origin)
                   .where(KpiBatch.id.in_(batch_ids)))} if batch_ids else {}
    entries = {eid: (reason, login) for eid, reason, login in db.session.execute(
        select(KpiEntry.id, KpiEntry.reason, User.login).outerjoin(User, User.id == KpiEntry.reviewed_by_id)
        .where(KpiEntry.id.in_(entry_ids)))} if entry_ids else {}
    # One note per batch (or entry) and day, shared by every value it brought: stored once per
    # person (review/scoring/stored.py).
    notes: dict[tuple, list] = {}
    for pid, values, batch_id, entry_id, at in records:
        data = inputs.get(pid)
        if data is None or not values:
            continue
        key = (batch_id, entry_id, at)
        shared = notes.get(key)
        if shared is None:
            if batch_id is not None:
                source = ("src_batch", {"what": batches.get(batch_id, f"#{batch_id}"), "date": _day(at)})
            else:
                reason, reviewer = entries.get(entry_id, ("—", "—"))
                source = ("src_entry", {"reason": reason or "—", "reviewer": reviewer or "—", "date": _day(at)})
            shared = notes[key] = [source]
        kpis, sources = data.kpis, data.sources
        for measure, value in values.items():
            kpis[measure] = value
            sources["kpi:" + measure] = shared


def _gather_claims(campaign: Campaign, kinds: dict, inputs: dict[int, PersonInputs]) -> None:
    """Approved claims (bonus) and the office's deduction records add their occurrences."""
    from ..claims.models import Claim, ClaimState
    rows = db.session.execute(
        select(Claim.person_id, Claim.indicator, Claim.occurrences, Claim.title, Claim.kind, Claim.office_at)
        .where(Claim.campaign_id == campaign.id, Claim.state == ClaimState.APPROVED).order_by(Claim.id))
    for pid, code, n, title, kind, at in rows:
        source = kinds.get(code)
        if pid not in inputs or not isinstance(source, (BonusSource, DeductionSource)) or source.register:
            continue
        data = inputs[pid]
        data.occurrences[code] = data.occurrences.get(code, 0) + n
        message = "src_claim" if kind == "bonus" else "src_deduction"
        data.sources.setdefault(code, []).append((message, {"title": title, "n": n, "date": _day(at)}))


def _gather_registers(campaign: Campaign, kinds: dict, inputs: dict[int, PersonInputs], lang: str) -> None:
    """Items fed by a central register count its entries dated within the campaign's period."""
    from ..registers.models import RegisterEntry
    from ..scoring.messages import register_name
    fed = {code: src for code, src in kinds.items()
           if isinstance(src, (BonusSource, DeductionSource)) and src.register}
    if not fed:
        return
    start, end = campaign.period_dates
    rows = db.session.execute(
        select(RegisterEntry.person_id, RegisterEntry.kind, RegisterEntry.level, RegisterEntry.title,
               RegisterEntry.occurred_on)
        .join(CampaignSubject, (CampaignSubject.person_id == RegisterEntry.person_id)
              & (CampaignSubject.campaign_id == campaign.id))
        .where(RegisterEntry.kind.in_({src.register for src in fed.values()}),
               RegisterEntry.occurred_on >= start, RegisterEntry.occurred_on <= end)
        .order_by(RegisterEntry.occurred_on, RegisterEntry.id))
    for pid, kind, level, title, day in rows:
        data = inputs.get(pid)
        if data is None:
            continue
        for code, src in fed.items():
            if src.register == kind.value and (src.level is None or src.level == level):
                data.occurrences[code] = data.occurrences.get(code, 0) + 1
                data.sources.setdefault(code, []).append(
                    ("src_register", {"register": register_name(lang, kind.value),
                                      "title": title + (f" · {level}" if level else ""), "date": day.isoformat()}))


def _gather_periods(campaign: Campaign, codes: set[str], inputs: dict[int, PersonInputs]) -> None:
    """The year's shorter campaigns over the same unit: their stored results for the rolled-up codes."""
    shorter = db.session.scalars(select(Campaign).where(
        Campaign.unit_id == campaign.unit_id, Campaign.year == campaign.year, Campaign.id != campaign.id,
        Campaign.period_kind != PeriodKind.YEAR, Campaign.state != CampaignState.DRAFT)).all()
    if not shorter:
        return
    order = {c.id: (c.period_kind.periods, c.period_no) for c in shorter}
    labels = {c.id: c.period_label for c in shorter}
    maxima = {c.id: c.plan_version.spec().maxima() for c in shorter}
    rows = db.session.execute(select(Result.campaign_id, Result.person_id, Result.detail)
                              .where(Result.campaign_id.in_(list(order)),
                                     Result.person_id.in_(list(inputs))))
    collected: dict[tuple[int, str], list] = {}
    for cid, pid, detail in sorted(rows, key=lambda r: order[r[0]]):
        for code, points in stored.points(detail).items():
            if code in codes and points is not None and code in maxima[cid]:
                collected.setdefault((pid, code), []).append((labels[cid], points, maxima[cid][code]))
    for (pid, code), periods in collected.items():
        inputs[pid].periods[code] = periods


def result_row(campaign_id: int, r, now) -> dict:
    """One person's row of ``results``."""
    return {"campaign_id": campaign_id, "person_id": r.subject.id, "total": r.total, "grade": r.grade,
            "rank_category": r.rank_category, "rank_unit": r.rank_unit, "detail": stored.pack(r),
            "summary": stored.summary(r), "flagged": bool(r.vetoes or r.flags), "computed_at": now}


def recompute(campaign: Campaign, lang: str = "zh", *, force: bool = False) -> int:
    """Score the campaign again and replace its stored results. Returns the number of people.

    Final results never change afterwards (``force`` is for the move to final itself). A shorter
    campaign's change flows on to the annual campaigns of its unit and year, which may roll it up."""
    if campaign.state is CampaignState.FINAL and not force:
        return 0
    plan, subjects, inputs = gather(campaign, lang)
    results = score_campaign(plan, subjects, inputs, lang=lang)
    db.session.execute(delete(Result).where(Result.campaign_id == campaign.id))
    now = utcnow()
    bulk_insert(db.session, Result.__table__, [result_row(campaign.id, r, now) for r in results])
    if campaign.period_kind is not PeriodKind.YEAR:
        for annual in db.session.scalars(select(Campaign).where(
                Campaign.unit_id == campaign.unit_id, Campaign.year == campaign.year,
                Campaign.period_kind == PeriodKind.YEAR, Campaign.state != CampaignState.FINAL)):
            if any(node.rollup for _path, node in annual.plan_version.spec().leaves()):
                recompute(annual, lang)
    return len(results)


def _gather_surveys(campaign: Campaign, plan, subjects, inputs: dict[int, PersonInputs]) -> None:
    """Public-survey indicators: the satisfaction index of the campaign's surveys of that questionnaire,
    per person, or for everyone of the department or unit surveyed (weighted by answers when several
    apply). Verified answers only unless the plan includes unverified ones; a person below the
    k-threshold has no index (review/surveys/results.py)."""
    from ..plans.spec import SurveySource
    from ..surveys import results
    from ..surveys.models import Survey, TargetKind
    sources = {node.code: node.source for _path, node in plan.leaves() if isinstance(node.source, SurveySource)}
    if not sources:
        return
    surveys = db.session.scalars(select(Survey).where(Survey.campaign_id == campaign.id)).all()
    if not surveys:
        return
    people = db.session.execute(select(Person.id, Person.department_id, Person.unit_id)
                                .where(Person.id.in_(list(inputs)))).all()
    for code, source in sources.items():
        sums: dict[int, tuple[float, int]] = {}
        for survey in surveys:
            if survey.questionnaire_version.questionnaire.name != source.questionnaire:
                continue
            for r in results.summary(survey):
                # summary() has already withheld (index None) any part below the k-threshold.
                parts = [(r.index, r.responses)]
                if source.include_unverified:
                    parts.append((r.index_unverified, r.unverified))
                for index, n in parts:
                    if index is None or not n:
                        continue
                    if r.kind is TargetKind.PERSON:
                        who = [r.target_id]
                    elif r.kind is TargetKind.DEPARTMENT:
                        who = [pid for pid, dept, _unit in people if dept == r.target_id]
                    else:
                        who = [pid for pid, _dept, unit in people if unit == r.target_id]
                    for pid in who:
                        total, count = sums.get(pid, (0.0, 0))
                        sums[pid] = (total + index * n, count + n)
        for pid, (total, count) in sums.items():
            if pid in inputs and count:
                inputs[pid].surveys[code] = total / count

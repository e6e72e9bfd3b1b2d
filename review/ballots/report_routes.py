"""Ballot results for the performance office: per ratee, indicator and rater group (count, mean,
distribution), the democratic-evaluation report, and their export. Everything shown here has
passed the disclosure rule (review/ballots/disclosure.py)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, request, send_file
from sqlalchemy import select

from ..campaigns.models import Campaign
from ..campaigns.routes import READERS, _campaign
from ..core.access import roles
from ..core.spreadsheet import XLSX, workbook
from ..extensions import db
from ..ids import page_number, query_id
from ..org.models import Department, Person
from . import results
from .models import Assignment, RaterGroup

bp = Blueprint("ballot_results", __name__, url_prefix="/campaigns")


def _ratees(campaign: Campaign):
    return (select(Person).where(Person.id.in_(
        select(Assignment.ratee_id).where(Assignment.campaign_id == campaign.id)))
        .order_by(Person.staff_no))


def group_label(group: str, pooled: tuple[str, ...] = ()) -> str:
    from flask_babel import gettext as _
    if group == "others":
        return _("Others, pooled (%(groups)s)", groups="、".join(RaterGroup(g).label for g in pooled))
    return RaterGroup(group).label


@bp.get("/<int:campaign_id>/ballot-results")
@roles(*READERS)
def overview(campaign_id: int):
    campaign = _campaign(campaign_id)
    department = query_id("department")
    stmt = _ratees(campaign)
    if department:
        stmt = stmt.where(Person.department_id == department)
    page = db.paginate(stmt, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    ids = [p.id for p in page.items]
    anonymous = results.disclosed(campaign, ids)
    signed = results.named_tallies(campaign, ids)
    departments = db.session.scalars(select(Department).where(Department.id.in_(
        select(Person.department_id).where(Person.id.in_(
            select(Assignment.ratee_id).where(Assignment.campaign_id == campaign.id))))).order_by(Department.name))
    return render_template("ballots/results.html", campaign=campaign, page=page, anonymous=anonymous,
                           signed=signed, indicators=results.ballot_indicators(campaign),
                           departments=departments, department=department, group_label=group_label)


@bp.get("/<int:campaign_id>/ballot-results/<int:person_id>")
@roles(*READERS)
def ratee(campaign_id: int, person_id: int):
    campaign = _campaign(campaign_id)
    person = db.session.get(Person, person_id) or abort(404)
    if not db.session.scalar(select(Assignment.id).where(Assignment.campaign_id == campaign.id,
                                                        Assignment.ratee_id == person.id).limit(1)):
        abort(404)
    from .voting import questions
    return render_template("ballots/ratee_results.html", campaign=campaign, person=person,
                           data=results.for_ratee(campaign, person.id),
                           asks_report=bool(questions(campaign, RaterGroup.SELF)),
                           indicators=results.ballot_indicators(campaign), group_label=group_label)


@bp.get("/<int:campaign_id>/democratic-report")
@roles(*READERS)
def democratic(campaign_id: int):
    campaign = _campaign(campaign_id)
    indicators, rows = results.grade_report(campaign)
    people = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_({r.ratee_id for r in rows})))}
    rows.sort(key=lambda r: (r.indicator, -(r.top_two_share or 0), people[r.ratee_id].staff_no))
    return render_template("ballots/democratic_report.html", campaign=campaign, people=people, rows=rows,
                           indicators={i.code: i for i in indicators})


@bp.get("/<int:campaign_id>/ballot-results.xlsx")
@roles(*READERS)
def export(campaign_id: int):
    campaign = _campaign(campaign_id)
    data = export_workbook(campaign)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"ballot-results-{campaign.id}.xlsx")


def scale_levels(ind: results.BallotIndicator) -> str:
    return "／".join(lv.zh for lv in ind.scale.levels)


def export_workbook(campaign: Campaign) -> bytes:
    """Two sheets: every disclosed result line, and the democratic-evaluation report."""
    from flask_babel import gettext as _
    indicators = {i.code: i for i in results.ballot_indicators(campaign)}
    anonymous = results.disclosed(campaign)
    signed = results.named_tallies(campaign)
    people = {p.id: p for p in db.session.scalars(_ratees(campaign))}
    width = max((len(i.scale.levels) for i in indicators.values()), default=0)

    def levels(ind, tally):
        return [tally.levels.get(float(lv.value), 0) for lv in ind.scale.levels] + \
               [None] * (width - len(ind.scale.levels)) + [scale_levels(ind)]

    def lines():
        for pid, person in people.items():
            for code, ind in indicators.items():
                d = anonymous.get((pid, code))
                rows = []
                if d is not None:
                    rows += [(group_label(g), t) for g, t in d.shown.items()]
                    if d.others:
                        rows.append((group_label("others", d.pooled), d.others))
                    if d.total and (len(d.shown) + bool(d.others)) > 1:
                        rows.append((_("All anonymous ballots"), d.total))
                    if d.withheld:
                        yield [person.staff_no, person.name, ind.name, _("Withheld (fewer than %(k)d ballots)",
                                                                          k=campaign.k_threshold),
                               None, None] + [None] * width + [scale_levels(ind)]
                rows += [(group_label(g) + " · " + _("signed"), t) for g, t in signed.get((pid, code), {}).items()]
                for label, t in rows:
                    yield [person.staff_no, person.name, ind.name, label, t.count, round(t.mean, 2)] + levels(ind, t)

    indicators_report, grade_rows = results.grade_report(campaign)
    by_code = {i.code: i for i in indicators_report}
    report_width = max((len(i.scale.levels) for i in indicators_report), default=0)

    def report():
        for r in grade_rows:
            p, ind = people.get(r.ratee_id), by_code[r.indicator]
            if p is None:
                continue
            yield [p.staff_no, p.name, p.department.name if p.department else "", ind.name, r.ballots,
                   *r.counts, *[None] * (report_width - len(r.counts)),
                   None if r.top_two_share is None else round(r.top_two_share * 100, 1), scale_levels(ind)]

    return workbook([
        (_("Ballot results"), [_("Staff number"), _("Name"), _("Indicator"), _("Rater group"), _("Number of ballots"),
                               _("Mean")] + [_("Level %(n)d", n=i + 1) for i in range(width)] + [_("Levels, best first")], lines()),
        (_("Democratic evaluation"), [_("Staff number"), _("Name"), _("Department"), _("Indicator"), _("Number of ballots")]
         + [_("Level %(n)d", n=i + 1) for i in range(report_width)] + [_("Share of the two best levels (%)"), _("Levels, best first")],
         report()),
    ])

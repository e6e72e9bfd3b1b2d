"""Reminding people who have not voted yet: on the site always, by e-mail when the site can send it.

Only the number of people reminded is kept, never who: the list is the participation list of
that moment, which the office can already see."""
from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..campaigns.models import Campaign, CampaignState
from ..core import mail
from ..core.errors import DomainError
from ..extensions import db
from .assignments import not_yet_voted
from .models import Assignment, Reminder, voted_online

MESSAGE_MAX = 500


def send(campaign: Campaign, message: str) -> tuple[Reminder, list[mail.Mail]]:
    """Record a reminder for everyone with ballots still to cast online. Returns it with the e-mails
    to send to those with an address — to be sent with :func:`deliver` after the commit, so that a
    slow mail server holds no transaction and a failed commit sends nothing."""
    if campaign.state is not CampaignState.OPEN:
        raise DomainError(_("Reminders can be sent only while voting is open."))
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write the reminder's message."))
    if len(message) > MESSAGE_MAX:
        raise DomainError(_("The message is too long: at most %(n)d characters.", n=MESSAGE_MAX))
    waiting = not_yet_voted(campaign)
    if not waiting:
        raise DomainError(_("Everybody has voted: there is nobody to remind."))
    mails = []
    if mail.configured():
        link = url_for("ballots.todo", _external=True)
        for person, n in waiting:
            user = getattr(person, "user", None)
            if user is None or not user.email or not user.can_log_in:
                continue
            with force_locale(user.locale or "zh_CN"):
                mails.append(mail.Mail(user.email, _("Reminder: %(campaign)s", campaign=campaign.name),
                                       _("%(message)s\n\nYou still have %(n)d ballots to complete: %(link)s",
                                         message=message, n=n, link=link)))
    reminder = Reminder(campaign_id=campaign.id, message=message, recipients=len(waiting), emailed=0)
    db.session.add(reminder)
    db.session.flush()
    return reminder, mails


def deliver(reminder: Reminder, mails: list[mail.Mail]) -> int:
    """Send the reminder's e-mails and note how many went. Returns how many failed."""
    sent, failed = mail.send_all(mails)
    reminder.emailed = sent
    db.session.flush()
    return failed


def for_person(person_id: int) -> list[tuple[Campaign, int, Reminder | None]]:
    """The person's open campaigns with ballots still to cast online: how many, and the latest reminder."""
    rows = db.session.execute(
        select(Campaign, func.count(Assignment.id)).join(Assignment, Assignment.campaign_id == Campaign.id)
        .where(Assignment.rater_id == person_id, Assignment.completed.is_(False),
               Campaign.state == CampaignState.OPEN, voted_online())
        .group_by(Campaign.id).order_by(Campaign.id))
    out = []
    for campaign, n in rows:
        latest = db.session.scalar(select(Reminder).where(Reminder.campaign_id == campaign.id)
                                   .order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(1))
        out.append((campaign, n, latest))
    return out


def history(campaign: Campaign) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id)
                                   .order_by(Reminder.created_at.desc())))

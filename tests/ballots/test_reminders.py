"""Reminders: shown on the site to those who still have ballots to cast, e-mailed when the site has
an SMTP server, and only counted — never a list of who was reminded."""
import smtplib

import pytest
from sqlalchemy import select

from review.ballots import reminders, voting
from review.ballots.models import Assignment, Reminder
from review.campaigns import operations as ops
from review.core.access import Role
from review.core.errors import DomainError
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_assignments import PLAN


class FakeSMTP:
    sent: list = []
    refuse: set = set()

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        if msg["To"] in self.refuse:
            raise smtplib.SMTPRecipientsRefused({msg["To"]: (550, b"no")})
        FakeSMTP.sent.append(msg)


@pytest.fixture
def campaign(make, app):
    o = small_institution(make)
    c = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(c, "open")
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    staff = make.user(Role.STAFF, person=o["s1"][0])
    staff.email = "s1@example.org"
    make.commit()
    return o, c, office, staff


def test_reminder_shows_on_the_site_to_those_who_have_not_voted(client, auth, campaign, make):
    o, c, office, staff = campaign
    auth.as_user(office)
    resp = client.post(f"/campaigns/{c.id}/ballots/remind", data={"message": "请于11月30日前完成测评"})
    assert resp.status_code == 302
    reminder = db.session.scalars(select(Reminder)).one()
    assert reminder.recipients > 0 and reminder.emailed == 0  # no mail server configured
    auth.logout()
    auth.as_user(staff)
    home = client.get("/").get_data(as_text=True)
    assert "请于11月30日前完成测评" in home and "/ballots/" in home
    assert "请于11月30日前完成测评" in client.get("/ballots/").get_data(as_text=True)
    # Someone with nothing left to cast sees neither.
    for a in db.session.scalars(select(Assignment).where(Assignment.rater_id == o["s1"][0].id)):
        a.completed = True
    db.session.commit()
    assert "请于11月30日前完成测评" not in client.get("/").get_data(as_text=True)


def test_reminders_are_e_mailed_when_a_server_is_configured(app, campaign, monkeypatch):
    o, c, _office, staff = campaign
    app.config.update(MAIL_SERVER="mail.example.org", MAIL_FROM="kaohe@example.org", SERVER_NAME="review.local")
    FakeSMTP.sent, FakeSMTP.refuse = [], set()
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    with app.test_request_context():
        reminder, mails = reminders.send(c, "请尽快完成")
        assert FakeSMTP.sent == []  # nothing goes before the reminder is committed
        failed = reminders.deliver(reminder, mails)
    assert failed == 0 and reminder.emailed == 1
    [msg] = FakeSMTP.sent
    assert msg["To"] == "s1@example.org" and c.name in msg["Subject"]
    body = msg.get_content()
    assert "请尽快完成" in body and "/ballots/" in body


def test_a_refused_address_does_not_stop_the_others(app, campaign, make, monkeypatch):
    o, c, _office, _staff = campaign
    other = make.user(Role.STAFF, person=o["s1"][1])
    other.email = "bad@example.org"
    make.commit()
    app.config.update(MAIL_SERVER="mail.example.org", SERVER_NAME="review.local")
    FakeSMTP.sent, FakeSMTP.refuse = [], {"bad@example.org"}
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    with app.test_request_context():
        reminder, mails = reminders.send(c, "请尽快完成")
        failed = reminders.deliver(reminder, mails)
    assert failed == 1 and reminder.emailed == 1


def test_reminders_need_an_open_campaign_and_a_message(campaign):
    o, c, _office, _staff = campaign
    with pytest.raises(DomainError):
        reminders.send(c, "  ")
    ops.move(c, "close")
    with pytest.raises(DomainError):
        reminders.send(c, "请完成")
    db.session.rollback()
    assert db.session.scalars(select(Reminder)).all() == []


def test_account_e_mail_address_is_validated(client, auth, campaign, make):
    o, c, _office, staff = campaign
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    auth.as_user(admin)
    bad = client.post(f"/users/{staff.id}", data={"role": "staff", "email": "not-an-address", "active": "y"})
    assert bad.status_code == 200 and "不是有效的电子邮件地址" in bad.get_data(as_text=True)
    assert client.post(f"/users/{staff.id}", data={"role": "staff", "email": "new@example.org",
                                                   "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(staff), staff.id).email == "new@example.org"

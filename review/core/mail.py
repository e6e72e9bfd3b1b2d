"""Sending e-mail through the site's SMTP server, when one is configured (MAIL_SERVER).

Intranets often have a mail relay and nothing else; without one the site still works and
says that reminders were shown on the site only."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_all(mails: list[Mail]) -> tuple[int, int]:
    """Send over one connection; returns (sent, failed). A refused address does not stop the rest."""
    if not mails or not configured():
        return 0, len(mails)
    cfg = current_app.config
    sent = failed = 0
    smtp_class = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_class(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=30) as smtp:
            if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            for mail in mails:
                msg = EmailMessage()
                msg["From"] = cfg.get("MAIL_FROM") or "review@localhost"
                msg["To"] = mail.to
                msg["Subject"] = mail.subject
                msg.set_content(mail.body)
                try:
                    smtp.send_message(msg)
                    sent += 1
                except smtplib.SMTPException as e:
                    failed += 1
                    log.warning("mail to one recipient refused: %s", e.__class__.__name__)
    except (OSError, smtplib.SMTPException) as e:
        log.warning("mail server unavailable: %s", e)
        return sent, len(mails) - sent
    return sent, failed

"""E-mail of the inbox through the studio's SMTP server: plain text, naming each project
and what happened. smtplib blocks, so each mail is sent in a thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from storage.email_prefs import MODE_WORDS
from storage.inbox import shortened
from storage.mailings import Mailing
from storage.models import EmailMode
from storage.settings import Settings

SMTP_TIMEOUT_S = 20.0
STUDIO = "VeoGen Studio"


def compose(mailing: Mailing, sender: str) -> EmailMessage:
    """One person's mail: a digest, or what just arrived in their inbox."""
    lines = mailing.lines
    if mailing.mode == EmailMode.digest:
        subject = f"{STUDIO}: your daily digest, {len(lines)} new"
    elif len(lines) == 1:
        subject = f"{lines[0].project}: {shortened(lines[0].text, 90)}"
    else:
        subject = f"{STUDIO}: {len(lines)} new in your inbox"
    told = "\n\n".join(
        f"{line.project} · {line.at:%Y-%m-%d %H:%M} UTC\n{line.text}" for line in lines
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mailing.to
    message["Subject"] = subject
    message.set_content(
        f"Hello {mailing.name},\n\n{told}\n\n-- \nYou get these e-mails from {STUDIO} because "
        f'your choice is "{MODE_WORDS[mailing.mode]}". Change it in the inbox, in the '
        "sidebar of any page of the studio.\n"
    )
    return message


class Mailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host and settings.smtp_from  # settings refuse one without the other
        self.host, self.port, self.sender = (
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
        )
        self.user, self.password = settings.smtp_user, settings.smtp_password
        self.starttls = settings.smtp_starttls

    async def send(self, mailing: Mailing) -> None:
        """Raises ``smtplib.SMTPException`` or ``OSError`` when the server refuses it or
        cannot be reached."""
        await asyncio.to_thread(self._send, compose(mailing, self.sender))

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)

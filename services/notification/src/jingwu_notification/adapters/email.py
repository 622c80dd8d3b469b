"""E-mail over SMTP (R-NOT-4): reminders to officers, escalations to stations.

Sent with the standard library's ``smtplib`` in a worker thread: it speaks the whole protocol
(EHLO, STARTTLS, AUTH, pipelining-free DATA with dot-stuffing) as RFC 5321 has it, and an SMTP exchange
is one short request per delivery, so a thread per send costs nothing that matters; an asyncio SMTP
client would be one more dependency for the same bytes (docs/adr). The ``Message-ID`` derives from the
delivery's message id, the same on every attempt, so a mail store that sees a retry can tell it is one.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from jingwu_notification.application.channels import DeliveryFailed
from jingwu_notification.domain.deliveries import Delivery


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "jingwu@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout_s: float = 15.0


class EmailSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def message(self, delivery: Delivery, at: datetime) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._settings.sender
        mail["To"] = delivery.address
        mail["Subject"] = delivery.subject
        mail["Date"] = format_datetime(at)
        domain = self._settings.sender.rpartition("@")[2] or "jingwu.local"
        mail["Message-ID"] = f"<{delivery.message_id}@{domain}>"
        mail.set_content(delivery.body)
        return mail

    def _send_blocking(self, mail: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password)
            smtp.send_message(mail)

    async def send(self, delivery: Delivery, *, secret: str, at: datetime) -> None:
        mail = self.message(delivery, at)
        try:
            await asyncio.to_thread(self._send_blocking, mail)
        except smtplib.SMTPRecipientsRefused as refused:
            raise DeliveryFailed(f"recipient refused: {refused.recipients}", retryable=False) from refused
        except smtplib.SMTPResponseException as error:
            # 4xx: try again later (greylisting, a full queue); 5xx: the server will not take it.
            raise DeliveryFailed(
                f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=error.smtp_code < 500
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP server unreachable: {type(error).__name__}: {error}") from error

"""The pluggable channel interface (R-NOT-4): how a delivery leaves the service. One sender per channel
kind — signed webhooks, e-mail over SMTP, messaging groups behind an HTTP API (adapters/webhooks.py,
adapters/email.py, adapters/group_chat.py) — and another messaging platform is one more class with
this method."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from jingwu_notification.domain.deliveries import Delivery


class DeliveryFailed(Exception):
    """An attempt failed. ``retryable`` False: no retry can fix it (the receiver said the request is
    wrong, the address does not exist): the delivery becomes a dead letter at once."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


class MessageSender(Protocol):
    async def send(self, delivery: Delivery, *, secret: str, at: datetime) -> None:
        """Send one attempt of ``delivery`` (``secret``: the subscription's signing secret, webhooks only;
        ``at``: the attempt's time). Returns when the receiver accepted it; raises DeliveryFailed."""
        ...

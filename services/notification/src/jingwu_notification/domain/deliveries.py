"""Delivery records: one per message, recipient and channel (R-NOT-4, R-NOT-5). Pure.

A delivery is created once (its id derives from the message and the recipient), then attempted:

    pending ──claim──▶ sending ──ok──▶ delivered
       ▲                  │
       └──fail (retry)────┤──fail, attempts exhausted──▶ dead ──replay──▶ pending
                          └──lease expired (the sender died) ── claimable again

A claim is written before the message leaves, so two senders never send one attempt, and a sender that
dies mid-attempt leaves a claim whose lease runs out: the next sender takes it over and sends again with
the same ``message_id`` (the ``webhook-id`` / ``Message-ID``), on which receivers dedupe. Retries back
off exponentially with jitter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from jingwu_platform.errors import RuleViolation

ERROR_MAX = 500


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    GROUP = "group"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": attempt n waits between half and all of
    ``min(max_delay, base_delay * 2**(n-1))``, so retries of many deliveries spread out instead of
    hitting a recovering receiver at once, and none retries sooner than half its step."""

    # Defaults: 12 attempts, 10 s doubling to 2 h: a receiver may be down about 2½–5 hours.
    max_attempts: int = 12
    base_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(hours=2)
    # How long a claim holds; an attempt still unfinished after it (the sender died) is taken over.
    lease: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a delivery gets at least one attempt")
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")

    def delay(self, attempt: int, jitter: float) -> timedelta:
        """The wait after failed attempt ``attempt`` (1-based); ``jitter`` is uniform in [0, 1)."""
        step = min(self.max_delay, self.base_delay * (1 << (attempt - 1)))
        return step * (0.5 + jitter / 2)

    def budget(self) -> timedelta:
        """The longest a receiver can be down before a delivery dies (all waits at their longest)."""
        return sum((self.delay(n, 1.0) for n in range(1, self.max_attempts)), timedelta())


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    channel: ChannelKind
    # A subscription id, or a contact owner: "officer/<id>", "room/<id>", "station/<id>".
    recipient: str
    # Webhook URL, e-mail address or messaging group key.
    address: str
    # The event type (webhooks) or the subject line (e-mail, groups).
    subject: str
    # Stable per message and recipient: the webhook-id / Message-ID on every attempt and replay.
    message_id: str
    # What is sent: the webhook's JSON body, or the text of a mail or group message.
    body: str
    create_time: datetime
    next_attempt_time: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    lease_until: datetime | None = None
    holder: str = ""
    last_error: str = ""
    deliver_time: datetime | None = None
    dead_time: datetime | None = None
    replays: int = 0
    source_event_id: str = ""
    version: int = 0

    def claimable(self, at: datetime) -> bool:
        if self.status is DeliveryStatus.PENDING:
            return self.next_attempt_time <= at
        if self.status is DeliveryStatus.SENDING:
            return self.lease_until is not None and self.lease_until <= at
        return False


def new_delivery(
    *,
    delivery_id: str,
    channel: ChannelKind,
    recipient: str,
    address: str,
    subject: str,
    body: str,
    at: datetime,
    source_event_id: str = "",
) -> Delivery:
    return Delivery(
        delivery_id=delivery_id,
        channel=channel,
        recipient=recipient,
        address=address,
        subject=subject,
        message_id=f"msg_{delivery_id}",
        body=body,
        create_time=at,
        next_attempt_time=at,
        source_event_id=source_event_id,
    )


def claim(delivery: Delivery, *, at: datetime, holder: str, policy: RetryPolicy) -> Delivery:
    """Take the next attempt (or take over one whose sender's lease ran out)."""
    if not delivery.claimable(at):
        raise RuleViolation("R-NOT-4", delivery.delivery_id, f"delivery is {delivery.status.value}, not due")
    return replace(
        delivery,
        status=DeliveryStatus.SENDING,
        attempts=delivery.attempts + 1,
        lease_until=at + policy.lease,
        holder=holder,
    )


def delivered(delivery: Delivery, *, at: datetime) -> Delivery:
    return replace(
        delivery, status=DeliveryStatus.DELIVERED, deliver_time=at, lease_until=None, last_error=""
    )


def failed(
    delivery: Delivery, *, at: datetime, error: str, retryable: bool, policy: RetryPolicy, jitter: float
) -> Delivery:
    """After a failed attempt: wait and retry, or — retries exhausted, or a failure no retry can fix —
    become a dead letter."""
    error = error[:ERROR_MAX]
    if not retryable or delivery.attempts >= policy.max_attempts:
        return replace(delivery, status=DeliveryStatus.DEAD, dead_time=at, lease_until=None, last_error=error)
    return replace(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_time=at + policy.delay(delivery.attempts, jitter),
        lease_until=None,
        last_error=error,
    )


def released(delivery: Delivery, *, at: datetime) -> Delivery:
    """The sender stopped mid-attempt (shutdown): hand the attempt back at once instead of waiting for
    the lease. The message may have arrived; it is sent again with the same message id."""
    return replace(delivery, status=DeliveryStatus.PENDING, next_attempt_time=at, lease_until=None, holder="")


def replay(delivery: Delivery, *, at: datetime) -> Delivery:
    """A dead letter goes out again with a fresh retry budget and the same message id."""
    if delivery.status is not DeliveryStatus.DEAD:
        raise RuleViolation(
            "R-NOT-5", delivery.delivery_id, f"only dead letters are replayed; it is {delivery.status.value}"
        )
    return replace(
        delivery,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_time=at,
        dead_time=None,
        replays=delivery.replays + 1,
    )


def cancelled(delivery: Delivery) -> Delivery:
    return replace(delivery, status=DeliveryStatus.CANCELLED, lease_until=None)


def masked_address(channel: ChannelKind, address: str) -> str:
    """What a listing shows: a URL without its query (it may hold a token), an e-mail's domain, a group
    key's first characters."""
    if channel is ChannelKind.WEBHOOK:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    if channel is ChannelKind.EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:4] + "***"

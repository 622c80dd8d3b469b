"""Use cases of delivery (R-NOT-4, R-NOT-5): record one delivery per message and recipient, send what
is due through the channel senders with retries (exponential backoff and jitter), dead letters and
replay. The loop that calls ``send_due`` is entrypoints/delivery_worker.py."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.errors import FieldViolation, ValidationFailed
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_notification.application.channels import DeliveryFailed, MessageSender
from jingwu_notification.application.ports import (
    ContactDirectory,
    DeliveryQuery,
    DeliveryRepository,
    SubscriptionRepository,
)
from jingwu_notification.domain.deliveries import (
    ChannelKind,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    cancelled,
    claim,
    delivered,
    failed,
    new_delivery,
    released,
    replay,
)

log = logging.getLogger(__name__)


class DeliveryApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        deliveries: DeliveryRepository,
        contacts: ContactDirectory,
        subscriptions: SubscriptionRepository,
        senders: Mapping[ChannelKind, MessageSender],
        *,
        policy: RetryPolicy | None = None,
        holder: str = "",
        jitter: Callable[[], float] = random.random,
        failpoints: Failpoints | None = None,
    ) -> None:
        self._kit = kit
        self._deliveries = deliveries
        self._contacts = contacts
        self._subscriptions = subscriptions
        self._senders = senders
        self.policy = policy or RetryPolicy()
        self._holder = holder or kit.ids.new()
        self._jitter = jitter
        self._failpoints = failpoints or Failpoints("")
        self._listeners: list[Callable[[], None]] = []

    def on_enqueued(self, listener: Callable[[], None]) -> None:
        """Wake the delivery worker when something new is due."""
        self._listeners.append(listener)

    # --- recording -------------------------------------------------------------------------------

    async def _enqueue(self, delivery: Delivery) -> Delivery | None:
        if not await self._deliveries.add(delivery):
            return None  # this message went to this recipient already (a re-delivered event)
        for listener in self._listeners:
            listener()
        return delivery

    async def enqueue_webhook(
        self, *, subscription_id: str, url: str, event_id: str, event_type: str, body: str
    ) -> Delivery | None:
        delivery = new_delivery(
            delivery_id=self._kit.ids.stable("delivery", event_id, subscription_id),
            channel=ChannelKind.WEBHOOK,
            recipient=subscription_id,
            address=url,
            subject=event_type,
            body=body,
            at=self._kit.now(),
            source_event_id=event_id,
        )
        return await self._enqueue(delivery)

    async def to_contact(
        self, *, contact_id: str, subject: str, text: str, message_key: str
    ) -> list[Delivery]:
        """A message to whoever ``contact_id`` is, on each channel the contact point has (none: nothing
        to deliver, logged)."""
        contact = await self._contacts.get(contact_id)
        if contact is None or not (contact.email or contact.group_key):
            log.info(
                "no contact point: nothing delivered", extra={"contact_id": contact_id, "subject": subject}
            )
            return []
        created = []
        for channel, address in ((ChannelKind.EMAIL, contact.email), (ChannelKind.GROUP, contact.group_key)):
            if not address:
                continue
            delivery = new_delivery(
                delivery_id=self._kit.ids.stable("delivery", message_key, contact_id, channel.value),
                channel=channel,
                recipient=contact_id,
                address=address,
                subject=subject,
                body=text,
                at=self._kit.now(),
                source_event_id=message_key,
            )
            if await self._enqueue(delivery) is not None:
                created.append(delivery)
        return created

    # --- sending ---------------------------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        return await self._deliveries.next_due()

    async def send_due(self, limit: int = 20) -> list[Delivery]:
        """Claim what is due and send it, all at once; the outcome of each."""
        due = await self._deliveries.due(self._kit.now(), limit)
        results = await asyncio.gather(*(self.send(d) for d in due))
        return [r for r in results if r is not None]

    async def _secret_for(self, delivery: Delivery) -> str | None:
        """The signing secret (webhooks); None when the subscription is gone or cancelled."""
        if delivery.channel is not ChannelKind.WEBHOOK:
            return ""
        subscription = await self._subscriptions.get(delivery.recipient)
        return subscription.secret if subscription is not None and subscription.active else None

    async def send(self, delivery: Delivery) -> Delivery | None:
        """One attempt: claim (a versioned write, so no other sender takes it), send, record. None when
        another sender claimed it first."""
        secret = await self._secret_for(delivery)
        if secret is None:
            return await self._deliveries.save(cancelled(delivery))
        claimed = await self._deliveries.save(
            claim(delivery, at=self._kit.now(), holder=self._holder, policy=self.policy)
        )
        if claimed is None:
            return None
        sender = self._senders.get(claimed.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no {claimed.channel.value} sender is configured", retryable=False)
            await sender.send(claimed, secret=secret, at=self._kit.now())
            # Test-only crash point: the receiver has the message, the record does not say so yet.
            self._failpoints.hit("delivery.after_send")
        except asyncio.CancelledError:
            # Stopping mid-attempt: hand the attempt back (it may have arrived; the next one carries
            # the same message id). A crash instead leaves the claim to expire.
            await asyncio.shield(self._deliveries.save(released(claimed, at=self._kit.now())))
            raise
        except DeliveryFailed as failure:
            return await self._record_failure(claimed, str(failure), failure.retryable)
        except Exception as error:  # a bug in a sender must not kill the worker
            log.exception("delivery sender failed", extra={"delivery_id": claimed.delivery_id})
            return await self._record_failure(claimed, f"{type(error).__name__}: {error}", True)
        stored = await self._deliveries.save(delivered(claimed, at=self._kit.now()))
        log.info(
            "delivered",
            extra={
                "delivery_id": claimed.delivery_id,
                "channel": claimed.channel.value,
                "attempts": claimed.attempts,
            },
        )
        return stored

    async def _record_failure(self, claimed: Delivery, error: str, retryable: bool) -> Delivery | None:
        after = failed(
            claimed,
            at=self._kit.now(),
            error=error,
            retryable=retryable,
            policy=self.policy,
            jitter=self._jitter(),
        )
        events = []
        if after.status is DeliveryStatus.DEAD:
            message = notification_events.DeliveryDeadLettered(
                district_code=self._kit.district,
                delivery_id=after.delivery_id,
                channel=after.channel.value,
                recipient=after.recipient,
                attempts=after.attempts,
                last_error=after.last_error,
                occur_time=self._kit.events.occur_time(),
            )
            events.append(self._kit.events(message, after.delivery_id))
            log.warning("delivery dead-lettered", extra={"delivery_id": after.delivery_id, "error": error})
        else:
            log.info(
                "delivery failed; will retry",
                extra={"delivery_id": after.delivery_id, "attempt": after.attempts, "error": error},
            )
        return await self._deliveries.save(after, events)

    # --- dead letters ----------------------------------------------------------------------------

    async def replay(
        self,
        *,
        delivery_ids: Sequence[str],
        dead_from: datetime | None,
        dead_until: datetime | None,
        recipient: str,
    ) -> list[Delivery]:
        """Send dead letters again, by id, or every one that died in [dead_from, dead_until)."""
        if delivery_ids:
            targets = []
            for delivery_id in delivery_ids:
                found = await self._deliveries.get(delivery_id)
                if found is not None:
                    targets.append(found)
            missing = sorted(set(delivery_ids) - {d.delivery_id for d in targets})
            if missing:
                raise ValidationFailed(
                    [FieldViolation("delivery_ids", f"no such deliveries: {', '.join(missing)}")]
                )
        elif dead_from is None and dead_until is None:
            raise ValidationFailed(
                [FieldViolation("delivery_ids", "give delivery ids or a time range (dead_after/dead_before)")]
            )
        else:
            targets = await self._deliveries.select(
                DeliveryQuery(
                    recipient=recipient,
                    status=DeliveryStatus.DEAD,
                    dead_from=dead_from,
                    dead_until=dead_until,
                    limit=0,
                )
            )
        replayed = []
        for target in targets:

            async def attempt(delivery_id: str = target.delivery_id) -> Delivery | None:
                current = await self._deliveries.get(delivery_id)
                assert current is not None
                return await self._deliveries.save(replay(current, at=self._kit.now()))

            replayed.append(await retry_on_conflict(attempt, f"delivery {target.delivery_id}"))
        for listener in self._listeners:
            listener()
        return replayed

    async def list_deliveries(
        self, *, recipient: str, status: DeliveryStatus | None, page_size: int, page_token: str
    ) -> tuple[list[Delivery], str]:
        limit = page_limit(page_size)
        found = await self._deliveries.select(
            DeliveryQuery(recipient=recipient, status=status, after_id=page_token, limit=limit)
        )
        return found, next_page_token(found, limit, key=lambda d: d.delivery_id)

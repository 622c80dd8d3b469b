"""Use cases of subscriptions for other police systems (R-NOT-5): grant, read, cancel, and fan each of
the district's events out to the webhook subscriptions whose filter it matches (one delivery record per
event and subscription, see application/deliveries.py)."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.ports import SubscriptionRepository
from jingwu_notification.domain.deliveries import Delivery
from jingwu_notification.domain.subscriptions import (
    KafkaAccess,
    SubscriberSystem,
    Subscription,
    SubscriptionFilter,
    TargetKind,
    cancel,
    kafka_access,
    matching,
    new_subscription,
)

log = logging.getLogger(__name__)
# How long this process trusts its copy of the active subscriptions (another replica may change them).
CACHE_TTL = timedelta(seconds=5)


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class SubscriptionApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        subscriptions: SubscriptionRepository,
        deliveries: DeliveryApplication,
        known_event_types: Collection[str],
    ) -> None:
        self._kit = kit
        self._subscriptions = subscriptions
        self._deliveries = deliveries
        self._known = frozenset(known_event_types)
        self._cache: list[Subscription] | None = None
        self._cached_at: datetime | None = None

    async def create(
        self,
        *,
        subscriber: str,
        system: SubscriberSystem | None,
        flt: SubscriptionFilter,
        target: TargetKind | None,
        address: str,
        caller: Caller,
        request_id: str = "",
    ) -> Subscription:
        subscription = new_subscription(
            subscription_id=self._kit.ids.for_request("subscription", request_id),
            subscriber=subscriber,
            system=system,
            flt=flt,
            target=target,
            address=address,
            secret=new_secret(),
            district=self._kit.district,
            known_types=self._known,
            at=self._kit.now(),
            by=caller.subject,
        )
        if not await self._subscriptions.add(subscription):
            return await self.get(subscription.subscription_id)  # the first result, secret included
        self._cache = None
        log.info(
            "subscription granted",
            extra={
                "subscription_id": subscription.subscription_id,
                "subscriber": subscriber,
                "target": target,
            },
        )
        return subscription

    async def cancel(self, *, subscription_id: str, reason: str, caller: Caller) -> Subscription:
        async def attempt() -> Subscription | None:
            current = await self.get(subscription_id)
            return await self._subscriptions.save(
                cancel(current, reason=reason, at=self._kit.now(), by=caller.subject)
            )

        cancelled = await retry_on_conflict(attempt, f"subscription {subscription_id}")
        self._cache = None
        return cancelled

    async def get(self, subscription_id: str) -> Subscription:
        found = await self._subscriptions.get(subscription_id)
        if found is None:
            raise NotFound("subscription", subscription_id)
        return found

    async def list_subscriptions(self, *, page_size: int, page_token: str) -> tuple[list[Subscription], str]:
        limit = page_limit(page_size)
        found = await self._subscriptions.select(after_id=page_token, limit=limit)
        return found, next_page_token(found, limit, key=lambda s: s.subscription_id)

    def kafka_access(self, subscription: Subscription) -> KafkaAccess | None:
        return kafka_access(subscription, self._kit.district)

    async def _active(self) -> list[Subscription]:
        now = self._kit.now()
        if self._cache is None or self._cached_at is None or now - self._cached_at > CACHE_TTL:
            self._cache = await self._subscriptions.active()
            self._cached_at = now
        return self._cache

    async def fan_out(
        self, *, event_id: str, event_type: str, district: str, zone_codes: Sequence[str], body: str
    ) -> list[Delivery]:
        """One webhook delivery per matching subscription; a re-delivered event finds its deliveries
        there (ids from the event and the subscription) and adds none."""
        created = []
        for subscription in matching(
            await self._active(), event_type=event_type, district=district, zone_codes=zone_codes
        ):
            delivery = await self._deliveries.enqueue_webhook(
                subscription_id=subscription.subscription_id,
                url=subscription.address,
                event_id=event_id,
                event_type=event_type,
                body=body,
            )
            if delivery is not None:
                created.append(delivery)
        return created

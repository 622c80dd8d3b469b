"""Subscriptions (``notification.subscriptions``) and delivery records (``notification.deliveries``) in
MongoDB. A delivery's claim is a versioned save: two senders that read the same pending delivery both try
to save their claim at its version, and the store lets exactly one through (safe on FerretDB v1 too,
where a process keeps one connection, docs/adr/0003)."""

from __future__ import annotations

from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_notification.application.ports import DeliveryQuery
from jingwu_notification.domain.deliveries import Delivery, DeliveryStatus
from jingwu_notification.domain.subscriptions import Subscription, SubscriptionStatus

SUBSCRIPTIONS = "notification.subscriptions"
DELIVERIES = "notification.deliveries"


class MongoSubscriptionRepository(MongoAggregates[Subscription]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        codec = DocumentCodec(Subscription, id_field="subscription_id")
        super().__init__(database, SUBSCRIPTIONS, codec, outbox)

    async def select(self, *, after_id: str = "", limit: int = 100) -> list[Subscription]:
        criteria: Document = {"_id": {"$gt": after_id}} if after_id else {}
        return await self.find(criteria, limit=limit)

    async def active(self) -> list[Subscription]:
        return await self.find({"status": SubscriptionStatus.ACTIVE.value})


class MongoDeliveryRepository(MongoAggregates[Delivery]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, DELIVERIES, DocumentCodec(Delivery, id_field="delivery_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", 1), ("next_attempt_time", 1)], name="due")
        await self.collection.create_index([("status", 1), ("lease_until", 1)], name="leases")
        await self.collection.create_index([("recipient", 1), ("_id", 1)], name="recipient")
        await self.collection.create_index([("status", 1), ("dead_time", 1)], name="dead")

    async def due(self, at: datetime, limit: int) -> list[Delivery]:
        criteria: Document = {
            "$or": [
                {"status": DeliveryStatus.PENDING.value, "next_attempt_time": {"$lte": at}},
                {"status": DeliveryStatus.SENDING.value, "lease_until": {"$lte": at}},
            ]
        }
        return await self.find(criteria, sort=(("next_attempt_time", 1), ("_id", 1)), limit=limit)

    async def next_due(self) -> datetime | None:
        times: list[datetime] = []
        for status, field in (
            (DeliveryStatus.PENDING, "next_attempt_time"),
            (DeliveryStatus.SENDING, "lease_until"),
        ):
            found = await self.find({"status": status.value}, sort=((field, 1),), limit=1)
            if found:
                at = found[0].next_attempt_time if status is DeliveryStatus.PENDING else found[0].lease_until
                if at is not None:
                    times.append(at)
        return min(times) if times else None

    async def select(self, query: DeliveryQuery) -> list[Delivery]:
        criteria: Document = {}
        if query.recipient:
            criteria["recipient"] = query.recipient
        if query.status is not None:
            criteria["status"] = query.status.value
        dead: Document = {}
        if query.dead_from is not None:
            dead["$gte"] = query.dead_from
        if query.dead_until is not None:
            dead["$lt"] = query.dead_until
        if dead:
            criteria["dead_time"] = dead
        if query.after_id:
            criteria["_id"] = {"$gt": query.after_id}
        return await self.find(criteria, limit=query.limit)

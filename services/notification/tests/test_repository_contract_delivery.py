"""Repository contracts of subscriptions, deliveries and the read models (rooms, postings, week facts,
contact points), each on the in-memory fake and the Mongo adapter on the session's real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from jingwu_notification.adapters.delivery_repository import (
    MongoDeliveryRepository,
    MongoSubscriptionRepository,
)
from jingwu_notification.adapters.directory import (
    MongoContactDirectory,
    MongoFactRepository,
    MongoPostingDirectory,
    MongoRoomDirectory,
)
from jingwu_notification.adapters.memory import (
    InMemoryContactDirectory,
    InMemoryDeliveryRepository,
    InMemoryFactRepository,
    InMemoryPostingDirectory,
    InMemoryRoomDirectory,
    InMemorySubscriptionRepository,
)
from jingwu_notification.application.ports import DeliveryQuery
from jingwu_notification.domain.deliveries import DeliveryStatus, RetryPolicy, claim, delivered, failed
from jingwu_notification.domain.directory import ContactOwner, ContactPoint, PostingView, RoomView
from jingwu_notification.domain.subscriptions import SubscriptionStatus
from jingwu_notification.domain.weekly import FactKind, WeekFact
from jingwu_platform.contract import AggregateRepositoryContract
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database

from .samples import AT, delivery, subscription
from .test_repository_contract import backends, ids

POLICY = RetryPolicy(max_attempts=2, lease=timedelta(seconds=30))


class TestSubscriptionRepository(AggregateRepositoryContract[Any]):
    repository = backends(
        InMemorySubscriptionRepository, lambda db: MongoSubscriptionRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Any:
        return subscription(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=SubscriptionStatus.CANCELLED, cancel_reason="下线", update_time=AT)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.subscription_id)

    async def test_active_and_paged(self, repository: Any) -> None:
        await repository.add(subscription(1))
        await repository.add(subscription(2, status=SubscriptionStatus.CANCELLED))
        await repository.add(subscription(3))
        assert ids(await repository.active(), "subscription_id") == ["s-001", "s-003"]
        first = await repository.select(limit=2)
        rest = await repository.select(after_id=first[-1].subscription_id)
        assert ids(first + rest, "subscription_id") == ["s-001", "s-002", "s-003"]


class TestDeliveryRepository(AggregateRepositoryContract[Any]):
    repository = backends(
        InMemoryDeliveryRepository, lambda db: MongoDeliveryRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Any:
        return delivery(n)

    def changed(self, aggregate: Any) -> Any:
        return claim(aggregate, at=AT, holder="pod-1", policy=POLICY)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.delivery_id)

    async def test_due_takes_pending_ones_due_and_expired_claims_oldest_first(self, repository: Any) -> None:
        await repository.add(delivery(1, at=AT + timedelta(seconds=5)))
        await repository.add(delivery(2, at=AT))
        await repository.add(delivery(3, at=AT + timedelta(minutes=5)))  # not due yet
        await repository.add(delivery(4, at=AT - timedelta(minutes=1)))
        claimed = await repository.save(
            claim(
                delivery(4, at=AT - timedelta(minutes=1)),
                at=AT - timedelta(minutes=1),
                holder="dead",
                policy=POLICY,
            )
        )
        assert claimed is not None  # its lease ran out at AT - 30 s
        await repository.add(delivery(5, at=AT))
        held = await repository.save(claim(delivery(5, at=AT), at=AT, holder="alive", policy=POLICY))
        assert held is not None  # its lease holds until AT + 30 s
        due = await repository.due(AT + timedelta(seconds=10), limit=10)
        assert ids(due, "delivery_id") == ["d-004", "d-002", "d-001"]
        assert ids(await repository.due(AT + timedelta(seconds=10), limit=1), "delivery_id") == ["d-004"]
        assert await repository.next_due() == AT - timedelta(seconds=30)

    async def test_list_by_recipient_status_and_death_window(self, repository: Any) -> None:
        for n, recipient in ((1, "s-001"), (2, "s-001"), (3, "s-002")):
            await repository.add(delivery(n, recipient=recipient))
        for n, died in ((1, AT + timedelta(minutes=1)), (3, AT + timedelta(minutes=10))):
            current = await repository.get(f"d-{n:03d}")
            sent = await repository.save(claim(current, at=AT, holder="pod", policy=POLICY))
            dead = failed(sent, at=died, error="HTTP 503", retryable=False, policy=POLICY, jitter=0.0)
            await repository.save(dead)
        two = await repository.get("d-002")
        await repository.save(
            delivered(await repository.save(claim(two, at=AT, holder="p", policy=POLICY)), at=AT)
        )
        dead_ones = DeliveryQuery(status=DeliveryStatus.DEAD)
        assert ids(await repository.select(dead_ones), "delivery_id") == ["d-001", "d-003"]
        window = DeliveryQuery(status=DeliveryStatus.DEAD, dead_from=AT + timedelta(minutes=5))
        assert ids(await repository.select(window), "delivery_id") == ["d-003"]
        before = DeliveryQuery(
            status=DeliveryStatus.DEAD, dead_until=AT + timedelta(minutes=5), recipient="s-001"
        )
        assert ids(await repository.select(before), "delivery_id") == ["d-001"]
        assert ids(await repository.select(DeliveryQuery(recipient="s-001", limit=0)), "delivery_id") == [
            "d-001",
            "d-002",
        ]
        assert (await repository.get("d-001")).last_error == "HTTP 503"
        assert await repository.next_due() is None  # nothing pending or claimed


ROOM = RoomView("room-1", "汴河社区警务室", "st-1", ("01020301", "01020302"), True, date(2026, 1, 5))


class TestReadModels:
    @pytest.fixture(params=["memory", "mongo"])
    async def stores(self, request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
        if request.param == "memory":
            yield {
                "rooms": InMemoryRoomDirectory(),
                "postings": InMemoryPostingDirectory(),
                "facts": InMemoryFactRepository(),
                "contacts": InMemoryContactDirectory(),
            }
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            found: dict[str, Any] = {
                "rooms": MongoRoomDirectory(database),
                "postings": MongoPostingDirectory(database),
                "facts": MongoFactRepository(database),
                "contacts": MongoContactDirectory(database),
            }
            for store in found.values():
                if hasattr(store, "ensure_indexes"):
                    await store.ensure_indexes()
            yield found

    async def test_rooms_active_and_by_zone(self, stores: dict[str, Any]) -> None:
        rooms = stores["rooms"]
        await rooms.put(ROOM)
        await rooms.put(replace(ROOM, room_id="room-2", zone_codes=("01020302",), active=False))
        await rooms.put(replace(ROOM, room_id="room-3", zone_codes=("01030101",), opened_on=None))
        assert ids(await rooms.active(), "room_id") == ["room-1", "room-3"]
        assert ids(await rooms.serving_zone("01020302"), "room_id") == ["room-1"]
        assert await rooms.get("room-1") == ROOM
        assert set(await rooms.get_many(["room-1", "room-9"])) == {"room-1"}

    async def test_current_postings_by_any_field(self, stores: dict[str, Any]) -> None:
        postings = stores["postings"]
        await postings.put(
            PostingView("p-1", "o-1", "community_officer", room_id="room-1", zone_code="01020301")
        )
        await postings.put(PostingView("p-2", "o-2", "village_liaison_officer", village_id="v-1"))
        await postings.put(PostingView("p-3", "o-3", "community_officer", room_id="room-1", current=False))
        assert ids(await postings.current(room_id="room-1"), "posting_id") == ["p-1"]
        assert ids(await postings.current(village_id="v-1"), "posting_id") == ["p-2"]
        assert ids(await postings.current(zone_code="01020301", officer_id="o-1"), "posting_id") == ["p-1"]
        assert ids(await postings.current(), "posting_id") == ["p-1", "p-2"]

    async def test_week_facts_by_zones_and_days(self, stores: dict[str, Any]) -> None:
        facts = stores["facts"]
        for n, zone, day in ((1, "01020301", 2), (2, "01020302", 8), (3, "01020301", 9), (4, "01990101", 3)):
            await facts.put(WeekFact(f"e-{n}", FactKind.PATROL, zone, date(2026, 3, day), hours=1.5))
        await facts.put(
            WeekFact("e-1", FactKind.PATROL, "01020301", date(2026, 3, 2), hours=1.5)
        )  # re-delivered
        found = await facts.between(
            zone_codes=["01020301", "01020302"], start=date(2026, 3, 2), end=date(2026, 3, 8)
        )
        assert ids(found, "fact_id") == ["e-1", "e-2"] and found[0].hours == 1.5
        assert await facts.between(zone_codes=[], start=date(2026, 3, 2), end=date(2026, 3, 8)) == []

    async def test_contact_points_by_owner(self, stores: dict[str, Any]) -> None:
        contacts = stores["contacts"]
        point = ContactPoint("officer/o-1", ContactOwner.OFFICER, "o-1", "o1@pcs.example", "grp", AT)
        await contacts.put(point)
        await contacts.put(replace(point, email="new@pcs.example"))
        assert (await contacts.get("officer/o-1")).email == "new@pcs.example"
        assert await contacts.get("room/o-1") is None

"""The batched outbox relay and its lease, on the real Kafka and FerretDB: everything pending is
published with per-key order kept and then cleared; one replica relays a collection at a time; the
pending gauge and the published counter (docs/adr/0007, 0029)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import KafkaBroker
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.events import Event, domain_topic, new_event
from jingwu_platform.kafka import EventPublisher, create_broker, ensure_topics
from jingwu_platform.kafka_metrics import KafkaInstruments
from jingwu_platform.lease import Leases
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OUTBOX, PENDING, OutboxRelay, with_outbox
from jingwu_platform.testing import read_topic
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(kafka_bootstrap, client_id="relay-test")
    await broker.start()
    yield broker
    await broker.stop()


def renamed(district: str, room: str, n: int) -> Event:
    payload = events_pb2.RoomOpened(district_code=district, room=rooms_pb2.Room(room_id=room, name=f"{n}"))
    return new_event(payload, key=room, district=district, service="rooms")


async def queue_rooms(database: AsyncDatabase[Document], district: str, rooms: range, events: int) -> None:
    topic = domain_topic(district, "rooms")
    await database["rooms"].insert_many(
        [
            with_outbox(
                {"_id": f"room-{r}"}, [(renamed(district, f"room-{r}", n), topic) for n in range(events)]
            )
            for r in rooms
        ]
    )


def local_instruments() -> tuple[KafkaInstruments, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test")), reader


def points(reader: InMemoryMetricReader, name: str) -> dict[str, float]:
    data = reader.get_metrics_data()
    found: dict[str, float] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        found[str((point.attributes or {}).get("collection"))] = point.value  # type: ignore[union-attr]
    return found


async def test_every_pending_event_is_published_in_order_per_key_then_cleared(
    broker: KafkaBroker, kafka_bootstrap: str, district: str, fresh_database: AsyncDatabase[Document]
) -> None:
    topic = domain_topic(district, "rooms")
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    await queue_rooms(fresh_database, district, range(120), events=4)
    instruments, reader = local_instruments()
    collection = fresh_database["rooms"]
    relay = OutboxRelay(
        [collection],
        EventPublisher(broker),
        leases=Leases(fresh_database, holder="replica-a"),
        max_in_flight=50,  # several groups of acknowledgements per read
        documents_per_read=40,  # several reads per round
        instruments=instruments,
    )
    assert await relay.pending_documents() == {collection.full_name: 120}

    assert await relay.drain() == 480

    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= 480)
    assert len(records) == 480
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None and record.value is not None
        by_key.setdefault(record.key, []).append(events_pb2.RoomOpened.FromString(record.value).room.name)
    assert all(names == ["0", "1", "2", "3"] for names in by_key.values())  # each room's events in order
    assert len(by_key) == 120
    assert await collection.count_documents({PENDING: True}) == 0
    assert await collection.count_documents({f"{OUTBOX}.0": {"$exists": True}}) == 0
    assert await relay.pending_documents() == {collection.full_name: 0}
    assert points(reader, "jingwu.outbox.published") == {collection.full_name: 480}
    assert points(reader, "jingwu.outbox.pending") == {collection.full_name: 0}


async def test_one_replica_relays_a_collection_at_a_time(
    broker: KafkaBroker, kafka_bootstrap: str, district: str, fresh_database: AsyncDatabase[Document]
) -> None:
    topic = domain_topic(district, "rooms")
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    collection = fresh_database["rooms"]
    first_leases, second_leases = (
        Leases(fresh_database, holder="pod-a"),
        Leases(fresh_database, holder="pod-b"),
    )
    first = OutboxRelay([collection], EventPublisher(broker), leases=first_leases)
    second = OutboxRelay([collection], EventPublisher(broker), leases=second_leases)

    await queue_rooms(fresh_database, district, range(5), events=1)
    assert await first.drain() == 5
    await queue_rooms(fresh_database, district, range(5, 10), events=1)
    assert await second.drain() == 0  # pod-a holds the lease: pod-b stands by
    assert await collection.count_documents({PENDING: True}) == 5
    assert second.pending_observations() == []  # and leaves reporting the backlog to the holder

    await first_leases.release_all()  # a clean stop hands the lease over at once
    assert await second.drain() == 5
    assert await second_leases.holder_of(f"outbox-relay:{collection.full_name}") == "pod-b"
    assert await first.drain() == 0


async def test_a_lease_is_renewed_by_its_holder_and_taken_over_only_after_it_expired(
    fresh_database: AsyncDatabase[Document],
) -> None:
    now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    clock = {"now": now}
    a = Leases(fresh_database, holder="pod-a", ttl_s=15, clock=lambda: clock["now"])
    b = Leases(fresh_database, holder="pod-b", ttl_s=15, clock=lambda: clock["now"])

    assert await a.hold("job") and not await b.hold("job")
    clock["now"] = now + timedelta(seconds=6)  # past a third of the TTL: pod-a renews until 0:21
    assert await a.hold("job")
    assert a.may_act("job")
    clock["now"] = now + timedelta(seconds=16)  # the first term would have ended; the renewed one not
    assert not await b.hold("job")
    clock["now"] = now + timedelta(seconds=16.5)  # a third of the TTL left: pod-a stops acting
    assert not a.may_act("job")
    clock["now"] = now + timedelta(seconds=22)  # pod-a stalled and never renewed: expired
    assert await b.hold("job")
    assert await a.holder_of("job") == "pod-b"
    assert not await a.hold("job")


async def test_a_round_of_many_documents_clears_them_in_commands_the_store_can_finish(
    broker: KafkaBroker, kafka_bootstrap: str, district: str, fresh_database: AsyncDatabase[Document]
) -> None:
    # 150 documents acknowledged together: 300 clearing updates. FerretDB v1 never finishes an update
    # command of 100 statements (each holds one of its 100 SQLite connections until the command ends).
    topic = domain_topic(district, "rooms")
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    await queue_rooms(fresh_database, district, range(150), events=1)
    relay = OutboxRelay([fresh_database["rooms"]], EventPublisher(broker))
    assert await asyncio.wait_for(relay.drain(), timeout=60) == 150
    assert await fresh_database["rooms"].count_documents({PENDING: True}) == 0

"""When a consumer's store goes down mid-stream, records are not committed, not dead-lettered, and are
processed exactly once after the store is back: the ``EventConsumer`` (FastStream, NACK_ON_ERROR →
rewind) and the ``BatchConsumer`` (seek back, pause, back off, resume). The store is a FerretDB process
of the test's own, really stopped and started again on the same port and data (docs/adr/0009, 0028)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_devstack.fetch import ensure_ferretdb
from jingwu_devstack.procs import Supervisor, free_port
from jingwu_devstack.stack import ferretdb_spec, ferretdb_url
from jingwu_platform.batch import BatchConsumer, BatchHandler, BatchLimits, Delivery, Rejection
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import Event, dead_letter_topic, domain_topic, new_event, telemetry_fixes_topic
from jingwu_platform.kafka import (
    EventConsumer,
    EventHandler,
    EventPublisher,
    Inbox,
    create_broker,
    ensure_topics,
)
from jingwu_platform.mongo import Document
from jingwu_platform.status import StatusProbe
from jingwu_platform.testing import RawRecord, event_record, produce_records, wait_until
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

pytestmark = pytest.mark.integration

OUTAGE = "ferretdb-outage"


@dataclass
class OutageStore:
    """A FerretDB of the test's own that the test can stop and start again."""

    supervisor: Supervisor
    binary: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return ferretdb_url("127.0.0.1", self.port)

    async def up(self) -> None:
        spec = replace(ferretdb_spec(self.binary, self.data_dir, self.port), name=OUTAGE)
        await asyncio.to_thread(self.supervisor.start, spec)

    async def down(self) -> None:
        await asyncio.to_thread(self.supervisor.stop, OUTAGE)

    def client(self) -> AsyncMongoClient[Document]:
        # Short timeouts so an attempt against the stopped store fails in about a second.
        return AsyncMongoClient(
            self.url,
            tz_aware=True,
            serverSelectionTimeoutMS=1_500,
            connectTimeoutMS=1_000,
            socketTimeoutMS=3_000,
            heartbeatFrequencyMS=500,
        )


@pytest.fixture
async def outage_store(devstack_processes: Supervisor, tmp_path: Path) -> AsyncIterator[OutageStore]:
    store = OutageStore(devstack_processes, ensure_ferretdb(sys.stderr).path, tmp_path, free_port())
    await store.up()
    yield store
    await store.down()


async def lag_of(bootstrap: str, group: ConsumerGroup) -> int:
    probe = StatusProbe(
        bootstrap=bootstrap, service="test", district="00", groups=lambda: [group], relay=None, refresh_s=0
    )
    try:
        (lag,) = await probe.lags()
        return lag.lag
    finally:
        await probe.stop()


def room_opened(district: str, n: int) -> Event:
    payload = events_pb2.RoomOpened(
        district_code=district, room=rooms_pb2.Room(room_id=f"r{n}", name="警务室")
    )
    return new_event(payload, key=f"r{n}", district=district, service="rooms")


async def test_event_consumer_redelivers_a_record_whose_store_was_down_and_processes_it_once(
    kafka_bootstrap: str, district: str, outage_store: OutageStore, fresh_database: AsyncDatabase[Document]
) -> None:
    # The handler's store goes down; the inbox (on the session's store) stays up, so the failure is the
    # handler's: before, that was retried three times and dead-lettered (and committed).
    topic, dlq = domain_topic(district, "rooms"), dead_letter_topic(district, "redelivery")
    await ensure_topics(kafka_bootstrap, [topic, dlq], partitions=1)
    client = outage_store.client()
    database = client["jingwu_redelivery"]
    completed: Counter[str] = Counter()

    async def record_notice(event: Event, payload: events_pb2.RoomOpened) -> None:
        await database["notices"].update_one(
            {"_id": event.event_id}, {"$set": {"room": payload.room.room_id}}, upsert=True
        )
        completed[event.event_id] += 1

    broker = create_broker(kafka_bootstrap, client_id="redelivery-test")
    consumer = EventConsumer(
        broker=broker,
        publisher=EventPublisher(broker),
        inbox=Inbox(fresh_database, consumer="test.redelivery"),
        group_id=f"redelivery-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(events_pb2.RoomOpened, record_notice)],
        retry_delay_s=0.2,
        max_redelivery_backoff_s=0.5,
    )
    await broker.start()
    try:
        first, second = room_opened(district, 1), room_opened(district, 2)
        await produce_records(kafka_bootstrap, topic, [event_record(first)])
        await wait_until(lambda: consumer.processed == 1, what="first record processed")

        await outage_store.down()
        await produce_records(kafka_bootstrap, topic, [event_record(second)])
        await wait_until(lambda: consumer.redeliveries >= 2, what="record tried twice", timeout_s=60)
        assert await lag_of(kafka_bootstrap, consumer.consumer_group) == 1  # not committed
        assert consumer.dead_lettered == 0 and consumer.processed == 1  # not dead-lettered either

        await outage_store.up()
        await wait_until(lambda: consumer.processed == 2, what="record processed after the store came back")
        assert await _eventually_zero(kafka_bootstrap, consumer.consumer_group)
    finally:
        await broker.stop()
    assert completed == Counter({first.event_id: 1, second.event_id: 1})  # exactly once each
    assert consumer.dead_lettered == 0
    assert await database["notices"].count_documents({}) == 2
    await client.close()


async def _eventually_zero(bootstrap: str, group: ConsumerGroup) -> bool:
    for _ in range(50):
        if await lag_of(bootstrap, group) == 0:
            return True
        await asyncio.sleep(0.2)
    return False


class Fixes:
    """Idempotent bulk writes keyed by device and fix time; counts successful handler runs."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["fixes"]
        self.completed: Counter[str] = Counter()
        self.calls = 0

    async def handle(self, deliveries: Sequence[Delivery[telemetry_pb2.LocationFix]]) -> Iterable[Rejection]:
        self.calls += 1
        documents = [
            {"_id": f"{d.payload.device_id}:{d.payload.fix_time.seconds}", "event_id": d.event.event_id}
            for d in deliveries
        ]
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != 11000 for e in error.details["writeErrors"]):
                raise
        self.completed.update(d.event.event_id for d in deliveries)
        return ()


def fixes(district: str, start: int, count: int) -> list[RawRecord]:
    records = []
    for n in range(start, start + count):
        at = Timestamp()
        at.FromDatetime(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=n))
        payload = telemetry_pb2.LocationFix(district_code=district, device_id=f"dev-{n % 4}", fix_time=at)
        records.append(event_record(new_event(payload, key=f"dev-{n % 4}", district=district, service="gw")))
    return records


async def test_batch_consumer_pauses_while_the_store_is_down_and_loses_nothing(
    kafka_bootstrap: str, district: str, outage_store: OutageStore
) -> None:
    topic, dlq = telemetry_fixes_topic(district), dead_letter_topic(district, "telemetry")
    await ensure_topics(kafka_bootstrap, [topic, dlq], partitions=3)
    client = outage_store.client()
    store = Fixes(client["jingwu_redelivery"])
    consumer = BatchConsumer(
        bootstrap=kafka_bootstrap,
        group_id=f"fixes-outage-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        dead_letter_topic=dlq,
        handler=BatchHandler((telemetry_pb2.LocationFix,), store.handle),
        inbox=None,
        limits=BatchLimits(retry_backoff_s=0.2, max_backoff_s=1.0),
    )
    await consumer.start()
    try:
        await produce_records(kafka_bootstrap, topic, fixes(district, 0, 300))
        await wait_until(lambda: consumer.processed == 300, what="first 300 fixes")

        await outage_store.down()
        await produce_records(kafka_bootstrap, topic, fixes(district, 300, 300))
        await wait_until(lambda: consumer.failed_attempts >= 2, what="failed attempts", timeout_s=60)
        paused_while_down = consumer.paused
        assert paused_while_down  # fetching paused while it waits
        assert await lag_of(kafka_bootstrap, consumer.consumer_group) == 300  # nothing committed
        assert consumer.processed == 300 and consumer.dead_lettered == 0

        await outage_store.up()
        await wait_until(lambda: consumer.processed == 600, what="the rest after the store came back")
        assert await _eventually_zero(kafka_bootstrap, consumer.consumer_group)
        assert consumer.paused is False
    finally:
        await consumer.stop()
    assert len(store.completed) == 600 and set(store.completed.values()) == {1}  # nothing lost, none twice
    assert consumer.dead_lettered == 0
    assert await store.collection.count_documents({}) == 600
    await client.close()

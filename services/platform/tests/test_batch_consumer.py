"""The batch consumer on the real Kafka and FerretDB: batches of good records to one bulk write, bad
ones to the dead-letter topic with their reason and original bytes, dedup by a bulk inbox, and
partition hand-over between two members with nothing lost and nothing processed twice."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.batch import BatchConsumer, BatchHandler, BatchLimits, Delivery, Rejection
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import dead_letter_topic, new_event, telemetry_fixes_topic
from jingwu_platform.kafka import Inbox, ensure_topics
from jingwu_platform.kafka_metrics import KafkaInstruments
from jingwu_platform.mongo import Document
from jingwu_platform.status import StatusProbe
from jingwu_platform.testing import RawRecord, event_record, produce_records, read_topic, wait_until
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def fix(district: str, device: str, second: int) -> telemetry_pb2.LocationFix:
    at = Timestamp()
    at.FromDatetime(T0 + timedelta(seconds=second))
    return telemetry_pb2.LocationFix(
        district_code=district,
        device_id=device,
        position=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
        fix_time=at,
    )


def fix_record(district: str, device: str, second: int) -> RawRecord:
    return event_record(new_event(fix(district, device, second), key=device, district=district, service="gw"))


class FixStore:
    """A handler like the telemetry service's: one bulk write per batch, idempotent by device and fix
    time; a fix without a device is rejected."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database["fixes"]
        self.seen_order: list[tuple[str, int]] = []
        self.completed: Counter[str] = Counter()  # event id -> successful handler runs
        self.busy = False  # a handler call is in flight

    async def handle(self, deliveries: Sequence[Delivery[telemetry_pb2.LocationFix]]) -> Iterable[Rejection]:
        rejected = [Rejection(d, "device_id is empty") for d in deliveries if not d.payload.device_id]
        good = [d for d in deliveries if d.payload.device_id]
        documents = [
            {"_id": f"{d.payload.device_id}:{d.payload.fix_time.seconds}", "event_id": d.event.event_id}
            for d in good
        ]
        if documents:
            self.busy = True
            try:
                await self.collection.insert_many(documents, ordered=False)
            except BulkWriteError as error:  # a replayed fix: already stored, same document
                if any(e["code"] != 11000 for e in error.details["writeErrors"]):
                    raise
            finally:
                self.busy = False
        self.seen_order += [(d.payload.device_id, d.payload.fix_time.seconds) for d in good]
        self.completed.update(d.event.event_id for d in deliveries)
        return rejected


def local_instruments() -> tuple[KafkaInstruments, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test")), reader


def metric_sums(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, Any], ...], float]:
    data = reader.get_metrics_data()
    found: dict[tuple[tuple[str, Any], ...], float] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        # Histograms: how many were recorded.
                        value = point.value if isinstance(point, NumberDataPoint) else point.count
                        found[tuple(sorted((point.attributes or {}).items()))] = value
    return found


async def group_lag(bootstrap: str, group: ConsumerGroup) -> int:
    probe = StatusProbe(
        bootstrap=bootstrap, service="test", district="00", groups=lambda: [group], relay=None, refresh_s=0
    )
    try:
        (lag,) = await probe.lags()
        return lag.lag
    finally:
        await probe.stop()


@pytest.fixture
async def topics(kafka_bootstrap: str, district: str) -> tuple[str, str]:
    source, dlq = telemetry_fixes_topic(district), dead_letter_topic(district, "telemetry")
    await ensure_topics(kafka_bootstrap, [source, dlq], partitions=3)
    return source, dlq


def consumer_for(
    kafka_bootstrap: str,
    topics: tuple[str, str],
    store: FixStore,
    *,
    group: str,
    inbox: Inbox | None = None,
    instruments: KafkaInstruments | None = None,
    limits: BatchLimits | None = None,
    **hooks: Any,
) -> BatchConsumer:
    return BatchConsumer(
        bootstrap=kafka_bootstrap,
        group_id=group,
        topics=[topics[0]],
        dead_letter_topic=topics[1],
        handler=BatchHandler((telemetry_pb2.LocationFix,), store.handle),
        inbox=inbox,
        limits=limits,
        instruments=instruments,
        **hooks,
    )


async def test_a_batch_is_written_in_bulk_and_bad_records_are_dead_lettered_byte_for_byte(
    kafka_bootstrap: str, district: str, topics: tuple[str, str], fresh_database: AsyncDatabase[Document]
) -> None:
    source, dlq = topics
    good = [fix_record(district, f"dev-{n % 5}", n) for n in range(200)]
    value, key, headers = fix_record(district, "dev-bin", 1)
    with_binary_header = (value, key, [*headers, ("x-raw", b"\xff\x00\xfe")])
    bad: list[RawRecord] = [
        (b"\x08\x01", b"dev-9", [("ce_type", b"jingwu.telemetry.v1.LocationFix")]),  # envelope
        (b"\xff\xff\xff\xff", b"dev-9", fix_record(district, "dev-9", 1)[2]),  # payload
        (None, b"dev-9", [*fix_record(district, "dev-9", 2)[2], ("x-raw", b"\x00\x80")]),  # tombstone
        fix_record(district, "", 3),  # the handler rejects it
    ]
    await produce_records(kafka_bootstrap, source, [*good, with_binary_header, *bad])

    store = FixStore(fresh_database)
    instruments, reader = local_instruments()
    group = f"fixes-{uuid.uuid4().hex[:6]}"
    consumer = consumer_for(kafka_bootstrap, topics, store, group=group, instruments=instruments)
    await consumer.start()
    try:
        await wait_until(
            lambda: consumer.processed + consumer.dead_lettered >= 205, what="every record handled"
        )
        assert await group_lag(kafka_bootstrap, consumer.consumer_group) == 0  # committed
    finally:
        await consumer.stop()

    assert await store.collection.count_documents({}) == 201
    assert consumer.batches < 205 / 5, "records were handled one by one, not in batches"
    for device in {d for d, _ in store.seen_order}:  # offset order per partition = per key
        seconds = [s for d, s in store.seen_order if d == device]
        assert seconds == sorted(seconds), device

    letters = await read_topic(kafka_bootstrap, dlq, until=lambda rs: len(rs) >= 4)
    by_reason = {r.headers["dlq_reason"]: r for r in letters}
    assert any("missing required header" in reason for reason in by_reason)
    assert any("payload is not a valid jingwu.telemetry.v1.LocationFix" in reason for reason in by_reason)
    tombstone = next(r for reason, r in by_reason.items() if "tombstone" in reason)
    assert tombstone.value is None  # still a tombstone, not b""
    assert ("x-raw", b"\x00\x80") in tombstone.raw_headers  # original bytes, not re-decoded text
    assert tombstone.headers["dlq_source_topic"] == source
    assert tombstone.headers["dlq_consumer_group"] == group
    assert "device_id is empty" in by_reason

    assert metric_sums(reader, "jingwu.consumer.records") == {(("consumer", group),): 205}
    assert metric_sums(reader, "jingwu.consumer.dead_letters") == {
        (("consumer", group), ("reason", "envelope")): 2,
        (("consumer", group), ("reason", "payload")): 1,
        (("consumer", group), ("reason", "rejected")): 1,
    }
    assert metric_sums(reader, "jingwu.consumer.batch.size") == {(("consumer", group),): consumer.batches}


async def test_the_bulk_inbox_drops_redelivered_and_repeated_events(
    kafka_bootstrap: str, district: str, topics: tuple[str, str], fresh_database: AsyncDatabase[Document]
) -> None:
    source, _ = topics
    records = [fix_record(district, f"dev-{n % 3}", n) for n in range(30)]
    # Every event twice: the second copies as an at-least-once relay would publish them again.
    await produce_records(kafka_bootstrap, source, [*records, *records])

    store = FixStore(fresh_database)
    consumer = consumer_for(
        kafka_bootstrap,
        topics,
        store,
        group=f"inbox-{uuid.uuid4().hex[:6]}",
        inbox=Inbox(fresh_database, consumer="test.fixes"),
    )
    await consumer.start()
    try:
        await wait_until(lambda: consumer.processed + consumer.duplicates >= 60, what="all 60 records")
    finally:
        await consumer.stop()
    assert consumer.duplicates == 30
    assert set(store.completed.values()) == {1} and len(store.completed) == 30  # each event handled once
    assert await fresh_database["platform.inbox"].count_documents({"_id": {"$regex": "^test.fixes:"}}) == 30


async def test_two_members_share_the_partitions_and_nothing_is_lost_or_done_twice(
    kafka_bootstrap: str, district: str, topics: tuple[str, str], fresh_database: AsyncDatabase[Document]
) -> None:
    source, _ = topics
    store = FixStore(fresh_database)
    inbox = Inbox(fresh_database, consumer="test.rebalance")
    group = f"rebalance-{uuid.uuid4().hex[:6]}"
    limits = BatchLimits(max_records=50)
    # The rebalance hooks of the first member: what it was told, and whether a batch was in flight.
    told: list[tuple[str, frozenset[int], bool]] = []

    async def revoked(partitions: frozenset[Any]) -> None:
        told.append(("revoked", frozenset(tp.partition for tp in partitions), store.busy))

    async def assigned(partitions: frozenset[Any]) -> None:
        told.append(("assigned", frozenset(tp.partition for tp in partitions), store.busy))

    first = consumer_for(
        kafka_bootstrap,
        topics,
        store,
        group=group,
        inbox=inbox,
        limits=limits,
        on_revoked=revoked,
        on_assigned=assigned,
    )
    second = consumer_for(kafka_bootstrap, topics, store, group=group, inbox=inbox, limits=limits)

    async def produce(start: int, count: int) -> None:
        await produce_records(
            kafka_bootstrap,
            source,
            [fix_record(district, f"dev-{n % 7}", n) for n in range(start, start + count)],
        )

    await first.start()
    try:
        await produce(0, 600)
        await wait_until(lambda: first.processed > 0, what="first member consuming")
        await second.start()  # a rebalance while the first is mid-stream
        try:
            await produce(600, 600)
            await wait_until(
                lambda: first.processed + second.processed + first.duplicates + second.duplicates >= 1200,
                what="all records handled",
                timeout_s=60,
            )
            await asyncio.sleep(0.5)
            assert await group_lag(kafka_bootstrap, first.consumer_group) == 0
            assert second.batches > 0, "the second member never got a partition"
        finally:
            await second.stop()
    finally:
        await first.stop()
    assert len(store.completed) == 1200  # nothing lost
    assert set(store.completed.values()) == {1}  # nothing handled twice
    assert await store.collection.count_documents({}) == 1200
    # The hooks: all three partitions, then (eager rebalance) all revoked — never mid-batch — and a
    # share assigned back.
    assert told[0] == ("assigned", frozenset({0, 1, 2}), False)
    assert ("revoked", frozenset({0, 1, 2}), False) in told
    after = [
        partitions
        for kind, partitions, _ in told[told.index(("revoked", frozenset({0, 1, 2}), False)) :]
        if kind == "assigned"
    ]
    assert after and 0 < len(after[0]) < 3
    assert not any(busy for _, _, busy in told)

"""Benchmark of the platform's Kafka path on a real local Kafka + FerretDB (started here, on free ports,
in a temp dir; stopped at the end). Not a test: it asserts nothing and prints a Markdown table.

    .venv/bin/python services/platform/bench/kafka_path.py [--fixes 200000] [--documents 500]

Consumer side, all reading the same topic of GPS fixes (LocationFix events with their envelope, 3
partitions) in the same run, each phase with a group of its own:
- raw aiokafka: ``getmany`` until every record was seen, nothing else (the ceiling);
- BatchConsumer, no-op handler: envelope + payload decode per record, one commit per batch;
- BatchConsumer + bulk idempotent write: ``insert_many(ordered=False)`` keyed by device and fix time;
- BatchConsumer + bulk inbox + the same write;
- EventConsumer (one record at a time, inbox read + write per record) on a slice of the topic.
Relay side: the same outbox documents published by the previous relay algorithm (one event at a time,
awaiting each ack, two updates per document) and by the batched ``OutboxRelay``.
Tracing is off (no tracer provider): in services the local file exporter adds per-span cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.batch import BatchConsumer, BatchHandler, Delivery, Rejection
from jingwu_platform.events import Event, new_event
from jingwu_platform.kafka import (
    EventConsumer,
    EventHandler,
    EventPublisher,
    Inbox,
    create_broker,
    ensure_topics,
)
from jingwu_platform.lease import Leases
from jingwu_platform.mongo import Document, create_client
from jingwu_platform.outbox import OUTBOX, PENDING, OutboxRelay, with_outbox
from jingwu_platform.testing import event_record, produce_records
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

TOPIC = "jingwu.01.telemetry.fixes.v1"
DLQ = "jingwu.01.telemetry.dlq.v1"
ROOMS = "jingwu.01.rooms.v1"
DEVICES = 2_000
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def fixes(count: int) -> Iterable[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    for n in range(count):
        device = f"dev-{n % DEVICES:05d}"
        at = Timestamp()
        at.FromDatetime(T0 + timedelta(seconds=n // DEVICES))
        payload = telemetry_pb2.LocationFix(
            district_code="01",
            device_id=device,
            position=common_pb2.GeoPoint(longitude=116.9 + n % 97 / 1000, latitude=33.6 + n % 89 / 1000),
            speed_kmh=float(n % 80),
            heading_deg=float(n % 360),
            fix_time=at,
            receive_time=at,
            status_flags=2,
        )
        yield event_record(new_event(payload, key=device, district="01", service="gateway"))


class BulkFixes:
    """What the telemetry consumer will do: one unordered bulk insert per batch, idempotent by key."""

    def __init__(self, collection: AsyncCollection[Document] | None) -> None:
        self.collection = collection
        self.count = 0

    async def handle(self, deliveries: Sequence[Delivery[telemetry_pb2.LocationFix]]) -> Iterable[Rejection]:
        if self.collection is not None:
            documents = [
                {
                    "_id": f"{p.device_id}:{p.fix_time.seconds}",
                    "lon": p.position.longitude,
                    "lat": p.position.latitude,
                    "speed": p.speed_kmh,
                    "heading": p.heading_deg,
                    "at": p.fix_time.seconds,
                }
                for p in (d.payload for d in deliveries)
            ]
            try:
                await self.collection.insert_many(documents, ordered=False)
            except BulkWriteError as error:
                if any(e["code"] != 11000 for e in error.details["writeErrors"]):
                    raise
        self.count += len(deliveries)
        return ()


async def raw_consume(bootstrap: str, total: int) -> float:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        started = time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=200, max_records=5_000)
            seen += sum(len(records) for records in batch.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def batch_consume(
    bootstrap: str, records: int, collection: AsyncCollection[Document] | None, inbox: Inbox | None
) -> tuple[float, int]:
    """Seconds until ``records`` records were handled or dropped as duplicates, and batches taken."""
    store = BulkFixes(collection)
    consumer = BatchConsumer(
        bootstrap=bootstrap,
        group_id=f"batch-{uuid.uuid4().hex[:6]}",
        topics=[TOPIC],
        dead_letter_topic=DLQ,
        handler=BatchHandler((telemetry_pb2.LocationFix,), store.handle),
        inbox=inbox,
    )
    started = time.perf_counter()
    await consumer.start()
    try:
        while consumer.processed + consumer.duplicates < records:  # noqa: ASYNC110 - a counter, 10 ms steps
            await asyncio.sleep(0.01)
        return time.perf_counter() - started, consumer.batches
    finally:
        await consumer.stop()


async def one_at_a_time_consume(
    bootstrap: str, database: AsyncDatabase[Document], total: int
) -> tuple[int, float]:
    """EventConsumer over the topic for ``total`` records; returns (records, seconds)."""
    broker = create_broker(bootstrap, client_id="bench-event-consumer")
    written = database["fixes_one_by_one"]

    async def handle(event: Event, fix: telemetry_pb2.LocationFix) -> None:
        await written.update_one(
            {"_id": f"{fix.device_id}:{fix.fix_time.seconds}"},
            {"$set": {"at": fix.fix_time.seconds}},
            upsert=True,
        )

    consumer = EventConsumer(
        broker=broker,
        publisher=EventPublisher(broker),
        inbox=Inbox(database, consumer="bench.one-by-one"),
        group_id=f"one-{uuid.uuid4().hex[:6]}",
        topics=[TOPIC],
        dead_letter_topic=DLQ,
        handlers=[EventHandler(telemetry_pb2.LocationFix, handle)],
    )
    started = time.perf_counter()
    await broker.start()
    try:
        while consumer.processed < total:  # noqa: ASYNC110 - a counter, 10 ms steps
            await asyncio.sleep(0.01)
        return consumer.processed, time.perf_counter() - started
    finally:
        await broker.stop()


async def queue_outbox(collection: AsyncCollection[Document], documents: int) -> None:
    await collection.delete_many({})
    batch = []
    for n in range(documents):
        room = f"room-{n:05d}"
        payload = events_pb2.RoomOpened(district_code="01", room=rooms_pb2.Room(room_id=room, name="警务室"))
        batch.append(
            with_outbox(
                {"_id": room}, [(new_event(payload, key=room, district="01", service="rooms"), ROOMS)]
            )
        )
    await collection.insert_many(batch)


def entry_event(entry: Document) -> Event:
    return Event(
        event_id=entry["event_id"],
        event_type=entry["type"],
        source=entry["source"],
        time=entry["time"],
        district=entry["district"],
        key=entry["key"],
        payload=bytes(entry["payload"]),
        trace=dict(entry.get("trace") or {}),
    )


async def previous_relay_drain(collection: AsyncCollection[Document], publisher: EventPublisher) -> int:
    """The relay as it was before batching (jingwu_platform.outbox before ADR 0029), for comparison."""
    count = 0
    documents = [d async for d in collection.find({PENDING: True}, {OUTBOX: 1})]
    for document in documents:
        entries: list[Document] = document.get(OUTBOX) or []
        for entry in entries:
            await publisher.publish(entry_event(entry), entry["topic"])
            count += 1
        if entries:
            await collection.update_one({"_id": document["_id"]}, {"$pullAll": {OUTBOX: entries}})
        await collection.update_one({"_id": document["_id"], OUTBOX: {"$size": 0}}, {"$unset": {PENDING: ""}})
    return count


async def publish_rates(publisher: EventPublisher, count: int) -> tuple[float, float]:
    """Seconds to publish ``count`` events awaiting each ack, and with all of them in flight."""
    events = []
    for n in range(count):
        payload = events_pb2.RoomOpened(district_code="01", room=rooms_pb2.Room(room_id=f"p-{n}"))
        events.append(new_event(payload, key=f"p-{n % 50}", district="01", service="rooms"))
    started = time.perf_counter()
    for event in events:
        await publisher.publish(event, ROOMS)
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(*[await publisher.send(event, ROOMS) for event in events])
    return one_by_one, time.perf_counter() - started


async def bench(bootstrap: str, mongo_url: str, total_fixes: int, outbox_documents: int) -> Rows:
    rows = Rows()
    await ensure_topics(bootstrap, [TOPIC, DLQ, ROOMS], partitions=3)
    client = create_client(mongo_url, "jingwu-bench")
    database = client["jingwu_bench"]
    try:
        records = list(fixes(total_fixes))
        # Every fix twice, as an at-least-once path delivers some: the idempotent write stores it once.
        started = time.perf_counter()
        total = await produce_records(bootstrap, TOPIC, records + records)
        rows.add(
            f"produce {total:,} fix records (test producer, all in flight)",
            total,
            time.perf_counter() - started,
        )

        rows.add(f"raw aiokafka getmany, {total:,} records", total, await raw_consume(bootstrap, total))
        seconds, batches = await batch_consume(bootstrap, total, None, None)
        rows.add(
            f"BatchConsumer, no-op handler (parse + decode + commit); {batches:,} batches", total, seconds
        )
        seconds, batches = await batch_consume(bootstrap, total, database["fixes"], None)
        stored = await database["fixes"].count_documents({})
        rows.add(
            f"BatchConsumer + bulk idempotent insert_many (FerretDB); {batches:,} batches, "
            f"{stored:,} fixes stored",
            total,
            seconds,
        )
        # Each inbox phase starts from an empty inbox of its own: on FerretDB every _id lookup is a scan
        # of the collection, so an inbox left over from another phase would slow this one.
        inboxed = client["jingwu_bench_inbox"]
        inbox_slice = min(total, 20_000)
        seconds, batches = await batch_consume(
            bootstrap, inbox_slice, inboxed["fixes"], Inbox(inboxed, consumer="bench.fixes")
        )
        rows.add(
            f"BatchConsumer + bulk inbox + insert_many (FerretDB), first {inbox_slice:,}",
            inbox_slice,
            seconds,
        )
        processed, seconds = await one_at_a_time_consume(
            bootstrap, client["jingwu_bench_one"], min(total, 500)
        )
        rows.add(
            f"EventConsumer, one record at a time with inbox (FerretDB), first {processed:,}",
            processed,
            seconds,
        )

        broker = create_broker(bootstrap, client_id="bench-relay")
        await broker.start()
        try:
            publisher = EventPublisher(broker)
            count = 2_000
            one_by_one, in_flight = await publish_rates(publisher, count)
            rows.add(
                f"publish {count:,} events, awaiting each ack (EventPublisher.publish)", count, one_by_one
            )
            rows.add(f"publish {count:,} events, all in flight (EventPublisher.send)", count, in_flight)
            outbox = database["rooms"]
            await outbox.create_index(PENDING, sparse=True, name="outbox_pending")
            await queue_outbox(outbox, outbox_documents)
            started = time.perf_counter()
            sent = await previous_relay_drain(outbox, publisher)
            rows.add(
                f"relay (FerretDB), one event at a time (previous), {sent:,} events",
                sent,
                time.perf_counter() - started,
            )
            await queue_outbox(outbox, outbox_documents)
            relay = OutboxRelay([outbox], publisher, leases=Leases(database, holder="bench"))
            started = time.perf_counter()
            sent = await relay.drain()
            rows.add(
                f"relay (FerretDB), batched (OutboxRelay), {sent:,} events",
                sent,
                time.perf_counter() - started,
            )
        finally:
            await broker.stop()
    finally:
        for name in ("jingwu_bench", "jingwu_bench_inbox", "jingwu_bench_one"):
            await client.drop_database(name)
        await client.close()
    return rows


class Rows(list[tuple[str, str]]):
    """The table's rows; each is also printed to stderr as it is measured (long runs show progress)."""

    def add(self, phase: str, count: int, seconds: float) -> None:
        row = (phase, rate(count, seconds))
        print(f"  {row[0]}: {row[1]}", file=sys.stderr, flush=True)  # noqa: T201 - progress of a script
        self.append(row)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({seconds:.2f} s)"


def machine() -> str:
    memory_kib = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB, {platform.python_implementation()} "
        f"{platform.python_version()}, load average before the run {load}"
    )


def main(argv: list[str] | None = None) -> int:
    from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
    from jingwu_devstack.procs import Supervisor, free_ports
    from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec

    parser = argparse.ArgumentParser(prog="kafka_path.py")
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--documents", type=int, default=500)
    args = parser.parse_args(argv)
    where = machine()
    with tempfile.TemporaryDirectory(prefix="jingwu-kafka-bench-") as tmp, Supervisor(out=sys.stderr) as sup:
        data = Path(tmp)
        kafka_port, controller_port, mongo_port = free_ports(3)
        sup.start(kafka_spec(ensure_kafka(sys.stderr).path, data, kafka_port, controller_port))
        sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, data, mongo_port))
        rows = asyncio.run(
            bench(
                f"127.0.0.1:{kafka_port}", ferretdb_url("127.0.0.1", mongo_port), args.fixes, args.documents
            )
        )
    lines = [f"Machine: {where}", "", "| phase | rate |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

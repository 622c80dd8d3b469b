"""Every Kafka consumer of every service, on junk: random bytes, events with mutated payloads, wrong,
missing and binary envelope headers, tombstones, and random (well-formed) events of the types its
topics carry. Which consumers there are comes from the running processes themselves (GetStatus lists
every consumer group and its topics), so a new consumer is fuzzed without new code here.

Each consumer must go on consuming (its lag drains to 0, through a valid event produced after the junk),
every record it cannot process must be in a dead-letter topic with a ``dlq_reason``, and none may have
made a handler fail unexpectedly (a dead letter "handler failed after N attempts" is a crash)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from google.protobuf.descriptor import Descriptor
from jingwu.platform.v1 import status_pb2, status_pb2_grpc
from jingwu_devstack.procs import pid_alive
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import token_for

from ..conftest import RunningService
from .conftest import FUZZ_DISTRICT, FUZZ_TIMEOUT_S, SERVICES, FuzzReport, fuzz_size
from .proto_strategies import ProtoStrategies

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.fuzz,
    pytest.mark.timeout(FUZZ_TIMEOUT_S),
    # Inputs are drawn with .example() where a loop drives the target itself (async, over the network).
    pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning"),
]

RECORDS = fuzz_size("FUZZ_RECORDS", 1)  # of each kind, per topic of each consumer group
DRAIN_TIMEOUT_S = 120.0
PROTO = ProtoStrategies((FUZZ_DISTRICT, f"{FUZZ_DISTRICT}030201"))
# Kinds of junk the consumer cannot process: each must come back as a dead letter.
MUST_DEAD_LETTER = {
    "random bytes, no headers",
    "a required header missing",
    "binary header value",
    "tombstone",
    "bad ce_time",
}
CRASH_REASON = "handler failed after"


@cache
def event_types(domain: str) -> tuple[Descriptor, ...]:
    """The messages of ``jingwu.<domain>.v1`` files that declare no service: the events its topics carry."""
    package = importlib.import_module(f"jingwu.{domain}.v1")
    found: list[Descriptor] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"jingwu.{domain}.v1.{info.name}")
        if not module.DESCRIPTOR.services_by_name:
            found += module.DESCRIPTOR.message_types_by_name.values()
    return tuple(found)


def envelope(event_type: str) -> list[tuple[str, bytes]]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_type": event_type,
        "ce_source": f"jingwu/{FUZZ_DISTRICT}/fuzz",
        "ce_time": datetime.now(UTC).isoformat(),
        "ce_district": FUZZ_DISTRICT,
        "content-type": "application/x-protobuf",
    }
    return [(k, v.encode()) for k, v in headers.items()]


def random_event(rng: random.Random, types: Sequence[Descriptor]) -> tuple[str, bytes]:
    descriptor = rng.choice(types)
    message = PROTO.message(descriptor).example()
    if "district_code" in descriptor.fields_by_name:
        message.district_code = FUZZ_DISTRICT  # type: ignore[attr-defined]  # else rejected by design (R-POP-6)
    return descriptor.full_name, message.SerializeToString()


def mutate(rng: random.Random, data: bytes) -> bytes:
    raw = bytearray(data or b"\x00")
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(raw))
        choice = rng.random()
        if choice < 0.4:
            raw[at] = rng.randrange(256)
        elif choice < 0.7:
            raw.insert(at, rng.randrange(256))
        elif len(raw) > 1:
            del raw[at]
    return bytes(raw)


Junk = tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]  # kind, value, key, headers


def junk_records(rng: random.Random, types: Sequence[Descriptor]) -> list[Junk]:
    records: list[Junk] = []
    for _ in range(RECORDS):
        key = rng.choice([uuid.uuid4().hex.encode(), b"", rng.randbytes(8)])
        kind, payload = random_event(rng, types)
        headers = envelope(kind)
        records.append(("random bytes, no headers", rng.randbytes(rng.randint(0, 200)), key, []))
        records.append(("random bytes, valid envelope", rng.randbytes(rng.randint(0, 200)), key, headers))
        records.append(("mutated valid event", mutate(rng, payload), key, envelope(kind)))
        wrong = rng.choice([t.full_name for t in types if t.full_name != kind] or ["jingwu.fuzz.v1.Nothing"])
        records.append(
            (
                "wrong ce_type",
                payload,
                key,
                [(n, wrong.encode() if n == "ce_type" else v) for n, v in envelope(kind)],
            )
        )
        records.append(
            (
                "unknown ce_type",
                payload,
                key,
                [(n, b"x.Y" if n == "ce_type" else v) for n, v in envelope(kind)],
            )
        )
        dropped = rng.choice(["ce_id", "ce_type", "ce_source", "ce_time", "ce_district"])
        records.append(
            ("a required header missing", payload, key, [(n, v) for n, v in envelope(kind) if n != dropped])
        )
        spoiled = rng.choice(["ce_id", "ce_type", "ce_time", "ce_district"])
        records.append(
            (
                "binary header value",
                payload,
                key,
                [(n, b"\xff\xfe\x00" + rng.randbytes(4) if n == spoiled else v) for n, v in envelope(kind)],
            )
        )
        records.append(
            (
                "bad ce_time",
                payload,
                key,
                [(n, b"yesterday" if n == "ce_time" else v) for n, v in envelope(kind)],
            )
        )
        records.append(("tombstone", None, key or b"k", envelope(kind)))
        records.append(("non-UTF-8 key", payload, b"\xff\xfe", envelope(kind)))
        records.append(("random event", *random_event_record(rng, types, key)))
    return records


def random_event_record(
    rng: random.Random, types: Sequence[Descriptor], key: bytes
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    kind, payload = random_event(rng, types)
    return payload, key, envelope(kind)


@dataclass(frozen=True)
class Sent:
    kind: str
    topic: str
    partition: int
    offset: int


async def group_status(target: str, token: str) -> status_pb2.GetStatusResponse:
    channel = open_channel(target, token)
    try:
        return await status_pb2_grpc.StatusServiceStub(channel).GetStatus(
            status_pb2.GetStatusRequest(), timeout=20
        )
    finally:
        await channel.close()


async def dead_letters(
    bootstrap: str, group_id: str, expected: set[tuple[str, int, int]], timeout_s: float
) -> dict[tuple[str, int, int], str]:
    """dlq_reason by (source topic, partition, offset) of the group's letters, until ``expected`` are in."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"fuzz-dlq-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[tuple[str, int, int], str] = {}
    try:
        dlqs = [
            t for t in await consumer.topics() if t.startswith(f"jingwu.{FUZZ_DISTRICT}.") and ".dlq." in t
        ]
        consumer.subscribe(dlqs)
        deadline = time.monotonic() + timeout_s
        while not expected <= found.keys() and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    headers = {k: v for k, v in record.headers or ()}
                    if headers.get("dlq_consumer_group", b"").decode() != group_id:
                        continue
                    source = (
                        headers["dlq_source_topic"].decode(),
                        int(headers["dlq_source_partition"]),
                        int(headers["dlq_source_offset"]),
                    )
                    found[source] = headers.get("dlq_reason", b"").decode("utf-8", "replace")
        return found
    finally:
        await consumer.stop()


@pytest.mark.parametrize("service", SERVICES)
async def test_every_consumer_survives_junk(
    service: str,
    fuzz_stack: dict[str, RunningService],
    kafka_bootstrap: str,
    auth_secret: str,
    fuzz_report: FuzzReport,
) -> None:
    token = token_for(auth_secret, FUZZ_DISTRICT, *Role)
    target = fuzz_stack[service].target
    groups = list((await group_status(target, token)).consumer_groups)
    assert groups, f"{service} reports no consumer group"
    rng = random.Random(f"{service}-{RECORDS}")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    sent: dict[str, list[Sent]] = {}
    try:
        for group in groups:
            mine = sent.setdefault(group.group_id, [])
            for topic in group.topics:
                types = event_types(topic.split(".")[2])
                assert types, f"{topic}: no event types found for its domain"
                batch = junk_records(rng, types)
                batch.append(("valid event after the junk", *random_event_record(rng, types, b"after")))
                acks = [
                    (kind, await producer.send(topic, value=value, key=key, headers=headers))
                    for kind, value, key, headers in batch
                ]
                for kind, ack in acks:
                    meta = await ack
                    mine.append(Sent(kind, meta.topic, meta.partition, meta.offset))
    finally:
        await producer.stop()

    failures: list[str] = []
    for group in groups:
        topics = ", ".join(t.removeprefix(f"jingwu.{FUZZ_DISTRICT}.") for t in group.topics)
        row = fuzz_report.row(f"Kafka {group.group_id.removeprefix(f'jingwu-{FUZZ_DISTRICT}-')} ({topics})")
        records = sent[group.group_id]
        row.inputs += len(records)
        # It goes on consuming: everything produced, the valid event after the junk included, is committed.
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        lag = -1
        while time.monotonic() < deadline:
            status = await group_status(target, token)
            now = next(g for g in status.consumer_groups if g.group_id == group.group_id)
            # A partition no record went to has nothing to commit (-1): waiting for it was 120 s a group.
            if now.lag == 0 and all(p.committed_offset >= 0 or p.end_offset == 0 for p in now.partitions):
                lag = 0
                break
            lag = now.lag
            await asyncio.sleep(1.0)
        if lag != 0:
            row.hangs += 1
            failures.append(f"{group.group_id}: lag {lag} after {DRAIN_TIMEOUT_S}s (stuck)")
        must = {(s.topic, s.partition, s.offset) for s in records if s.kind in MUST_DEAD_LETTER}
        letters = await dead_letters(kafka_bootstrap, group.group_id, must, timeout_s=30)
        for s in records:
            key = (s.topic, s.partition, s.offset)
            if key not in letters and key in must:
                row.crashes += 1
                failures.append(f"{group.group_id}: {s.kind} at {s.topic}@{s.offset} not dead-lettered")
        # Every letter of the group, also of junk other tests produced to a topic it shares (the
        # district is the fuzz stack's own: no letter of it comes from anything but fuzzing).
        for (topic, _, offset), reason in letters.items():
            if not reason or reason.startswith(CRASH_REASON):
                row.crashes += 1
                failures.append(f"{group.group_id}: record {topic}@{offset}: {reason or 'no dlq_reason'}")
            else:
                row.rejected += 1
        row.findings += failures
    assert pid_alive(fuzz_stack[service].info.pid), f"{service} exited: see {fuzz_stack[service].log_path}"
    assert not failures, "\n".join(failures[:10])

"""Helpers for tests that run against the real Kafka and MongoDB-wire store (never mocks of them)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from jingwu.platform.v1 import status_pb2, status_pb2_grpc
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_platform import grpc_client
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.events import Event
from jingwu_platform.mongo import Document, create_client


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]
    offset: int
    # The headers as on the wire (bytes, order, repeats): ``headers`` decodes them for convenience.
    raw_headers: tuple[tuple[str, bytes], ...] = ()
    partition: int = 0


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[Record]], bool],
    timeout_s: float = 30.0,
) -> list[Record]:
    """Read ``topic`` from the beginning until ``until(records)`` holds; raises TimeoutError otherwise."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Record] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{topic}: condition not met within {timeout_s}s; saw {len(records)} records"
                )
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(
                    Record(
                        topic=r.topic,
                        key=r.key,
                        value=r.value,
                        headers={k: v.decode("utf-8", "replace") for k, v in (r.headers or ())},
                        offset=r.offset,
                        raw_headers=tuple(r.headers or ()),
                        partition=r.partition,
                    )
                    for r in batch
                )
        return records
    finally:
        await consumer.stop()


async def produce_raw(
    bootstrap: str, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]
) -> None:
    """Produce a record exactly as given, e.g. a malformed one, bypassing the platform's publisher."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()


RawRecord = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]  # value, key, headers


def event_record(event: Event) -> RawRecord:
    """An event as the platform's publisher writes it: payload, key, envelope headers."""
    return event.payload, event.key.encode(), [(k, v.encode()) for k, v in event.headers().items()]


async def produce_records(bootstrap: str, topic: str, records: Iterable[RawRecord]) -> int:
    """Produce many records exactly as given (bytes headers, tombstones), all in flight at once, in
    order per key; returns how many. For tests and benchmarks that need volume."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        acks = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for value, key, headers in records
        ]
        await asyncio.gather(*acks)
        return len(acks)
    finally:
        await producer.stop()


async def wait_until(
    probe: Callable[[], asyncio.Future[bool] | object], *, timeout_s: float = 30.0, what: str = "condition"
) -> None:
    """Poll an async predicate until it is true; raise TimeoutError naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout_s}s")
        await asyncio.sleep(0.2)


async def group_coordinator_ready(bootstrap: str, *, timeout_s: float = 180.0) -> None:
    """Wait until the broker answers a group's offsets: a fresh broker creates its offsets topic (50
    partitions) when a group first asks for its coordinator, slow on a busy machine, so a fault test
    does it before its stream starts rather than inside it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                await admin.list_consumer_group_offsets("jingwu-tests-warm-up")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def wait_caught_up(
    targets: Sequence[str],
    token: str,
    *,
    timeout_s: float = 60.0,
    interval_s: float = 0.2,
    call_timeout_s: float = 10.0,
) -> list[status_pb2.GetStatusResponse]:
    """Wait until every service at ``targets`` (``host:port``) reports caught up (all its consumer
    groups' lag 0, its outbox empty) twice in a row — twice, because the services are asked one after
    the other, and one may emit events to another between the two answers. Services still starting
    (UNAVAILABLE) or slow to answer (DEADLINE_EXCEEDED) are waited for. Returns the last answers;
    TimeoutError says who is behind and where."""
    channels = [grpc_client.open_channel(target, token) for target in targets]
    stubs = [status_pb2_grpc.StatusServiceStub(channel) for channel in channels]
    deadline = time.monotonic() + timeout_s
    in_a_row = 0
    behind = "no answer yet"
    try:
        while True:
            try:
                request = status_pb2.GetStatusRequest()
                replies = [await stub.GetStatus(request, timeout=call_timeout_s) for stub in stubs]
            except grpc.aio.AioRpcError as error:
                # Still starting (UNAVAILABLE) or slow to answer on a loaded machine (DEADLINE_EXCEEDED,
                # its status probe asks the broker): asked again until the deadline.
                if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise
                in_a_row, behind = 0, f"{error.code().name.lower()}: {error.details()}"
            else:
                if all(reply.caught_up for reply in replies):
                    in_a_row += 1
                    if in_a_row >= 2:
                        return replies
                else:
                    in_a_row, behind = 0, _behind(targets, replies)
            if time.monotonic() > deadline:
                raise TimeoutError(f"services not caught up within {timeout_s}s: {behind}")
            await asyncio.sleep(interval_s)
    finally:
        for channel in channels:
            await channel.close()


def _behind(targets: Sequence[str], replies: Sequence[status_pb2.GetStatusResponse]) -> str:
    parts = []
    for target, reply in zip(targets, replies, strict=True):
        if reply.caught_up:
            continue
        lags = ", ".join(f"{g.group_id} lag {g.lag}" for g in reply.consumer_groups if g.lag)
        pending = f"outbox pending {reply.outbox_pending}" if reply.outbox_pending else ""
        parts.append(f"{reply.service or target} ({'; '.join(p for p in (lags, pending) if p)})")
    return "; ".join(parts)


def token_for(secret: str, district: str, *roles: Role, subject: str = "test-officer") -> str:
    return issue_token(secret, subject=subject, district=district, roles=roles or (Role.OFFICER,))


@asynccontextmanager
async def scratch_database(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    """An empty database of its own on a real store, dropped afterwards (repository contract suites)."""
    client = create_client(mongo_url, "jingwu-tests")
    name = f"jingwu_test_{secrets.token_hex(6)}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def refused(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    """The error a call that must fail fails with (AssertionError if it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error
    raise AssertionError("the call succeeded but was expected to be refused")


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The field violations of an INVALID_ARGUMENT answer, by field (asserts the code and details)."""
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{error.code()}: {error.details()}"
    found = grpc_client.field_violations(error)
    assert found, f"INVALID_ARGUMENT without field violations: {error.details()}"
    return dict(found)


def rule_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The violated rule ids of a FAILED_PRECONDITION answer, with their descriptions."""
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, f"{error.code()}: {error.details()}"
    found = grpc_client.rule_violations(error)
    assert found, f"FAILED_PRECONDITION without a rule id: {error.details()}"
    return dict(found)


def violations_of(error: ValidationFailed | BaseException) -> dict[str, str]:
    """The field violations of a domain ValidationFailed (``violations_of(exc.value)``), by field."""
    assert isinstance(error, ValidationFailed), f"expected ValidationFailed, got {error!r}"
    return {v.field: v.description for v in error.violations}

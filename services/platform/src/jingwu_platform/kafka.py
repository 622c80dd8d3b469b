"""Kafka through FastStream: the broker, topic provisioning, publishing events, and consuming them
idempotently with a dead-letter topic for what cannot be processed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from google.protobuf.message import Message
from opentelemetry import trace
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_platform.events import Event, EventRejected, decode_payload, parse_record
from jingwu_platform.mongo import Document

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)


def create_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker with an idempotent producer that waits for all in-sync replicas."""
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        middlewares=(KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider()),),
        logger=logging.getLogger(f"jingwu.kafka.{client_id}"),
    )


async def ensure_topics(bootstrap: str, topics: Iterable[str], partitions: int, replication: int = 1) -> None:
    """Create the topics that do not exist yet. Locally services do this; in clusters the operator does."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        if not wanted:
            return
        # Another process may create one between list and create: that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [NewTopic(name=t, num_partitions=partitions, replication_factor=replication) for t in wanted]
            )
        log.info("topics created", extra={"topics": wanted})
    finally:
        await admin.close()


class EventPublisher:
    """Publishes events with their envelope headers, inside the trace the event was created in."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, event: Event, topic: str) -> None:
        from jingwu_platform.tracing import attached_trace

        with attached_trace(event.trace):
            await self._broker.publish(
                event.payload,
                topic,
                key=event.key.encode(),
                headers=event.headers(),
                correlation_id=event.event_id,
            )

    async def publish_raw(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self._broker.publish(value, topic, key=key, headers=headers)


class Inbox:
    """Remembers which events a consumer has processed, so a redelivered event changes nothing."""

    def __init__(self, database: AsyncDatabase[Document], consumer: str) -> None:
        self._collection = database["platform.inbox"]
        self._consumer = consumer

    def _id(self, event_id: str) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": self._id(event_id)}, {"_id": 1}) is not None

    async def mark(self, event: Event) -> None:
        with contextlib.suppress(DuplicateKeyError):  # marked by an earlier delivery: same outcome
            await self._collection.insert_one(
                {"_id": self._id(event.event_id), "type": event.event_type, "at": datetime.now(UTC)}
            )


@dataclass(frozen=True)
class EventHandler(Generic[M]):
    """Handles one event type. The handler must itself be idempotent for the event id (upsert keyed by
    it): the inbox mark is a second write, and a crash between the two re-delivers the event."""

    message_type: type[M]
    handle: Callable[[Event, M], Awaitable[None]]


class EventConsumer:
    """One consumer group over some topics: envelope check, dedupe, handler, dead letters.

    Records that are malformed or that a handler rejects go to ``dead_letter_topic`` with the reason in
    the ``dlq_reason`` header, the original value, key and headers kept; the consumer goes on.
    Unexpected handler failures are tried ``attempts`` times in all before being dead-lettered. When
    even that is impossible (the store or Kafka is down), the record is not committed and comes again.
    """

    def __init__(
        self,
        *,
        broker: KafkaBroker,
        publisher: EventPublisher,
        inbox: Inbox,
        group_id: str,
        topics: list[str],
        dead_letter_topic: str,
        handlers: Iterable[EventHandler[Any]],
        attempts: int = 3,
        retry_delay_s: float = 0.5,
    ) -> None:
        self._publisher = publisher
        self._inbox = inbox
        self._group_id = group_id
        self._dead_letter_topic = dead_letter_topic
        self._handlers = {h.message_type.DESCRIPTOR.full_name: h for h in handlers}
        self._attempts = attempts
        self._retry_delay_s = retry_delay_s
        # Counters for health endpoints and tests.
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0

        async def on_record(body: bytes, message: KafkaMessage) -> None:
            await self._on_record(message)

        broker.subscriber(
            *topics,
            group_id=group_id,
            auto_offset_reset="earliest",
            # Commit after processing; if processing itself fails (the store or the DLQ unreachable),
            # rewind to the record so it is delivered again: no record is committed unprocessed.
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )(on_record)

    async def _on_record(self, message: KafkaMessage) -> None:
        record: ConsumerRecord[bytes, bytes] = message.raw_message  # a single record: batch=False
        try:
            event = parse_record(record.headers, record.value, record.key)
        except EventRejected as rejected:
            await self._dead_letter(message, str(rejected))
            return
        handler = self._handlers.get(event.event_type)
        if handler is None:
            return  # A topic carries many event types; this consumer needs only some.
        if await self._inbox.seen(event.event_id):
            self.duplicates += 1
            log.info("duplicate event ignored", extra={"event_id": event.event_id, "type": event.event_type})
            return
        try:
            payload = decode_payload(event, handler.message_type)
        except EventRejected as rejected:
            await self._dead_letter(message, str(rejected))
            return
        for attempt in range(1, self._attempts + 1):
            try:
                await handler.handle(event, payload)
                break
            except EventRejected as rejected:
                await self._dead_letter(message, str(rejected))
                return
            except Exception as error:
                log.warning(
                    "event handler failed",
                    exc_info=True,
                    extra={"event_id": event.event_id, "attempt": attempt, "error": repr(error)},
                )
                if attempt == self._attempts:
                    await self._dead_letter(message, f"handler failed after {attempt} attempts: {error!r}")
                    return
                await asyncio.sleep(self._retry_delay_s * attempt)
        await self._inbox.mark(event)
        self.processed += 1

    async def _dead_letter(self, message: KafkaMessage, reason: str) -> None:
        record: ConsumerRecord[bytes, bytes] = message.raw_message  # a single record: batch=False
        headers = {
            name: (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
            for name, raw in (record.headers or ())
        }
        headers.update(
            {
                "dlq_reason": reason,
                "dlq_source_topic": record.topic,
                "dlq_source_partition": str(record.partition),
                "dlq_source_offset": str(record.offset),
                "dlq_consumer_group": self._group_id,
                "dlq_time": datetime.now(UTC).isoformat(),
            }
        )
        await self._publisher.publish_raw(self._dead_letter_topic, record.value or b"", record.key, headers)
        self.dead_lettered += 1
        log.warning(
            "record dead-lettered",
            extra={
                "reason": reason,
                "topic": record.topic,
                "offset": record.offset,
                "dlq": self._dead_letter_topic,
            },
        )

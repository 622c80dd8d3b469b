"""Kafka through FastStream: the broker, topic provisioning, publishing events, and consuming them
idempotently with a dead-letter topic for what cannot be processed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
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
from pymongo.errors import BulkWriteError, DuplicateKeyError

from jingwu_platform.availability import is_unavailable
from jingwu_platform.consumer_groups import ConsumerGroup, register_group
from jingwu_platform.deadletter import DeadLetter, DeadLetters, ReasonClass
from jingwu_platform.events import Event, EventRejected, decode_payload, parse_record
from jingwu_platform.kafka_metrics import KafkaInstruments, kafka_instruments
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
        """Publish and wait for the acknowledgement (acks=all)."""
        await (await self.send(event, topic))

    async def send(self, event: Event, topic: str) -> asyncio.Future[Any]:
        """Hand the event to the producer and return its acknowledgement's future without waiting for
        it, so many events can be in flight at once (the outbox relay). Sends to one key keep their
        order: same partition, appended in call order, and the idempotent producer keeps that order
        across retries."""
        from jingwu_platform.tracing import attached_trace

        with attached_trace(event.trace):
            ack: asyncio.Future[Any] = await self._broker.publish(
                event.payload,
                topic,
                key=event.key.encode(),
                headers=event.headers(),
                correlation_id=event.event_id,
                no_confirm=True,
            )
        return ack

    async def publish_raw(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self._broker.publish(value, topic, key=key, headers=headers)

    def producer(self) -> Any:
        """The broker's aiokafka producer, for records FastStream cannot express (binary headers, a
        tombstone kept as one): dead letters. Available once the broker is started."""
        state = getattr(self._broker.config.producer, "_producer", None)  # FastStream 0.7 (pinned)
        producer = getattr(state, "producer", None)
        if producer is None:
            raise RuntimeError("the Kafka broker is not started; start it before consuming")
        return producer


class Inbox:
    """Remembers which events a consumer has processed, so a redelivered event changes nothing."""

    def __init__(self, database: AsyncDatabase[Document], consumer: str) -> None:
        self._collection = database["platform.inbox"]
        self._consumer = consumer
        self._prefix = f"{consumer}:"

    def _id(self, event_id: str) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": self._id(event_id)}, {"_id": 1}) is not None

    async def mark(self, event: Event) -> None:
        with contextlib.suppress(DuplicateKeyError):  # marked by an earlier delivery: same outcome
            await self._collection.insert_one(
                {"_id": self._id(event.event_id), "type": event.event_type, "at": datetime.now(UTC)}
            )

    async def seen_among(self, event_ids: Iterable[str]) -> set[str]:
        """Which of ``event_ids`` were processed already: one ``$in`` read for a whole batch."""
        ids = [self._prefix + event_id for event_id in event_ids]
        if not ids:
            return set()
        cut = len(self._prefix)
        return {d["_id"][cut:] async for d in self._collection.find({"_id": {"$in": ids}}, {"_id": 1})}

    async def mark_all(self, events: Sequence[Event]) -> None:
        """Mark a batch processed: one unordered ``insert_many``; ids already there are ignored (an
        earlier delivery marked them: same outcome), any other write error is raised."""
        if not events:
            return
        at = datetime.now(UTC)
        documents = [{"_id": self._prefix + e.event_id, "type": e.event_type, "at": at} for e in events]
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            others = [w for w in error.details.get("writeErrors", ()) if w.get("code") != _DUPLICATE_KEY]
            if others or error.details.get("writeConcernErrors"):
                raise


_DUPLICATE_KEY = 11000


async def _binary_safe_parser(
    record: ConsumerRecord[bytes, bytes], original: Callable[[Any], Awaitable[KafkaMessage]]
) -> KafkaMessage:
    """FastStream's parser decodes every header as UTF-8 and drops the record (uncommitted, then
    committed past by the next one) when one is not: a record with a binary header would vanish
    without a dead letter. Parse it with text-safe copies of the headers instead, and keep the
    record itself, byte for byte, as the message's ``raw_message`` (what the consumer reads)."""
    try:
        return await original(record)
    except UnicodeDecodeError:
        safe = dataclasses.replace(
            record, headers=[(n, v.decode("utf-8", "replace").encode()) for n, v in record.headers]
        )
        if hasattr(record, "consumer"):
            safe.consumer = record.consumer
        message = await original(safe)
        message.raw_message = record
        return message


@dataclass(frozen=True)
class EventHandler(Generic[M]):
    """Handles one event type. The handler must itself be idempotent for the event id (upsert keyed by
    it): the inbox mark is a second write, and a crash between the two re-delivers the event."""

    message_type: type[M]
    handle: Callable[[Event, M], Awaitable[None]]


class EventConsumer:
    """One consumer group over some topics, one record at a time: envelope check, dedupe, handler,
    dead letters. For commands and other low-volume streams; high-volume ones use
    ``jingwu_platform.batch.BatchConsumer``.

    Records that are malformed or that a handler rejects go to ``dead_letter_topic`` with the reason in
    the ``dlq_reason`` header, the original value, key and headers kept byte for byte
    (``jingwu_platform.deadletter``); the consumer goes on. Unexpected handler failures are tried
    ``attempts`` times in all before being dead-lettered. A store or broker that is unavailable is not
    the record's fault: such a failure of the handler (``availability.is_unavailable``) is never
    dead-lettered, and neither is a failing inbox or dead-letter write; the consumer backs off
    (``retry_delay_s`` doubling up to ``max_redelivery_backoff_s``) and raises, FastStream
    (``NACK_ON_ERROR``) rewinds to the record, and it comes again until it can be processed. No record is
    committed unprocessed.
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
        max_redelivery_backoff_s: float = 10.0,
        instruments: KafkaInstruments | None = None,
    ) -> None:
        self._publisher = publisher
        self._inbox = inbox
        self._group_id = group_id
        self._dead_letters = DeadLetters(dead_letter_topic, group_id)
        self._handlers = {h.message_type.DESCRIPTOR.full_name: h for h in handlers}
        self._attempts = attempts
        self._retry_delay_s = retry_delay_s
        self._max_redelivery_backoff_s = max_redelivery_backoff_s
        self._failure_streak = 0
        self._metrics = (instruments or kafka_instruments()).consumer(group_id)
        self.consumer_group = ConsumerGroup(group_id, tuple(topics))
        register_group(broker, self.consumer_group)
        # Counters for health endpoints and tests.
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.redeliveries = 0  # records rewound to because processing could not complete

        async def on_record(body: bytes, message: KafkaMessage) -> None:
            await self._on_record(message)

        broker.subscriber(
            *topics,
            group_id=group_id,
            auto_offset_reset="earliest",
            parser=_binary_safe_parser,
            # Commit after processing; if processing itself fails (the store or the DLQ unreachable),
            # rewind to the record so it is delivered again: no record is committed unprocessed.
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )(on_record)

    async def _on_record(self, message: KafkaMessage) -> None:
        record: ConsumerRecord[bytes, bytes] = message.raw_message  # a single record: batch=False
        try:
            await self._process(record)
        except Exception as error:
            # Not the record's fault (handler failures are retried and dead-lettered inside): its store
            # or broker is unavailable, or the inbox / DLQ write failed. Wait, then let FastStream rewind
            # to the record (NACK_ON_ERROR) so it comes again; the wait grows while failures go on.
            self._failure_streak += 1
            self.redeliveries += 1
            self._metrics.failed()
            delay = min(self._retry_delay_s * 2 ** (self._failure_streak - 1), self._max_redelivery_backoff_s)
            unavailable = is_unavailable(error)
            log.warning(
                "record not processed; it will be redelivered",
                exc_info=not unavailable,  # a stack trace for the unexpected, not for a store that is down
                extra={
                    "consumer_group": self._group_id,
                    "topic": record.topic,
                    "offset": record.offset,
                    "retry_in_s": delay,
                    "unavailable": unavailable,
                    "error": repr(error),
                },
            )
            await asyncio.sleep(delay)
            raise
        self._failure_streak = 0
        self._metrics.consumed(1)

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = parse_record(record.headers, record.value, record.key)
        except EventRejected as rejected:
            await self._dead_letter(record, str(rejected), ReasonClass.ENVELOPE)
            return
        handler = self._handlers.get(event.event_type)
        if handler is None:
            return  # A topic carries many event types; this consumer needs only some.
        if await self._inbox.seen(event.event_id):
            self.duplicates += 1
            self._metrics.duplicates(1)
            log.info("duplicate event ignored", extra={"event_id": event.event_id, "type": event.event_type})
            return
        try:
            payload = decode_payload(event, handler.message_type)
        except EventRejected as rejected:
            await self._dead_letter(record, str(rejected), ReasonClass.PAYLOAD)
            return
        for attempt in range(1, self._attempts + 1):
            started = time.perf_counter()
            try:
                await handler.handle(event, payload)
                break
            except EventRejected as rejected:
                await self._dead_letter(record, str(rejected), ReasonClass.REJECTED)
                return
            except Exception as error:
                if is_unavailable(error):
                    raise
                log.warning(
                    "event handler failed",
                    exc_info=True,
                    extra={"event_id": event.event_id, "attempt": attempt, "error": repr(error)},
                )
                if attempt == self._attempts:
                    await self._dead_letter(
                        record,
                        f"handler failed after {attempt} attempts: {error!r}",
                        ReasonClass.RETRIES_EXHAUSTED,
                    )
                    return
                await asyncio.sleep(self._retry_delay_s * attempt)
            finally:
                self._metrics.handled(time.perf_counter() - started)
        await self._inbox.mark(event)
        self.processed += 1

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, kind: ReasonClass
    ) -> None:
        letters = [DeadLetter(record, reason, kind)]
        await self._dead_letters.send(self._publisher.producer(), letters)
        self.dead_lettered += 1
        self._metrics.dead_lettered(letters)

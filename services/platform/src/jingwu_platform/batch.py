"""The high-volume consumer: a batch of records → one bulk idempotent write → one commit.

``EventConsumer`` takes one record at a time (envelope, inbox read, handler, inbox write, commit: four
round trips per record), which is right for commands and hopeless for GPS fixes. ``BatchConsumer`` reads
with aiokafka directly (docs/adr/0028):

1. one poll (``getmany``) of up to ``max_records`` records / ``fetch_max_bytes`` bytes, waiting at most
   ``max_wait_ms`` for them;
2. the envelope is checked and the payload decoded per record (pure CPU, no await, no log line);
   records that fail go to the dead-letter list with their reason; records of types the handler does
   not take are skipped;
3. dedup — with an ``Inbox``: one ``$in`` read for the whole batch drops what was processed already
   (and repeats inside the batch); with ``inbox=None``: nothing, for handlers whose writes are
   idempotent by key (GPS fixes keyed by device and fix time: a replayed fix overwrites itself);
4. the service's batch handler gets the good ones, in offset order per partition (so per key), and
   writes them in bulk; it may reject single records, with a reason, by returning ``Rejection``s
   (per-event ``EventHandler``s ride this path through ``jingwu_platform.event_batches``);
5. the dead letters (bad envelopes, bad payloads, rejections) are produced together, their
   acknowledgements awaited as one; then the inbox is marked with one unordered ``insert_many``
   (rejected records are not marked: a fixed replay from the DLQ, same ``ce_id``, must be processed);
6. ONE commit of the batch's offsets, only after all of that succeeded.

If any step raises (the store is down, the DLQ cannot be written), nothing of the batch is committed:
the consumer seeks every partition of the batch back to its first record, pauses fetching (the
fetcher stops fetching for paused partitions: nothing buffers up), keeps polling so the group does not
evict it, and after a back-off (``retry_backoff_s`` doubling up to ``max_backoff_s``) resumes and tries
the same records again, for as long as it takes. The stream never stops and never skips. A handler
must therefore *reject* what it can never process; whatever it raises is treated as transient.

Rebalances: the offsets of a batch are committed right after it is processed, under a lock that the
rebalance listener takes in ``on_partitions_revoked``; so when partitions are revoked, the batch in
flight finishes first (committed if it succeeded, rewound if not) and there is never processed work
left uncommitted. Work that is not processed is not committed; whoever owns the partition next reads
it from the last commit. If the group moved on before the commit (a member too slow for
``rebalance_timeout_ms``), the commit fails and the new owner processes those records again — which the
inbox or the idempotent writes make harmless.

A handler that keeps state per partition (the telemetry fix consumer keeps each device's state in
memory) passes ``on_revoked`` / ``on_assigned``: awaited with the partitions (aiokafka
``TopicPartition``s) the group takes away or gives, ``on_revoked`` while holding the batch lock (no
batch in flight: the last one is committed or rewound). aiokafka's rebalances are eager: every
rebalance revokes the whole previous assignment, then assigns the new one, so a member that gets a
partition back hears of it as revoked, then assigned. A hook should not raise (aiokafka logs and
swallows what it raises). Without hooks nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, ConsumerStoppedError
from google.protobuf.message import Message
from opentelemetry import trace

from jingwu_platform.availability import is_unavailable
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.deadletter import DeadLetter, DeadLetters, ReasonClass
from jingwu_platform.events import Event, EventRejected, decode_payload, parse_record
from jingwu_platform.kafka import Inbox
from jingwu_platform.kafka_metrics import KafkaInstruments, kafka_instruments

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)
_tracer = trace.get_tracer(__name__)


class Delivery(NamedTuple, Generic[M]):
    """One good record: its envelope, its decoded payload, and the record (offset, partition, raw)."""

    event: Event
    payload: M
    record: Any


class Rejection(NamedTuple):
    """A record the handler will never be able to process: dead-lettered with ``reason``, counted under
    ``reason_class`` (``rejected``; ``retries_exhausted`` for a handler that kept failing)."""

    delivery: Delivery[Any]
    reason: str
    reason_class: ReasonClass = ReasonClass.REJECTED


BatchHandle = Callable[[Sequence[Delivery[M]]], Awaitable[Iterable[Rejection] | None]]
RebalanceHook = Callable[[frozenset[Any]], Awaitable[None]]
"""Told the partitions (aiokafka ``TopicPartition``s) revoked from or assigned to this member."""


@dataclass(frozen=True)
class BatchHandler(Generic[M]):
    """Handles batches of the given message types. ``handle`` writes all of them (in bulk, idempotently)
    and returns the ones it rejects, or None. A record of another type on the topics is skipped."""

    message_types: tuple[type[M], ...]
    handle: BatchHandle[M]


@dataclass(frozen=True)
class BatchLimits:
    """How much one poll takes, and how failures are retried."""

    max_records: int = 5_000
    max_wait_ms: int = 200
    fetch_max_bytes: int = 32 * 1024 * 1024
    max_partition_fetch_bytes: int = 8 * 1024 * 1024
    retry_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    session_timeout_ms: int = 10_000
    rebalance_timeout_ms: int = 60_000
    stop_grace_s: float = 10.0


class _FinishBatchOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """Partitions are handed over only once the batch in flight is committed or rewound."""

    def __init__(
        self,
        lock: asyncio.Lock,
        on_revoked: RebalanceHook | None = None,
        on_assigned: RebalanceHook | None = None,
    ) -> None:
        self._lock = lock
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._lock:
            if self._on_revoked is not None and revoked:
                await self._on_revoked(frozenset(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self._on_assigned is not None and assigned:
            await self._on_assigned(frozenset(assigned))


class BatchConsumer:
    """One consumer group over some topics, in batches (see the module docstring). A runtime
    ``Component``: put it in ``ServiceRuntime.components``; ``consumer_group`` is reported by GetStatus."""

    def __init__(
        self,
        *,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        dead_letter_topic: str,
        handler: BatchHandler[Any],
        inbox: Inbox | None,
        limits: BatchLimits | None = None,
        client_id: str | None = None,
        instruments: KafkaInstruments | None = None,
        on_revoked: RebalanceHook | None = None,
        on_assigned: RebalanceHook | None = None,
    ) -> None:
        self.name = f"batch-consumer {group_id}"
        self.consumer_group = ConsumerGroup(group_id, tuple(topics))
        self._bootstrap = bootstrap
        self._client_id = client_id or group_id
        self._handler = handler
        self._types: dict[str, type[Message]] = {t.DESCRIPTOR.full_name: t for t in handler.message_types}
        self._inbox = inbox
        self._limits = limits or BatchLimits()
        self._dead_letters = DeadLetters(dead_letter_topic, group_id)
        self._metrics = (instruments or kafka_instruments()).consumer(group_id)
        self._lock = asyncio.Lock()
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._streak = 0  # consecutive failed attempts
        self._resume_at: float | None = None
        # Counters for tests and health (the metrics carry the same).
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.skipped = 0
        self.batches = 0
        self.failed_attempts = 0

    @property
    def paused(self) -> bool:
        """True while the consumer waits out a failure with fetching paused."""
        return self._resume_at is not None

    async def start(self) -> None:
        limits = self._limits
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-dlq",
            acks="all",
            enable_idempotence=True,
        )
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=self.consumer_group.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=limits.max_records,
            fetch_max_wait_ms=limits.max_wait_ms,
            fetch_max_bytes=limits.fetch_max_bytes,
            max_partition_fetch_bytes=limits.max_partition_fetch_bytes,
            session_timeout_ms=limits.session_timeout_ms,
            rebalance_timeout_ms=limits.rebalance_timeout_ms,
        )
        self._consumer.subscribe(
            list(self.consumer_group.topics),
            listener=_FinishBatchOnRevoke(self._lock, self._on_revoked, self._on_assigned),
        )
        await self._consumer.start()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            # Let the batch in flight finish (and commit); past the grace period, cancel it: it is then
            # not committed and comes again.
            done, _ = await asyncio.wait({self._task}, timeout=self._limits.stop_grace_s)
            if not done:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        limits = self._limits
        while not self._stopping:
            timeout_ms = limits.max_wait_ms
            if self._resume_at is not None:
                remaining = self._resume_at - time.monotonic()
                if remaining <= 0:
                    consumer.resume(*consumer.paused())
                    self._resume_at = None
                else:
                    timeout_ms = max(1, min(timeout_ms, int(remaining * 1000)))
            try:
                # While paused this returns nothing (paused partitions are not fetched) but keeps the
                # consumer polling, so the group does not evict it; records of partitions assigned
                # meanwhile do come, and are processed like any batch.
                batch = await consumer.getmany(timeout_ms=timeout_ms, max_records=limits.max_records)
            except ConsumerStoppedError:
                return
            except Exception:
                log.warning("poll failed; retrying", exc_info=True, extra={"consumer": self.name})
                await asyncio.sleep(limits.retry_backoff_s)
                continue
            if not batch:
                continue
            async with self._lock:
                try:
                    await self._process(consumer, batch)
                except CommitFailedError:
                    # The group rebalanced before the commit: the new owner processes these records
                    # again (harmless: inbox or idempotent writes). Nothing to rewind: not ours now.
                    log.warning("batch processed but the group rebalanced before its commit")
                except Exception as error:
                    self._rewind(consumer, batch, error)
                else:
                    self._streak = 0

    async def _process(self, consumer: AIOKafkaConsumer, batch: dict[Any, list[Any]]) -> None:
        # The decode loop allocates several containers per record and keeps them all (the batch): with
        # the cyclic GC on, it ran collections over that growing set again and again, which halved the
        # rate (measured: docs/benchmarks.md). The loop is synchronous (nothing else runs meanwhile), so
        # collection is only postponed to its end, not lost.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            polled = _decode(batch, self._types)
        finally:
            if gc_was_enabled:
                gc.enable()
        with _tracer.start_as_current_span(
            f"{self.consumer_group.group_id} process batch",
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.consumer_group.group_id,
                "messaging.batch.message_count": polled.size,
            },
        ):
            deliveries, duplicates = await self._drop_processed(polled.deliveries)
            letters = polled.letters
            rejected: set[int] = set()
            if deliveries:
                started = time.perf_counter()
                rejections = await self._handler.handle(deliveries)
                self._metrics.handled(time.perf_counter() - started)
                for rejection in rejections or ():
                    letters.append(
                        DeadLetter(rejection.delivery.record, rejection.reason, rejection.reason_class)
                    )
                    rejected.add(id(rejection.delivery.record))
            if letters:
                assert self._producer is not None
                await self._dead_letters.send(self._producer, letters)
            if self._inbox is not None and deliveries:
                await self._inbox.mark_all([d.event for d in deliveries if id(d.record) not in rejected])
            assigned = consumer.assignment()
            await consumer.commit({tp: offset for tp, offset in polled.offsets.items() if tp in assigned})

        self.batches += 1
        self.processed += len(deliveries) - len(rejected)
        self.duplicates += duplicates
        self.dead_lettered += len(letters)
        self.skipped += polled.skipped
        self._metrics.consumed(polled.size)
        self._metrics.batch(polled.size)
        self._metrics.duplicates(duplicates)
        if letters:
            self._metrics.dead_lettered(letters)

    async def _drop_processed(self, deliveries: list[Delivery[Any]]) -> tuple[list[Delivery[Any]], int]:
        """Without an inbox, everything; with one, what it has not seen (one read for the batch), and
        each event id once."""
        if self._inbox is None or not deliveries:
            return deliveries, 0
        seen = await self._inbox.seen_among(d.event.event_id for d in deliveries)
        fresh: list[Delivery[Any]] = []
        for delivery in deliveries:
            event_id = delivery.event.event_id
            if event_id not in seen:
                seen.add(event_id)  # a repeat later in the same batch is a duplicate too
                fresh.append(delivery)
        return fresh, len(deliveries) - len(fresh)

    def _rewind(self, consumer: AIOKafkaConsumer, batch: dict[Any, list[Any]], error: Exception) -> None:
        """Seek back to the batch's first records, pause fetching, and schedule the retry."""
        assigned = consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned:
                consumer.seek(tp, records[0].offset)
        consumer.pause(*assigned)
        self._streak += 1
        self.failed_attempts += 1
        self._metrics.failed()
        limits = self._limits
        delay = min(limits.retry_backoff_s * 2 ** (self._streak - 1), limits.max_backoff_s)
        self._resume_at = time.monotonic() + delay
        unavailable = is_unavailable(error)
        log.warning(
            "batch not processed; rewound and paused, will retry",
            exc_info=not unavailable,  # a stack trace for the unexpected, not for a store that is down
            extra={
                "consumer": self.name,
                "records": sum(len(r) for r in batch.values()),
                "attempt": self._streak,
                "retry_in_s": delay,
                "unavailable": unavailable,
                "error": repr(error),
            },
        )


@dataclass
class _Polled:
    deliveries: list[Delivery[Any]]
    letters: list[DeadLetter]
    offsets: dict[Any, int]  # per partition: the offset to commit (last record + 1)
    size: int
    skipped: int


def _decode(batch: dict[Any, list[Any]], types: dict[str, type[Message]]) -> _Polled:
    """The hot loop: per record only CPU work (no await, no log line, no metric call)."""
    deliveries: list[Delivery[Any]] = []
    letters: list[DeadLetter] = []
    offsets: dict[Any, int] = {}
    size = skipped = 0
    for tp, records in batch.items():
        size += len(records)
        offsets[tp] = records[-1].offset + 1
        for record in records:
            try:
                event = parse_record(record.headers, record.value, record.key)
            except EventRejected as rejected:
                letters.append(DeadLetter(record, str(rejected), ReasonClass.ENVELOPE))
                continue
            message_type = types.get(event.event_type)
            if message_type is None:
                skipped += 1
                continue
            try:
                payload = decode_payload(event, message_type)
            except EventRejected as rejected:
                letters.append(DeadLetter(record, str(rejected), ReasonClass.PAYLOAD))
                continue
            deliveries.append(Delivery(event, payload, record))
    return _Polled(deliveries, letters, offsets, size, skipped)

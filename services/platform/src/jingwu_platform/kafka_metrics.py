"""Metrics of the Kafka path, through the OpenTelemetry metrics API (meter ``jingwu.kafka``).

Instruments are created through the API: until the process installs an SDK ``MeterProvider`` (the
runtime's metrics endpoint does) they are no-ops, and they bind to it once it is set. Names follow the
OpenTelemetry semantic style; every consumer instrument carries ``consumer`` = the consumer group id.

- ``jingwu.consumer.records`` (counter, {record}; consumer): records read and committed, whether
  handled, skipped (a type the consumer does not handle), duplicate or dead-lettered;
- ``jingwu.consumer.duplicates`` (counter, {record}; consumer): dropped by the inbox as processed;
- ``jingwu.consumer.dead_letters`` (counter, {record}; consumer, reason = ``deadletter.ReasonClass``);
- ``jingwu.consumer.batch.size`` (histogram, {record}; consumer): records per batch (batch consumer);
- ``jingwu.consumer.handler.duration`` (histogram, s; consumer): one handler call, a record or a batch;
- ``jingwu.consumer.batch.failures`` (counter, {batch}; consumer): attempts that failed and are retried
  (a batch, or an ``EventConsumer`` record whose store was unavailable);
- ``jingwu.consumer.lag`` (observable gauge, {record}; consumer, topic): end offsets − committed offsets;
- ``jingwu.outbox.pending`` (observable gauge, {document}; collection): documents with undelivered events;
- ``jingwu.outbox.published`` (counter, {event}; collection).

Cheap to record: the batch consumer adds once per batch, never per record; observable gauges read
values their sources already hold (the relay's last round, the status probe's last lag sample), never
the store or Kafka from the collector's thread. Events/s of a consumer is the rate of
``jingwu.consumer.records``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from typing import Protocol

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from jingwu_platform.deadletter import DeadLetter

METER_NAME = "jingwu.kafka"
_BATCH_BUCKETS = (1, 10, 50, 100, 500, 1_000, 2_000, 5_000, 10_000, 20_000)
_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class LagSource(Protocol):
    """Holds the last known lag per (consumer group, topic)."""

    def lag_observations(self) -> Iterable[tuple[int, dict[str, str]]]: ...


class PendingSource(Protocol):
    """Holds the last known number of documents with undelivered events, per collection."""

    def pending_observations(self) -> Iterable[tuple[int, dict[str, str]]]: ...


class KafkaInstruments:
    """The instruments of one meter; sources of the observable gauges register here (weakly)."""

    def __init__(self, meter: Meter) -> None:
        self.records = meter.create_counter(
            "jingwu.consumer.records", unit="{record}", description="Records a consumer read and committed."
        )
        self.duplicates = meter.create_counter(
            "jingwu.consumer.duplicates", unit="{record}", description="Records dropped as already processed."
        )
        self.dead_letters = meter.create_counter(
            name="jingwu.consumer.dead_letters",
            unit="{record}",
            description="Records sent to the dead-letter topic.",
        )
        self.batch_size = meter.create_histogram(
            "jingwu.consumer.batch.size",
            unit="{record}",
            description="Records per poll handed to processing.",
            explicit_bucket_boundaries_advisory=_BATCH_BUCKETS,
        )
        self.handler_duration = meter.create_histogram(
            "jingwu.consumer.handler.duration",
            unit="s",
            description="Time of one handler call (one record or one batch).",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.batch_failures = meter.create_counter(
            "jingwu.consumer.batch.failures", unit="{batch}", description="Processing attempts that failed."
        )
        self.published = meter.create_counter(
            "jingwu.outbox.published", unit="{event}", description="Outbox events published to Kafka."
        )
        self._lock = threading.Lock()  # the collector may run on another thread (the /metrics server)
        self._lag_sources: weakref.WeakSet[LagSource] = weakref.WeakSet()
        self._pending_sources: weakref.WeakSet[PendingSource] = weakref.WeakSet()
        meter.create_observable_gauge(
            "jingwu.consumer.lag",
            callbacks=[self._observe_lag],
            unit="{record}",
            description="End offsets minus committed offsets of a consumer group's topics.",
        )
        meter.create_observable_gauge(
            "jingwu.outbox.pending",
            callbacks=[self._observe_pending],
            unit="{document}",
            description="Documents whose outbox holds undelivered events.",
        )

    def consumer(self, group_id: str) -> ConsumerMetrics:
        return ConsumerMetrics(self, group_id)

    def watch_lag(self, source: LagSource) -> None:
        with self._lock:
            self._lag_sources.add(source)

    def unwatch_lag(self, source: LagSource) -> None:
        with self._lock:
            self._lag_sources.discard(source)

    def watch_pending(self, source: PendingSource) -> None:
        with self._lock:
            self._pending_sources.add(source)

    def unwatch_pending(self, source: PendingSource) -> None:
        with self._lock:
            self._pending_sources.discard(source)

    def _observe_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            sources = list(self._lag_sources)
        return [Observation(value, attributes) for s in sources for value, attributes in s.lag_observations()]

    def _observe_pending(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            sources = list(self._pending_sources)
        return [
            Observation(value, attributes) for s in sources for value, attributes in s.pending_observations()
        ]


class ConsumerMetrics:
    """The instruments with one consumer group's attributes bound (built once, reused per record)."""

    __slots__ = ("_attributes", "_by_reason", "_instruments")

    def __init__(self, instruments: KafkaInstruments, group_id: str) -> None:
        self._instruments = instruments
        self._attributes = {"consumer": group_id}
        self._by_reason: dict[str, dict[str, str]] = {}

    def consumed(self, count: int) -> None:
        self._instruments.records.add(count, self._attributes)

    def duplicates(self, count: int) -> None:
        if count:
            self._instruments.duplicates.add(count, self._attributes)

    def dead_lettered(self, letters: Sequence[DeadLetter]) -> None:
        counts: dict[str, int] = {}
        for letter in letters:
            counts[letter.reason_class.value] = counts.get(letter.reason_class.value, 0) + 1
        for reason, count in counts.items():
            attributes = self._by_reason.get(reason)
            if attributes is None:
                attributes = self._by_reason[reason] = {**self._attributes, "reason": reason}
            self._instruments.dead_letters.add(count, attributes)

    def batch(self, size: int) -> None:
        self._instruments.batch_size.record(size, self._attributes)

    def handled(self, seconds: float) -> None:
        self._instruments.handler_duration.record(seconds, self._attributes)

    def failed(self) -> None:
        self._instruments.batch_failures.add(1, self._attributes)


_process_instruments: KafkaInstruments | None = None
_process_lock = threading.Lock()


def kafka_instruments() -> KafkaInstruments:
    """The process's instruments on the global meter provider (created once, on first use)."""
    global _process_instruments  # noqa: PLW0603 - one set of instruments per process, like the meter
    with _process_lock:
        if _process_instruments is None:
            _process_instruments = KafkaInstruments(metrics.get_meter(METER_NAME))
        return _process_instruments

"""The Kafka path's instruments, read through an SDK meter provider of the test's own (the process's
global provider is the metrics endpoint's business): names, the ``consumer`` attribute, reason classes
of dead letters, and observable gauges that read what their sources hold."""

from __future__ import annotations

from typing import Any

from jingwu_platform.deadletter import DeadLetter, ReasonClass
from jingwu_platform.kafka_metrics import KafkaInstruments
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader


def collect(reader: InMemoryMetricReader) -> dict[tuple[str, tuple[tuple[str, Any], ...]], Any]:
    data = reader.get_metrics_data()
    found: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    key = (metric.name, tuple(sorted((point.attributes or {}).items())))
                    found[key] = value if value is not None else (point.count, point.sum)  # type: ignore[union-attr]
    return found


class Lagging:
    def __init__(self, lag: int) -> None:
        self.lag = lag

    def lag_observations(self) -> list[tuple[int, dict[str, str]]]:
        return [(self.lag, {"consumer": "jingwu-01-personnel", "topic": "jingwu.01.rooms.v1"})]


class Backlog:
    def pending_observations(self) -> list[tuple[int, dict[str, str]]]:
        return [(3, {"collection": "jingwu_01.rooms"})]


def test_consumer_instruments_carry_the_group_and_the_reason_class() -> None:
    reader = InMemoryMetricReader()
    instruments = KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    metrics = instruments.consumer("jingwu-01-telemetry")
    metrics.consumed(500)
    metrics.batch(500)
    metrics.duplicates(0)  # nothing recorded for zero
    metrics.duplicates(2)
    metrics.handled(0.25)
    letters = [
        DeadLetter(None, "missing ce_id", ReasonClass.ENVELOPE),
        DeadLetter(None, "missing ce_time", ReasonClass.ENVELOPE),
        DeadLetter(None, "device_id is empty", ReasonClass.REJECTED),
    ]
    metrics.dead_lettered(letters)
    metrics.failed()
    group = (("consumer", "jingwu-01-telemetry"),)
    assert collect(reader) == {
        ("jingwu.consumer.records", group): 500,
        ("jingwu.consumer.batch.size", group): (1, 500),
        ("jingwu.consumer.duplicates", group): 2,
        ("jingwu.consumer.handler.duration", group): (1, 0.25),
        ("jingwu.consumer.dead_letters", (*group, ("reason", "envelope"))): 2,
        ("jingwu.consumer.dead_letters", (*group, ("reason", "rejected"))): 1,
        ("jingwu.consumer.batch.failures", group): 1,
    }


def test_gauges_read_their_sources_and_forget_unwatched_ones() -> None:
    reader = InMemoryMetricReader()
    instruments = KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    lagging, backlog = Lagging(42), Backlog()
    instruments.watch_lag(lagging)
    instruments.watch_pending(backlog)
    found = collect(reader)
    assert (
        found[("jingwu.consumer.lag", (("consumer", "jingwu-01-personnel"), ("topic", "jingwu.01.rooms.v1")))]
        == 42
    )
    assert found[("jingwu.outbox.pending", (("collection", "jingwu_01.rooms"),))] == 3

    lagging.lag = 0
    assert (
        collect(reader)[
            ("jingwu.consumer.lag", (("consumer", "jingwu-01-personnel"), ("topic", "jingwu.01.rooms.v1")))
        ]
        == 0
    )
    instruments.unwatch_lag(lagging)
    instruments.unwatch_pending(backlog)
    assert not any(name in ("jingwu.consumer.lag", "jingwu.outbox.pending") for name, _ in collect(reader))

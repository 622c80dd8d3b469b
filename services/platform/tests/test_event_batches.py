"""Per-event handlers on the batch path (``event_batches.events_one_by_one``), without Kafka: order,
the span continued from the record's headers, rejections, retries then a dead letter, and an unavailable
store raised for the batch to be rewound; then through ``BatchConsumer``'s processing of one batch, with
a fake consumer and producer, to the dead letters and their reason classes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.batch import BatchConsumer, Delivery, Rejection
from jingwu_platform.deadletter import ReasonClass
from jingwu_platform.event_batches import events_one_by_one
from jingwu_platform.events import Event, EventRejected, new_event, parse_record
from jingwu_platform.kafka import EventHandler
from jingwu_platform.kafka_metrics import KafkaInstruments
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo.errors import AutoReconnect

DISTRICT = "42"
TOPIC = f"jingwu.{DISTRICT}.rooms.v1"


def record_of(event: Event, partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    """The event as a consumer receives it from the publisher: envelope headers, key, payload."""
    headers = [(name, value.encode()) for name, value in event.headers().items()]
    key = event.key.encode()
    return ConsumerRecord(
        TOPIC, partition, offset, 0, 0, key, event.payload, None, len(key), len(event.payload), headers
    )


def opened(room_id: str) -> events_pb2.RoomOpened:
    return events_pb2.RoomOpened(district_code=DISTRICT, room=rooms_pb2.Room(room_id=room_id))


def closed(room_id: str) -> events_pb2.RoomClosed:
    return events_pb2.RoomClosed(district_code=DISTRICT, room_id=room_id)


def delivery(payload: Any, partition: int = 0, offset: int = 0) -> Delivery[Any]:
    """A delivery as ``BatchConsumer`` makes it: the envelope parsed from the record's headers."""
    event = new_event(payload, key="room-1", district=DISTRICT, service="rooms")
    record = record_of(event, partition, offset)
    return Delivery(parse_record(record.headers, record.value, record.key), payload, record)


Handle = Callable[[Event, Any], Awaitable[None]]


def calling(handle: Handle, *types: type[Any]) -> list[EventHandler[Any]]:
    return [EventHandler(t, handle) for t in types]


async def test_deliveries_go_one_by_one_in_the_batch_order_to_the_handler_of_their_type() -> None:
    seen: list[tuple[str, str]] = []

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        await asyncio.sleep(0)
        seen.append(("opened", payload.room.room_id))

    async def on_closed(event: Event, payload: events_pb2.RoomClosed) -> None:
        seen.append(("closed", payload.room_id))

    handler = events_one_by_one(
        [EventHandler(events_pb2.RoomOpened, on_opened), EventHandler(events_pb2.RoomClosed, on_closed)]
    )
    assert set(handler.message_types) == {events_pb2.RoomOpened, events_pb2.RoomClosed}
    batch = [
        delivery(opened("a"), partition=0, offset=0),
        delivery(closed("a"), partition=0, offset=1),
        delivery(opened("b"), partition=1, offset=0),
        delivery(opened("c"), partition=0, offset=2),
    ]
    assert list(await handler.handle(batch) or ()) == []
    assert seen == [("opened", "a"), ("closed", "a"), ("opened", "b"), ("opened", "c")]


def test_two_handlers_for_one_type_are_a_wiring_error() -> None:
    async def nothing(event: Event, payload: Any) -> None:
        return None

    with pytest.raises(ValueError, match=r"two handlers for jingwu\.rooms\.v1\.RoomOpened"):
        events_one_by_one(calling(nothing, events_pb2.RoomOpened, events_pb2.RoomOpened))


async def test_each_delivery_is_processed_in_a_span_continuing_the_trace_its_headers_carry(
    spans: InMemorySpanExporter,
) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("/jingwu.rooms.v1.RoomRegistryService/OpenRoom") as request:
        first, second = delivery(opened("a"), offset=7), delivery(opened("b"), offset=8)
    assert first.event.trace["traceparent"]  # new_event took the request's trace into the headers
    current: list[trace.Span] = []

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        current.append(trace.get_current_span())

    spans.clear()
    handler = events_one_by_one(calling(on_opened, events_pb2.RoomOpened))
    with tracer.start_as_current_span("group process batch") as batch:
        await handler.handle([first, second])

    processed = [s for s in spans.get_finished_spans() if s.name == f"{TOPIC} process"]
    assert len(processed) == 2
    for span, offset in zip(processed, (7, 8), strict=True):
        assert span.kind is trace.SpanKind.CONSUMER
        assert span.context.trace_id == request.get_span_context().trace_id
        assert span.parent is not None and span.parent.span_id == request.get_span_context().span_id
        assert [link.context.span_id for link in span.links] == [batch.get_span_context().span_id]
        assert span.attributes is not None and span.attributes["messaging.kafka.message.offset"] == offset
    # The handler runs inside it: its store calls and the events it creates join the same trace.
    assert [s.get_span_context().span_id for s in current] == [s.context.span_id for s in processed]


async def test_a_rejected_event_becomes_a_rejection_and_the_batch_goes_on() -> None:
    handled: list[str] = []

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        if payload.room.room_id == "bad":
            raise EventRejected("room has no name")
        handled.append(payload.room.room_id)

    bad = delivery(opened("bad"), offset=1)
    rejections = await events_one_by_one(calling(on_opened, events_pb2.RoomOpened)).handle(
        [delivery(opened("a"), offset=0), bad, delivery(opened("b"), offset=2)]
    )
    assert list(rejections or ()) == [Rejection(bad, "room has no name", ReasonClass.REJECTED)]
    assert handled == ["a", "b"]


async def test_a_failing_handler_is_retried_then_dead_lettered_as_retries_exhausted() -> None:
    calls: dict[str, int] = {}

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        room_id = payload.room.room_id
        calls[room_id] = calls.get(room_id, 0) + 1
        if room_id == "broken" or calls[room_id] < 3:  # "flaky" succeeds on its third attempt
            raise ValueError(f"boom {room_id}")

    broken, flaky = delivery(opened("broken"), offset=0), delivery(opened("flaky"), offset=1)
    handler = events_one_by_one(calling(on_opened, events_pb2.RoomOpened), attempts=3, retry_delay_s=0)
    (rejection,) = list(await handler.handle([broken, flaky]) or ())

    assert rejection == Rejection(
        broken, "handler failed after 3 attempts: ValueError('boom broken')", ReasonClass.RETRIES_EXHAUSTED
    )
    assert calls == {"broken": 3, "flaky": 3}


async def test_an_unavailable_store_is_raised_at_once_so_the_batch_is_rewound() -> None:
    calls: list[str] = []

    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        calls.append(payload.room.room_id)
        if payload.room.room_id == "b":
            raise AutoReconnect("store away")

    handler = events_one_by_one(calling(on_opened, events_pb2.RoomOpened), retry_delay_s=0)
    batch = [delivery(opened(room), offset=n) for n, room in enumerate("abc")]
    with pytest.raises(AutoReconnect):
        await handler.handle(batch)
    assert calls == ["a", "b"]  # not retried in place, not dead-lettered, nothing after it


@dataclass
class FakeConsumer:
    assigned: set[tuple[str, int]]
    commits: list[dict[Any, int]] = field(default_factory=list)

    def assignment(self) -> set[tuple[str, int]]:
        return self.assigned

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.commits.append(offsets)


@dataclass
class FakeProducer:
    sent: list[tuple[str, list[tuple[str, bytes]]]] = field(default_factory=list)

    async def send(
        self, topic: str, *, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[None]:
        self.sent.append((topic, headers))
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


def dead_letter_counts(reader: InMemoryMetricReader) -> dict[str, float]:
    data = reader.get_metrics_data()
    counts: dict[str, float] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "jingwu.consumer.dead_letters":
                    for point in metric.data.data_points:
                        counts[str((point.attributes or {})["reason"])] = point.value  # type: ignore[union-attr]
    return counts


async def test_through_the_batch_consumer_rejections_keep_their_reason_class() -> None:
    async def on_opened(event: Event, payload: events_pb2.RoomOpened) -> None:
        if payload.room.room_id == "refused":
            raise EventRejected("refused")
        if payload.room.room_id == "broken":
            raise ValueError("broken")

    reader = InMemoryMetricReader()
    consumer = BatchConsumer(
        bootstrap="unused:9092",
        group_id="g",
        topics=[TOPIC],
        dead_letter_topic="dlq",
        handler=events_one_by_one(calling(on_opened, events_pb2.RoomOpened), attempts=2, retry_delay_s=0),
        inbox=None,
        instruments=KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test")),
    )
    records = [delivery(opened(room), offset=n).record for n, room in enumerate(("ok", "refused", "broken"))]
    kafka, producer = FakeConsumer({(TOPIC, 0)}), FakeProducer()
    # One batch's processing (what the poll loop calls), with no broker behind it.
    consumer._producer = producer
    await consumer._process(kafka, {(TOPIC, 0): records})

    assert (consumer.processed, consumer.dead_lettered) == (1, 2)
    reasons = [dict(headers)["dlq_reason"].decode() for _, headers in producer.sent]
    assert reasons == ["refused", "handler failed after 2 attempts: ValueError('broken')"]
    assert dead_letter_counts(reader) == {"rejected": 1, "retries_exhausted": 1}
    assert kafka.commits == [{(TOPIC, 0): 3}]


def test_a_rejection_made_by_a_batch_handler_is_still_of_class_rejected() -> None:
    assert Rejection(delivery(opened("a")), "why").reason_class is ReasonClass.REJECTED

"""Dead letters keep the record byte for byte (docs/adr/0009): headers as their original bytes, a
tombstone as a tombstone. The header composition without I/O, then the ``EventConsumer`` on real Kafka
(the batch consumer's path is in test_batch_consumer.py); both use jingwu_platform.deadletter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from faststream.kafka import KafkaBroker
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.deadletter import dead_letter_headers
from jingwu_platform.events import (
    Event,
    EventRejected,
    dead_letter_topic,
    domain_topic,
    new_event,
    parse_record,
)
from jingwu_platform.kafka import (
    EventConsumer,
    EventHandler,
    EventPublisher,
    Inbox,
    create_broker,
    ensure_topics,
)
from jingwu_platform.kafka_metrics import KafkaInstruments
from jingwu_platform.mongo import Document
from jingwu_platform.testing import event_record, produce_records, read_topic, wait_until
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from pymongo.asynchronous.database import AsyncDatabase

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass
class Received:
    """The fields of an aiokafka ConsumerRecord a dead letter reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def opened(district: str = "01", room: str = "r1") -> Event:
    payload = events_pb2.RoomOpened(district_code=district, room=rooms_pb2.Room(room_id=room))
    return new_event(payload, key=room, district=district, service="rooms")


def test_headers_keep_their_bytes_order_and_repeats_and_gain_the_dlq_ones() -> None:
    original = [("x-sig", b"\xff\x00\xfe"), ("ce_id", b"e1"), ("x-sig", b"\x01"), ("dlq_reason", b"old")]
    record = Received("jingwu.01.rooms.v1", 2, 41, b"r1", None, original)
    headers = dead_letter_headers(record, "bad envelope", "jingwu-01-notification", AT)
    assert headers[:3] == original[:3]  # untouched, in order, repeats kept
    assert dict(headers[3:]) == {
        "dlq_reason": b"bad envelope",  # an earlier dead-lettering's header is replaced, not repeated
        "dlq_source_topic": b"jingwu.01.rooms.v1",
        "dlq_source_partition": b"2",
        "dlq_source_offset": b"41",
        "dlq_consumer_group": b"jingwu-01-notification",
        "dlq_time": AT.isoformat().encode(),
    }
    assert [name for name, _ in headers].count("dlq_reason") == 1


def test_only_envelope_headers_are_decoded_and_they_must_be_text() -> None:
    _, key, headers = event_record(opened())
    event = parse_record([*headers, ("x-binary", b"\xff\xfe")], b"", key)  # other headers: not looked at
    assert event.event_type == "jingwu.rooms.v1.RoomOpened"
    broken = [(name, b"\xff" if name == "ce_id" else raw) for name, raw in headers]
    with pytest.raises(EventRejected, match="header ce_id is not UTF-8 text"):
        parse_record(broken, b"", key)
    with pytest.raises(EventRejected, match="key is not UTF-8 text"):
        parse_record(headers, b"", b"\xff")


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(kafka_bootstrap, client_id="dlq-test")
    yield broker
    await broker.stop()


@pytest.mark.integration
async def test_event_consumer_dead_letters_a_tombstone_as_a_tombstone_with_binary_headers(
    broker: KafkaBroker, kafka_bootstrap: str, district: str, fresh_database: AsyncDatabase[Document]
) -> None:
    topic, dlq = domain_topic(district, "rooms"), dead_letter_topic(district, "dlqtest")
    await ensure_topics(kafka_bootstrap, [topic, dlq], partitions=1)
    reader = InMemoryMetricReader()
    instruments = KafkaInstruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    handled: list[str] = []

    async def handle(event: Event, payload: events_pb2.RoomOpened) -> None:
        handled.append(payload.room.room_id)

    group = f"dlq-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        broker=broker,
        publisher=EventPublisher(broker),
        inbox=Inbox(fresh_database, consumer="dlqtest"),
        group_id=group,
        topics=[topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(events_pb2.RoomOpened, handle)],
        instruments=instruments,
    )
    await broker.start()
    _, _, headers = event_record(opened(district, "r-gone"))
    await produce_records(
        kafka_bootstrap,
        topic,
        [(None, b"r-gone", [*headers, ("x-sig", b"\x00\xff")]), event_record(opened(district, "r-next"))],
    )
    await wait_until(lambda: handled == ["r-next"], what="the record after the tombstone handled")

    (letter,) = await read_topic(kafka_bootstrap, dlq, until=lambda rs: len(rs) >= 1)
    assert letter.value is None and letter.key == b"r-gone"
    assert ("x-sig", b"\x00\xff") in letter.raw_headers
    assert "tombstones are not events" in letter.headers["dlq_reason"]
    assert consumer.dead_lettered == 1
    data = reader.get_metrics_data()
    assert data is not None
    counted = {
        (metric.name, tuple(sorted((point.attributes or {}).items()))): point.value  # type: ignore[union-attr]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
        if metric.name in ("jingwu.consumer.records", "jingwu.consumer.dead_letters")
    }
    assert counted == {
        ("jingwu.consumer.records", (("consumer", group),)): 2,
        ("jingwu.consumer.dead_letters", (("consumer", group), ("reason", "envelope"))): 1,
    }


def test_a_parsed_event_is_an_ordinary_event() -> None:
    event = opened()
    payload, key, headers = event_record(event)
    parsed = parse_record(headers, payload, key)
    assert parsed == event and repr(parsed) == repr(event)
    assert type(parsed) is Event

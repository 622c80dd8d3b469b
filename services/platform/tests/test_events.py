"""The event envelope without I/O: what a record must carry, and what is rejected with which reason."""

from __future__ import annotations

import pytest
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.events import (
    Event,
    EventRejected,
    dead_letter_topic,
    decode_payload,
    domain_topic,
    new_event,
    parse_record,
    topic_district,
)


def opened(district: str = "01") -> Event:
    payload = events_pb2.RoomOpened(
        district_code=district, room=rooms_pb2.Room(room_id="r1", name="汴河社区警务室")
    )
    return new_event(payload, key="r1", district="01", service="rooms")


def test_topic_names_carry_district_and_domain() -> None:
    assert domain_topic("06", "rooms") == "jingwu.06.rooms.v1"
    assert dead_letter_topic("06", "notification") == "jingwu.06.notification.dlq.v1"
    assert topic_district("jingwu.06.telemetry.fixes.v1") == "06"
    assert topic_district("other.06.rooms.v1") is None


def test_headers_round_trip_through_a_record() -> None:
    event = opened()
    headers = [(name, value.encode()) for name, value in event.headers().items()]
    parsed = parse_record(headers, event.payload, b"r1")
    assert (parsed.event_id, parsed.event_type, parsed.district, parsed.key) == (
        event.event_id,
        "jingwu.rooms.v1.RoomOpened",
        "01",
        "r1",
    )
    assert decode_payload(parsed, events_pb2.RoomOpened).room.name == "汴河社区警务室"


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source", "ce_time", "ce_district"])
def test_each_required_header_is_checked(missing: str) -> None:
    headers = {k: v for k, v in opened().headers().items() if k != missing}
    with pytest.raises(EventRejected, match=missing):
        parse_record(headers, b"", b"r1")  # type: ignore[arg-type]


def test_bad_time_and_tombstone_are_rejected() -> None:
    headers: dict[str, bytes | str] = dict(opened().headers())
    with pytest.raises(EventRejected, match="tombstone"):
        parse_record(headers, None, b"r1")
    headers["ce_time"] = "yesterday"
    with pytest.raises(EventRejected, match="RFC 3339"):
        parse_record(headers, b"", b"r1")


def test_payload_of_another_type_is_rejected_not_guessed() -> None:
    event = opened()
    with pytest.raises(EventRejected, match="does not match expected"):
        decode_payload(event, events_pb2.RoomClosed)


def test_payload_district_must_match_the_header() -> None:
    # R-POP-6: an event cannot carry another district's data into this one.
    event = new_event(
        events_pb2.RoomOpened(district_code="06", room=rooms_pb2.Room(room_id="r1")),
        key="r1",
        district="01",
        service="rooms",
    )
    with pytest.raises(EventRejected, match="district_code '06'"):
        decode_payload(event, events_pb2.RoomOpened)


def test_garbage_payload_is_rejected() -> None:
    event = opened()
    broken = Event(**{**event.__dict__, "payload": b"\xff\xff\xff\xff"})
    with pytest.raises(EventRejected, match=r"not a valid jingwu\.rooms\.v1\.RoomOpened"):
        decode_payload(broken, events_pb2.RoomOpened)

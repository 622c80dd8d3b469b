"""RoomOpened → notice, through the real Kafka and FerretDB: the skeleton path, dedupe and dead letters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import TypeAlias

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu.rooms.v1 import events_pb2, rooms_pb2, rooms_pb2_grpc
from jingwu_notification.domain.notices import notice_id_for_event
from jingwu_notification.entrypoints.main import build_runtime as build_notification
from jingwu_platform.auth import Role
from jingwu_platform.batch import BatchConsumer
from jingwu_platform.events import new_event
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import produce_raw, read_topic, token_for, wait_until
from jingwu_rooms.entrypoints.main import build_runtime as build_rooms
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from conftest import started

pytestmark = pytest.mark.integration


RoomsStub: TypeAlias = "rooms_pb2_grpc.RoomRegistryServiceAsyncStub"
NotificationStub: TypeAlias = "notification_pb2_grpc.NotificationServiceAsyncStub"
Services: TypeAlias = "tuple[RoomsStub, NotificationStub, BatchConsumer]"


@pytest.fixture
async def services(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str
) -> AsyncIterator[Services]:
    notification_runtime, consumer = build_notification(settings_for("notification", district))
    async with (
        started(build_rooms(settings_for("rooms", district))) as rooms_port,
        started(notification_runtime) as notification_port,
    ):
        token = token_for(auth_secret, district, Role.SUPERVISOR)
        rooms_channel = open_channel(f"127.0.0.1:{rooms_port}", token)
        notification_channel = open_channel(f"127.0.0.1:{notification_port}", token)
        yield (
            rooms_pb2_grpc.RoomRegistryServiceStub(rooms_channel),
            notification_pb2_grpc.NotificationServiceStub(notification_channel),
            consumer,
        )
        await rooms_channel.close()
        await notification_channel.close()


def open_request(district: str, name: str = "汴河社区警务室") -> rooms_pb2.OpenRoomRequest:
    return rooms_pb2.OpenRoomRequest(
        name=name,
        kind=rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE,
        station_id="st-bianhe",
        zone_codes=[f"{district}020301"],
        address="埇桥区汴河路88号",
        location=common_pb2.GeoPoint(longitude=116.98, latitude=33.63),
    )


async def notices_for(
    notification: notification_pb2_grpc.NotificationServiceAsyncStub, room_id: str
) -> list[notification_pb2.Notice]:
    reply = await notification.ListNotices(notification_pb2.ListNoticesRequest(room_id=room_id))
    return list(reply.notices)


async def test_opened_room_gets_a_notice_in_one_trace(
    services: Services, district: str, spans: InMemorySpanExporter
) -> None:
    rooms, notification, _ = services
    spans.clear()
    room = (await rooms.OpenRoom(open_request(district))).room

    async def notice_recorded() -> bool:
        return len(await notices_for(notification, room.room_id)) == 1

    await wait_until(notice_recorded, what="notice for the opened room")
    notice = (await notices_for(notification, room.room_id))[0]
    assert notice.title == "汴河社区警务室正式启用"
    assert notice.kind == notification_pb2.NOTICE_KIND_SERVICE

    # One trace: OpenRoom (gRPC) → insert into the store → rooms' outbox publish → consume in
    # notification → notification's publish.
    def hop_names() -> dict[str, set[int]]:
        by_name: dict[str, set[int]] = {}
        for span in spans.get_finished_spans():
            by_name.setdefault(span.name, set()).add(span.context.trace_id)
        return by_name

    rooms_topic = f"jingwu.{district}.rooms.v1"
    await wait_until(
        lambda: f"jingwu.{district}.notification.v1 publish" in hop_names(), what="NoticePublished sent"
    )
    names = hop_names()
    server = names["/jingwu.rooms.v1.RoomRegistryService/OpenRoom"]
    assert len(server) == 1
    trace_id = next(iter(server))
    hops = (
        f"jingwu_{district}.insert",
        f"{rooms_topic} publish",
        f"{rooms_topic} process",
        f"jingwu.{district}.notification.v1 publish",
    )
    for hop in hops:
        assert trace_id in names[hop], f"{hop} is not in the OpenRoom trace"


async def test_redelivered_event_records_one_notice(
    services: Services, district: str, kafka_bootstrap: str
) -> None:
    _, notification, consumer = services
    room_id = f"room-{uuid.uuid4()}"
    payload = events_pb2.RoomOpened(
        district_code=district,
        room=rooms_pb2.Room(room_id=room_id, name="张庄村警务室", status=rooms_pb2.ROOM_STATUS_ACTIVE),
    )
    event = new_event(payload, key=room_id, district=district, service="rooms")
    topic = f"jingwu.{district}.rooms.v1"
    for _ in range(2):  # the same event id twice, as a relay that crashed after publishing would send it
        await produce_raw(kafka_bootstrap, topic, event.payload, event.key.encode(), event.headers())
    await wait_until(lambda: consumer.processed >= 1, what="event processed")
    await read_topic(
        kafka_bootstrap,
        topic,
        until=lambda rs: sum(r.headers.get("ce_id") == event.event_id for r in rs) == 2,
    )

    # The duplicate was delivered and dropped by the inbox, not merely still in flight.
    await wait_until(lambda: consumer.duplicates == 1, what="duplicate delivery dropped")
    assert consumer.processed == 1
    notices = await notices_for(notification, room_id)
    assert [n.notice_id for n in notices] == [notice_id_for_event(event.event_id)]


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"\x08\x96\x01", {"ce_type": "jingwu.rooms.v1.RoomOpened"}, "missing required header"),
        (
            b"\xff\xff\xff\xff",
            {
                "ce_id": "e-bad",
                "ce_type": "jingwu.rooms.v1.RoomOpened",
                "ce_source": "x",
                "ce_time": "2026-11-01T00:00:00+00:00",
            },
            "payload is not a valid jingwu.rooms.v1.RoomOpened",
        ),
    ],
)
async def test_malformed_record_goes_to_dlq_and_consumer_keeps_running(
    services: Services,
    district: str,
    kafka_bootstrap: str,
    value: bytes,
    headers: dict[str, str],
    reason: str,
) -> None:
    rooms, notification, consumer = services
    if "ce_source" in headers:
        headers = {**headers, "ce_district": district}
    topic = f"jingwu.{district}.rooms.v1"
    await produce_raw(kafka_bootstrap, topic, value, b"room-x", headers)

    dlq = f"jingwu.{district}.notification.dlq.v1"
    records = await read_topic(kafka_bootstrap, dlq, until=lambda rs: len(rs) >= 1)
    dead = records[0]
    assert reason in dead.headers["dlq_reason"]
    assert dead.headers["dlq_source_topic"] == topic
    assert dead.value == value and dead.key == b"room-x"  # kept intact for replay

    # The consumer is still alive: the next real room still gets its notice.
    room = (await rooms.OpenRoom(open_request(district, "李庄村警务室"))).room

    async def notice_recorded() -> bool:
        return len(await notices_for(notification, room.room_id)) == 1

    await wait_until(notice_recorded, what="notice after a dead letter")
    assert consumer.dead_lettered == 1


async def test_payload_district_must_match_header(
    services: Services, district: str, kafka_bootstrap: str
) -> None:
    # R-POP-6: an event claiming another district's data is not taken into this district.
    _, notification, consumer = services
    payload = events_pb2.RoomOpened(
        district_code="99", room=rooms_pb2.Room(room_id="room-foreign", name="外区警务室")
    )
    event = new_event(payload, key="room-foreign", district=district, service="rooms")
    await produce_raw(
        kafka_bootstrap, f"jingwu.{district}.rooms.v1", event.payload, b"room-foreign", event.headers()
    )
    records = await read_topic(
        kafka_bootstrap, f"jingwu.{district}.notification.dlq.v1", until=lambda rs: len(rs) >= 1
    )
    assert "does not match header ce_district" in records[0].headers["dlq_reason"]
    assert await notices_for(notification, "room-foreign") == []
    assert consumer.processed == 0

"""Notification use cases on the in-memory repository and a fake clock (milliseconds; the same path on
the real Kafka and store is in test_room_opened_notice.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from jingwu.notification.v1 import events_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_notification.adapters.memory import InMemoryNoticeRepository
from jingwu_notification.application.notices import SERVICE, NoticeApplication
from jingwu_notification.domain.notices import NoticeKind, notice_id_for_event
from jingwu_notification.entrypoints.event_handlers import RoomEventHandlers
from jingwu_platform.errors import NotFound
from jingwu_platform.events import EventRejected, new_event
from jingwu_platform.usecase import FakeClock, UseCaseKit

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def application() -> tuple[NoticeApplication, InMemoryNoticeRepository, FakeClock]:
    clock = FakeClock(AT)
    notices = InMemoryNoticeRepository()
    kit = UseCaseKit.create("01", SERVICE, uuid.UUID(int=3), clock=clock)
    return NoticeApplication(kit, notices), notices, clock


async def test_a_room_opening_becomes_one_notice_and_one_event_even_when_redelivered() -> None:
    """R-NOT-4: residents are told where the new room is; a re-delivered RoomOpened changes nothing."""
    app, notices, clock = application()
    first = await app.announce_room_opened(
        event_id="e-1", room_id="r-1", room_name="汴河社区警务室", address="汴河路88号"
    )
    clock.advance(minutes=5)
    again = await app.announce_room_opened(
        event_id="e-1", room_id="r-1", room_name="汴河社区警务室", address="汴河路88号"
    )
    assert again == first and first.notice_id == notice_id_for_event("e-1")
    assert first.publish_time == AT and first.title == "汴河社区警务室正式启用"
    (published,) = notices.outbox.of_type(events_pb2.NoticePublished)
    assert published.notice.notice_id == first.notice_id
    assert published.occur_time.ToDatetime(tzinfo=UTC) == AT


async def test_queries_page_and_filter() -> None:
    app, _, _ = application()
    for n in range(3):
        await app.announce_room_opened(event_id=f"e-{n}", room_id="r-1", room_name=f"第{n}警务室", address="")
    page, token = await app.list_notices(room_id="r-1", kind=None, page_size=2, page_token="")
    rest, last = await app.list_notices(room_id="r-1", kind=None, page_size=2, page_token=token)
    assert len(page) == 2 and len(rest) == 1 and last == ""
    assert await app.list_notices(room_id="r-1", kind=NoticeKind.BULLETIN, page_size=0, page_token="") == (
        [],
        "",
    )
    with pytest.raises(NotFound):
        await app.get_notice("evt-missing")


async def test_a_room_opened_without_a_name_is_rejected_for_the_dead_letter_topic() -> None:
    app, notices, _ = application()
    payload = room_events.RoomOpened(district_code="01", room=rooms_pb2.Room(room_id="r-1"))
    event = new_event(payload, key="r-1", district="01", service="rooms")
    with pytest.raises(EventRejected, match=r"without room\.room_id or room\.name"):
        await RoomEventHandlers(app).on_room_opened(event, payload)
    assert notices.outbox.events == []

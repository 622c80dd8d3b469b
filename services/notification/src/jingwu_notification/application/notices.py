"""Use cases of the notification service: notices derived from other domains' events, and queries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.errors import NotFound
from jingwu_platform.events import Event, EventRejected, domain_topic, new_event
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_notification.adapters.proto_mapping import notice_to_proto
from jingwu_notification.adapters.repository import MongoNoticeRepository
from jingwu_notification.domain.notices import Notice, NoticeKind, room_opened_notice

SERVICE = "notification"
log = logging.getLogger(__name__)


class NoticeApplication:
    def __init__(self, district: str, repository: MongoNoticeRepository, relay: OutboxRelay) -> None:
        self.district = district
        self._repository = repository
        self._relay = relay
        self.topic = domain_topic(district, SERVICE)

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        """A room opened: tell its residents (R-NOT-4). Idempotent: the notice id comes from the event id."""
        if not payload.room.room_id or not payload.room.name:
            raise EventRejected("RoomOpened without room.room_id or room.name")
        notice = room_opened_notice(
            event_id=event.event_id,
            room_id=payload.room.room_id,
            room_name=payload.room.name,
            address=payload.room.address,
            at=datetime.now(UTC),
        )
        published = new_event(
            notification_events.NoticePublished(
                district_code=self.district, notice=notice_to_proto(notice), occur_time=_now_timestamp()
            ),
            key=notice.notice_id,
            district=self.district,
            service=SERVICE,
        )
        if await self._repository.add(notice, [(published, self.topic)]):
            self._relay.notify()
            log.info("notice recorded", extra={"notice_id": notice.notice_id, "room_id": notice.room_id})

    async def get_notice(self, notice_id: str) -> Notice:
        notice = await self._repository.get(notice_id)
        if notice is None:
            raise NotFound("notice", notice_id)
        return notice

    async def list_notices(
        self, *, room_id: str, kind: NoticeKind | None, page_size: int, page_token: str
    ) -> tuple[list[Notice], str]:
        limit = page_limit(page_size)
        notices = await self._repository.list(room_id=room_id, kind=kind, after_id=page_token, limit=limit)
        return notices, next_page_token(notices, limit, key=lambda notice: notice.notice_id)


def _now_timestamp() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp

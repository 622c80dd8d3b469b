"""Use cases of the notification service: notices derived from other domains' events, and queries."""

from __future__ import annotations

import logging

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_notification.adapters.proto_mapping import notice_to_proto
from jingwu_notification.application.ports import NoticeQuery, NoticeRepository
from jingwu_notification.domain.notices import Notice, NoticeKind, room_opened_notice

SERVICE = "notification"
log = logging.getLogger(__name__)


class NoticeApplication:
    def __init__(self, kit: UseCaseKit, notices: NoticeRepository) -> None:
        self._kit = kit
        self._notices = notices

    async def announce_room_opened(
        self, *, event_id: str, room_id: str, room_name: str, address: str
    ) -> Notice:
        """A room opened: tell its residents (R-NOT-4). Idempotent: the notice id comes from the event
        id, so a re-delivered RoomOpened finds the notice there and publishes nothing new."""
        notice = room_opened_notice(
            event_id=event_id, room_id=room_id, room_name=room_name, address=address, at=self._kit.now()
        )
        published = self._kit.events(
            notification_events.NoticePublished(
                district_code=self._kit.district,
                notice=notice_to_proto(notice),
                occur_time=self._kit.events.occur_time(),
            ),
            key=notice.notice_id,
        )
        if await self._notices.insert(notice, [published]):
            log.info("notice recorded", extra={"notice_id": notice.notice_id, "room_id": notice.room_id})
            return notice
        return await self.get_notice(notice.notice_id)

    async def get_notice(self, notice_id: str) -> Notice:
        notice = await self._notices.get(notice_id)
        if notice is None:
            raise NotFound("notice", notice_id)
        return notice

    async def list_notices(
        self, *, room_id: str, kind: NoticeKind | None, page_size: int, page_token: str
    ) -> tuple[list[Notice], str]:
        limit = page_limit(page_size)
        notices = await self._notices.list(
            NoticeQuery(room_id=room_id, kind=kind, after_id=page_token, limit=limit)
        )
        return notices, next_page_token(notices, limit, key=lambda notice: notice.notice_id)

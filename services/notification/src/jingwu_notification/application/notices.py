"""Use cases of notices (R-NOT-1, R-NOT-4): announcements derived from other domains' events, bulletins
and tips an officer publishes, and the weekly police-situation notice — drafted from the week's facts
(by the schedule or on request), edited by the room's officer, published to the room's channels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DateRange, local_midnight, week_of
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_notification.adapters.proto_mapping import notice_to_proto
from jingwu_notification.application.ports import FactRepository, NoticeQuery, NoticeRepository, RoomDirectory
from jingwu_notification.application.staff import RoomStaff
from jingwu_notification.domain.notices import (
    Channel,
    Notice,
    NoticeKind,
    NoticeStatus,
    edit_draft,
    publish_draft,
    published_notice,
    room_opened_notice,
)
from jingwu_notification.domain.weekly import summarize, weekly_draft, weekly_notice_id

SERVICE = "notification"
log = logging.getLogger(__name__)


class NoticeApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        notices: NoticeRepository,
        rooms: RoomDirectory,
        facts: FactRepository,
        staff: RoomStaff,
    ) -> None:
        self._kit = kit
        self._notices = notices
        self._rooms = rooms
        self._facts = facts
        self._staff = staff

    # --- events ----------------------------------------------------------------------------------

    def _published(self, notice: Notice) -> notification_events.NoticePublished:
        return notification_events.NoticePublished(
            district_code=self._kit.district,
            notice=notice_to_proto(notice),
            occur_time=self._kit.events.occur_time(),
        )

    async def _create(
        self, notice: Notice, message: notification_events.NoticePublished | notification_events.NoticeDrafted
    ) -> Notice:
        if await self._notices.add(notice, [self._kit.events(message, notice.notice_id)]):
            log.info("notice recorded", extra={"notice_id": notice.notice_id, "room_id": notice.room_id})
            return notice
        return await self.get_notice(notice.notice_id)

    # --- announcements and bulletins -------------------------------------------------------------

    async def announce_room_opened(
        self, *, event_id: str, room_id: str, room_name: str, address: str
    ) -> Notice:
        """A room opened: tell its residents (R-NOT-4). Idempotent: the notice id comes from the event
        id, so a re-delivered RoomOpened finds the notice there and publishes nothing new."""
        notice = room_opened_notice(
            event_id=event_id, room_id=room_id, room_name=room_name, address=address, at=self._kit.now()
        )
        return await self._create(notice, self._published(notice))

    async def publish_notice(
        self,
        *,
        kind: NoticeKind | None,
        room_id: str,
        title: str,
        body: str,
        channels: tuple[Channel, ...],
        caller: Caller,
        request_id: str = "",
    ) -> Notice:
        """A bulletin, police tip or announcement, published at once (R-NOT-1, R-NOT-4)."""
        await self._staff.require(caller, room_id, "PublishNotice")
        notice = published_notice(
            notice_id=self._kit.ids.for_request("notice", request_id),
            kind=kind or NoticeKind.BULLETIN,
            room_id=room_id,
            title=title,
            body=body,
            channels=channels,
            at=self._kit.now(),
            by=caller.subject,
        )
        return await self._create(notice, self._published(notice))

    # --- the weekly notice (R-NOT-1) -------------------------------------------------------------

    async def draft_weekly_notice(self, *, room_id: str, week_of_day: date | None, caller: Caller) -> Notice:
        """Draft the room's notice for a week from what happened in its zones; a draft that exists is
        returned as it is (the officer may have edited it)."""
        await self._staff.require(caller, room_id, "DraftWeeklyNotice")
        room = await self._rooms.get(room_id)
        if room is None:
            raise NotFound("room", room_id)
        week = week_of(week_of_day or self._kit.today())
        existing = await self._notices.get(weekly_notice_id(room_id, week))
        if existing is not None:
            return existing
        facts = await self._facts.between(zone_codes=room.zone_codes, start=week.start, end=week.end)
        tips = await self._notices.select(
            NoticeQuery(
                room_id=room_id,
                kind=NoticeKind.TIP,
                status=NoticeStatus.PUBLISHED,
                published_from=local_midnight(week.start),
                published_until=local_midnight(week.end + timedelta(days=1)),
            )
        )
        draft = weekly_draft(
            room_id=room_id,
            room_name=room.name,
            week=week,
            facts=summarize(facts, zone_codes=room.zone_codes, police_tips=[t.title for t in tips]),
            at=self._kit.now(),
            by=caller.subject,
        )
        drafted = notification_events.NoticeDrafted(
            district_code=self._kit.district,
            notice=notice_to_proto(draft),
            occur_time=self._kit.events.occur_time(),
        )
        return await self._create(draft, drafted)

    async def draft_week(self, period: Period) -> list[Notice]:
        """The schedule (R-NOT-1): a draft for every active room, for the officer to review."""
        system = self._kit.system_caller()
        drafts = []
        for room in await self._rooms.active():
            drafts.append(
                await self.draft_weekly_notice(room_id=room.room_id, week_of_day=period.start, caller=system)
            )
        log.info("weekly notices drafted", extra={"period": period.key, "rooms": len(drafts)})
        return drafts

    async def _change(
        self, notice_id: str, action: str, caller: Caller, decide: Callable[[Notice], Notice]
    ) -> Notice:
        async def attempt() -> Notice | None:
            notice = await self.get_notice(notice_id)
            await self._staff.require(caller, notice.room_id, action)
            if notice.status is NoticeStatus.PUBLISHED and action == "PublishNoticeDraft":
                return notice  # a repeated publish returns what the first one published
            changed = decide(notice)
            events = [self._kit.events(self._published(changed), notice_id)] if changed.published else []
            return await self._notices.save(changed, events)

        return await retry_on_conflict(attempt, f"notice {notice_id}")

    async def edit_draft(
        self, *, notice_id: str, title: str, body: str, channels: tuple[Channel, ...], caller: Caller
    ) -> Notice:
        def decide(notice: Notice) -> Notice:
            return edit_draft(
                notice, title=title, body=body, channels=channels, at=self._kit.now(), by=caller.subject
            )

        return await self._change(notice_id, "EditNoticeDraft", caller, decide)

    async def publish_draft(self, *, notice_id: str, caller: Caller) -> Notice:
        return await self._change(
            notice_id,
            "PublishNoticeDraft",
            caller,
            lambda n: publish_draft(n, at=self._kit.now(), by=caller.subject),
        )

    # --- reads -----------------------------------------------------------------------------------

    async def get_notice(self, notice_id: str) -> Notice:
        notice = await self._notices.get(notice_id)
        if notice is None:
            raise NotFound("notice", notice_id)
        return notice

    async def list_notices(
        self, *, room_id: str, kind: NoticeKind | None, page_size: int, page_token: str
    ) -> tuple[list[Notice], str]:
        limit = page_limit(page_size)
        notices = await self._notices.select(
            NoticeQuery(room_id=room_id, kind=kind, after_id=page_token, limit=limit)
        )
        return notices, next_page_token(notices, limit, key=lambda notice: notice.notice_id)

    async def public_notices(self, *, room_id: str, kind: NoticeKind | None, limit: int) -> list[Notice]:
        """What residents read in the online police room (R-NOT-4): published notices, newest first."""
        return await self._notices.select(
            NoticeQuery(
                room_id=room_id, kind=kind, status=NoticeStatus.PUBLISHED, newest_first=True, limit=limit
            )
        )

    async def notices_of_week(self, room_id: str, week: DateRange) -> list[Notice]:
        """The weekly notice of ``week`` and the bulletins published during it (R-NOT-1)."""
        weekly = await self._notices.get(weekly_notice_id(room_id, week))
        bulletins = await self._notices.select(
            NoticeQuery(
                room_id=room_id,
                kind=NoticeKind.BULLETIN,
                status=NoticeStatus.PUBLISHED,
                published_from=local_midnight(week.start),
                published_until=local_midnight(week.end + timedelta(days=1)),
            )
        )
        return [*([weekly] if weekly else []), *bulletins]

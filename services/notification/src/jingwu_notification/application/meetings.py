"""Use cases of resident representatives' meetings and their follow-ups (R-NOT-2)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_notification.adapters.proto_mapping import follow_up_to_proto, meeting_to_proto
from jingwu_notification.application.ports import (
    FollowUpQuery,
    FollowUpRepository,
    MeetingQuery,
    MeetingRepository,
)
from jingwu_notification.application.staff import RoomStaff
from jingwu_notification.domain.meetings import (
    FollowUp,
    MeetingStatus,
    Opinion,
    ResidentMeeting,
    close_follow_up,
    hold_meeting,
    schedule_meeting,
)

log = logging.getLogger(__name__)


class MeetingApplication:
    def __init__(
        self, kit: UseCaseKit, meetings: MeetingRepository, follow_ups: FollowUpRepository, staff: RoomStaff
    ) -> None:
        self._kit = kit
        self._meetings = meetings
        self._follow_ups = follow_ups
        self._staff = staff

    async def schedule(
        self, *, room_id: str, start_time: datetime | None, agenda: str, caller: Caller, request_id: str = ""
    ) -> ResidentMeeting:
        await self._staff.require(caller, room_id, "ScheduleResidentMeeting")
        meeting = schedule_meeting(
            meeting_id=self._kit.ids.for_request("meeting", request_id),
            room_id=room_id,
            start_time=start_time,
            agenda=agenda,
            at=self._kit.now(),
            by=caller.subject,
        )
        scheduled = notification_events.ResidentMeetingScheduled(
            district_code=self._kit.district,
            meeting=meeting_to_proto(meeting),
            occur_time=self._kit.events.occur_time(),
        )
        if await self._meetings.add(meeting, [self._kit.events(scheduled, meeting.meeting_id)]):
            return meeting
        return await self.get(meeting.meeting_id)

    async def record_minutes(
        self,
        *,
        meeting_id: str,
        attendees: Sequence[str],
        minutes: str,
        opinions: Sequence[Opinion],
        held_time: datetime | None,
        caller: Caller,
    ) -> tuple[ResidentMeeting, list[FollowUp]]:
        """Hold the meeting: its opinions become follow-ups with owners (R-NOT-2). The follow-ups are
        written first (stable ids), then the meeting with its event: a retry after a crash in between
        finds the follow-ups there and completes. Recording twice returns the first record."""

        async def attempt() -> tuple[ResidentMeeting, list[FollowUp]] | None:
            meeting = await self.get(meeting_id)
            await self._staff.require(caller, meeting.room_id, "RecordMeetingMinutes")
            if meeting.status is MeetingStatus.HELD:
                return meeting, await self.follow_ups_of(meeting)
            held, follow_ups = hold_meeting(
                meeting,
                attendees=attendees,
                minutes=minutes,
                opinions=opinions,
                held_time=held_time,
                follow_up_id=self._kit.ids.stable("follow-up", meeting_id),
                at=self._kit.now(),
                by=caller.subject,
            )
            for follow_up in follow_ups:
                await self._follow_ups.add(follow_up)
            message = notification_events.ResidentMeetingHeld(
                district_code=self._kit.district,
                meeting=meeting_to_proto(held),
                follow_ups=[follow_up_to_proto(f) for f in follow_ups],
                occur_time=self._kit.events.occur_time(),
            )
            saved = await self._meetings.save(held, [self._kit.events(message, meeting_id)])
            if saved is None:
                return None
            log.info("meeting held", extra={"meeting_id": meeting_id, "follow_ups": len(follow_ups)})
            return saved, follow_ups

        return await retry_on_conflict(attempt, f"meeting {meeting_id}")

    async def follow_ups_of(self, meeting: ResidentMeeting) -> list[FollowUp]:
        follow_ups = []
        for opinion in meeting.opinions:
            follow_up = await self._follow_ups.get(opinion.follow_up_id)
            if follow_up is not None:
                follow_ups.append(follow_up)
        return follow_ups

    async def close_follow_up(self, *, follow_up_id: str, resolution: str, caller: Caller) -> FollowUp:
        async def attempt() -> FollowUp | None:
            follow_up = await self._follow_ups.get(follow_up_id)
            if follow_up is None:
                raise NotFound("follow-up", follow_up_id)
            if caller.subject != follow_up.owner_officer_id:
                await self._staff.require(caller, follow_up.room_id, "CloseFollowUp")
            closed = close_follow_up(follow_up, resolution=resolution, at=self._kit.now())
            message = notification_events.FollowUpClosed(
                district_code=self._kit.district,
                follow_up=follow_up_to_proto(closed),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._follow_ups.save(closed, [self._kit.events(message, follow_up_id)])

        return await retry_on_conflict(attempt, f"follow-up {follow_up_id}")

    async def get(self, meeting_id: str) -> ResidentMeeting:
        meeting = await self._meetings.get(meeting_id)
        if meeting is None:
            raise NotFound("resident meeting", meeting_id)
        return meeting

    async def list_meetings(
        self, *, room_id: str, page_size: int, page_token: str
    ) -> tuple[list[ResidentMeeting], str]:
        limit = page_limit(page_size)
        meetings = await self._meetings.select(
            MeetingQuery(room_id=room_id, after_id=page_token, limit=limit)
        )
        return meetings, next_page_token(meetings, limit, key=lambda m: m.meeting_id)

    async def of_room(self, room_id: str) -> list[ResidentMeeting]:
        return await self._meetings.select(MeetingQuery(room_id=room_id, limit=0))

    async def list_follow_ups(
        self, *, room_id: str, owner_officer_id: str, open_only: bool, page_size: int, page_token: str
    ) -> tuple[list[FollowUp], str]:
        limit = page_limit(page_size)
        found = await self._follow_ups.select(
            FollowUpQuery(
                room_id=room_id,
                owner_officer_id=owner_officer_id,
                open_only=open_only,
                after_id=page_token,
                limit=limit,
            )
        )
        return found, next_page_token(found, limit, key=lambda f: f.follow_up_id)

    async def overdue_follow_ups(self) -> list[FollowUp]:
        return await self._follow_ups.select(
            FollowUpQuery(open_only=True, due_before=self._kit.today(), limit=0)
        )

"""The calendar rules of notification, each given the period it runs for (jingwu_platform.schedule):

- R-NOT-1 (weekly, for the week that ended): a room without a published weekly notice or bulletin is a
  finding;
- R-NOT-2 (every two months, for the period that ended): a room without a held resident meeting is a
  finding;
- R-NOT-3 and R-NOT-2 (daily): overdue callbacks escalate to the station (MatterApplication), and the
  owners of matters and follow-ups due are reminded.

A finding's id is its rule, room and period: a period judged twice raises each finding once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit

from jingwu_notification.adapters.proto_mapping import finding_to_proto
from jingwu_notification.application.matters import MatterApplication
from jingwu_notification.application.meetings import MeetingApplication
from jingwu_notification.application.notices import NoticeApplication
from jingwu_notification.application.ports import (
    FindingRepository,
    MatterQuery,
    MatterRepository,
    RoomDirectory,
)
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.domain.findings import (
    FindingKind,
    NotificationFinding,
    missing_weekly_notice,
    overdue_meeting,
)
from jingwu_notification.domain.reminders import ReminderKind

log = logging.getLogger(__name__)


class RuleChecks:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        findings: FindingRepository,
        rooms: RoomDirectory,
        notices: NoticeApplication,
        meetings: MeetingApplication,
        matters: MatterApplication,
        matter_records: MatterRepository,
        reminders: ReminderApplication,
    ) -> None:
        self._kit = kit
        self._findings = findings
        self._rooms = rooms
        self._notices = notices
        self._meetings = meetings
        self._matters = matters
        self._matter_records = matter_records
        self._reminders = reminders

    async def _raise(self, finding: NotificationFinding) -> bool:
        message = notification_events.NotificationFindingRaised(
            district_code=self._kit.district,
            finding=finding_to_proto(finding),
            occur_time=self._kit.events.occur_time(),
        )
        raised = await self._findings.insert(finding, [self._kit.events(message, finding.finding_id)])
        if raised:
            log.warning(
                "finding raised", extra={"finding_id": finding.finding_id, "rule_id": finding.rule_id}
            )
        return raised

    async def check_weekly_notices(self, period: Period) -> list[NotificationFinding]:
        """R-NOT-1: each active room published a notice for the week ``period`` covers."""
        raised = []
        for room in await self._rooms.active():
            notices = await self._notices.notices_of_week(room.room_id, period.dates)
            finding = missing_weekly_notice(
                room, notices, week=period.dates, period_key=period.key, at=self._kit.now()
            )
            if finding is not None and await self._raise(finding):
                raised.append(finding)
        return raised

    async def check_meetings(self, period: Period) -> list[NotificationFinding]:
        """R-NOT-2: each active room held a resident representatives' meeting in ``period``."""
        raised = []
        for room in await self._rooms.active():
            meetings = await self._meetings.of_room(room.room_id)
            finding = overdue_meeting(
                room, meetings, period=period.dates, period_key=period.key, at=self._kit.now()
            )
            if finding is not None and await self._raise(finding):
                raised.append(finding)
        return raised

    async def daily_callbacks(self, period: Period) -> None:
        """R-NOT-3: escalate the overdue callbacks; remind owners of matters due today or tomorrow and
        of overdue meeting follow-ups (R-NOT-2)."""
        await self._matters.escalate_overdue(period)
        today = period.start
        due = await self._matter_records.select(
            MatterQuery(open_only=True, due_before=today + timedelta(days=2), limit=0)
        )
        for matter in due:
            await self._reminders.remind_officer(
                officer_id=matter.owner_officer_id,
                kind=ReminderKind.CALLBACK_DUE,
                rule_id="R-NOT-3",
                subject_id=matter.matter_id,
                cause=f"due-{matter.due_date.isoformat()}",
                text=f"群众委托事项 {matter.reference} 应于 {matter.due_date:%Y-%m-%d} 前回告。",
            )
        for follow_up in await self._meetings.overdue_follow_ups():
            await self._reminders.remind_officer(
                officer_id=follow_up.owner_officer_id,
                kind=ReminderKind.FOLLOW_UP_DUE,
                rule_id="R-NOT-2",
                subject_id=follow_up.follow_up_id,
                cause=f"overdue-{follow_up.due_date.isoformat()}",
                text=(
                    f"居民代表意见“{follow_up.opinion[:40]}”"
                    f"应于 {follow_up.due_date:%Y-%m-%d} 前落实，已逾期。"
                ),
            )

    async def list_findings(
        self, *, room_id: str, kind: FindingKind | None, page_size: int, page_token: str
    ) -> tuple[list[NotificationFinding], str]:
        limit = page_limit(page_size)
        found = await self._findings.select(room_id=room_id, kind=kind, after_id=page_token, limit=limit)
        return found, next_page_token(found, limit, key=lambda f: f.finding_id)

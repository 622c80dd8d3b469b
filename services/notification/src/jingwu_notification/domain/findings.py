"""Findings of the notification rules, judged per room after a period ends. Pure.

- R-NOT-1: a week without a published weekly notice or bulletin;
- R-NOT-2: a two-month period without a held resident representatives' meeting.

A finding's id is the rule, the room and the period: judging a period again finds the same finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange

from jingwu_notification.domain.directory import RoomView
from jingwu_notification.domain.meetings import ResidentMeeting, held_within
from jingwu_notification.domain.notices import Notice
from jingwu_notification.domain.weekly import week_has_published_notice


class FindingKind(StrEnum):
    NO_WEEKLY_NOTICE = "no_weekly_notice"  # R-NOT-1
    MEETING_OVERDUE = "meeting_overdue"  # R-NOT-2


RULE_OF = {FindingKind.NO_WEEKLY_NOTICE: "R-NOT-1", FindingKind.MEETING_OVERDUE: "R-NOT-2"}


@dataclass(frozen=True)
class NotificationFinding:
    finding_id: str
    kind: FindingKind
    rule_id: str
    room_id: str
    station_id: str
    period: DateRange
    detail: str
    raise_time: datetime


def finding_id(kind: FindingKind, room_id: str, period_key: str) -> str:
    return f"{kind.value}/{room_id}/{period_key}"


def _was_open(room: RoomView, period: DateRange) -> bool:
    """Only rooms active for the whole period are judged: a room opened mid-week owes nothing yet."""
    return room.active and room.opened_on is not None and room.opened_on <= period.start


def missing_weekly_notice(
    room: RoomView, notices: Iterable[Notice], *, week: DateRange, period_key: str, at: datetime
) -> NotificationFinding | None:
    """R-NOT-1: the room published no weekly notice for ``week`` and no bulletin during it."""
    if not _was_open(room, week) or week_has_published_notice(notices, week):
        return None
    kind = FindingKind.NO_WEEKLY_NOTICE
    return NotificationFinding(
        finding_id=finding_id(kind, room.room_id, period_key),
        kind=kind,
        rule_id=RULE_OF[kind],
        room_id=room.room_id,
        station_id=room.station_id,
        period=week,
        detail=f"{room.name}: no weekly police-situation notice or bulletin published for {period_key}",
        raise_time=at,
    )


def overdue_meeting(
    room: RoomView,
    meetings: Iterable[ResidentMeeting],
    *,
    period: DateRange,
    period_key: str,
    at: datetime,
) -> NotificationFinding | None:
    """R-NOT-2: no resident representatives' meeting was held in the room during ``period``."""
    if not _was_open(room, period) or held_within(meetings, period):
        return None
    kind = FindingKind.MEETING_OVERDUE
    return NotificationFinding(
        finding_id=finding_id(kind, room.room_id, period_key),
        kind=kind,
        rule_id=RULE_OF[kind],
        room_id=room.room_id,
        station_id=room.station_id,
        period=period,
        detail=f"{room.name}: no resident representatives' meeting held in {period_key}",
        raise_time=at,
    )

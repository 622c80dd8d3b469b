"""Resident representatives' meetings (R-NOT-2): scheduled every two months per room, held with
attendees and minutes; every opinion raised becomes a follow-up with an owner and a due date. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from jingwu_platform.calendar import DateRange, local_date
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_required

from jingwu_notification.domain.matters import at_store_precision

AGENDA_MAX = 2000
MINUTES_MAX = 20000
OPINION_MAX = 1000
# R-NOT-2 gives no deadline for answering an opinion: a month is this project's default.
FOLLOW_UP_DAYS = 30


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Opinion:
    text: str
    owner_officer_id: str
    # None when given: a month after the meeting (FOLLOW_UP_DAYS).
    due_date: date | None = None
    follow_up_id: str = ""


@dataclass(frozen=True)
class ResidentMeeting:
    meeting_id: str
    room_id: str
    start_time: datetime
    agenda: str
    status: MeetingStatus = MeetingStatus.SCHEDULED
    attendees: tuple[str, ...] = ()
    minutes: str = ""
    opinions: tuple[Opinion, ...] = ()
    held_time: datetime | None = None
    created_by: str = ""
    create_time: datetime | None = None
    updated_by: str = ""
    version: int = 0


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: str
    meeting_id: str
    room_id: str
    opinion: str
    owner_officer_id: str
    due_date: date
    status: FollowUpStatus = FollowUpStatus.OPEN
    resolution: str = ""
    close_time: datetime | None = None
    create_time: datetime | None = None
    version: int = 0


def schedule_meeting(
    *, meeting_id: str, room_id: str, start_time: datetime | None, agenda: str, at: datetime, by: str
) -> ResidentMeeting:
    v = Validator()
    check_required(v, "room_id", room_id)
    v.check(start_time is not None, "start_time", "is required")
    check_required(v, "agenda", agenda, AGENDA_MAX)
    v.raise_if_any()
    assert start_time is not None
    return ResidentMeeting(
        meeting_id=meeting_id,
        room_id=room_id,
        start_time=at_store_precision(start_time),
        agenda=agenda.strip(),
        created_by=by,
        create_time=at,
    )


def default_follow_up_due(held: datetime) -> date:
    return local_date(held) + timedelta(days=FOLLOW_UP_DAYS)


def hold_meeting(
    meeting: ResidentMeeting,
    *,
    attendees: Sequence[str],
    minutes: str,
    opinions: Sequence[Opinion],
    held_time: datetime | None,
    follow_up_id: str,
    at: datetime,
    by: str,
) -> tuple[ResidentMeeting, list[FollowUp]]:
    """Record what the meeting heard; each opinion becomes a follow-up (R-NOT-2). ``follow_up_id`` is
    the id prefix of this meeting's follow-ups (``<prefix>-<n>``)."""
    if meeting.status is MeetingStatus.HELD:
        raise RuleViolation("R-NOT-2", meeting.meeting_id, "the meeting's minutes are recorded already")
    v = Validator()
    names = [a.strip() for a in attendees if a.strip()]
    v.check(bool(names), "attendees", "a meeting has at least one attending representative")
    check_required(v, "minutes", minutes, MINUTES_MAX)
    for i, opinion in enumerate(opinions):
        check_required(v, f"opinions[{i}].text", opinion.text, OPINION_MAX)
        v.check(
            bool(opinion.owner_officer_id.strip()),
            f"opinions[{i}].owner_officer_id",
            "every opinion has an owner",
        )
    v.raise_if_any()
    held = at_store_precision(held_time) if held_time else meeting.start_time
    if held > at:
        raise RuleViolation(
            "R-NOT-2", meeting.meeting_id, "minutes can only be recorded once the meeting was held"
        )
    numbered = tuple(
        replace(
            o,
            text=o.text.strip(),
            due_date=o.due_date or default_follow_up_due(held),
            follow_up_id=f"{follow_up_id}-{n}",
        )
        for n, o in enumerate(opinions, 1)
    )
    held_meeting = replace(
        meeting,
        status=MeetingStatus.HELD,
        attendees=tuple(names),
        minutes=minutes.strip(),
        opinions=numbered,
        held_time=held,
        updated_by=by,
    )
    follow_ups = [
        FollowUp(
            follow_up_id=o.follow_up_id,
            meeting_id=meeting.meeting_id,
            room_id=meeting.room_id,
            opinion=o.text,
            owner_officer_id=o.owner_officer_id,
            due_date=o.due_date or default_follow_up_due(held),
            create_time=at,
        )
        for o in numbered
    ]
    return held_meeting, follow_ups


def close_follow_up(follow_up: FollowUp, *, resolution: str, at: datetime) -> FollowUp:
    if follow_up.status is FollowUpStatus.CLOSED:
        raise RuleViolation("R-NOT-2", follow_up.follow_up_id, "the follow-up is closed already")
    v = Validator()
    check_required(v, "resolution", resolution, OPINION_MAX)
    v.raise_if_any()
    return replace(follow_up, status=FollowUpStatus.CLOSED, resolution=resolution.strip(), close_time=at)


def held_within(meetings: Iterable[ResidentMeeting], period: DateRange) -> bool:
    """R-NOT-2: a meeting was held (not merely scheduled) on a day of ``period``."""
    return any(
        m.status is MeetingStatus.HELD
        and m.held_time is not None
        and period.contains(local_date(m.held_time))
        for m in meetings
    )

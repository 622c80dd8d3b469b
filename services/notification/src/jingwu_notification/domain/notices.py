"""Notices to residents (R-NOT-1, R-NOT-4). Pure: no I/O, no protobuf, no clock (time comes in).

A notice is published at once (a bulletin, a police tip, a service announcement) or, for the weekly
police-situation notice, drafted from the week's facts, edited by the room's officer and then published
(``draft → published``). Every change is a transition returning a new frozen notice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_required

TITLE_MAX = 120
BODY_MAX = 4000


class NoticeKind(StrEnum):
    WEEKLY_SITUATION = "weekly_situation"  # 警情通报 (R-NOT-1)
    BULLETIN = "bulletin"  # 警务公告 (R-NOT-1)
    SERVICE = "service"  # service announcement: a room opened, moved, closed
    TIP = "tip"  # 警务提示, e.g. a fraud warning (R-NOT-4 police tips)


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Channel(StrEnum):
    """R-NOT-4."""

    NOTICE_BOARD = "notice_board"
    BROADCAST = "broadcast"
    RESIDENT_GROUP = "resident_group"
    ONLINE_ROOM = "online_room"


# Where a notice goes when nobody chose: the board in the room, the residents' group, the online room.
DEFAULT_CHANNELS = (Channel.NOTICE_BOARD, Channel.RESIDENT_GROUP, Channel.ONLINE_ROOM)


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int


@dataclass(frozen=True)
class WeeklyFacts:
    """What happened in a room's zones in one week (R-NOT-1)."""

    zone_codes: tuple[str, ...] = ()
    incidents: tuple[CategoryCount, ...] = ()
    patrols: int = 0
    patrol_hours: float = 0.0
    joint_patrols: int = 0
    resident_tips: int = 0
    police_tips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: NoticeKind
    room_id: str
    title: str
    body: str
    channels: tuple[Channel, ...]
    publish_time: datetime | None
    source_event_id: str = ""
    created_by: str = ""
    status: NoticeStatus = NoticeStatus.PUBLISHED
    create_time: datetime | None = None
    updated_by: str = ""
    update_time: datetime | None = None
    week: DateRange | None = None
    facts: WeeklyFacts | None = None
    version: int = 0

    @property
    def published(self) -> bool:
        return self.status is NoticeStatus.PUBLISHED


def notice_id_for_event(event_id: str) -> str:
    """A notice derived from an event has an id derived from the event id: re-delivery cannot duplicate it."""
    return f"evt-{event_id}"


def room_opened_notice(*, event_id: str, room_id: str, room_name: str, address: str, at: datetime) -> Notice:
    """Residents are told when a room opens, where it is, and how to reach it (R-NOT-4, R-ROOM-6)."""
    where = f"，地址：{address}" if address else ""
    return Notice(
        notice_id=notice_id_for_event(event_id),
        kind=NoticeKind.SERVICE,
        room_id=room_id,
        title=f"{room_name}正式启用",
        body=f"{room_name}今日起启用{where}。警务室每日有人值守（含周末、节假日），欢迎居民来访、求助、反映情况。",
        channels=DEFAULT_CHANNELS,
        publish_time=at,
        source_event_id=event_id,
        created_by="system:notification",
        create_time=at,
    )


def validate_text(v: Validator, title: str, body: str) -> None:
    check_required(v, "title", title, TITLE_MAX)
    check_required(v, "body", body, BODY_MAX)


def published_notice(
    *,
    notice_id: str,
    kind: NoticeKind,
    room_id: str,
    title: str,
    body: str,
    channels: tuple[Channel, ...],
    at: datetime,
    by: str,
) -> Notice:
    """A bulletin, tip or announcement an officer publishes at once (R-NOT-1, R-NOT-4)."""
    v = Validator()
    check_required(v, "room_id", room_id)
    v.check(
        kind is not NoticeKind.WEEKLY_SITUATION,
        "kind",
        "weekly notices are drafted from the week's events (DraftWeeklyNotice), then published",
    )
    validate_text(v, title, body)
    v.raise_if_any()
    return Notice(
        notice_id=notice_id,
        kind=kind,
        room_id=room_id,
        title=title.strip(),
        body=body.strip(),
        channels=channels or DEFAULT_CHANNELS,
        publish_time=at,
        created_by=by,
        create_time=at,
    )


def _require_draft(notice: Notice, action: str) -> None:
    if notice.status is not NoticeStatus.DRAFT:
        raise RuleViolation(
            "R-NOT-1", notice.notice_id, f"notice {notice.notice_id} is published: cannot {action}"
        )


def edit_draft(
    notice: Notice, *, title: str, body: str, channels: tuple[Channel, ...], at: datetime, by: str
) -> Notice:
    """The room's officer reviews and edits the drafted text before publishing (R-NOT-1)."""
    _require_draft(notice, "edit it")
    v = Validator()
    validate_text(v, title, body)
    v.raise_if_any()
    return replace(
        notice,
        title=title.strip(),
        body=body.strip(),
        channels=channels or notice.channels,
        updated_by=by,
        update_time=at,
    )


def publish_draft(notice: Notice, *, at: datetime, by: str) -> Notice:
    """Publish a reviewed draft to its channels (R-NOT-1)."""
    _require_draft(notice, "publish it again")
    return replace(notice, status=NoticeStatus.PUBLISHED, publish_time=at, updated_by=by, update_time=at)

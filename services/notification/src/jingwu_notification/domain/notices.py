"""Notification domain: notices to residents (R-NOT-1, R-NOT-4). Pure: no I/O, no protobuf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NoticeKind(StrEnum):
    WEEKLY_SITUATION = "weekly_situation"  # 警情通报 (R-NOT-1)
    BULLETIN = "bulletin"  # 警务公告 (R-NOT-1)
    SERVICE = "service"  # service announcement: a room opened, moved, closed


class Channel(StrEnum):
    """R-NOT-4."""

    NOTICE_BOARD = "notice_board"
    BROADCAST = "broadcast"
    RESIDENT_GROUP = "resident_group"
    ONLINE_ROOM = "online_room"


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: NoticeKind
    room_id: str
    title: str
    body: str
    channels: tuple[Channel, ...]
    publish_time: datetime
    source_event_id: str = ""
    created_by: str = ""


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
        channels=(Channel.NOTICE_BOARD, Channel.RESIDENT_GROUP, Channel.ONLINE_ROOM),
        publish_time=at,
        source_event_id=event_id,
        created_by="system:notification",
    )

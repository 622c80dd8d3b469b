"""Sample records for the repository contract suites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jingwu_notification.domain.deliveries import ChannelKind, Delivery, new_delivery
from jingwu_notification.domain.findings import FindingKind, NotificationFinding
from jingwu_notification.domain.matters import Appointment, EntrustedMatter
from jingwu_notification.domain.meetings import FollowUp, Opinion, ResidentMeeting
from jingwu_notification.domain.notices import (
    CategoryCount,
    Channel,
    Notice,
    NoticeKind,
    NoticeStatus,
    WeeklyFacts,
)
from jingwu_notification.domain.reminders import Reminder, ReminderKind
from jingwu_notification.domain.subscriptions import (
    SubscriberSystem,
    Subscription,
    SubscriptionFilter,
    SubscriptionStatus,
    TargetKind,
)
from jingwu_platform.calendar import week_of

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def notice(n: int, room_id: str = "room-1", kind: NoticeKind = NoticeKind.SERVICE) -> Notice:
    return Notice(
        notice_id=f"n-{n:03d}",
        kind=kind,
        room_id=room_id,
        title=f"通告{n}",
        body="警务室每日有人值守𠀋",  # a character outside the BMP
        channels=(Channel.NOTICE_BOARD, Channel.ONLINE_ROOM),
        publish_time=AT + timedelta(minutes=n),
        source_event_id=f"evt-{n}",
        created_by="system:notification",
        create_time=AT,
    )


def weekly_draft(n: int) -> Notice:
    facts = WeeklyFacts(("01020301",), (CategoryCount("dispute", 2),), 3, 4.5, 1, 2, ("防诈骗",))
    return Notice(
        notice_id=f"w-{n:03d}",
        kind=NoticeKind.WEEKLY_SITUATION,
        room_id="room-1",
        title="警情通报",
        body="…",
        channels=(Channel.RESIDENT_GROUP,),
        publish_time=None,
        status=NoticeStatus.DRAFT,
        week=week_of(date(2026, 3, 2)),
        facts=facts,
    )


def meeting(n: int, room_id: str = "room-1") -> ResidentMeeting:
    return ResidentMeeting(
        meeting_id=f"m-{n:03d}",
        room_id=room_id,
        start_time=AT + timedelta(days=n),
        agenda="听取意见",
        opinions=(Opinion("路灯", "officer-1", date(2026, 3, 20), f"m-{n:03d}-1"),),
        create_time=AT,
    )


def follow_up(
    n: int, *, room_id: str = "room-1", owner: str = "officer-1", due: date = date(2026, 3, 20)
) -> FollowUp:
    return FollowUp(f"fu-{n:03d}", "m-001", room_id, "路灯坏了", owner, due, create_time=AT)


def matter(n: int, *, room_id: str = "room-1", due: date = date(2026, 3, 5)) -> EntrustedMatter:
    return EntrustedMatter(
        matter_id=f"mt-{n:03d}",
        reference=f"JW{n:010d}",
        room_id=room_id,
        station_id="st-1",
        resident_name="王大妈",
        resident_phone="13800138000",
        description="楼道堆物",
        owner_officer_id="officer-1",
        due_date=due,
        entrust_time=AT,
    )


def appointment(n: int, room_id: str = "room-1") -> Appointment:
    return Appointment(
        f"ap-{n:03d}", f"YY{n:010d}", room_id, "甲", "13800138000", "办证", AT + timedelta(days=1), AT
    )


def reminder(n: int, officer: str = "officer-1") -> Reminder:
    return Reminder(f"rm-{n:03d}", officer, ReminderKind.FINDING, "R-NOT-1", "room-1", "提醒", AT)


def finding(
    n: int, room_id: str = "room-1", kind: FindingKind = FindingKind.NO_WEEKLY_NOTICE
) -> NotificationFinding:
    return NotificationFinding(
        f"fd-{n:03d}", kind, "R-NOT-1", room_id, "st-1", week_of(date(2026, 3, 2)), "无通报", AT
    )


def subscription(n: int, status: SubscriptionStatus = SubscriptionStatus.ACTIVE) -> Subscription:
    return Subscription(
        subscription_id=f"s-{n:03d}",
        subscriber="command-centre",
        system=SubscriberSystem.COMMAND_CENTRE,
        filter=SubscriptionFilter(("jingwu.rooms.v1.*",), ("01",), ("0102",)),
        target=TargetKind.WEBHOOK,
        address="https://cc.example/hooks",
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        status=status,
        created_by="admin-1",
        create_time=AT,
    )


def delivery(n: int, *, recipient: str = "s-001", at: datetime = AT) -> Delivery:
    return new_delivery(
        delivery_id=f"d-{n:03d}",
        channel=ChannelKind.WEBHOOK,
        recipient=recipient,
        address="https://cc.example/hooks",
        subject="jingwu.rooms.v1.RoomOpened",
        body='{"type":"jingwu.rooms.v1.RoomOpened"}',
        at=at,
        source_event_id=f"e-{n}",
    )

"""The notification use cases on the in-memory repositories, one shared outbox and a fake clock, for
application tests (milliseconds; the same paths on the real gRPC server, Kafka, store, SMTP server and
HTTP receivers are the test_*_service / test_delivery_* files)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from jingwu_notification.adapters.memory import (
    InMemoryAppointmentRepository,
    InMemoryContactDirectory,
    InMemoryDeliveryRepository,
    InMemoryFactRepository,
    InMemoryFindingRepository,
    InMemoryFollowUpRepository,
    InMemoryMatterRepository,
    InMemoryMeetingRepository,
    InMemoryNoticeRepository,
    InMemoryPostingDirectory,
    InMemoryReminderRepository,
    InMemoryRoomDirectory,
    InMemorySubscriptionRepository,
)
from jingwu_notification.application.channels import DeliveryFailed
from jingwu_notification.application.checks import RuleChecks
from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.directory import DirectoryApplication
from jingwu_notification.application.matters import MatterApplication
from jingwu_notification.application.meetings import MeetingApplication
from jingwu_notification.application.notices import SERVICE, NoticeApplication
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.application.subscriptions import SubscriptionApplication
from jingwu_notification.domain.deliveries import ChannelKind, Delivery, RetryPolicy
from jingwu_notification.domain.directory import PostingView, RoomView
from jingwu_notification.entrypoints.wiring import Repositories, applications
from jingwu_platform.auth import Caller, Role
from jingwu_platform.repository import FakeOutbox
from jingwu_platform.unmasked_read_store import InMemoryUnmaskedReads
from jingwu_platform.usecase import FakeClock, Ids, UseCaseKit

DISTRICT = "01"
# Monday 2 March 2026, 09:00 in the district (01:00 UTC).
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID(int=3)
IDS = Ids(NAMESPACE, DISTRICT)
LEADER = Caller("leader-1", DISTRICT, frozenset({Role.SUPERVISOR}))
ADMIN = Caller("admin-1", DISTRICT, frozenset({Role.DISTRICT_ADMIN}))
OFFICER = Caller("officer-1", DISTRICT, frozenset({Role.OFFICER}))
STRANGER = Caller("officer-9", DISTRICT, frozenset({Role.OFFICER}))
ROOM = RoomView("room-1", "汴河社区警务室", "st-1", ("01020301", "01020302"), True, date(2026, 1, 5))


@dataclass
class RecordingSender:
    """A channel that records what it was asked to send, failing the first ``fail`` attempts."""

    fail: int = 0
    retryable: bool = True
    sent: list[tuple[Delivery, str, datetime]] = field(default_factory=list)
    attempts: int = 0

    async def send(self, delivery: Delivery, *, secret: str, at: datetime) -> None:
        self.attempts += 1
        if self.attempts <= self.fail:
            raise DeliveryFailed(f"attempt {self.attempts} refused", retryable=self.retryable)
        self.sent.append((delivery, secret, at))


@dataclass
class World:
    clock: FakeClock
    outbox: FakeOutbox
    kit: UseCaseKit
    notices: InMemoryNoticeRepository
    meetings: InMemoryMeetingRepository
    follow_ups: InMemoryFollowUpRepository
    matters: InMemoryMatterRepository
    appointments: InMemoryAppointmentRepository
    unmasked_reads: InMemoryUnmaskedReads
    reminders: InMemoryReminderRepository
    findings: InMemoryFindingRepository
    subscriptions: InMemorySubscriptionRepository
    deliveries: InMemoryDeliveryRepository
    rooms: InMemoryRoomDirectory
    postings: InMemoryPostingDirectory
    facts: InMemoryFactRepository
    contacts: InMemoryContactDirectory
    senders: dict[ChannelKind, RecordingSender]
    directory: DirectoryApplication
    notice_app: NoticeApplication
    meeting_app: MeetingApplication
    matter_app: MatterApplication
    reminder_app: ReminderApplication
    checks: RuleChecks
    delivery_app: DeliveryApplication
    subscription_app: SubscriptionApplication

    async def with_room(self, room: RoomView = ROOM, officer: str = "officer-1") -> RoomView:
        await self.rooms.put(room)
        await self.postings.put(
            PostingView(f"p-{officer}-{room.room_id}", officer, "community_officer", room.room_id)
        )
        return room


def world(at: datetime = AT, policy: RetryPolicy | None = None) -> World:
    clock = FakeClock(at)
    outbox = FakeOutbox()
    kit = UseCaseKit.create(DISTRICT, SERVICE, NAMESPACE, clock=clock)
    notices = InMemoryNoticeRepository(outbox)
    meetings = InMemoryMeetingRepository(outbox)
    follow_ups = InMemoryFollowUpRepository(outbox)
    matters = InMemoryMatterRepository(outbox)
    appointments = InMemoryAppointmentRepository(outbox)
    unmasked_reads = InMemoryUnmaskedReads(outbox)
    reminders = InMemoryReminderRepository(outbox)
    findings = InMemoryFindingRepository(outbox)
    subscriptions = InMemorySubscriptionRepository(outbox)
    deliveries = InMemoryDeliveryRepository(outbox)
    rooms, postings = InMemoryRoomDirectory(), InMemoryPostingDirectory()
    facts, contacts = InMemoryFactRepository(), InMemoryContactDirectory()
    senders = {kind: RecordingSender() for kind in ChannelKind}
    repositories = Repositories(
        notices=notices, meetings=meetings, follow_ups=follow_ups, matters=matters,
        appointments=appointments, unmasked_reads=unmasked_reads, reminders=reminders,
        findings=findings, subscriptions=subscriptions, deliveries=deliveries, rooms=rooms,
        postings=postings, facts=facts, contacts=contacts,
    )  # fmt: skip
    apps = applications(
        kit, repositories, channels=dict(senders), policy=policy, holder="test", jitter=lambda: 0.5
    )
    return World(
        clock, outbox, kit, notices, meetings, follow_ups, matters, appointments, unmasked_reads,
        reminders, findings, subscriptions, deliveries, rooms, postings, facts, contacts, senders,
        apps.directory, apps.notices, apps.meetings, apps.matters, apps.reminders, apps.checks,
        apps.deliveries, apps.subscriptions,
    )  # fmt: skip

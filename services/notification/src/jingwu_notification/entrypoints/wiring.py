"""The notification use cases wired to their repositories and channels — the same for the process
(main.py, Mongo adapters and the real senders) and for application tests (in-memory fakes)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from jingwu_platform.failpoints import Failpoints
from jingwu_platform.unmasked_reads import UnmaskedReadRepository
from jingwu_platform.usecase import UseCaseKit

from jingwu_notification.adapters.event_payloads import known_event_types
from jingwu_notification.application.channels import MessageSender
from jingwu_notification.application.checks import RuleChecks
from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.directory import DirectoryApplication
from jingwu_notification.application.matters import MatterApplication
from jingwu_notification.application.meetings import MeetingApplication
from jingwu_notification.application.notices import NoticeApplication
from jingwu_notification.application.ports import (
    AppointmentRepository,
    ContactDirectory,
    DeliveryRepository,
    FactRepository,
    FindingRepository,
    FollowUpRepository,
    MatterRepository,
    MeetingRepository,
    NoticeRepository,
    PostingDirectory,
    ReminderRepository,
    RoomDirectory,
    SubscriptionRepository,
)
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.application.staff import RoomStaff
from jingwu_notification.application.subscriptions import SubscriptionApplication
from jingwu_notification.domain.deliveries import ChannelKind, RetryPolicy
from jingwu_notification.entrypoints.grpc_api import NotificationUseCases


@dataclass(frozen=True)
class Repositories:
    notices: NoticeRepository
    meetings: MeetingRepository
    follow_ups: FollowUpRepository
    matters: MatterRepository
    appointments: AppointmentRepository
    unmasked_reads: UnmaskedReadRepository
    reminders: ReminderRepository
    findings: FindingRepository
    subscriptions: SubscriptionRepository
    deliveries: DeliveryRepository
    rooms: RoomDirectory
    postings: PostingDirectory
    facts: FactRepository
    contacts: ContactDirectory

    def indexed(self) -> list[Any]:
        """The Mongo adapters with indexes to ensure at start (fakes have none)."""
        parts = (getattr(self, f.name) for f in fields(self))
        return [p for p in parts if hasattr(p, "ensure_indexes")]


@dataclass(frozen=True)
class NotificationApplications:
    staff: RoomStaff
    directory: DirectoryApplication
    notices: NoticeApplication
    meetings: MeetingApplication
    matters: MatterApplication
    reminders: ReminderApplication
    checks: RuleChecks
    deliveries: DeliveryApplication
    subscriptions: SubscriptionApplication

    def use_cases(self) -> NotificationUseCases:
        """What NotificationService serves."""
        return NotificationUseCases(
            self.notices, self.meetings, self.matters, self.reminders, self.directory, self.checks
        )


def applications(
    kit: UseCaseKit,
    repositories: Repositories,
    *,
    channels: Mapping[ChannelKind, MessageSender],
    policy: RetryPolicy | None,
    holder: str,
    failpoints: Failpoints | None = None,
    jitter: Callable[[], float] = random.random,
) -> NotificationApplications:
    """``policy``, ``holder``, ``failpoints``, ``jitter``: as DeliveryApplication takes them (None / ""
    / the defaults: its own defaults)."""
    rooms, postings = repositories.rooms, repositories.postings
    staff = RoomStaff(postings)
    directory = DirectoryApplication(kit, rooms, postings, repositories.facts, repositories.contacts)
    notices = NoticeApplication(kit, repositories.notices, rooms, repositories.facts, staff)
    meetings = MeetingApplication(kit, repositories.meetings, repositories.follow_ups, staff)
    matters = MatterApplication(
        kit,
        repositories.matters,
        appointments=repositories.appointments,
        unmasked_reads=repositories.unmasked_reads,
        rooms=rooms,
        postings=postings,
        staff=staff,
    )
    reminders = ReminderApplication(kit, repositories.reminders, rooms, postings)
    checks = RuleChecks(
        kit,
        findings=repositories.findings,
        rooms=rooms,
        notices=notices,
        meetings=meetings,
        matters=matters,
        matter_records=repositories.matters,
        reminders=reminders,
    )
    deliveries = DeliveryApplication(
        kit,
        repositories.deliveries,
        repositories.contacts,
        repositories.subscriptions,
        channels,
        policy=policy,
        holder=holder,
        jitter=jitter,
        failpoints=failpoints,
    )
    subscriptions = SubscriptionApplication(kit, repositories.subscriptions, deliveries, known_event_types())
    return NotificationApplications(
        staff, directory, notices, meetings, matters, reminders, checks, deliveries, subscriptions
    )

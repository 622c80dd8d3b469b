"""In-memory twins of every notification repository, for application tests; held to the same contract
as the Mongo adapters (tests/test_repository_contract.py). One ``FakeOutbox`` can be shared by all, so a
test reads every event a use case wrote in order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from jingwu_platform.repository import FakeOutbox, InMemoryAggregates, InMemoryDocuments, after
from jingwu_platform.usecase import Outgoing

from jingwu_notification.application.ports import (
    DeliveryQuery,
    FollowUpQuery,
    MatterQuery,
    MeetingQuery,
    NoticeQuery,
)
from jingwu_notification.domain.deliveries import Delivery, DeliveryStatus
from jingwu_notification.domain.directory import ContactPoint, PostingView, RoomView
from jingwu_notification.domain.findings import FindingKind, NotificationFinding
from jingwu_notification.domain.matters import Appointment, EntrustedMatter, MatterStatus
from jingwu_notification.domain.meetings import FollowUp, FollowUpStatus, ResidentMeeting
from jingwu_notification.domain.notices import Notice
from jingwu_notification.domain.reminders import Reminder
from jingwu_notification.domain.subscriptions import Subscription
from jingwu_notification.domain.weekly import WeekFact

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _within(at: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if start is None and end is None:
        return True
    if at is None:
        return False
    return (start is None or at >= start) and (end is None or at < end)


class InMemoryNoticeRepository(InMemoryAggregates[Notice]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda n: n.notice_id, outbox)

    async def select(self, query: NoticeQuery) -> list[Notice]:
        def wanted(n: Notice) -> bool:
            return (
                (not query.room_id or n.room_id == query.room_id)
                and (query.kind is None or n.kind is query.kind)
                and (query.status is None or n.status is query.status)
                and _within(n.publish_time, query.published_from, query.published_until)
            )

        if query.newest_first:
            found = self.matching(wanted)  # id order; the stable sort below keeps it among equal times
            found.sort(key=lambda n: (n.publish_time is not None, n.publish_time or _EPOCH), reverse=True)
            return found[: query.limit]
        return self.matching(lambda n: wanted(n) and after(query.after_id, n.notice_id), limit=query.limit)


class InMemoryMeetingRepository(InMemoryAggregates[ResidentMeeting]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda m: m.meeting_id, outbox)

    async def select(self, query: MeetingQuery) -> list[ResidentMeeting]:
        return self.matching(
            lambda m: (
                (not query.room_id or m.room_id == query.room_id) and after(query.after_id, m.meeting_id)
            ),
            limit=query.limit,
        )


class InMemoryFollowUpRepository(InMemoryAggregates[FollowUp]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda f: f.follow_up_id, outbox)

    async def select(self, query: FollowUpQuery) -> list[FollowUp]:
        return self.matching(
            lambda f: (
                (not query.room_id or f.room_id == query.room_id)
                and (not query.owner_officer_id or f.owner_officer_id == query.owner_officer_id)
                and (not query.open_only or f.status is FollowUpStatus.OPEN)
                and (query.due_before is None or f.due_date < query.due_before)
                and after(query.after_id, f.follow_up_id)
            ),
            limit=query.limit,
        )


class InMemoryMatterRepository(InMemoryAggregates[EntrustedMatter]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda m: m.matter_id, outbox)

    async def add(self, aggregate: EntrustedMatter, events: Sequence[Outgoing] = ()) -> bool:
        # The reference is unique, as the Mongo index makes it.
        if aggregate.matter_id not in self.items and any(
            m.reference == aggregate.reference for m in self.items.values()
        ):
            raise ValueError(f"duplicate reference {aggregate.reference}")
        return await super().add(aggregate, events)

    async def by_reference(self, reference: str) -> EntrustedMatter | None:
        return next((m for m in self.items.values() if m.reference == reference), None)

    async def select(self, query: MatterQuery) -> list[EntrustedMatter]:
        return self.matching(
            lambda m: (
                (not query.room_id or m.room_id == query.room_id)
                and (not query.open_only or m.status is MatterStatus.OPEN)
                and (query.due_before is None or m.due_date < query.due_before)
                and (not query.unescalated or m.escalate_time is None)
                and after(query.after_id, m.matter_id)
            ),
            limit=query.limit,
        )


class InMemoryAppointmentRepository(InMemoryDocuments[Appointment]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda a: a.appointment_id, outbox)

    async def by_reference(self, reference: str) -> Appointment | None:
        return next((a for a in self.items.values() if a.reference == reference), None)

    async def select(self, *, room_id: str, after_id: str = "", limit: int = 100) -> list[Appointment]:
        return self.matching(
            lambda a: a.room_id == room_id and after(after_id, a.appointment_id), limit=limit
        )


class InMemoryReminderRepository(InMemoryDocuments[Reminder]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.reminder_id, outbox)

    async def select(self, *, officer_id: str, after_id: str = "", limit: int = 100) -> list[Reminder]:
        return self.matching(
            lambda r: r.officer_id == officer_id and after(after_id, r.reminder_id), limit=limit
        )


class InMemoryFindingRepository(InMemoryDocuments[NotificationFinding]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda f: f.finding_id, outbox)

    async def select(
        self, *, room_id: str = "", kind: FindingKind | None = None, after_id: str = "", limit: int = 100
    ) -> list[NotificationFinding]:
        return self.matching(
            lambda f: (
                (not room_id or f.room_id == room_id)
                and (kind is None or f.kind is kind)
                and after(after_id, f.finding_id)
            ),
            limit=limit,
        )


class InMemoryRoomDirectory(InMemoryDocuments[RoomView]):
    def __init__(self) -> None:
        super().__init__(lambda r: r.room_id)

    async def active(self) -> list[RoomView]:
        return self.matching(lambda r: r.active)

    async def serving_zone(self, zone_code: str) -> list[RoomView]:
        return self.matching(lambda r: r.active and zone_code in r.zone_codes)

    async def get_many(self, room_ids: Iterable[str]) -> dict[str, RoomView]:
        return await super().get_many(room_ids)


class InMemoryPostingDirectory(InMemoryDocuments[PostingView]):
    def __init__(self) -> None:
        super().__init__(lambda p: p.posting_id)

    async def current(
        self, *, officer_id: str = "", room_id: str = "", zone_code: str = "", village_id: str = ""
    ) -> list[PostingView]:
        return self.matching(
            lambda p: (
                p.current
                and (not officer_id or p.officer_id == officer_id)
                and (not room_id or p.room_id == room_id)
                and (not zone_code or p.zone_code == zone_code)
                and (not village_id or p.village_id == village_id)
            )
        )


class InMemoryFactRepository(InMemoryDocuments[WeekFact]):
    def __init__(self) -> None:
        super().__init__(lambda f: f.fact_id)

    async def between(self, *, zone_codes: Sequence[str], start: date, end: date) -> list[WeekFact]:
        zones = set(zone_codes)
        return self.matching(lambda f: f.zone_code in zones and start <= f.day <= end)


class InMemoryContactDirectory(InMemoryDocuments[ContactPoint]):
    def __init__(self) -> None:
        super().__init__(lambda c: c.contact_id)


class InMemorySubscriptionRepository(InMemoryAggregates[Subscription]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda s: s.subscription_id, outbox)

    async def select(self, *, after_id: str = "", limit: int = 100) -> list[Subscription]:
        return self.matching(lambda s: after(after_id, s.subscription_id), limit=limit)

    async def active(self) -> list[Subscription]:
        return self.matching(lambda s: s.active)


class InMemoryDeliveryRepository(InMemoryAggregates[Delivery]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda d: d.delivery_id, outbox)

    async def due(self, at: datetime, limit: int) -> list[Delivery]:
        found = sorted(
            self.matching(lambda d: d.claimable(at)), key=lambda d: (d.next_attempt_time, d.delivery_id)
        )
        return found[:limit]

    async def next_due(self) -> datetime | None:
        times = [d.next_attempt_time for d in self.items.values() if d.status is DeliveryStatus.PENDING]
        times += [
            d.lease_until for d in self.items.values() if d.status is DeliveryStatus.SENDING and d.lease_until
        ]
        return min(times) if times else None

    async def select(self, query: DeliveryQuery) -> list[Delivery]:
        return self.matching(
            lambda d: (
                (not query.recipient or d.recipient == query.recipient)
                and (query.status is None or d.status is query.status)
                and _within(d.dead_time, query.dead_from, query.dead_until)
                and after(query.after_id, d.delivery_id)
            ),
            limit=query.limit,
        )

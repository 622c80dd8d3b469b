"""The notification repository contracts, each run against the in-memory fake and the Mongo adapter on
the session's real store (FerretDB): what one does, the other does, so application tests on the fakes
prove something. Versioned repositories pass the platform's AggregateRepositoryContract; every typed
query is tested here on both. Subscriptions, deliveries and read models:
test_repository_contract_delivery.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from jingwu_notification.adapters.memory import (
    InMemoryAppointmentRepository,
    InMemoryFindingRepository,
    InMemoryFollowUpRepository,
    InMemoryMatterRepository,
    InMemoryMeetingRepository,
    InMemoryNoticeRepository,
    InMemoryReminderRepository,
)
from jingwu_notification.adapters.repository import (
    MongoAppointmentRepository,
    MongoFindingRepository,
    MongoFollowUpRepository,
    MongoMatterRepository,
    MongoMeetingRepository,
    MongoNoticeRepository,
    MongoReminderRepository,
)
from jingwu_notification.application.ports import FollowUpQuery, MatterQuery, MeetingQuery, NoticeQuery
from jingwu_notification.domain.findings import FindingKind
from jingwu_notification.domain.matters import MatterStatus
from jingwu_notification.domain.meetings import FollowUpStatus, MeetingStatus
from jingwu_notification.domain.notices import NoticeKind, NoticeStatus
from jingwu_platform.contract import AggregateRepositoryContract, contract_event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from pymongo.asynchronous.database import AsyncDatabase

from .samples import AT, appointment, finding, follow_up, matter, meeting, notice, reminder, weekly_draft


def backends(memory: Callable[[], Any], mongo: Callable[[AsyncDatabase[Document]], Any]) -> Any:
    """A ``repository`` fixture: the fake, then the Mongo adapter on a scratch database of its own."""

    @pytest.fixture(params=["memory", "mongo"])
    async def repository(self: object, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        if request.param == "memory":
            yield memory()
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            adapter = mongo(database)
            if hasattr(adapter, "ensure_indexes"):
                await adapter.ensure_indexes()
            yield adapter

    return repository


def ids(items: list[Any], key: str) -> list[str]:
    return [getattr(item, key) for item in items]


class TestNoticeRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryNoticeRepository, lambda db: MongoNoticeRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return weekly_draft(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=NoticeStatus.PUBLISHED, publish_time=AT, updated_by="officer-1")

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.notice_id)

    async def test_list_filters_by_room_kind_and_status_and_pages_in_id_order(self, repository: Any) -> None:
        for n in (3, 1, 2):
            await repository.add(notice(n))
        await repository.add(notice(4, room_id="room-2"))
        await repository.add(notice(5, kind=NoticeKind.BULLETIN))
        await repository.add(weekly_draft(6))
        room_1 = await repository.select(NoticeQuery(room_id="room-1", limit=10))
        assert ids(room_1, "notice_id") == ["n-001", "n-002", "n-003", "n-005", "w-006"]
        bulletins = await repository.select(NoticeQuery(kind=NoticeKind.BULLETIN))
        assert ids(bulletins, "notice_id") == ["n-005"]
        drafts = await repository.select(NoticeQuery(status=NoticeStatus.DRAFT))
        assert ids(drafts, "notice_id") == ["w-006"]
        first = await repository.select(NoticeQuery(room_id="room-1", limit=2))
        rest = await repository.select(NoticeQuery(room_id="room-1", after_id=first[-1].notice_id, limit=2))
        assert ids(first + rest, "notice_id") == ["n-001", "n-002", "n-003", "n-005"]

    async def test_published_window_and_newest_first(self, repository: Any) -> None:
        for n in (1, 2, 3):
            await repository.add(notice(n))
        await repository.add(weekly_draft(4))  # no publish time: outside any window, last when newest first
        window = NoticeQuery(
            published_from=AT + timedelta(minutes=2), published_until=AT + timedelta(minutes=3)
        )
        assert ids(await repository.select(window), "notice_id") == ["n-002"]
        newest = await repository.select(NoticeQuery(room_id="room-1", newest_first=True, limit=10))
        assert ids(newest, "notice_id") == ["n-003", "n-002", "n-001", "w-004"]
        assert (await repository.get("w-004")).facts.incidents[0].count == 2


class TestMeetingRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryMeetingRepository, lambda db: MongoMeetingRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return meeting(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=MeetingStatus.HELD, attendees=("张三",), minutes="m", held_time=AT)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.meeting_id)

    async def test_meetings_of_a_room(self, repository: Any) -> None:
        await repository.add(meeting(2))
        await repository.add(meeting(1))
        await repository.add(meeting(3, room_id="room-2"))
        assert ids(await repository.select(MeetingQuery(room_id="room-1")), "meeting_id") == [
            "m-001",
            "m-002",
        ]
        assert ids(await repository.select(MeetingQuery(room_id="room-1", limit=0)), "meeting_id") == [
            "m-001",
            "m-002",
        ]


class TestFollowUpRepository(AggregateRepositoryContract[Any]):
    repository = backends(
        InMemoryFollowUpRepository, lambda db: MongoFollowUpRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Any:
        return follow_up(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=FollowUpStatus.CLOSED, resolution="已修", close_time=AT)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.follow_up_id)

    async def test_open_overdue_and_by_owner(self, repository: Any) -> None:
        await repository.add(follow_up(1, due=date(2026, 3, 1)))
        await repository.add(follow_up(2, due=date(2026, 3, 10), owner="officer-2"))
        await repository.add(replace(follow_up(3, due=date(2026, 2, 1)), status=FollowUpStatus.CLOSED))
        await repository.add(follow_up(4, room_id="room-2", due=date(2026, 3, 2)))
        overdue = await repository.select(FollowUpQuery(open_only=True, due_before=date(2026, 3, 3)))
        assert ids(overdue, "follow_up_id") == ["fu-001", "fu-004"]
        assert ids(await repository.select(FollowUpQuery(owner_officer_id="officer-2")), "follow_up_id") == [
            "fu-002"
        ]
        assert ids(await repository.select(FollowUpQuery(room_id="room-1")), "follow_up_id") == [
            "fu-001",
            "fu-002",
            "fu-003",
        ]


class TestMatterRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryMatterRepository, lambda db: MongoMatterRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return matter(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=MatterStatus.ANSWERED, answer="已处理", answer_time=AT)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.matter_id)

    async def test_by_reference_and_the_escalation_query(self, repository: Any) -> None:
        await repository.add(matter(1, due=date(2026, 3, 1)))
        await repository.add(replace(matter(2, due=date(2026, 3, 1)), escalate_time=AT))  # escalated already
        await repository.add(replace(matter(3, due=date(2026, 2, 1)), status=MatterStatus.ANSWERED))
        await repository.add(matter(4, due=date(2026, 3, 9)))
        await repository.add(matter(5, room_id="room-2", due=date(2026, 3, 1)))
        assert (await repository.by_reference("JW0000000004")).matter_id == "mt-004"
        assert await repository.by_reference("JW9999999999") is None
        due = MatterQuery(open_only=True, due_before=date(2026, 3, 2), unescalated=True, limit=0)
        assert ids(await repository.select(due), "matter_id") == ["mt-001", "mt-005"]
        assert ids(await repository.select(MatterQuery(room_id="room-1", open_only=True)), "matter_id") == [
            "mt-001",
            "mt-002",
            "mt-004",
        ]


async def _insert_once(repository: Any, record: Any, other: Any) -> None:
    assert await repository.insert(record, [contract_event("x")])
    assert not await repository.insert(other)


class TestWrittenOnceRecords:
    @pytest.fixture(params=["memory", "mongo"])
    async def stores(self, request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
        if request.param == "memory":
            yield {
                "appointments": InMemoryAppointmentRepository(),
                "reminders": InMemoryReminderRepository(),
                "findings": InMemoryFindingRepository(),
            }
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            found: dict[str, Any] = {
                "appointments": MongoAppointmentRepository(database, OutboxRegistry()),
                "reminders": MongoReminderRepository(database, OutboxRegistry()),
                "findings": MongoFindingRepository(database, OutboxRegistry()),
            }
            for repository in found.values():
                await repository.ensure_indexes()
            yield found

    async def test_appointments_once_and_by_room(self, stores: dict[str, Any]) -> None:
        repository = stores["appointments"]
        await _insert_once(repository, appointment(1), replace(appointment(1), topic="changed"))
        await repository.insert(appointment(2, room_id="room-2"))
        assert await repository.get("ap-001") == appointment(1)
        assert ids(await repository.select(room_id="room-1"), "appointment_id") == ["ap-001"]
        assert await repository.by_reference("YY0000000002") == appointment(2, room_id="room-2")
        assert await repository.by_reference("YY9999999999") is None

    async def test_reminders_once_per_id_and_by_officer(self, stores: dict[str, Any]) -> None:
        repository = stores["reminders"]
        await _insert_once(repository, reminder(1), replace(reminder(1), text="again"))
        await repository.insert(reminder(2))
        await repository.insert(reminder(3, officer="officer-2"))
        page = await repository.select(officer_id="officer-1", limit=1)
        rest = await repository.select(officer_id="officer-1", after_id=page[-1].reminder_id)
        assert ids(page + rest, "reminder_id") == ["rm-001", "rm-002"]
        assert (await repository.select(officer_id="officer-1"))[0] == reminder(1)

    async def test_findings_once_and_by_room_and_kind(self, stores: dict[str, Any]) -> None:
        repository = stores["findings"]
        await _insert_once(repository, finding(1), replace(finding(1), detail="again"))
        await repository.insert(finding(2, kind=FindingKind.MEETING_OVERDUE))
        await repository.insert(finding(3, room_id="room-2"))
        assert ids(await repository.select(room_id="room-1"), "finding_id") == ["fd-001", "fd-002"]
        assert ids(await repository.select(kind=FindingKind.MEETING_OVERDUE), "finding_id") == ["fd-002"]
        assert (await repository.select(room_id="room-2"))[0] == finding(3, room_id="room-2")

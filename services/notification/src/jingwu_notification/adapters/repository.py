"""Notices, meetings, follow-ups, matters, appointments, reminders, findings and the audit of unmasked
phone reads in MongoDB (collections ``notification.*`` of the district database), with the outbox in the
same document write. The only place that knows their field paths and query operators."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates, MongoDocuments
from jingwu_platform.unmasked_read_store import MongoUnmaskedReads
from jingwu_platform.usecase import Outgoing
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_notification.application.ports import (
    FollowUpQuery,
    MatterQuery,
    MeetingQuery,
    NoticeQuery,
)
from jingwu_notification.domain.findings import FindingKind, NotificationFinding
from jingwu_notification.domain.matters import Appointment, EntrustedMatter, MatterStatus
from jingwu_notification.domain.meetings import FollowUp, FollowUpStatus, ResidentMeeting
from jingwu_notification.domain.notices import Notice
from jingwu_notification.domain.reminders import Reminder

NOTICES = "notification.notices"
MEETINGS = "notification.meetings"
FOLLOW_UPS = "notification.follow_ups"
MATTERS = "notification.matters"
APPOINTMENTS = "notification.appointments"
REMINDERS = "notification.reminders"
FINDINGS = "notification.findings"
UNMASKED_READS = "notification.unmasked_reads"


def _after(criteria: Document, after_id: str) -> Document:
    if after_id:
        criteria["_id"] = {"$gt": after_id}
    return criteria


def _day(day: date) -> str:
    return day.isoformat()  # the codec stores dates as sortable "YYYY-MM-DD"


class MongoNoticeRepository(MongoAggregates[Notice]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, NOTICES, DocumentCodec(Notice, id_field="notice_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("room_id", 1), ("_id", 1)], name="room_notices")
        await self.collection.create_index([("room_id", 1), ("publish_time", -1)], name="room_newest")

    async def select(self, query: NoticeQuery) -> list[Notice]:
        criteria: Document = {}
        if query.room_id:
            criteria["room_id"] = query.room_id
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.status is not None:
            criteria["status"] = query.status.value
        published: Document = {}
        if query.published_from is not None:
            published["$gte"] = query.published_from
        if query.published_until is not None:
            published["$lt"] = query.published_until
        if published:
            criteria["publish_time"] = published
        if query.newest_first:
            return await self.find(criteria, sort=(("publish_time", -1), ("_id", 1)), limit=query.limit)
        return await self.find(_after(criteria, query.after_id), limit=query.limit)


class MongoMeetingRepository(MongoAggregates[ResidentMeeting]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, MEETINGS, DocumentCodec(ResidentMeeting, id_field="meeting_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("room_id", 1), ("_id", 1)], name="room_meetings")

    async def select(self, query: MeetingQuery) -> list[ResidentMeeting]:
        criteria: Document = {"room_id": query.room_id} if query.room_id else {}
        return await self.find(_after(criteria, query.after_id), limit=query.limit)


class MongoFollowUpRepository(MongoAggregates[FollowUp]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, FOLLOW_UPS, DocumentCodec(FollowUp, id_field="follow_up_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", 1), ("due_date", 1)], name="open_due")
        await self.collection.create_index([("owner_officer_id", 1), ("_id", 1)], name="owner")

    async def select(self, query: FollowUpQuery) -> list[FollowUp]:
        criteria: Document = {}
        if query.room_id:
            criteria["room_id"] = query.room_id
        if query.owner_officer_id:
            criteria["owner_officer_id"] = query.owner_officer_id
        if query.open_only:
            criteria["status"] = FollowUpStatus.OPEN.value
        if query.due_before is not None:
            criteria["due_date"] = {"$lt": _day(query.due_before)}
        return await self.find(_after(criteria, query.after_id), limit=query.limit)


class MongoMatterRepository(MongoAggregates[EntrustedMatter]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, MATTERS, DocumentCodec(EntrustedMatter, id_field="matter_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("reference", unique=True, name="reference")
        await self.collection.create_index([("status", 1), ("due_date", 1)], name="open_due")
        await self.collection.create_index([("room_id", 1), ("_id", 1)], name="room_matters")

    async def by_reference(self, reference: str) -> EntrustedMatter | None:
        found = await self.find({"reference": reference}, limit=1)
        return found[0] if found else None

    async def select(self, query: MatterQuery) -> list[EntrustedMatter]:
        criteria: Document = {}
        if query.room_id:
            criteria["room_id"] = query.room_id
        if query.open_only:
            criteria["status"] = MatterStatus.OPEN.value
        if query.due_before is not None:
            criteria["due_date"] = {"$lt": _day(query.due_before)}
        if query.unescalated:
            criteria["escalate_time"] = None  # matches null and missing
        return await self.find(_after(criteria, query.after_id), limit=query.limit)


class MongoAppointmentRepository:
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        codec = DocumentCodec(Appointment, id_field="appointment_id")
        self._records = MongoDocuments(database, APPOINTMENTS, codec, outbox)

    async def ensure_indexes(self) -> None:
        await self._records.collection.create_index([("room_id", 1), ("_id", 1)], name="room_appointments")
        await self._records.collection.create_index("reference", unique=True, name="reference")

    async def insert(self, appointment: Appointment, events: Sequence[Outgoing] = ()) -> bool:
        return await self._records.insert(appointment, events)

    async def get(self, appointment_id: str) -> Appointment | None:
        return await self._records.get(appointment_id)

    async def by_reference(self, reference: str) -> Appointment | None:
        found = await self._records.find({"reference": reference}, limit=1)
        return found[0] if found else None

    async def select(self, *, room_id: str, after_id: str = "", limit: int = 100) -> list[Appointment]:
        return await self._records.find(_after({"room_id": room_id}, after_id), limit=limit)


class MongoReminderRepository:
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        self._records = MongoDocuments(
            database, REMINDERS, DocumentCodec(Reminder, id_field="reminder_id"), outbox
        )

    async def ensure_indexes(self) -> None:
        await self._records.collection.create_index([("officer_id", 1), ("_id", 1)], name="officer_reminders")

    async def insert(self, reminder: Reminder, events: Sequence[Outgoing] = ()) -> bool:
        return await self._records.insert(reminder, events)

    async def select(self, *, officer_id: str, after_id: str = "", limit: int = 100) -> list[Reminder]:
        return await self._records.find(_after({"officer_id": officer_id}, after_id), limit=limit)


class MongoFindingRepository:
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        codec = DocumentCodec(NotificationFinding, id_field="finding_id")
        self._records = MongoDocuments(database, FINDINGS, codec, outbox)

    async def ensure_indexes(self) -> None:
        await self._records.collection.create_index([("room_id", 1), ("_id", 1)], name="room_findings")

    async def insert(self, finding: NotificationFinding, events: Sequence[Outgoing] = ()) -> bool:
        return await self._records.insert(finding, events)

    async def select(
        self, *, room_id: str = "", kind: FindingKind | None = None, after_id: str = "", limit: int = 100
    ) -> list[NotificationFinding]:
        criteria: Document = {}
        if room_id:
            criteria["room_id"] = room_id
        if kind is not None:
            criteria["kind"] = kind.value
        return await self._records.find(_after(criteria, after_id), limit=limit)


class MongoUnmaskedReadRepository(MongoUnmaskedReads):
    """R-POP-6: every answer that showed residents' phones unmasked (jingwu_platform.unmasked_reads)."""

    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, UNMASKED_READS, outbox)

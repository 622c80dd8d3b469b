"""Patrol's records written once (incidents, duty orders, joint patrols, findings) and its evidence, in
MongoDB, with their events in the same document write (outbox)."""

from __future__ import annotations

from datetime import date

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_patrol.adapters.repository import after, before, in_force
from jingwu_patrol.application.ports import (
    DutyQuery,
    EvidenceQuery,
    FindingQuery,
    IncidentQuery,
    JointPatrolQuery,
)
from jingwu_patrol.domain.evidence import PatrolEvidence
from jingwu_patrol.domain.findings import PatrolFinding
from jingwu_patrol.domain.incidents import Incident
from jingwu_patrol.domain.joint_patrols import JointPatrol
from jingwu_patrol.domain.prevention import CheckpointDuty

INCIDENTS = "patrol.incidents"
DUTIES = "patrol.duties"
JOINT_PATROLS = "patrol.joint_patrols"
FINDINGS = "patrol.findings"
EVIDENCE = "patrol.evidence"
NEWEST = (("order_key", -1),)


def days(criteria: Document, first: date | None, last: date | None, field: str) -> Document:
    """Local dates are stored as sortable ``YYYY-MM-DD`` strings (jingwu_platform.codec)."""
    bounds: Document = {}
    if first is not None:
        bounds["$gte"] = first.isoformat()
    if last is not None:
        bounds["$lte"] = last.isoformat()
    if bounds:
        criteria[field] = bounds
    return criteria


class MongoIncidentRepository(MongoDocuments[Incident]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, INCIDENTS, DocumentCodec(Incident, id_field="incident_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("zone_code", 1), ("occur_time", 1)], name="zone_time")
        await self.collection.create_index("occur_time", name="time")
        await self.collection.create_index("order_key", name="newest")

    async def select(self, query: IncidentQuery) -> list[Incident]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.category is not None:
            criteria["category"] = query.category.value
        when: Document = {}
        if query.start is not None:
            when["$gte"] = query.start
        if query.end is not None:
            when["$lt"] = query.end
        if when:
            criteria["occur_time"] = when
        before(criteria, query.before_id, "order_key")
        return await self.find(criteria, sort=NEWEST, limit=query.limit)


class MongoDutyRepository(MongoDocuments[CheckpointDuty]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, DUTIES, DocumentCodec(CheckpointDuty, id_field="duty_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("vehicle_id", 1), ("start", 1)], name="vehicle_duties")
        await self.collection.create_index([("room_id", 1), ("start", 1)], name="room_duties")
        await self.collection.create_index("order_key", name="newest")

    async def select(self, query: DutyQuery) -> list[CheckpointDuty]:
        criteria: Document = {}
        if query.checkpoint_id:
            criteria["checkpoint_id"] = query.checkpoint_id
        if query.vehicle_id:
            criteria["vehicle_id"] = query.vehicle_id
        if query.room_id:
            criteria["room_id"] = query.room_id
        in_force(criteria, query.start, query.end, "start", "end")
        before(criteria, query.before_id, "order_key")
        return await self.find(criteria, sort=NEWEST, limit=query.limit)


class MongoJointPatrolRepository(MongoDocuments[JointPatrol]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(
            database, JOINT_PATROLS, DocumentCodec(JointPatrol, id_field="joint_patrol_id"), outbox
        )

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("village_id", 1), ("day", 1)], name="village_days")
        await self.collection.create_index("day", name="day")
        await self.collection.create_index("order_key", name="newest")

    async def select(self, query: JointPatrolQuery) -> list[JointPatrol]:
        criteria: Document = {}
        if query.village_id:
            criteria["village_id"] = query.village_id
        elif query.village_ids:
            criteria["village_id"] = {"$in": list(query.village_ids)}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        days(criteria, query.first, query.last, "day")
        before(criteria, query.before_id, "order_key")
        return await self.find(criteria, sort=NEWEST, limit=query.limit)


class MongoFindingRepository(MongoDocuments[PatrolFinding]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, FINDINGS, DocumentCodec(PatrolFinding, id_field="finding_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("kind", 1), ("day", 1)], name="kind_days")

    async def select(self, query: FindingQuery) -> list[PatrolFinding]:
        criteria: Document = {}
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        days(criteria, query.first, query.last, "day")
        before(criteria, query.before_id, "_id")
        return await self.find(criteria, sort=(("_id", -1),), limit=query.limit)


class MongoEvidenceRepository(MongoDocuments[PatrolEvidence]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, EVIDENCE, DocumentCodec(PatrolEvidence, id_field="evidence_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("order_key", name="by_day")
        await self.collection.create_index([("zone_code", 1), ("order_key", 1)], name="zone_days")
        await self.collection.create_index([("officer_ids", 1), ("order_key", 1)], name="officer_days")

    async def select(self, query: EvidenceQuery) -> list[PatrolEvidence]:
        criteria: Document = {}
        for field in ("zone_code", "station_id", "vehicle_id", "device_id"):
            value = getattr(query, field)
            if value:
                criteria[field] = value
        if query.officer_id:
            criteria["officer_ids"] = query.officer_id
        if query.subject_kind is not None:
            criteria["subject_kind"] = query.subject_kind.value
        days(criteria, query.first, query.last, "day")
        after(criteria, query.after_id, "order_key")
        return await self.find(criteria, sort=(("order_key", 1),), limit=query.limit)

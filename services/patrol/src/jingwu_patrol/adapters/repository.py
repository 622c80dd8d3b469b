"""Patrol's versioned aggregates in MongoDB (collections ``patrol.*`` of the district database): vehicles,
hot spots, plans, patrols, rings, checkpoints, with the outbox in the same document write. The only
place (with records.py and directory.py) that knows their field paths and query operators."""

from __future__ import annotations

from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_patrol.application.ports import (
    CheckpointQuery,
    HotSpotQuery,
    PatrolQuery,
    PlanQuery,
    RingQuery,
    VehicleQuery,
)
from jingwu_patrol.domain.hotspots import HotSpot
from jingwu_patrol.domain.patrols import Patrol
from jingwu_patrol.domain.plans import PatrolPlan
from jingwu_patrol.domain.prevention import Checkpoint, PreventionRing
from jingwu_patrol.domain.vehicles import PatrolVehicle

VEHICLES = "patrol.vehicles"
HOTSPOTS = "patrol.hotspots"
PLANS = "patrol.plans"
PATROLS = "patrol.patrols"
RINGS = "patrol.rings"
CHECKPOINTS = "patrol.checkpoints"


def after(criteria: Document, after_id: str, field: str = "_id") -> Document:
    if after_id:
        criteria[field] = {"$gt": after_id}
    return criteria


def before(criteria: Document, before_id: str, field: str) -> Document:
    if before_id:
        criteria[field] = {"$lt": before_id}
    return criteria


def in_force(
    criteria: Document, start: datetime | None, end: datetime | None, start_field: str, end_field: str
) -> Document:
    """Records whose [start, end) overlaps the query's (an unset end: open-ended)."""
    if end is not None:
        criteria[start_field] = {"$lt": end}
    if start is not None:
        criteria["$or"] = [{end_field: None}, {end_field: {"$gt": start}}]
    return criteria


class MongoVehicleRepository(MongoAggregates[PatrolVehicle]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, VEHICLES, DocumentCodec(PatrolVehicle, id_field="vehicle_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_vehicles")
        await self.collection.create_index("room_id", name="room")

    async def select(self, query: VehicleQuery) -> list[PatrolVehicle]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.status is not None:
            criteria["status"] = query.status.value
        if query.room_id:
            criteria["room_id"] = query.room_id
        return await self.find(after(criteria, query.after_id), limit=query.limit)


class MongoHotSpotRepository(MongoAggregates[HotSpot]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, HOTSPOTS, DocumentCodec(HotSpot, id_field="hotspot_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_hotspots")

    async def select(self, query: HotSpotQuery) -> list[HotSpot]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if not query.include_inactive:
            criteria["active"] = True
        return await self.find(after(criteria, query.after_id), limit=query.limit)


class MongoPlanRepository(MongoAggregates[PatrolPlan]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, PLANS, DocumentCodec(PatrolPlan, id_field="plan_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("vehicle_id", 1), ("start", 1)], name="vehicle_plans")
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_plans")
        await self.collection.create_index("officer_ids", name="officer_plans")

    async def select(self, query: PlanQuery) -> list[PatrolPlan]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.vehicle_id:
            criteria["vehicle_id"] = query.vehicle_id
        if query.officer_id:
            criteria["officer_ids"] = query.officer_id
        if query.status is not None:
            criteria["status"] = query.status.value
        if query.last is not None:
            criteria["start"] = {"$lte": query.last.isoformat()}
        if query.first is not None:
            criteria["end"] = {"$gte": query.first.isoformat()}
        return await self.find(after(criteria, query.after_id), limit=query.limit)


class MongoPatrolRepository(MongoAggregates[Patrol]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, PATROLS, DocumentCodec(Patrol, id_field="patrol_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("vehicle_id", 1), ("start", 1)], name="vehicle_patrols")
        await self.collection.create_index("order_key", name="newest")

    async def select(self, query: PatrolQuery) -> list[Patrol]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.vehicle_id:
            criteria["vehicle_id"] = query.vehicle_id
        if query.status is not None:
            criteria["status"] = query.status.value
        in_force(criteria, query.start, query.end, "start", "end")
        before(criteria, query.before_id, "order_key")
        return await self.find(criteria, sort=(("order_key", -1),), limit=query.limit)


class MongoRingRepository(MongoAggregates[PreventionRing]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, RINGS, DocumentCodec(PreventionRing, id_field="ring_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("level", name="level")

    async def select(self, query: RingQuery) -> list[PreventionRing]:
        criteria: Document = {"level": query.level.value} if query.level is not None else {}
        return await self.find(after(criteria, query.after_id), limit=query.limit)


class MongoCheckpointRepository(MongoAggregates[Checkpoint]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, CHECKPOINTS, DocumentCodec(Checkpoint, id_field="checkpoint_id"), outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("ring_id", 1), ("_id", 1)], name="ring_checkpoints")
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_checkpoints")

    async def select(self, query: CheckpointQuery) -> list[Checkpoint]:
        criteria: Document = {}
        if query.ring_id:
            criteria["ring_id"] = query.ring_id
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if not query.include_inactive:
            criteria["active"] = True
        return await self.find(after(criteria, query.after_id), limit=query.limit)

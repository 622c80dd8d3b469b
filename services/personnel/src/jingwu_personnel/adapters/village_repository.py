"""Villages and their assignments (``personnel.villages``) in MongoDB: versioned, every change carrying
its events (outbox). One document per village: the registry's description (``village``), the selection
profile (R-PER-6/7) and the two slots (``liaison``, ``auxiliary``, R-PER-5), by the generic codec."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.adapters.bulk import insert_new
from jingwu_personnel.application.ports import VillageQuery
from jingwu_personnel.domain.villages import VillageAssignment

VILLAGES = "personnel.villages"
VILLAGE_CODEC = DocumentCodec(VillageAssignment, id_field="village_id")


class MongoVillageRepository(MongoAggregates[VillageAssignment]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, VILLAGES, VILLAGE_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("village.station_id", 1), ("village.zone_code", 1)])
        await self.collection.create_index("auxiliary.rotation_due")

    async def add_all(self, assignments: Sequence[VillageAssignment]) -> frozenset[str]:
        """Registered villages (no events ride on them) in one insert."""
        documents = [VILLAGE_CODEC.to_document(a) for a in assignments]
        inserted = await insert_new(self.collection, documents)
        return frozenset(a.village_id for a, done in zip(assignments, inserted, strict=True) if done)

    async def select(self, query: VillageQuery) -> list[VillageAssignment]:
        criteria: Document = {}
        if query.station_id:
            criteria["village.station_id"] = query.station_id
        if query.zone_code:
            criteria["village.zone_code"] = query.zone_code
        if query.assignable_only:
            criteria["village.administrative"] = True
            criteria["village.urban_community"] = False
        if query.incomplete_only:
            criteria["$or"] = [{"liaison": None}, {"auxiliary": None}]
        if query.rotation_due_by is not None:
            criteria["auxiliary.rotation_due"] = {"$lte": query.rotation_due_by.isoformat()}
        if query.after_id:
            criteria["_id"] = {"$gt": query.after_id}
        return await self.find(criteria, limit=query.limit)

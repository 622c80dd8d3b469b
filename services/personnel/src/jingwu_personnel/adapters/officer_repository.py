"""Officers (``personnel.officers``, versioned) and the audit of unmasked reads
(``personnel.unmasked_reads``, R-POP-6, append-only: the platform's trail, jingwu_platform.unmasked_reads)
in MongoDB, each write carrying its events. The mapping is the generic codec's; an officer's ``audit`` is
the stored sub-document it always was, and a read's records are stored as ``officer_ids``, as always."""

from __future__ import annotations

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from jingwu_platform.unmasked_read_store import MongoUnmaskedReads
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.application.ports import OfficerQuery
from jingwu_personnel.domain.officers import Officer

OFFICERS = "personnel.officers"
UNMASKED_READS = "personnel.unmasked_reads"
OFFICER_CODEC = DocumentCodec(Officer, id_field="officer_id")


class MongoOfficerRepository(MongoAggregates[Officer]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, OFFICERS, OFFICER_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        await self.collection.create_index("roles")

    async def select(self, query: OfficerQuery) -> list[Officer]:
        criteria: Document = {}
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.role is not None:
            criteria["roles"] = query.role.value  # matches an element of the stored array
        if query.branch is not None:
            criteria["branch"] = query.branch.value
        if query.status is not None:
            criteria["status"] = query.status.value
        ids: Document = {}
        if query.officer_ids is not None:
            ids["$in"] = sorted(query.officer_ids)
        if query.after_id:
            ids["$gt"] = query.after_id
        if ids:
            criteria["_id"] = ids
        return await self.find(criteria, limit=query.limit)


class MongoUnmaskedReadRepository(MongoUnmaskedReads):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, UNMASKED_READS, outbox, records_field="officer_ids")

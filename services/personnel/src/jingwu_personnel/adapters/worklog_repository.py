"""Visit and work logs (``personnel.visit_logs``) in MongoDB: versioned (a leader's audit is a change),
every write carrying its events. Ids start with the start time, so id order is start order."""

from __future__ import annotations

from datetime import timedelta

from jingwu_platform.calendar import local_midnight
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.application.ports import LogQuery
from jingwu_personnel.domain.worklogs import VisitLog

LOGS = "personnel.visit_logs"
LOG_CODEC = DocumentCodec(VisitLog, id_field="log_id")


class MongoVisitLogRepository(MongoAggregates[VisitLog]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, LOGS, LOG_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("officer_id", 1), ("start_time", 1)])
        await self.collection.create_index("start_time")

    async def select(self, query: LogQuery) -> list[VisitLog]:
        criteria: Document = {}
        if query.officer_id:
            criteria["officer_id"] = query.officer_id
        if query.officer_ids is not None:
            criteria["officer_id"] = {"$in": sorted(query.officer_ids)}
        if query.village_id:
            criteria["village_id"] = query.village_id
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.review_result is not None:
            criteria["review_result"] = query.review_result.value
        if query.started_in is not None:
            # The range's local days: from its first midnight (China time) to the one after its last day.
            criteria["start_time"] = {
                "$gte": local_midnight(query.started_in.start),
                "$lt": local_midnight(query.started_in.end + timedelta(days=1)),
            }
        if query.before_id:
            criteria["_id"] = {"$lt": query.before_id}
        order = -1 if query.newest_first else 1
        return await self.find(criteria, sort=[("_id", order)], limit=query.limit)

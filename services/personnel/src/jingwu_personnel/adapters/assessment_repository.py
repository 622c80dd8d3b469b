"""Assessments (``personnel.assessments``, versioned), ratings (``personnel.ratings``) and conduct
records (``personnel.conduct_records``, both append-only) in MongoDB, each write carrying its events.
Periods are stored as ``{kind, year, index}`` (the codec's); conduct ids start with the day it happened,
so "newest first" is ``_id`` descending."""

from __future__ import annotations

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates, MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.application.ports import AssessmentQuery, ConductQuery
from jingwu_personnel.domain.assessment import Assessment
from jingwu_personnel.domain.conduct import ConductRecord
from jingwu_personnel.domain.periods import Period
from jingwu_personnel.domain.ratings import Rating

ASSESSMENTS = "personnel.assessments"
RATINGS = "personnel.ratings"
CONDUCT = "personnel.conduct_records"
ASSESSMENT_CODEC = DocumentCodec(Assessment, id_field="assessment_id")
RATING_CODEC = DocumentCodec(Rating, id_field="rating_id")
CONDUCT_CODEC = DocumentCodec(ConductRecord, id_field="record_id")


def period_criteria(period: Period) -> Document:
    return {"period.kind": period.kind.value, "period.year": period.year, "period.index": period.index}


class MongoAssessmentRepository(MongoAggregates[Assessment]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, ASSESSMENTS, ASSESSMENT_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("period.year", 1), ("period.index", 1), ("station_id", 1)])

    async def select(self, query: AssessmentQuery) -> list[Assessment]:
        criteria = period_criteria(query.period)
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.status is not None:
            criteria["status"] = query.status.value
        return await self.find(criteria, sort=[("district_rank", 1), ("_id", 1)])


class MongoRatingRepository(MongoDocuments[Rating]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, RATINGS, RATING_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("period.year", 1), ("period.index", 1), ("officer_id", 1)])

    async def of_period(self, period: Period) -> list[Rating]:
        return await self.find(period_criteria(period))


class MongoConductRepository(MongoDocuments[ConductRecord]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, CONDUCT, CONDUCT_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("officer_id", 1), ("occur_date", 1)])
        await self.collection.create_index([("station_id", 1), ("occur_date", 1)])

    async def select(self, query: ConductQuery) -> list[ConductRecord]:
        criteria: Document = {}
        if query.officer_id:
            criteria["officer_id"] = query.officer_id
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.occurred_in is not None:
            criteria["occur_date"] = {
                "$gte": query.occurred_in.start.isoformat(),
                "$lte": query.occurred_in.end.isoformat(),
            }
        if query.before_id:
            criteria["_id"] = {"$lt": query.before_id}
        return await self.find(criteria, sort=[("_id", -1)], limit=query.limit)

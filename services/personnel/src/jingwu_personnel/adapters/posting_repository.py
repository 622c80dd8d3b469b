"""Postings (``personnel.postings``) in MongoDB: versioned, every change carrying its events (outbox).
Ids start with the start date, so id order is start order and "newest first" is ``_id`` descending.
Dates are ISO strings (the codec's), so ranges compare as strings."""

from __future__ import annotations

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.application.ports import PostingQuery
from jingwu_personnel.domain.postings import Posting

POSTINGS = "personnel.postings"
POSTING_CODEC = DocumentCodec(Posting, id_field="posting_id")


class MongoPostingRepository(MongoAggregates[Posting]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, POSTINGS, POSTING_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        for place in ("officer_id", "room_id", "village_id", "zone_code"):
            await self.collection.create_index([(place, 1), ("end_date", 1)])

    async def select(self, query: PostingQuery) -> list[Posting]:
        criteria: Document = {}
        for name in ("officer_id", "station_id", "room_id", "zone_code", "village_id"):
            if value := getattr(query, name):
                criteria[name] = value
        if query.officer_ids is not None:
            criteria["officer_id"] = {"$in": sorted(query.officer_ids)}
        if query.in_a_village and not query.village_id:
            criteria["village_id"] = {"$ne": ""}
        if query.role is not None:
            criteria["role"] = query.role.value
        if query.current_only:
            criteria["end_date"] = None
        if query.held_during is not None:
            criteria["start_date"] = {"$lte": query.held_during.end.isoformat()}
            if not query.current_only:
                criteria["$or"] = [
                    {"end_date": None},
                    {"end_date": {"$gt": query.held_during.start.isoformat()}},
                ]
        if query.before_id:
            criteria["_id"] = {"$lt": query.before_id}
        order = -1 if query.newest_first else 1
        return await self.find(criteria, sort=[("_id", order)], limit=query.limit)

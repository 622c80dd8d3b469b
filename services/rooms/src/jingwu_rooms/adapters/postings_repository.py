"""Postings to rooms, projected from personnel's events (collection ``rooms.postings``, one record per
posting id, unversioned: a read model).

Writes are idempotent and order-tolerant, each one atomic upsert: a posting once ended stays ended,
whatever arrives later (a re-delivered or replayed OfficerPosted cannot revive it). The stored record
(``PostingRecord``) keeps, besides the posting, the events that made it; the codec maps it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.domain.staff import RoomPosting

COLLECTION = "rooms.postings"


@dataclass(frozen=True)
class PostingRecord:
    posting_id: str
    officer_id: str = ""
    room_id: str = ""
    role: str = ""
    full_time: bool = False
    ended: bool = False
    posted_event_id: str = ""
    posted_at: datetime | None = None
    ended_event_id: str = ""
    ended_at: datetime | None = None

    def posting(self) -> RoomPosting:
        return RoomPosting(
            self.posting_id, self.officer_id, self.room_id, self.role, self.full_time, current=not self.ended
        )


CODEC = DocumentCodec(PostingRecord, id_field="posting_id")


def _identity(posting: RoomPosting) -> Document:
    """What a posting says about itself: the fields set when its record is created."""
    return {
        "officer_id": posting.officer_id,
        "room_id": posting.room_id,
        "role": posting.role,
        "full_time": posting.full_time,
    }


class MongoPostingRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._postings = MongoDocuments(database, COLLECTION, CODEC)
        self.collection = self._postings.collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("room_id", 1), ("ended", 1)])
        await self.collection.create_index("officer_id")

    async def posted(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": posting.posting_id},
            {
                "$setOnInsert": {
                    **_identity(posting),
                    "ended": False,
                    "posted_event_id": event_id,
                    "posted_at": at,
                }
            },
            upsert=True,
        )

    async def ended(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        ending = {"ended": True, "ended_event_id": event_id, "ended_at": at}
        result = await self.collection.update_one(
            {"_id": posting.posting_id, "ended": False}, {"$set": ending}
        )
        if result.matched_count == 0:
            # Never seen (its OfficerPosted is late or lost), or ended already: record it ended once.
            await self.collection.update_one(
                {"_id": posting.posting_id},
                {"$setOnInsert": {**_identity(posting), **ending}},
                upsert=True,
            )

    async def end_many(
        self, posting_ids: Sequence[str], officer_id: str, event_id: str, at: datetime
    ) -> None:
        if posting_ids:
            await self.collection.update_many(
                {"_id": {"$in": list(posting_ids)}, "officer_id": officer_id, "ended": False},
                {"$set": {"ended": True, "ended_event_id": event_id, "ended_at": at}},
            )

    async def current_by_room(self, room_ids: Sequence[str] | None = None) -> dict[str, list[RoomPosting]]:
        criteria: Document = {"ended": False}
        if room_ids is not None:
            criteria["room_id"] = {"$in": list(room_ids)}
        grouped: dict[str, list[RoomPosting]] = defaultdict(list)
        for record in await self._postings.find(criteria):
            grouped[record.room_id].append(record.posting())
        return dict(grouped)

"""Postings to rooms, projected from personnel's events (collection ``rooms.postings``).

One document per posting id. Writes are idempotent and order-tolerant: a posting once ended stays
ended, whatever arrives later (a re-delivered or replayed OfficerPosted cannot revive it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from jingwu_platform.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.domain.staff import RoomPosting

COLLECTION = "rooms.postings"


def _posting(doc: Document) -> RoomPosting:
    return RoomPosting(
        posting_id=doc["_id"],
        officer_id=doc.get("officer_id", ""),
        room_id=doc.get("room_id", ""),
        role=doc.get("role", ""),
        full_time=bool(doc.get("full_time")),
        current=not doc.get("ended", False),
    )


class MongoPostingRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("room_id", 1), ("ended", 1)])
        await self.collection.create_index("officer_id")

    async def posted(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        """Record a posting; no effect if it is known (posted before, or already ended)."""
        await self.collection.update_one(
            {"_id": posting.posting_id},
            {
                "$setOnInsert": {
                    "officer_id": posting.officer_id,
                    "room_id": posting.room_id,
                    "role": posting.role,
                    "full_time": posting.full_time,
                    "ended": False,
                    "posted_event_id": event_id,
                    "posted_at": at,
                }
            },
            upsert=True,
        )

    async def ended(self, posting: RoomPosting, event_id: str, at: datetime) -> None:
        """End a posting, creating its record if its OfficerPosted was never seen. Idempotent."""
        await self.collection.update_one(
            {"_id": posting.posting_id},
            {
                "$set": {"ended": True},
                "$setOnInsert": {
                    "officer_id": posting.officer_id,
                    "room_id": posting.room_id,
                    "role": posting.role,
                    "full_time": posting.full_time,
                    "ended_event_id": event_id,
                    "ended_at": at,
                },
            },
            upsert=True,
        )

    async def end_by_id(
        self, posting_ids: Sequence[str], officer_id: str, event_id: str, at: datetime
    ) -> None:
        """OfficerDeactivated names only posting ids: end those we know (others were not room postings)."""
        if posting_ids:
            await self.collection.update_many(
                {"_id": {"$in": list(posting_ids)}, "officer_id": officer_id},
                {"$set": {"ended": True, "ended_event_id": event_id, "ended_at": at}},
            )

    async def current_by_room(self, room_ids: Sequence[str] | None = None) -> dict[str, list[RoomPosting]]:
        """Current postings grouped by room, for the given rooms or all."""
        query: Document = {"ended": False}
        if room_ids is not None:
            query["room_id"] = {"$in": list(room_ids)}
        grouped: dict[str, list[RoomPosting]] = defaultdict(list)
        async for doc in self.collection.find(query).sort("_id", 1):
            grouped[doc["room_id"]].append(_posting(doc))
        return dict(grouped)

"""Read models fed by the other services' events, and contact points, in MongoDB: rooms
(``notification.rooms``), postings (``notification.postings``), week facts (``notification.week_facts``)
and contact points (``notification.contacts``). Unversioned: each is written whole by its id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_notification.domain.directory import ContactPoint, PostingView, RoomView
from jingwu_notification.domain.weekly import WeekFact

ROOMS = "notification.rooms"
POSTINGS = "notification.postings"
FACTS = "notification.week_facts"
CONTACTS = "notification.contacts"


class MongoRoomDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._rooms = MongoDocuments(database, ROOMS, DocumentCodec(RoomView, id_field="room_id"))

    async def ensure_indexes(self) -> None:
        await self._rooms.collection.create_index("zone_codes", name="zones")

    async def put(self, room: RoomView) -> None:
        await self._rooms.put(room)

    async def get(self, room_id: str) -> RoomView | None:
        return await self._rooms.get(room_id)

    async def get_many(self, room_ids: Iterable[str]) -> dict[str, RoomView]:
        return await self._rooms.get_many(room_ids)

    async def active(self) -> list[RoomView]:
        return await self._rooms.find({"active": True})

    async def serving_zone(self, zone_code: str) -> list[RoomView]:
        return await self._rooms.find({"active": True, "zone_codes": zone_code})


class MongoPostingDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._postings = MongoDocuments(database, POSTINGS, DocumentCodec(PostingView, id_field="posting_id"))

    async def ensure_indexes(self) -> None:
        await self._postings.collection.create_index([("room_id", 1), ("current", 1)], name="room_current")
        await self._postings.collection.create_index([("officer_id", 1)], name="officer")

    async def put(self, posting: PostingView) -> None:
        await self._postings.put(posting)

    async def get(self, posting_id: str) -> PostingView | None:
        return await self._postings.get(posting_id)

    async def current(
        self, *, officer_id: str = "", room_id: str = "", zone_code: str = "", village_id: str = ""
    ) -> list[PostingView]:
        criteria: Document = {"current": True}
        for field, value in (
            ("officer_id", officer_id),
            ("room_id", room_id),
            ("zone_code", zone_code),
            ("village_id", village_id),
        ):
            if value:
                criteria[field] = value
        return await self._postings.find(criteria)


class MongoFactRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._facts = MongoDocuments(database, FACTS, DocumentCodec(WeekFact, id_field="fact_id"))

    async def ensure_indexes(self) -> None:
        await self._facts.collection.create_index([("zone_code", 1), ("day", 1)], name="zone_day")

    async def put(self, fact: WeekFact) -> None:
        await self._facts.put(fact)

    async def between(self, *, zone_codes: Sequence[str], start: date, end: date) -> list[WeekFact]:
        if not zone_codes:
            return []
        criteria: Document = {
            "zone_code": {"$in": list(zone_codes)},
            "day": {"$gte": start.isoformat(), "$lte": end.isoformat()},
        }
        return await self._facts.find(criteria)


class MongoContactDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._contacts = MongoDocuments(
            database, CONTACTS, DocumentCodec(ContactPoint, id_field="contact_id")
        )

    async def put(self, contact: ContactPoint) -> None:
        await self._contacts.put(contact)

    async def get(self, contact_id: str) -> ContactPoint | None:
        return await self._contacts.get(contact_id)

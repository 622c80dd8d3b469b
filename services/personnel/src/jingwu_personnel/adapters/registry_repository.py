"""Personnel's read model of the room registry (``personnel.registry_rooms``, ``registry_zones``,
``registry_stations``), kept from its events. No events of ours ride on these documents.

Rooms and stations are written whole (the codec's mapping). Zones are written in two parts that two
services report: the registry's fields (ZoneCreated, re-divisions) and the actual population the
population service measured (ZonePopulationChanged), each a partial upsert so neither overwrites the
other. Conditional upserts that match nothing collide with the existing ``_id`` (duplicate key): that
is the "not written" answer, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_personnel.domain.territory import RoomStatus, RoomView, StationView, ZoneView

ROOMS = "personnel.registry_rooms"
ZONES = "personnel.registry_zones"
STATIONS = "personnel.registry_stations"
ROOM_CODEC = DocumentCodec(RoomView, id_field="room_id")
ZONE_CODEC = DocumentCodec(ZoneView, id_field="zone_code")
STATION_CODEC = DocumentCodec(StationView, id_field="station_id")
_REGISTRY_FIELDS = ("station_id", "community_ids", "workload_population", "retired")


class MongoRoomViewRepository(MongoDocuments[RoomView]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, ROOMS, ROOM_CODEC)

    async def every(self) -> list[RoomView]:
        return await self.find({})

    async def store(self, room: RoomView, *, unless_status: frozenset[RoomStatus] = frozenset()) -> bool:
        document = ROOM_CODEC.to_document(room)
        criteria: Document = {"_id": document.pop("_id")}
        if unless_status:
            criteria["status"] = {"$nin": sorted(s.value for s in unless_status)}
        try:
            await self.collection.update_one(criteria, {"$set": document}, upsert=True)
        except DuplicateKeyError:
            return False  # stored, and in one of ``unless_status``
        return True


class MongoZoneViewRepository(MongoDocuments[ZoneView]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, ZONES, ZONE_CODEC)

    async def every(self) -> list[ZoneView]:
        return await self.find({})

    async def put_registry_fields(self, zone: ZoneView) -> None:
        document = ZONE_CODEC.to_document(zone)
        await self.collection.update_one(
            {"_id": zone.zone_code}, {"$set": {k: document[k] for k in _REGISTRY_FIELDS}}, upsert=True
        )

    async def put_measurement(self, zone_code: str, population: int, as_of: datetime) -> bool:
        try:
            result = await self.collection.update_one(
                {"_id": zone_code, "$or": [{"measured_at": None}, {"measured_at": {"$lt": as_of}}]},
                {"$set": {"measured_population": population, "measured_at": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # a newer (or the same) measurement is stored
        return result.modified_count == 1 or result.upserted_id is not None

    async def retire(self, zone_codes: Sequence[str]) -> None:
        for code in zone_codes:
            await self.collection.update_one({"_id": code}, {"$set": {"retired": True}}, upsert=True)


class MongoStationViewRepository(MongoDocuments[StationView]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, STATIONS, STATION_CODEC)

    async def every(self) -> list[StationView]:
        return await self.find({})

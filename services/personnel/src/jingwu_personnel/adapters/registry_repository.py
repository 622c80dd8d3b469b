"""Personnel's read model of the room registry (``personnel.registry_rooms``, ``registry_zones``,
``registry_stations``), kept from its events. No events of ours ride on these documents.

Rooms and stations are written whole (the codec's mapping). Zones are written in two parts that two
services report: the registry's fields (ZoneCreated, re-divisions) and the actual population the
population service measured (ZonePopulationChanged), each a partial upsert so neither overwrites the
other. Conditional upserts that match nothing collide with the existing ``_id`` (duplicate key): that
is the "not written" answer, not an error.

The batch writes (``store_all``, ``apply_all``, ``put_all``: a batch of registry events) insert what is
new in one ``insert_many`` — computed by applying the reports in order to nothing, with the same rules
(``RoomReport.over``, ``registry_zone``, ``measured_zone``) — and apply the reports of documents that
exist (or that another writer inserted meanwhile: a duplicate key) one by one with the conditional
writes above, in order. So the result is the one the single writes would leave, and the store, not
this process's read, decides for existing documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_personnel.adapters.bulk import insert_new
from jingwu_personnel.application.ports import RoomReport, ZoneMeasurement, ZoneReport
from jingwu_personnel.domain.territory import (
    RoomStatus,
    RoomView,
    StationView,
    ZoneView,
    measured_zone,
    registry_zone,
)

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

    async def store_all(self, reports: Sequence[RoomReport]) -> None:
        new: dict[str, RoomView] = {}
        for report in reports:
            stored = report.over(new.get(report.room.room_id))
            if stored is not None:
                new[stored.room_id] = stored
        inserted = await insert_new(self.collection, [ROOM_CODEC.to_document(r) for r in new.values()])
        existing = {room_id for room_id, done in zip(new, inserted, strict=True) if not done}
        for report in reports:
            if report.room.room_id in existing:
                await self.store(report.room, unless_status=report.unless_status)


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

    async def apply_all(self, reports: Sequence[ZoneReport]) -> frozenset[str]:
        new: dict[str, ZoneView] = {}
        for report in reports:
            if isinstance(report, ZoneMeasurement):
                zone = measured_zone(
                    new.get(report.zone_code), report.zone_code, report.population, report.as_of
                )
                if zone is not None:
                    new[report.zone_code] = zone
            else:
                new[report.zone_code] = registry_zone(new.get(report.zone_code), report)
        inserted = await insert_new(self.collection, [ZONE_CODEC.to_document(z) for z in new.values()])
        existing = {code for code, done in zip(new, inserted, strict=True) if not done}
        measured = {code for code, zone in new.items() if code not in existing and zone.measured_at}
        for report in reports:
            if report.zone_code not in existing:
                continue
            if isinstance(report, ZoneMeasurement):
                if await self.put_measurement(report.zone_code, report.population, report.as_of):
                    measured.add(report.zone_code)
            else:
                await self.put_registry_fields(report)
        return frozenset(measured)


class MongoStationViewRepository(MongoDocuments[StationView]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, STATIONS, STATION_CODEC)

    async def every(self) -> list[StationView]:
        return await self.find({})

    async def put_all(self, stations: Sequence[StationView]) -> None:
        last = {station.station_id: station for station in stations}
        inserted = await insert_new(self.collection, [STATION_CODEC.to_document(s) for s in last.values()])
        for station, done in zip(last.values(), inserted, strict=True):
            if not done:
                await self.put(station)

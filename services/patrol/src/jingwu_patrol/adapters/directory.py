"""Read models of other services' data in MongoDB: zones, villages, mobile rooms (room registry),
devices and zone/stop crossings (telemetry). Written whole by id from their events (last write wins),
crossings once per event id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments, StampedSnapshot
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_patrol.domain.territory import (
    DeviceKind,
    DeviceView,
    MobileRoomView,
    StopCrossing,
    VillageView,
    ZoneCrossing,
    ZoneView,
)

ZONES = "patrol.zones"
VILLAGES = "patrol.villages"
MOBILE_ROOMS = "patrol.mobile_rooms"
DEVICES = "patrol.devices"
ZONE_CROSSINGS = "patrol.zone_crossings"
STOP_CROSSINGS = "patrol.stop_crossings"
IN_TIME = (("at", 1), ("_id", 1))


class MongoZoneDirectory:
    """The district's zones with their outlines. Read whole by most commands (to place a point in its
    zone) and written only when the registry changes a zone: kept in memory between changes
    (``StampedSnapshot``), so a command does not read and decode every outline again."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._zones = MongoDocuments(database, ZONES, DocumentCodec(ZoneView, id_field="zone_code"))
        self._snapshot = StampedSnapshot(self._zones, database)

    async def ensure_indexes(self) -> None:
        return None

    async def put(self, zone: ZoneView) -> None:
        await self._zones.put(zone)
        await self._snapshot.changed()

    async def get(self, zone_code: str) -> ZoneView | None:
        return await self._zones.get(zone_code)

    async def everything(self) -> list[ZoneView]:
        return await self._snapshot.everything()


class MongoVillageDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._villages = MongoDocuments(database, VILLAGES, DocumentCodec(VillageView, id_field="village_id"))

    async def ensure_indexes(self) -> None:
        await self._villages.collection.create_index("zone_code", name="zone")

    async def put(self, village: VillageView) -> None:
        await self._villages.put(village)

    async def get(self, village_id: str) -> VillageView | None:
        return await self._villages.get(village_id)

    async def select(self, zone_codes: Sequence[str] = (), station_id: str = "") -> list[VillageView]:
        criteria: Document = {}
        if zone_codes:
            criteria["zone_code"] = {"$in": list(zone_codes)}
        if station_id:
            criteria["station_id"] = station_id
        return await self._villages.find(criteria)


class MongoMobileRoomDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._rooms = MongoDocuments(
            database, MOBILE_ROOMS, DocumentCodec(MobileRoomView, id_field="room_id")
        )

    async def ensure_indexes(self) -> None:
        return None

    async def put(self, room: MobileRoomView) -> None:
        await self._rooms.put(room)

    async def get(self, room_id: str) -> MobileRoomView | None:
        return await self._rooms.get(room_id)

    async def everything(self) -> list[MobileRoomView]:
        return await self._rooms.find({})


class MongoDeviceDirectory:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._devices = MongoDocuments(database, DEVICES, DocumentCodec(DeviceView, id_field="device_id"))

    async def ensure_indexes(self) -> None:
        await self._devices.collection.create_index("kind", name="kind")

    async def put(self, device: DeviceView) -> None:
        await self._devices.put(device)

    async def get(self, device_id: str) -> DeviceView | None:
        return await self._devices.get(device_id)

    async def select(self, kind: DeviceKind | None = None) -> list[DeviceView]:
        return await self._devices.find({"kind": kind.value} if kind is not None else {})


class MongoCrossingLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._zones = MongoDocuments(
            database, ZONE_CROSSINGS, DocumentCodec(ZoneCrossing, id_field="crossing_id")
        )
        self._stops = MongoDocuments(
            database, STOP_CROSSINGS, DocumentCodec(StopCrossing, id_field="crossing_id")
        )

    async def ensure_indexes(self) -> None:
        await self._zones.collection.create_index([("device_id", 1), ("at", 1)], name="device_time")
        await self._zones.collection.create_index([("zone_code", 1), ("at", 1)], name="zone_time")
        await self._stops.collection.create_index([("room_id", 1), ("at", 1)], name="room_time")

    async def add_zone_crossing(self, crossing: ZoneCrossing) -> bool:
        return await self._zones.insert(crossing)

    async def add_stop_crossing(self, crossing: StopCrossing) -> bool:
        return await self._stops.insert(crossing)

    async def zone_crossings(
        self, start: datetime, end: datetime, *, device_id: str = "", zone_code: str = ""
    ) -> list[ZoneCrossing]:
        criteria: Document = {"at": {"$gte": start, "$lt": end}}
        if device_id:
            criteria["device_id"] = device_id
        if zone_code:
            criteria["zone_code"] = zone_code
        return await self._zones.find(criteria, sort=IN_TIME)

    async def stop_crossings(self, room_id: str, start: datetime, end: datetime) -> list[StopCrossing]:
        return await self._stops.find({"room_id": room_id, "at": {"$gte": start, "$lt": end}}, sort=IN_TIME)

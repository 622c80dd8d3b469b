"""Latest positions, zone and stop events, and the zones' and stops' geography in MongoDB."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry, with_outbox
from jingwu_platform.repository import MongoDocuments
from jingwu_platform.usecase import Outgoing
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from jingwu_telemetry.adapters.tracks import ignore_duplicates
from jingwu_telemetry.application.ports import LatestQuery, StopEventQuery, ZoneEventQuery
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import StopVisit, Tracking, ZoneCrossing

LATEST = "telemetry.latest_positions"
ZONE_EVENTS = "telemetry.zone_events"
STOP_EVENTS = "telemetry.stop_events"
ZONES = "telemetry.zones"
ROOM_STOPS = "telemetry.room_stops"
TRACKING = DocumentCodec(Tracking, id_field="device_id")
CROSSING = DocumentCodec(ZoneCrossing, id_field="event_id")
VISIT = DocumentCodec(StopVisit, id_field="event_id")
ZONE = DocumentCodec(ZoneArea, id_field="zone_code")
STOP = DocumentCodec(Stop)
UPDATE_CHUNK = 32


class MongoLatestPositions:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._latest = MongoDocuments(database, LATEST, TRACKING)
        self.collection = self._latest.collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("zone_code", 1)], name="zone")
        await self.collection.create_index([("longitude", 1), ("latitude", 1)], name="lon_lat")

    async def get_many(self, device_ids: Iterable[str]) -> dict[str, Tracking]:
        return await self._latest.get_many(device_ids)

    async def put_many(self, states: Sequence[Tracking]) -> None:
        """New devices are inserted; known ones updated only from an older fix time, so a replayed or
        stale state never overwrites a newer one. (Two steps rather than conditional upserts: FerretDB
        answers a bulk upsert that collides without the counts pymongo expects.)"""
        if not states:
            return
        stored = {
            document["_id"]: document.get("fix_time")
            async for document in self.collection.find(
                {"_id": {"$in": [s.device_id for s in states]}}, {"fix_time": 1}
            )
        }
        fresh, updates = [], []
        for state in states:
            document = TRACKING.to_document(state)
            if state.device_id not in stored:
                fresh.append(document)
                continue
            document.pop("_id")
            updates.append(
                UpdateOne({"_id": state.device_id, "fix_time": {"$lt": state.fix_time}}, {"$set": document})
            )
        if fresh:
            try:
                await self.collection.insert_many(fresh, ordered=False)
            except BulkWriteError as error:
                ignore_duplicates(error)  # another writer inserted it meanwhile: its state stands
        # In commands of UPDATE_CHUNK: FerretDB v1 holds one SQLite connection per statement of a
        # command, and a command of ~100 updates does not finish (docs/benchmarks.md, relay).
        for start in range(0, len(updates), UPDATE_CHUNK):
            await self.collection.bulk_write(updates[start : start + UPDATE_CHUNK], ordered=False)

    async def find(self, query: LatestQuery) -> list[Tracking]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.bbox is not None:
            west, south, east, north = query.bbox
            criteria["longitude"] = {"$gte": west, "$lte": east}
            criteria["latitude"] = {"$gte": south, "$lte": north}
        if query.device_ids:
            criteria["_id"] = {"$in": list(query.device_ids)}
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.since is not None:
            criteria["fix_time"] = {"$gte": query.since}
        return await self._latest.find(criteria, limit=query.limit)


def _time_range(criteria: Document, query: ZoneEventQuery | StopEventQuery) -> None:
    span: Document = {}
    if query.start is not None:
        span["$gte"] = query.start
    if query.end is not None:
        span["$lt"] = query.end
    if span:
        criteria["occur_time"] = span
    if query.after_id:
        criteria["_id"] = {"$gt": query.after_id}


class MongoMovementEvents:
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        self._zone = MongoDocuments(database, ZONE_EVENTS, CROSSING, outbox)
        self._stop = MongoDocuments(database, STOP_EVENTS, VISIT, outbox)
        self._outbox = outbox

    async def ensure_indexes(self) -> None:
        await self._zone.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_events")
        await self._zone.collection.create_index([("device_id", 1), ("_id", 1)], name="device_events")
        await self._stop.collection.create_index([("room_id", 1), ("_id", 1)], name="room_events")
        await self._stop.collection.create_index([("device_id", 1), ("_id", 1)], name="device_events")

    async def add(
        self,
        zone_events: Sequence[tuple[ZoneCrossing, Outgoing]],
        stop_events: Sequence[tuple[StopVisit, Outgoing]],
    ) -> None:
        for store, codec, items in (
            (self._zone, CROSSING, zone_events),
            (self._stop, VISIT, stop_events),
        ):
            if not items:
                continue
            documents = [with_outbox(codec.to_document(record), [outgoing]) for record, outgoing in items]  # type: ignore[arg-type]
            try:
                await store.collection.insert_many(documents, ordered=False)
            except BulkWriteError as error:
                ignore_duplicates(error)  # derived again after a replay: stored (and queued) once
        self._outbox.notify()

    async def zone_events(self, query: ZoneEventQuery) -> list[ZoneCrossing]:
        criteria: Document = {}
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.device_id:
            criteria["device_id"] = query.device_id
        _time_range(criteria, query)
        return await self._zone.find(criteria, limit=query.limit)

    async def stop_events(self, query: StopEventQuery) -> list[StopVisit]:
        criteria: Document = {}
        for field, value in (
            ("room_id", query.room_id),
            ("stop_id", query.stop_id),
            ("device_id", query.device_id),
        ):
            if value:
                criteria[field] = value
        _time_range(criteria, query)
        return await self._stop.find(criteria, limit=query.limit)


class MongoGeography:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._zones = MongoDocuments(database, ZONES, ZONE)
        self._stops = database[ROOM_STOPS]

    async def put_zones(self, zones: Sequence[ZoneArea]) -> None:
        for zone in zones:
            await self._zones.put(zone)

    async def retire_zones(self, zone_codes: Sequence[str]) -> None:
        if zone_codes:
            await self._zones.collection.update_many(
                {"_id": {"$in": list(zone_codes)}}, {"$set": {"retired": True}}
            )

    async def set_stops(self, room_id: str, stops: Sequence[Stop]) -> None:
        await self._stops.replace_one(
            {"_id": room_id}, {"_id": room_id, "stops": [STOP.to_document(s) for s in stops]}, upsert=True
        )

    async def zones(self) -> list[ZoneArea]:
        return await self._zones.find({})

    async def stops(self) -> list[Stop]:
        return [STOP.from_document(s) async for room in self._stops.find({}) for s in room["stops"]]

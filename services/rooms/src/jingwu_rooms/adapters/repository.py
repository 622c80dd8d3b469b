"""Rooms in MongoDB (collection ``rooms.rooms`` of the district database), with the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import outbox_update, with_outbox
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_rooms.domain.model import GeoPoint, Room, RoomKind, RoomStatus

COLLECTION = "rooms.rooms"


def room_to_document(room: Room) -> Document:
    return {
        "_id": room.room_id,
        "name": room.name,
        "kind": room.kind.value,
        "status": room.status.value,
        "station_id": room.station_id,
        "zone_codes": list(room.zone_codes),
        "location": {"type": "Point", "coordinates": [room.location.longitude, room.location.latitude]},
        "address": room.address,
        "village_id": room.village_id,
        "vehicle_plate": room.vehicle_plate,
        "open_time": room.open_time,
        "audit": {
            "created_by": room.created_by,
            "created_at": room.created_at,
            "updated_by": room.updated_by,
            "updated_at": room.updated_at,
        },
    }


def document_to_room(doc: Document) -> Room:
    longitude, latitude = doc["location"]["coordinates"]
    audit: dict[str, Any] = doc.get("audit") or {}
    return Room(
        room_id=doc["_id"],
        name=doc["name"],
        kind=RoomKind(doc["kind"]),
        status=RoomStatus(doc["status"]),
        station_id=doc["station_id"],
        zone_codes=tuple(doc.get("zone_codes") or ()),
        location=GeoPoint(longitude=longitude, latitude=latitude),
        address=doc.get("address", ""),
        village_id=doc.get("village_id", ""),
        vehicle_plate=doc.get("vehicle_plate", ""),
        open_time=doc.get("open_time"),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
        updated_by=audit.get("updated_by", ""),
        updated_at=audit.get("updated_at"),
    )


class MongoRoomRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        await self.collection.create_index("zone_codes")

    async def add(self, room: Room, events: Sequence[tuple[Event, str]]) -> bool:
        """Insert the room with its events in one write. False if a room with this id exists already."""
        try:
            await self.collection.insert_one(with_outbox(room_to_document(room), events))
        except DuplicateKeyError:
            return False
        return True

    async def replace(
        self, room: Room, expected_status: RoomStatus, events: Sequence[tuple[Event, str]]
    ) -> bool:
        """Write the new state if the stored one is still ``expected_status`` (optimistic check)."""
        document = room_to_document(room)
        document.pop("_id")
        result = await self.collection.update_one(
            {"_id": room.room_id, "status": expected_status.value},
            outbox_update(events, **{"$set": document}),
        )
        return result.modified_count == 1

    async def get(self, room_id: str) -> Room | None:
        doc = await self.collection.find_one({"_id": room_id})
        return document_to_room(doc) if doc else None

    async def list(
        self,
        *,
        station_id: str = "",
        zone_code: str = "",
        kind: RoomKind | None = None,
        status: RoomStatus | None = None,
        after_id: str = "",
        limit: int = 100,
    ) -> list[Room]:
        query: Document = {}
        if station_id:
            query["station_id"] = station_id
        if zone_code:
            query["zone_codes"] = zone_code
        if kind is not None:
            query["kind"] = kind.value
        if status is not None:
            query["status"] = status.value
        if after_id:
            query["_id"] = {"$gt": after_id}
        cursor = self.collection.find(query).sort("_id", 1).limit(limit)
        return [document_to_room(doc) async for doc in cursor]

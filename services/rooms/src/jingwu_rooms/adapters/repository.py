"""Rooms in MongoDB (collection ``rooms.rooms`` of the district database), with the outbox.

Every change is one document update guarded by the version it read (optimistic concurrency): two
commands racing on one room cannot both win; the loser re-reads and decides again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import outbox_update, with_outbox
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_rooms.domain.model import (
    CheckpointOrder,
    Facility,
    GeoPoint,
    HistoryEntry,
    MobileStop,
    Room,
    RoomKind,
    RoomStatus,
)

COLLECTION = "rooms.rooms"


def point_to_document(point: GeoPoint) -> Document:
    """GeoJSON, so a production MongoDB can index it; FerretDB only stores it (see docs/adr/0003)."""
    return {"type": "Point", "coordinates": [point.longitude, point.latitude]}


def point_from_document(doc: Document) -> GeoPoint:
    longitude, latitude = doc["coordinates"]
    return GeoPoint(longitude=longitude, latitude=latitude)


def version_filter(version: int) -> Document:
    """Matches the version a command read; documents written before versioning count as version 0."""
    if version:
        return {"version": version}
    return {"$or": [{"version": 0}, {"version": {"$exists": False}}]}


def _order_to_document(order: CheckpointOrder | None) -> Document | None:
    if order is None:
        return None
    return {
        "order_id": order.order_id,
        "room_id": order.room_id,
        "checkpoint_name": order.checkpoint_name,
        "checkpoint_location": point_to_document(order.checkpoint_location),
        "issued_at": order.issued_at,
        "issued_by": order.issued_by,
    }


def _order_from_document(doc: Document | None) -> CheckpointOrder | None:
    if not doc:
        return None
    issued_at: datetime = doc["issued_at"]
    return CheckpointOrder(
        order_id=doc["order_id"],
        room_id=doc["room_id"],
        checkpoint_name=doc["checkpoint_name"],
        checkpoint_location=point_from_document(doc["checkpoint_location"]),
        issued_at=issued_at,
        issued_by=doc.get("issued_by", ""),
    )


def room_to_document(room: Room) -> Document:
    return {
        "_id": room.room_id,
        "name": room.name,
        "kind": room.kind.value,
        "status": room.status.value,
        "station_id": room.station_id,
        "zone_codes": list(room.zone_codes),
        "location": point_to_document(room.location),
        "address": room.address,
        "village_id": room.village_id,
        "vehicle_plate": room.vehicle_plate,
        "open_time": room.open_time,
        "close_time": room.close_time,
        "facilities": [{"code": f.code, "quantity": f.quantity} for f in room.facilities],
        "grade": room.grade,
        "honorary_officer_name": room.honorary_officer_name,
        "honorary_citation": room.honorary_citation,
        "stops": [
            {
                "stop_id": s.stop_id,
                "name": s.name,
                "location": point_to_document(s.location),
                "radius_m": s.radius_m,
                "window_start_minute": s.window_start_minute,
                "window_end_minute": s.window_end_minute,
            }
            for s in room.stops
        ],
        "current_stop_id": room.current_stop_id,
        "current_order": _order_to_document(room.current_order),
        "merged_into_room_id": room.merged_into_room_id,
        "absorbed_room_ids": list(room.absorbed_room_ids),
        "history": [{"at": h.at, "action": h.action, "by": h.by, "detail": h.detail} for h in room.history],
        "audit": {
            "created_by": room.created_by,
            "created_at": room.created_at,
            "updated_by": room.updated_by,
            "updated_at": room.updated_at,
        },
        "version": room.version,
    }


def document_to_room(doc: Document) -> Room:
    audit: dict[str, Any] = doc.get("audit") or {}
    return Room(
        room_id=doc["_id"],
        name=doc["name"],
        kind=RoomKind(doc["kind"]),
        status=RoomStatus(doc["status"]),
        station_id=doc["station_id"],
        zone_codes=tuple(doc.get("zone_codes") or ()),
        location=point_from_document(doc["location"]),
        address=doc.get("address", ""),
        village_id=doc.get("village_id", ""),
        vehicle_plate=doc.get("vehicle_plate", ""),
        open_time=doc.get("open_time"),
        close_time=doc.get("close_time"),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
        updated_by=audit.get("updated_by", ""),
        updated_at=audit.get("updated_at"),
        facilities=tuple(Facility(f["code"], float(f["quantity"])) for f in doc.get("facilities") or ()),
        grade=doc.get("grade", ""),
        honorary_officer_name=doc.get("honorary_officer_name", ""),
        honorary_citation=doc.get("honorary_citation", ""),
        stops=tuple(
            MobileStop(
                stop_id=s["stop_id"],
                name=s["name"],
                location=point_from_document(s["location"]),
                radius_m=float(s["radius_m"]),
                window_start_minute=int(s.get("window_start_minute", 0)),
                window_end_minute=int(s.get("window_end_minute", 0)),
            )
            for s in doc.get("stops") or ()
        ),
        current_stop_id=doc.get("current_stop_id", ""),
        current_order=_order_from_document(doc.get("current_order")),
        merged_into_room_id=doc.get("merged_into_room_id", ""),
        absorbed_room_ids=tuple(doc.get("absorbed_room_ids") or ()),
        history=tuple(
            HistoryEntry(at=h["at"], action=h["action"], by=h.get("by", ""), detail=h.get("detail", ""))
            for h in doc.get("history") or ()
        ),
        version=int(doc.get("version", 0)),
    )


class MongoRoomRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        await self.collection.create_index("zone_codes")
        await self.collection.create_index("village_id")
        await self.collection.create_index("merged_into_room_id")

    async def add(self, room: Room, events: Sequence[tuple[Event, str]]) -> bool:
        """Insert the room with its events in one write. False if a room with this id exists already."""
        try:
            await self.collection.insert_one(with_outbox(room_to_document(room), events))
        except DuplicateKeyError:
            return False
        return True

    async def save(self, room: Room, events: Sequence[tuple[Event, str]]) -> bool:
        """Write the room's new state and its events if nobody changed it since it was read at
        ``room.version``; False otherwise (the caller re-reads and decides again)."""
        document = room_to_document(room)
        document.pop("_id")
        document["version"] = room.version + 1
        update = outbox_update(events, **{"$set": document}) if events else {"$set": document}
        result = await self.collection.update_one(
            {"_id": room.room_id, **version_filter(room.version)}, update
        )
        return result.modified_count == 1

    async def get(self, room_id: str) -> Room | None:
        doc = await self.collection.find_one({"_id": room_id})
        return document_to_room(doc) if doc else None

    async def get_many(self, room_ids: Sequence[str]) -> dict[str, Room]:
        if not room_ids:
            return {}
        return {
            doc["_id"]: document_to_room(doc)
            async for doc in self.collection.find({"_id": {"$in": list(dict.fromkeys(room_ids))}})
        }

    async def all_matching(self, query: Document) -> list[Room]:
        """Every room matching ``query`` (district-sized: hundreds of rooms, not millions)."""
        return [document_to_room(doc) async for doc in self.collection.find(query).sort("_id", 1)]

    async def live_in_zones(self, zone_codes: Sequence[str]) -> list[Room]:
        return await self.all_matching(
            {
                "zone_codes": {"$in": list(zone_codes)},
                "status": {"$in": [RoomStatus.PLANNED.value, RoomStatus.ACTIVE.value]},
            }
        )

    async def merged_without_survivor_record(self) -> list[Room]:
        """Rooms marked merged, for checking that their survivor recorded them (crash between writes)."""
        return await self.all_matching({"status": RoomStatus.MERGED.value})

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

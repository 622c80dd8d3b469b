"""Zone re-divisions in MongoDB (collection ``rooms.redivisions``).

A re-division touches many documents and FerretDB/MongoDB give us no multi-document transaction, so
the plan is stored first (status ``applying``), every step applied idempotently, and the plan's final
update to ``done`` carries the ZonesRedivided event (outbox). A crash in between leaves an ``applying``
plan that the service completes at its next start: the event goes out only once everything moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import outbox_update
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.adapters.territory_repository import document_to_zone, zone_to_document
from jingwu_rooms.domain.model import HandoverItem
from jingwu_rooms.domain.redivision import Redivision, RoomMove, VillageMove

COLLECTION = "rooms.redivisions"
APPLYING, DONE, ABANDONED = "applying", "done", "abandoned"


def _item(item: HandoverItem) -> Document:
    return {
        "record_type": item.record_type,
        "record_id": item.record_id,
        "from_zone_code": item.from_zone_code,
        "to_zone_code": item.to_zone_code,
        "from_room_id": item.from_room_id,
        "to_room_id": item.to_room_id,
    }


def _move(move: RoomMove) -> Document:
    return {
        "room_id": move.room_id,
        "from_zone_codes": list(move.from_zone_codes),
        "to_zone_codes": list(move.to_zone_codes),
        "replacements": [{"zone_code": old, "successors": list(news)} for old, news in move.replacements],
    }


def redivision_to_document(plan: Redivision, *, at: datetime, by: str) -> Document:
    # Maps are lists of sub-documents: ids are data, not field names (a dot in an id would split the
    # name), and FerretDB v1 refuses nested arrays.
    return {
        "_id": plan.redivision_id,
        "status": APPLYING,
        "reason": plan.reason,
        "from_zone_codes": list(plan.from_zone_codes),
        "new_zones": [zone_to_document(z) for z in plan.new_zones],
        "community_to_zone": [{"community_id": c, "zone_code": z} for c, z in plan.community_to_zone.items()],
        "successors": [
            {"zone_code": code, "successors": list(news)} for code, news in plan.successors.items()
        ],
        "room_moves": [_move(m) for m in plan.room_moves],
        "village_moves": [
            {
                "village_id": m.village_id,
                "from": m.from_zone_code,
                "to": m.to_zone_code,
                "station": m.to_station_id,
            }
            for m in plan.village_moves
        ],
        "handover": [_item(i) for i in plan.handover],
        "created_by": by,
        "created_at": at,
    }


def document_to_redivision(doc: Document) -> Redivision:
    return Redivision(
        redivision_id=doc["_id"],
        reason=doc.get("reason", ""),
        from_zone_codes=tuple(doc["from_zone_codes"]),
        new_zones=tuple(document_to_zone(z) for z in doc["new_zones"]),
        community_to_zone={p["community_id"]: p["zone_code"] for p in doc["community_to_zone"]},
        successors={p["zone_code"]: tuple(p["successors"]) for p in doc["successors"]},
        room_moves=tuple(
            RoomMove(
                m["room_id"],
                tuple(m["from_zone_codes"]),
                tuple(m["to_zone_codes"]),
                tuple((r["zone_code"], tuple(r["successors"])) for r in m["replacements"]),
            )
            for m in doc["room_moves"]
        ),
        village_moves=tuple(
            VillageMove(m["village_id"], m["from"], m["to"], m["station"]) for m in doc["village_moves"]
        ),
        handover=tuple(HandoverItem(**i) for i in doc["handover"]),
    )


class MongoRedivisionRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("status")

    async def add(self, plan: Redivision, *, at: datetime, by: str) -> None:
        await self.collection.insert_one(redivision_to_document(plan, at=at, by=by))

    async def record_room_moves(
        self, redivision_id: str, moves: Sequence[RoomMove], handover: Sequence[HandoverItem]
    ) -> None:
        """Rooms found while applying (opened after planning) join the plan's lists."""
        if moves:
            await self.collection.update_one(
                {"_id": redivision_id},
                {
                    "$push": {
                        "room_moves": {"$each": [_move(m) for m in moves]},
                        "handover": {"$each": [_item(i) for i in handover]},
                    }
                },
            )

    async def finish(self, redivision_id: str, events: Sequence[tuple[Event, str]]) -> bool:
        """applying → done, with the event; False if it was finished already."""
        result = await self.collection.update_one(
            {"_id": redivision_id, "status": APPLYING}, outbox_update(events, **{"$set": {"status": DONE}})
        )
        return result.modified_count == 1

    async def abandon(self, redivision_id: str) -> None:
        await self.collection.update_one(
            {"_id": redivision_id, "status": APPLYING}, {"$set": {"status": ABANDONED}}
        )

    async def get(self, redivision_id: str) -> tuple[Redivision, str] | None:
        doc = await self.collection.find_one({"_id": redivision_id})
        return (document_to_redivision(doc), doc["status"]) if doc else None

    async def applying(self) -> list[Redivision]:
        return [
            document_to_redivision(d) async for d in self.collection.find({"status": APPLYING}).sort("_id", 1)
        ]

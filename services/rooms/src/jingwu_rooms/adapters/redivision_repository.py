"""Zone re-division plans in MongoDB (collection ``rooms.redivisions``), versioned, with the outbox.

A re-division touches many documents and the store gives us no multi-document transaction, so the
plan is stored first (status ``applying``), every step applied idempotently, and the plan's final save
as ``done`` carries the ZonesRedivided event. A crash in between leaves an ``applying`` plan that the
service completes at its next start: the event goes out only once everything moved.

The mapping is by hand (``RedivisionCodec``), because the plan's maps are keyed by record ids: stored
as lists of pairs, ids stay data rather than field names (a dot or a leading ``$`` in an id would break
a field name), and FerretDB v1 refuses nested arrays. Its new zones are stored as zone documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.adapters.territory_repository import ZONE_CODEC
from jingwu_rooms.domain.model import HandoverItem
from jingwu_rooms.domain.redivision import Redivision, RedivisionStatus, RoomMove, VillageMove

COLLECTION = "rooms.redivisions"
HANDOVER_ITEM = DocumentCodec(HandoverItem)


def _move_to_document(move: RoomMove) -> Document:
    return {
        "room_id": move.room_id,
        "from_zone_codes": list(move.from_zone_codes),
        "to_zone_codes": list(move.to_zone_codes),
        "replacements": [{"zone_code": old, "successors": list(news)} for old, news in move.replacements],
    }


def _move_from_document(document: Document) -> RoomMove:
    return RoomMove(
        document["room_id"],
        tuple(document["from_zone_codes"]),
        tuple(document["to_zone_codes"]),
        tuple((r["zone_code"], tuple(r["successors"])) for r in document["replacements"]),
    )


class RedivisionCodec(DocumentCodec[Redivision]):
    def __init__(self) -> None:
        super().__init__(Redivision, id_field="redivision_id")

    def to_document(self, obj: Redivision) -> Document:
        plan = obj
        return {
            "_id": plan.redivision_id,
            "status": plan.status.value,
            "reason": plan.reason,
            "from_zone_codes": list(plan.from_zone_codes),
            "new_zones": [ZONE_CODEC.to_document(zone) for zone in plan.new_zones],
            "community_to_zone": [
                {"community_id": community, "zone_code": zone}
                for community, zone in plan.community_to_zone.items()
            ],
            "successors": [
                {"zone_code": code, "successors": list(news)} for code, news in plan.successors.items()
            ],
            "room_moves": [_move_to_document(m) for m in plan.room_moves],
            "village_moves": [
                {
                    "village_id": m.village_id,
                    "from": m.from_zone_code,
                    "to": m.to_zone_code,
                    "station": m.to_station_id,
                }
                for m in plan.village_moves
            ],
            "handover": [HANDOVER_ITEM.to_document(item) for item in plan.handover],
            "created_by": plan.created_by,
            "created_at": plan.created_at,
            "version": plan.version,
        }

    def from_document(self, document: Mapping[str, Any]) -> Redivision:
        return Redivision(
            redivision_id=document["_id"],
            reason=document.get("reason", ""),
            from_zone_codes=tuple(document["from_zone_codes"]),
            new_zones=tuple(ZONE_CODEC.from_document(z) for z in document["new_zones"]),
            community_to_zone={p["community_id"]: p["zone_code"] for p in document["community_to_zone"]},
            successors={p["zone_code"]: tuple(p["successors"]) for p in document["successors"]},
            room_moves=tuple(_move_from_document(m) for m in document["room_moves"]),
            village_moves=tuple(
                VillageMove(m["village_id"], m["from"], m["to"], m["station"])
                for m in document["village_moves"]
            ),
            handover=tuple(HANDOVER_ITEM.from_document(i) for i in document["handover"]),
            status=RedivisionStatus(document.get("status", RedivisionStatus.APPLYING.value)),
            created_by=document.get("created_by", ""),
            created_at=document.get("created_at"),
            version=int(document.get("version", 0)),
        )


CODEC = RedivisionCodec()


class MongoRedivisionRepository(MongoAggregates[Redivision]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, COLLECTION, CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("status")

    async def applying(self) -> list[Redivision]:
        return await self.find({"status": RedivisionStatus.APPLYING.value})

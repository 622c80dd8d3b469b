"""Rooms in MongoDB (collection ``rooms.rooms`` of the district database), with the outbox.

Every change is one document update guarded by the version it read (``MongoAggregates``): two
commands racing on one room cannot both win; the loser re-reads and decides again. The mapping is the
generic codec's, points as GeoJSON (see geo_codec).
"""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.adapters.geo_codec import GeoDocumentCodec
from jingwu_rooms.application.ports import RoomQuery
from jingwu_rooms.domain.model import LIVE_STATUSES, Room

COLLECTION = "rooms.rooms"
CODEC = GeoDocumentCodec(Room, id_field="room_id")


class MongoRoomRepository(MongoAggregates[Room]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, COLLECTION, CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        await self.collection.create_index("status")
        await self.collection.create_index("zone_codes")
        await self.collection.create_index("orders.order_id")

    async def select(self, query: RoomQuery) -> list[Room]:
        criteria: Document = {}
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.zone_code:
            criteria["zone_codes"] = query.zone_code
        if query.kind is not None:
            criteria["kind"] = query.kind.value
        if query.status is not None:
            criteria["status"] = query.status.value
        if query.after_id:
            criteria["_id"] = {"$gt": query.after_id}
        return await self.find(criteria, limit=query.limit)

    async def live_in_zones(self, zone_codes: Sequence[str]) -> list[Room]:
        if not zone_codes:
            return []
        return await self.find(
            {
                "zone_codes": {"$in": list(zone_codes)},
                "status": {"$in": [status.value for status in LIVE_STATUSES]},
            }
        )

    async def holding_order(self, order_id: str) -> Room | None:
        found = await self.find({"orders.order_id": order_id}, limit=1)
        return found[0] if found else None

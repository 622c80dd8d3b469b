"""Devices in MongoDB (collection ``telemetry.devices`` of the district database), versioned, with the
outbox (the domain event and the directory entry of each change travel in the device's own write)."""

from __future__ import annotations

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_telemetry.application.ports import DeviceQuery
from jingwu_telemetry.domain.devices import Device, DeviceKind

COLLECTION = "telemetry.devices"
CODEC = DocumentCodec(Device, id_field="device_id")


class MongoDeviceRepository(MongoAggregates[Device]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, COLLECTION, CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("jt808.terminal_phone", 1)], name="terminal_phone")
        await self.collection.create_index([("jt808.terminal_id", 1)], name="terminal_id")
        await self.collection.create_index([("jt808.plate", 1)], name="plate")
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_devices")
        await self.collection.create_index([("officer_id", 1), ("_id", 1)], name="officer_devices")

    async def _one(self, query: Document) -> Device | None:
        found = await self.find(query, limit=1)
        return found[0] if found else None

    async def by_terminal_phone(self, terminal_phone: str) -> Device | None:
        return await self._one({"jt808.terminal_phone": terminal_phone})

    async def by_terminal_id(self, terminal_id: str) -> Device | None:
        return await self._one({"jt808.terminal_id": terminal_id})

    async def by_plate(self, plate: str) -> Device | None:
        return await self._one({"jt808.plate": plate, "kind": DeviceKind.VEHICLE_TERMINAL.value})

    async def list(self, query: DeviceQuery) -> list[Device]:
        criteria: Document = {}
        for field, value in (
            ("kind", query.kind.value if query.kind else ""),
            ("status", query.status.value if query.status else ""),
            ("zone_code", query.zone_code),
            ("vehicle_id", query.vehicle_id),
            ("officer_id", query.officer_id),
            ("room_id", query.room_id),
        ):
            if value:
                criteria[field] = value
        if query.after_id:
            criteria["_id"] = {"$gt": query.after_id}
        return await self.find(criteria, limit=query.limit)

"""Devices in MongoDB (collection ``telemetry.devices`` of the district database), versioned, with the
outbox (the domain event and the directory entry of each change travel in the device's own write).

The lookups by terminal phone, terminal id and plate (every registration, authentication and
RegisterDevice asks one to three of them) are answered from an in-memory key index, then by ``_id``:
FerretDB v1 applies any other filter in Go after reading every row (docs/adr/0034), which made a
lookup cost 420 ms at 500 devices under the soak's registration load. The index is read from the store
on the first lookup and kept by this adapter's own writes: telemetry is the only writer of its
district's devices (one process per district, docs/adr/0003), and a restart reads it again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates
from jingwu_platform.usecase import Outgoing
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_telemetry.application.ports import DeviceQuery
from jingwu_telemetry.domain.devices import Device, DeviceKind

COLLECTION = "telemetry.devices"
CODEC = DocumentCodec(Device, id_field="device_id")
PHONE, TERMINAL_ID, PLATE = "terminal_phone", "terminal_id", "plate"
_KEY_FIELDS = {"_id": 1, "kind": 1, "jt808.terminal_phone": 1, "jt808.terminal_id": 1, "jt808.plate": 1}


def _keys(kind: str, jt808: Document | None) -> frozenset[tuple[str, str]]:
    """The lookup keys of a device: (what, value) for each non-empty JT/T 808 identity it has; the
    plate only of a vehicle terminal (what ``by_plate`` finds)."""
    if not jt808:
        return frozenset()
    keys = {(what, jt808.get(what) or "") for what in (PHONE, TERMINAL_ID)}
    if kind == DeviceKind.VEHICLE_TERMINAL.value:
        keys.add((PLATE, jt808.get(PLATE) or ""))
    return frozenset(key for key in keys if key[1])


def _keys_of(device: Device) -> frozenset[tuple[str, str]]:
    if device.jt808 is None:
        return frozenset()
    identity = device.jt808
    values = {PHONE: identity.terminal_phone, TERMINAL_ID: identity.terminal_id, PLATE: identity.plate}
    return _keys(device.kind.value, values)


class MongoDeviceRepository(MongoAggregates[Device]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, COLLECTION, CODEC, outbox)
        self._ids: dict[tuple[str, str], set[str]] | None = None  # key → device ids (None: not read)
        self._keys_by_id: dict[str, frozenset[tuple[str, str]]] = {}
        self._loading = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("jt808.terminal_phone", 1)], name="terminal_phone")
        await self.collection.create_index([("jt808.terminal_id", 1)], name="terminal_id")
        await self.collection.create_index([("jt808.plate", 1)], name="plate")
        await self.collection.create_index([("zone_code", 1), ("_id", 1)], name="zone_devices")
        await self.collection.create_index([("officer_id", 1), ("_id", 1)], name="officer_devices")

    async def _key_index(self) -> dict[tuple[str, str], set[str]]:
        if self._ids is None:
            async with self._loading:
                if self._ids is None:
                    ids: dict[tuple[str, str], set[str]] = {}
                    async for document in self.collection.find({}, _KEY_FIELDS):
                        keys = _keys(document.get("kind", ""), document.get("jt808"))
                        self._keys_by_id[document["_id"]] = keys
                        for key in keys:
                            ids.setdefault(key, set()).add(document["_id"])
                    self._ids = ids
        return self._ids

    def _index(self, device: Device) -> None:
        if self._ids is None:
            return  # read whole on the first lookup, this write included
        old = self._keys_by_id.get(device.device_id, frozenset())
        new = self._keys_by_id[device.device_id] = _keys_of(device)
        for key in old - new:
            holders = self._ids.get(key, set())
            holders.discard(device.device_id)
            if not holders:
                self._ids.pop(key, None)
        for key in new - old:
            self._ids.setdefault(key, set()).add(device.device_id)

    async def add(self, aggregate: Device, events: Sequence[Outgoing] = ()) -> bool:
        added = await super().add(aggregate, events)
        if added:
            self._index(aggregate)
        return added

    async def save(self, aggregate: Device, events: Sequence[Outgoing] = ()) -> Device | None:
        stored = await super().save(aggregate, events)
        if stored is not None:
            self._index(stored)
        return stored

    async def _one(self, key: tuple[str, str]) -> Device | None:
        """The device holding ``key`` (the lowest id if several do, as a sorted query would answer)."""
        if not key[1]:
            return None  # no device is looked up by an empty identity
        for device_id in sorted((await self._key_index()).get(key, ())):
            device = await self.get(device_id)
            if device is not None and key in _keys_of(device):
                return device
        return None

    async def by_terminal_phone(self, terminal_phone: str) -> Device | None:
        return await self._one((PHONE, terminal_phone))

    async def by_terminal_id(self, terminal_id: str) -> Device | None:
        return await self._one((TERMINAL_ID, terminal_id))

    async def by_plate(self, plate: str) -> Device | None:
        return await self._one((PLATE, plate))

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

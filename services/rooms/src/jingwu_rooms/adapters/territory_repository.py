"""Stations, zones and villages in MongoDB (collections ``rooms.stations``, ``rooms.zones``,
``rooms.villages``), each write carrying its events (outbox).

Stations are written once (records); zones and villages are versioned aggregates (a re-division
dissolves zones and moves villages by read-decide-write). The mapping is the generic codec's, points as
GeoJSON (geo_codec), with two exceptions for zones, both in ``ZoneCodec``:

- the boundary is stored as rings of ``{"points": [{"lon", "lat"}, ...]}``: FerretDB v1 rejects nested
  arrays (GeoJSON polygons are arrays of arrays), and the district databases hold boundaries this way;
- ``active_name`` is stored besides the zone's fields, for a unique index: the name while the zone is
  active, a per-code placeholder once retired (FerretDB v1 has no partial indexes), so two active
  zones never share a name (R-ORG-2) and a retired zone's name can be given again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import MongoAggregates, MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_rooms.adapters.geo_codec import GeoDocumentCodec
from jingwu_rooms.application.ports import StationQuery, VillageQuery, ZoneClash, ZoneQuery
from jingwu_rooms.domain.model import GeoPoint
from jingwu_rooms.domain.territory import Polygon, Station, Village, Zone

STATIONS = "rooms.stations"
ZONES = "rooms.zones"
VILLAGES = "rooms.villages"
ACTIVE_NAME = "active_name"


def _after(token: str) -> Document:
    return {"_id": {"$gt": token}} if token else {}


def polygon_to_document(boundary: Polygon) -> list[Document]:
    return [{"points": [{"lon": p.longitude, "lat": p.latitude} for p in ring]} for ring in boundary]


def polygon_from_document(rings: list[Document] | None) -> Polygon:
    return tuple(
        tuple(GeoPoint(float(p["lon"]), float(p["lat"])) for p in ring["points"]) for ring in rings or ()
    )


def active_name(zone: Zone) -> str:
    return f"~retired~{zone.zone_code}" if zone.retired else zone.name


class ZoneCodec(GeoDocumentCodec[Zone]):
    def __init__(self) -> None:
        super().__init__(Zone, id_field="zone_code")

    def to_document(self, obj: Zone) -> Document:
        document = super().to_document(replace(obj, boundary=()))
        document["boundary"] = polygon_to_document(obj.boundary)
        document[ACTIVE_NAME] = active_name(obj)
        return document

    def from_document(self, document: Mapping[str, Any]) -> Zone:
        zone = super().from_document({**document, "boundary": []})
        return replace(zone, boundary=polygon_from_document(document.get("boundary")))


STATION_CODEC = GeoDocumentCodec(Station, id_field="station_id")
ZONE_CODEC = ZoneCodec()
VILLAGE_CODEC = GeoDocumentCodec(Village, id_field="village_id")


class MongoStationRepository(MongoDocuments[Station]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, STATIONS, STATION_CODEC, outbox)

    async def select(self, query: StationQuery) -> list[Station]:
        return await self.find(_after(query.after_id), limit=query.limit)


class MongoZoneRepository(MongoAggregates[Zone]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, ZONES, ZONE_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(ACTIVE_NAME, unique=True)
        await self.collection.create_index([("station_id", 1), ("retired", 1)])
        await self.collection.create_index("community_name")
        await self.collection.create_index("created_by_redivision_id")

    async def clash_with(self, zone: Zone) -> ZoneClash:
        # One of the two unique keys refused it: the code (_id), or else the active name.
        return ZoneClash.CODE if await self.get(zone.zone_code) is not None else ZoneClash.NAME

    async def select(self, query: ZoneQuery) -> list[Zone]:
        criteria: Document = _after(query.after_code)
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.community_name:
            criteria["community_name"] = query.community_name
        if not query.include_retired:
            criteria["retired"] = False
        return await self.find(criteria, limit=query.limit)

    async def delete_created_by(self, redivision_id: str) -> None:
        if redivision_id:
            await self.collection.delete_many({"created_by_redivision_id": redivision_id})


class MongoVillageRepository(MongoAggregates[Village]):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__(database, VILLAGES, VILLAGE_CODEC, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("zone_code")
        await self.collection.create_index("station_id")
        await self.collection.create_index("parent_village_id")

    async def select(self, query: VillageQuery) -> list[Village]:
        criteria: Document = _after(query.after_id)
        if query.zone_code:
            criteria["zone_code"] = query.zone_code
        if query.station_id:
            criteria["station_id"] = query.station_id
        if query.level is not None:
            criteria["level"] = query.level.value
        if query.parent_village_id:
            criteria["parent_village_id"] = query.parent_village_id
        return await self.find(criteria, limit=query.limit)

    async def for_redivision(self, zone_codes: Sequence[str], community_ids: Sequence[str]) -> list[Village]:
        return await self.find(
            {
                "$or": [
                    {"zone_code": {"$in": list(zone_codes)}},
                    {"_id": {"$in": list(community_ids)}},
                    {"parent_village_id": {"$in": list(community_ids)}},
                ]
            }
        )

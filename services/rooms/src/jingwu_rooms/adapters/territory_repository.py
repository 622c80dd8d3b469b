"""Stations, zones and villages in MongoDB (collections ``rooms.stations``, ``rooms.zones``,
``rooms.villages``), each write carrying its events (outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import with_outbox
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_rooms.adapters.repository import point_from_document, point_to_document
from jingwu_rooms.domain.model import GeoPoint
from jingwu_rooms.domain.territory import (
    Audit,
    OperatingModel,
    Station,
    StationKind,
    Village,
    VillageLevel,
    Zone,
    ZoneWorkload,
)

STATIONS = "rooms.stations"
ZONES = "rooms.zones"
VILLAGES = "rooms.villages"
# Unique among zones: the name while active, the code once retired (FerretDB v1 has no partial
# indexes), so two active zones never share a name (R-ORG-2) and retired names can be reused.
ACTIVE_NAME = "active_name"


def _audit_to_document(audit: Audit) -> Document:
    return {
        "created_by": audit.created_by,
        "created_at": audit.created_at,
        "updated_by": audit.updated_by,
        "updated_at": audit.updated_at,
    }


def _audit_from_document(doc: dict[str, Any] | None) -> Audit:
    doc = doc or {}
    return Audit(
        doc.get("created_by", ""), doc.get("created_at"), doc.get("updated_by", ""), doc.get("updated_at")
    )


def station_to_document(station: Station) -> Document:
    return {
        "_id": station.station_id,
        "name": station.name,
        "kind": station.kind.value,
        "operating_model": station.operating_model.value,
        "location": point_to_document(station.location),
        "audit": _audit_to_document(station.audit),
    }


def document_to_station(doc: Document) -> Station:
    return Station(
        station_id=doc["_id"],
        name=doc["name"],
        kind=StationKind(doc["kind"]),
        operating_model=OperatingModel(doc["operating_model"]),
        location=point_from_document(doc["location"]),
        audit=_audit_from_document(doc.get("audit")),
    )


def _polygon_to_document(boundary: tuple[tuple[GeoPoint, ...], ...]) -> list[Document]:
    """Rings of points as sub-documents, not GeoJSON's nested arrays: FerretDB v1 refuses nested arrays
    ("nested arrays are not supported"). A MongoDB 2dsphere index would need a GeoJSON copy."""
    return [{"points": [{"lon": p.longitude, "lat": p.latitude} for p in ring]} for ring in boundary]


def _polygon_from_document(rings: list[Document] | None) -> tuple[tuple[GeoPoint, ...], ...]:
    return tuple(tuple(GeoPoint(p["lon"], p["lat"]) for p in ring["points"]) for ring in rings or ())


def zone_to_document(zone: Zone) -> Document:
    return {
        "_id": zone.zone_code,
        "name": zone.name,
        ACTIVE_NAME: f"~retired~{zone.zone_code}" if zone.retired else zone.name,
        "community_name": zone.community_name,
        "sequence": zone.sequence,
        "station_id": zone.station_id,
        "community_ids": list(zone.community_ids),
        "workload": {
            "actual_population": zone.workload.actual_population,
            "area_km2": zone.workload.area_km2,
            "security_complexity": zone.workload.security_complexity,
        },
        "boundary": _polygon_to_document(zone.boundary),
        "retired": zone.retired,
        "created_by_redivision_id": zone.created_by_redivision_id,
        "retired_by_redivision_id": zone.retired_by_redivision_id,
        "successor_zone_codes": list(zone.successor_zone_codes),
        "audit": _audit_to_document(zone.audit),
    }


def document_to_zone(doc: Document) -> Zone:
    workload = doc.get("workload") or {}
    return Zone(
        zone_code=doc["_id"],
        name=doc["name"],
        community_name=doc.get("community_name", ""),
        sequence=int(doc.get("sequence", 0)),
        station_id=doc["station_id"],
        community_ids=tuple(doc.get("community_ids") or ()),
        workload=ZoneWorkload(
            actual_population=int(workload.get("actual_population", 0)),
            area_km2=float(workload.get("area_km2", 0.0)),
            security_complexity=int(workload.get("security_complexity", 0)),
        ),
        boundary=_polygon_from_document(doc.get("boundary")),
        retired=bool(doc.get("retired", False)),
        created_by_redivision_id=doc.get("created_by_redivision_id", ""),
        retired_by_redivision_id=doc.get("retired_by_redivision_id", ""),
        successor_zone_codes=tuple(doc.get("successor_zone_codes") or ()),
        audit=_audit_from_document(doc.get("audit")),
    )


def village_to_document(village: Village) -> Document:
    return {
        "_id": village.village_id,
        "name": village.name,
        "level": village.level.value,
        "parent_village_id": village.parent_village_id,
        "zone_code": village.zone_code,
        "station_id": village.station_id,
        "location": point_to_document(village.location),
        "security_complex_central": village.security_complex_central,
        "former_township_seat": village.former_township_seat,
        "remote_from_station": village.remote_from_station,
        "township": village.township,
        "urban_community": village.urban_community,
        "audit": _audit_to_document(village.audit),
    }


def document_to_village(doc: Document) -> Village:
    return Village(
        village_id=doc["_id"],
        name=doc["name"],
        level=VillageLevel(doc["level"]),
        parent_village_id=doc.get("parent_village_id", ""),
        zone_code=doc.get("zone_code", ""),
        station_id=doc.get("station_id", ""),
        location=point_from_document(doc["location"]),
        security_complex_central=bool(doc.get("security_complex_central")),
        former_township_seat=bool(doc.get("former_township_seat")),
        remote_from_station=bool(doc.get("remote_from_station")),
        township=doc.get("township", ""),
        urban_community=bool(doc.get("urban_community")),
        audit=_audit_from_document(doc.get("audit")),
    )


class MongoTerritoryRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.stations: AsyncCollection[Document] = database[STATIONS]
        self.zones: AsyncCollection[Document] = database[ZONES]
        self.villages: AsyncCollection[Document] = database[VILLAGES]

    @property
    def collections(self) -> list[AsyncCollection[Document]]:
        return [self.stations, self.zones, self.villages]

    async def ensure_indexes(self) -> None:
        await self.zones.create_index(ACTIVE_NAME, unique=True)
        await self.zones.create_index([("station_id", 1), ("retired", 1)])
        await self.zones.create_index("community_ids")
        await self.villages.create_index("zone_code")
        await self.villages.create_index("station_id")
        await self.villages.create_index("parent_village_id")

    # stations

    async def add_station(self, station: Station, events: Sequence[tuple[Event, str]]) -> bool:
        try:
            await self.stations.insert_one(with_outbox(station_to_document(station), events))
        except DuplicateKeyError:
            return False
        return True

    async def get_station(self, station_id: str) -> Station | None:
        doc = await self.stations.find_one({"_id": station_id})
        return document_to_station(doc) if doc else None

    async def list_stations(self, *, after_id: str, limit: int) -> list[Station]:
        query: Document = {"_id": {"$gt": after_id}} if after_id else {}
        return [document_to_station(d) async for d in self.stations.find(query).sort("_id", 1).limit(limit)]

    # zones

    async def add_zone(self, zone: Zone, events: Sequence[tuple[Event, str]]) -> str:
        """Insert; answers "" when stored, else what clashed: "code" or "name" (R-ORG-2 uniqueness)."""
        document = zone_to_document(zone)
        try:
            await self.zones.insert_one(with_outbox(document, events) if events else document)
        except DuplicateKeyError:
            return "code" if await self.zones.find_one({"_id": zone.zone_code}, {"_id": 1}) else "name"
        return ""

    async def get_zone(self, zone_code: str) -> Zone | None:
        doc = await self.zones.find_one({"_id": zone_code})
        return document_to_zone(doc) if doc else None

    async def get_zones(self, zone_codes: Sequence[str]) -> dict[str, Zone]:
        if not zone_codes:
            return {}
        return {
            d["_id"]: document_to_zone(d) async for d in self.zones.find({"_id": {"$in": list(zone_codes)}})
        }

    async def existing_zone_codes(self, zone_codes: Sequence[str]) -> list[str]:
        found = {d["_id"] async for d in self.zones.find({"_id": {"$in": list(zone_codes)}}, {"_id": 1})}
        return [code for code in zone_codes if code in found]

    async def active_zones(self, *, community_name: str = "") -> list[Zone]:
        query: Document = {"retired": False}
        if community_name:
            query["community_name"] = community_name
        return [document_to_zone(d) async for d in self.zones.find(query).sort("_id", 1)]

    async def list_zones(
        self, *, station_id: str, include_retired: bool, after_code: str, limit: int
    ) -> list[Zone]:
        query: Document = {}
        if station_id:
            query["station_id"] = station_id
        if not include_retired:
            query["retired"] = False
        if after_code:
            query["_id"] = {"$gt": after_code}
        return [document_to_zone(d) async for d in self.zones.find(query).sort("_id", 1).limit(limit)]

    async def retire_zone(self, zone_code: str, redivision_id: str, successors: Sequence[str]) -> bool:
        """Dissolve a zone for a re-division. True if this re-division holds it (now or from an earlier
        attempt); False if it was already dissolved by another one (the claim is the optimistic lock)."""
        result = await self.zones.update_one(
            {"_id": zone_code, "retired": False},
            {
                "$set": {
                    "retired": True,
                    "retired_by_redivision_id": redivision_id,
                    "successor_zone_codes": list(successors),
                    ACTIVE_NAME: f"~retired~{zone_code}",
                }
            },
        )
        if result.modified_count == 1:
            return True
        doc = await self.zones.find_one({"_id": zone_code}, {"retired_by_redivision_id": 1})
        return doc is not None and doc.get("retired_by_redivision_id") == redivision_id

    async def unretire_zone(self, zone: Zone, redivision_id: str) -> None:
        """Undo ``retire_zone`` of an abandoned re-division."""
        await self.zones.update_one(
            {"_id": zone.zone_code, "retired_by_redivision_id": redivision_id},
            {
                "$set": {
                    "retired": False,
                    "retired_by_redivision_id": "",
                    "successor_zone_codes": [],
                    ACTIVE_NAME: zone.name,
                }
            },
        )

    # villages

    async def add_village(self, village: Village, events: Sequence[tuple[Event, str]]) -> bool:
        try:
            await self.villages.insert_one(with_outbox(village_to_document(village), events))
        except DuplicateKeyError:
            return False
        return True

    async def get_village(self, village_id: str) -> Village | None:
        doc = await self.villages.find_one({"_id": village_id})
        return document_to_village(doc) if doc else None

    async def villages_for_redivision(
        self, zone_codes: Sequence[str], community_ids: Sequence[str]
    ) -> list[Village]:
        """Villages in the zones, the named communities, and the natural villages of those communities."""
        query: Document = {
            "$or": [
                {"zone_code": {"$in": list(zone_codes)}},
                {"_id": {"$in": list(community_ids)}},
                {"parent_village_id": {"$in": list(community_ids)}},
            ]
        }
        return [document_to_village(d) async for d in self.villages.find(query).sort("_id", 1)]

    async def list_villages(
        self,
        *,
        zone_code: str = "",
        station_id: str = "",
        level: VillageLevel | None = None,
        parent_village_id: str = "",
        after_id: str = "",
        limit: int = 0,
    ) -> list[Village]:
        query: Document = {}
        if zone_code:
            query["zone_code"] = zone_code
        if station_id:
            query["station_id"] = station_id
        if level is not None:
            query["level"] = level.value
        if parent_village_id:
            query["parent_village_id"] = parent_village_id
        if after_id:
            query["_id"] = {"$gt": after_id}
        cursor = self.villages.find(query).sort("_id", 1)
        if limit:
            cursor = cursor.limit(limit)
        return [document_to_village(d) async for d in cursor]

    async def move_village(self, village_id: str, from_zone: str, to_zone: str, to_station: str) -> None:
        """Idempotent: only a village still in ``from_zone`` moves."""
        await self.villages.update_one(
            {"_id": village_id, "zone_code": from_zone},
            {"$set": {"zone_code": to_zone, "station_id": to_station}},
        )

"""The platform's own territory as GeoJSON for the map (R-POP-7): zones, rooms, villages, houses,
places, prevention rings, checkpoints and vehicles. Nothing comes from an outside tile server.

Pure functions from contract messages to GeoJSON (RFC 7946: [longitude, latitude], WGS-84). Each
feature's ``properties`` hold what the map draws and labels; no personal data is ever put here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.outline import approximate_outline

Feature = dict[str, Any]
FeatureCollection = dict[str, Any]

# R-ROOM-1 kinds in Chinese, as the legend shows them.
ROOM_KIND_LABELS: Mapping[int, str] = {
    rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE: "居家式社区警务室",
    rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER: "一区一警式社区警务室",
    rooms_pb2.ROOM_KIND_RURAL_LINKED_CLUSTER: "联动包片式农村警务室",
    rooms_pb2.ROOM_KIND_KEY_VILLAGE: "重点村警务室",
    rooms_pb2.ROOM_KIND_VILLAGE_CONTACT_POINT: "警务联系点",
    rooms_pb2.ROOM_KIND_AUXILIARY_WORKROOM: "辅警工作室",
    rooms_pb2.ROOM_KIND_MOBILE: "流动警务室",
}
RING_LEVEL_LABELS: Mapping[int, str] = {
    patrol_pb2.RING_LEVEL_CORE: "核心圈",
    patrol_pb2.RING_LEVEL_CENTRE: "中心圈",
    patrol_pb2.RING_LEVEL_INNER: "内圈",
    patrol_pb2.RING_LEVEL_OUTER: "外圈",
}


def collection(features: Iterable[Feature]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": list(features)}


def point(p: common_pb2.GeoPoint) -> list[float]:
    return [p.longitude, p.latitude]


def _has_point(p: common_pb2.GeoPoint) -> bool:
    return bool(p.longitude or p.latitude)


def rings(polygon: common_pb2.Polygon) -> list[list[list[float]]]:
    """The polygon's rings, each closed (first point repeated last) as RFC 7946 requires."""
    out = []
    for ring in polygon.rings:
        coordinates = [point(p) for p in ring.points]
        if len(coordinates) < 3:
            continue
        if coordinates[0] != coordinates[-1]:
            coordinates.append(coordinates[0])
        out.append(coordinates)
    return out


def centroid(coordinates: Sequence[Sequence[float]]) -> list[float]:
    """Area-weighted centroid of a closed ring (the mean of its points for a degenerate one)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(coordinates):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        n = max(1, len(coordinates))
        return [sum(c[0] for c in coordinates) / n, sum(c[1] for c in coordinates) / n]
    return [cx / (3 * area), cy / (3 * area)]


def zone_features(
    zones: Iterable[rooms_pb2.Zone],
    villages: Iterable[rooms_pb2.Village] = (),
    rooms: Iterable[rooms_pb2.Room] = (),
) -> list[Feature]:
    """Zones with their 8-digit codes (R-ORG-2). A zone's recorded boundary is drawn as it is; a zone
    without one is drawn around its villages and rooms and marked ``approximate``. Retired zones, and
    zones with neither a boundary nor a located village or room, are left out."""
    places: dict[str, list[tuple[float, float]]] = {}
    for village in villages:
        if _has_point(village.location):
            places.setdefault(village.zone_code, []).append(
                (village.location.longitude, village.location.latitude)
            )
    for room in rooms:
        if _has_point(room.location):
            for code in room.zone_codes:
                places.setdefault(code, []).append((room.location.longitude, room.location.latitude))
    features = []
    for zone in zones:
        if zone.retired:
            continue
        outline = rings(zone.boundary)
        approximate = not outline
        if approximate:
            ring = approximate_outline(places.get(zone.zone_code, []))
            outline = [ring] if ring else []
        if not outline:
            continue
        features.append(
            {
                "type": "Feature",
                "id": zone.zone_code,
                "geometry": {"type": "Polygon", "coordinates": outline},
                "properties": {
                    "zone_code": zone.zone_code,
                    "name": zone.name,
                    "station_id": zone.station_id,
                    "label_point": centroid(outline[0]),
                    "declared_population": zone.workload.actual_population,
                    "approximate": approximate,
                },
            }
        )
    return features


def room_features(rooms: Iterable[rooms_pb2.Room], gaps: Iterable[rooms_pb2.CoverageGap]) -> list[Feature]:
    """Rooms by kind (R-ROOM-1); a room without an officer is flagged as a coverage gap (R-ROOM-4)."""
    without_officer = {g.room_id for g in gaps if g.finding == "room_without_officer" and g.room_id}
    features = []
    for room in rooms:
        if not _has_point(room.location) or room.status in (
            rooms_pb2.ROOM_STATUS_MERGED,
            rooms_pb2.ROOM_STATUS_CLOSED,
        ):
            continue
        features.append(
            {
                "type": "Feature",
                "id": room.room_id,
                "geometry": {"type": "Point", "coordinates": point(room.location)},
                "properties": {
                    "room_id": room.room_id,
                    "name": room.name,
                    "kind": rooms_pb2.RoomKind.Name(room.kind),
                    "kind_label": ROOM_KIND_LABELS.get(room.kind, "警务室"),
                    "status": rooms_pb2.RoomStatus.Name(room.status),
                    "zone_codes": list(room.zone_codes),
                    "officer_count": sum(1 for o in room.officers if o.police_officer),
                    "auxiliary_count": sum(1 for o in room.officers if not o.police_officer),
                    "gap": room.room_id in without_officer,
                    "vehicle_plate": room.vehicle_plate,
                },
            }
        )
    return features


def village_features(
    villages: Iterable[rooms_pb2.Village], gaps: Iterable[rooms_pb2.CoverageGap]
) -> list[Feature]:
    """Villages; a must-build village without a room is a coverage gap (R-ROOM-4)."""
    uncovered = {
        g.village_id: list(g.reasons)
        for g in gaps
        if g.finding == "must_build_village_without_room" and g.village_id
    }
    features = []
    for village in villages:
        if not _has_point(village.location):
            continue
        must_build = [
            name
            for name, flag in (
                ("security_complex_central", village.security_complex_central),
                ("former_township_seat", village.former_township_seat),
                ("remote_from_station", village.remote_from_station),
            )
            if flag
        ]
        features.append(
            {
                "type": "Feature",
                "id": village.village_id,
                "geometry": {"type": "Point", "coordinates": point(village.location)},
                "properties": {
                    "village_id": village.village_id,
                    "name": village.name,
                    "zone_code": village.zone_code,
                    "level": rooms_pb2.VillageLevel.Name(village.level),
                    "must_build": must_build,
                    "gap": village.village_id in uncovered,
                    "gap_reasons": uncovered.get(village.village_id, []),
                },
            }
        )
    return features


def density(populations: Iterable[population_pb2.ZonePopulation]) -> dict[str, dict[str, int]]:
    """Residents per zone (R-POP-7), by zone code, for the choropleth."""
    return {
        p.zone_code: {
            "actual_population": p.actual_population,
            "house_count": p.house_count,
            "rental_house_count": p.rental_house_count,
            "residence_separated_count": p.residence_separated_count,
        }
        for p in populations
    }


def _local_date(d: common_pb2.LocalDate) -> date | None:
    try:
        return date(d.year, d.month, d.day)
    except ValueError:
        return None


def place_features(places: Iterable[population_pb2.Place], today: date) -> list[Feature]:
    """Places whose monthly inspection is due or overdue (R-POP-3); no contact data on the map."""
    features = []
    for place in places:
        due = _local_date(place.inspection_due_date)
        if not _has_point(place.location) or due is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": place.place_id,
                "geometry": {"type": "Point", "coordinates": point(place.location)},
                "properties": {
                    "place_id": place.place_id,
                    "name": place.name,
                    "kind": population_pb2.PlaceKind.Name(place.kind),
                    "zone_code": place.zone_code,
                    "due_date": due.isoformat(),
                    "overdue": due < today,
                    "days_overdue": max(0, (today - due).days),
                },
            }
        )
    return features


def house_features(features_in: Iterable[population_pb2.MapFeature]) -> list[Feature]:
    """Houses from the population map query (R-POP-7): counts only, no names or numbers."""
    return [
        {
            "type": "Feature",
            "id": f.id,
            "geometry": {"type": "Point", "coordinates": point(f.location)},
            "properties": {
                "house_id": f.id,
                "label": f.label,
                "zone_code": f.zone_code,
                "resident_count": f.resident_count,
                "key_group_resident_count": f.key_group_resident_count,
                "rental": f.rental,
            },
        }
        for f in features_in
        if f.kind == population_pb2.MAP_FEATURE_KIND_HOUSE and _has_point(f.location)
    ]


def ring_features(prevention_rings: Iterable[patrol_pb2.PreventionRing]) -> list[Feature]:
    """Prevention rings (R-PAT-3), core first."""
    features = []
    for ring in prevention_rings:
        outline = rings(ring.boundary)
        if not outline:
            continue
        features.append(
            {
                "type": "Feature",
                "id": ring.ring_id,
                "geometry": {"type": "Polygon", "coordinates": outline},
                "properties": {
                    "ring_id": ring.ring_id,
                    "name": ring.name,
                    "level": patrol_pb2.RingLevel.Name(ring.level),
                    "level_label": RING_LEVEL_LABELS.get(ring.level, "防控圈"),
                },
            }
        )
    return features


def checkpoint_features(checkpoints: Iterable[patrol_pb2.Checkpoint]) -> list[Feature]:
    """Checkpoints and security check stations (R-PAT-3)."""
    return [
        {
            "type": "Feature",
            "id": c.checkpoint_id,
            "geometry": {"type": "Point", "coordinates": point(c.location)},
            "properties": {
                "checkpoint_id": c.checkpoint_id,
                "name": c.name,
                "kind": patrol_pb2.CheckpointKind.Name(c.kind),
                "zone_code": c.zone_code,
                "active": c.active,
            },
        }
        for c in checkpoints
        if _has_point(c.location)
    ]


def fix_json(fix: telemetry_pb2.LocationFix) -> dict[str, Any]:
    """One fix as the live feed and the track replay send it."""
    return {
        "device_id": fix.device_id,
        "kind": telemetry_pb2.DeviceKind.Name(fix.device_kind),
        "lon": fix.position.longitude,
        "lat": fix.position.latitude,
        "speed_kmh": round(fix.speed_kmh, 1),
        "heading_deg": round(fix.heading_deg, 1),
        "time": fix.fix_time.ToJsonString() if fix.HasField("fix_time") else None,
    }


def position_json(position: telemetry_pb2.DevicePosition) -> dict[str, Any]:
    """A device's latest position with what it is attached to (vehicle, room, officer)."""
    return {
        **fix_json(position.fix),
        "device_id": position.device_id,
        "kind": telemetry_pb2.DeviceKind.Name(position.device_kind),
        "vehicle_id": position.vehicle_id,
        "room_id": position.room_id,
        "officer_id": position.officer_id,
        "zone_code": position.current_zone_code,
        "stale": position.stale,
    }


def bbox_of(features: Iterable[Feature]) -> list[float] | None:
    """[west, south, east, north] around every coordinate of the features; None when there are none."""
    xs: list[float] = []
    ys: list[float] = []

    def visit(value: Any) -> None:
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float | int) for v in value):
            xs.append(float(value[0]))
            ys.append(float(value[1]))
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for feature in features:
        visit(feature["geometry"]["coordinates"])
    if not xs:
        return None
    return [min(xs), min(ys), max(xs), max(ys)]

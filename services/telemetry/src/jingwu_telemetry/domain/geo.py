"""Zones and stops as the consumer tests fixes against them (R-PAT-6, R-ROOM-5, R-POP-7). Pure.

A zone's boundary is a GeoJSON-style polygon (outer ring, then holes) in WGS-84 longitude/latitude;
point-in-polygon is the even-odd ray test, with a bounding-box check first so most zones are skipped
at the cost of four comparisons. A zone index answers "which zone is this point in" for a district's
zones (zones do not overlap; should two, the lowest code wins, so the answer is stable).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jingwu_telemetry.domain.fix_rules import distance_m

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude), closed or not


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    count = len(ring)
    j = count - 1
    for i in range(count):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@dataclass(frozen=True)
class ZoneArea:
    zone_code: str
    rings: tuple[Ring, ...]
    retired: bool = False
    bbox: tuple[float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0), compare=False)

    def __post_init__(self) -> None:
        points = [p for ring in self.rings[:1] for p in ring]
        if points:
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            object.__setattr__(self, "bbox", (min(lons), min(lats), max(lons), max(lats)))

    def contains(self, lon: float, lat: float) -> bool:
        if not self.rings or len(self.rings[0]) < 3:
            return False
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        if not _in_ring(lon, lat, self.rings[0]):
            return False
        return not any(_in_ring(lon, lat, hole) for hole in self.rings[1:])


@dataclass(frozen=True)
class Stop:
    """A mobile room's designated stop (R-ROOM-5)."""

    room_id: str
    stop_id: str
    longitude: float
    latitude: float
    radius_m: float


class ZoneIndex:
    """The district's active zones."""

    def __init__(self, zones: Iterable[ZoneArea] = ()) -> None:
        self._zones = sorted((z for z in zones if not z.retired and z.rings), key=lambda z: z.zone_code)

    def __len__(self) -> int:
        return len(self._zones)

    def zone_at(self, lon: float, lat: float) -> str:
        for zone in self._zones:
            if zone.contains(lon, lat):
                return zone.zone_code
        return ""


def stop_at(stops: Iterable[Stop], lon: float, lat: float) -> Stop | None:
    """The nearest of the stops whose radius the point is within, if any."""
    best: tuple[float, Stop] | None = None
    for stop in stops:
        metres = distance_m(lat, lon, stop.latitude, stop.longitude)
        if metres <= max(stop.radius_m, 1.0) and (best is None or metres < best[0]):
            best = (metres, stop)
    return best[1] if best else None

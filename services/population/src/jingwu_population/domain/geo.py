"""Geography of the population (R-POP-7): points, polygons, circles, and the grid-cell index. Pure.

The local store has no geospatial operators (FerretDB v1: no ``$geoWithin``, no ``2dsphere``), and the
same code must run on MongoDB, so map queries use a grid: the world in cells of ``CELL_DEGREES`` by
``CELL_DEGREES`` (0.01°: about 930 m east–west by 1,110 m north–south at the district's 33° N). Each
house and place is filed under its cell; a query covers its area with cells, reads those cells only,
and keeps the points that are really inside (point-in-polygon, great-circle distance). See
docs/adr for the choice of cell size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CELL_DEGREES = 0.01
_CELLS_PER_DEGREE = round(1 / CELL_DEGREES)
EARTH_RADIUS_M = 6_371_008.8
# A query may cover at most this many cells (a map window of ~55 km × 55 km at 0.01°).
MAX_CELLS = 3_000


@dataclass(frozen=True)
class GeoPoint:
    longitude: float
    latitude: float


@dataclass(frozen=True)
class BoundingBox:
    west: float
    south: float
    east: float
    north: float

    def contains(self, point: GeoPoint) -> bool:
        return self.west <= point.longitude <= self.east and self.south <= point.latitude <= self.north


@dataclass(frozen=True)
class Polygon:
    """Rings of points; the first is the outer boundary, the others holes (GeoJSON order)."""

    rings: tuple[tuple[GeoPoint, ...], ...]

    def bounds(self) -> BoundingBox:
        outer = self.rings[0]
        return BoundingBox(
            min(p.longitude for p in outer),
            min(p.latitude for p in outer),
            max(p.longitude for p in outer),
            max(p.latitude for p in outer),
        )

    def contains(self, point: GeoPoint) -> bool:
        if not self.rings or not _in_ring(point, self.rings[0]):
            return False
        return not any(_in_ring(point, hole) for hole in self.rings[1:])


@dataclass(frozen=True)
class Circle:
    center: GeoPoint
    radius_m: float

    def bounds(self) -> BoundingBox:
        dlat = math.degrees(self.radius_m / EARTH_RADIUS_M)
        cos_lat = max(math.cos(math.radians(self.center.latitude)), 1e-6)
        dlon = math.degrees(self.radius_m / (EARTH_RADIUS_M * cos_lat))
        return BoundingBox(
            self.center.longitude - dlon,
            self.center.latitude - dlat,
            self.center.longitude + dlon,
            self.center.latitude + dlat,
        )

    def contains(self, point: GeoPoint) -> bool:
        return distance_m(self.center, point) <= self.radius_m


Area = BoundingBox | Polygon | Circle


def _in_ring(point: GeoPoint, ring: Sequence[GeoPoint]) -> bool:
    """Ray casting; points on an edge may fall either way."""
    inside = False
    x, y = point.longitude, point.latitude
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi, xj, yj = ring[i].longitude, ring[i].latitude, ring[j].longitude, ring[j].latitude
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi = phi2 - phi1
    dlmb = math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def cell_of(point: GeoPoint) -> str:
    """The grid cell of a point: ``"<lon index>:<lat index>"`` (floor of degrees × 100)."""
    return (
        f"{math.floor(point.longitude * _CELLS_PER_DEGREE)}:{math.floor(point.latitude * _CELLS_PER_DEGREE)}"
    )


def bounds_of(area: Area) -> BoundingBox:
    return area if isinstance(area, BoundingBox) else area.bounds()


def cells_covering(area: Area) -> Iterator[str]:
    """Every cell that intersects the area's bounding box, west to east, south to north."""
    box = bounds_of(area)
    for x in range(math.floor(box.west * _CELLS_PER_DEGREE), math.floor(box.east * _CELLS_PER_DEGREE) + 1):
        for y in range(
            math.floor(box.south * _CELLS_PER_DEGREE), math.floor(box.north * _CELLS_PER_DEGREE) + 1
        ):
            yield f"{x}:{y}"


def cell_count(area: Area) -> int:
    box = bounds_of(area)
    width = math.floor(box.east * _CELLS_PER_DEGREE) - math.floor(box.west * _CELLS_PER_DEGREE) + 1
    height = math.floor(box.north * _CELLS_PER_DEGREE) - math.floor(box.south * _CELLS_PER_DEGREE) + 1
    return max(width, 0) * max(height, 0)


def area_contains(area: Area, point: GeoPoint) -> bool:
    return area.contains(point)

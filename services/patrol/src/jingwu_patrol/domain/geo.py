"""Geometry of patrol: points, polygons, polylines, distances. Pure.

Coordinates are WGS-84 degrees. Distances between nearby points (a track's consecutive fixes, a fix and
a hot spot) use a local equirectangular scale at the points' latitude (metres per degree from the
WGS-84 ellipsoid): within a few kilometres it differs from the geodesic by far less than GPS error, and
it costs a multiplication instead of the haversine's trigonometry (docs/adr: patrol evidence). Long
distances (a mobile room to a checkpoint across the district) use the haversine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from jingwu_platform.errors import Validator

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
_A = 6_378_137.0  # WGS-84 semi-major axis
_E2 = 6.694_379_990_14e-3  # WGS-84 first eccentricity squared
MAX_RING_POINTS = 2_000


@dataclass(frozen=True)
class GeoPoint:
    longitude: float
    latitude: float


Ring = tuple[GeoPoint, ...]


@dataclass(frozen=True)
class Polygon:
    """GeoJSON-style: the first ring is the outer boundary, further rings are holes; rings are closed."""

    rings: tuple[Ring, ...] = ()

    @property
    def outer(self) -> Ring:
        return self.rings[0] if self.rings else ()

    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the outer ring."""
        lons = [p.longitude for p in self.outer]
        lats = [p.latitude for p in self.outer]
        return min(lons), min(lats), max(lons), max(lats)

    def contains(self, longitude: float, latitude: float) -> bool:
        if len(self.outer) < 4:
            return False
        west, south, east, north = self.bbox()
        if not (west <= longitude <= east and south <= latitude <= north):
            return False
        if not _in_ring(longitude, latitude, self.outer):
            return False
        return not any(_in_ring(longitude, latitude, hole) for hole in self.rings[1:])

    def centroid(self) -> GeoPoint:
        """Mean of the outer ring's vertices (the closing point once): good enough to place a label or
        measure from."""
        points = self.outer[:-1] if len(self.outer) > 1 else self.outer
        return GeoPoint(
            sum(p.longitude for p in points) / len(points), sum(p.latitude for p in points) / len(points)
        )

    def area_m2(self) -> float:
        """Outer ring minus holes, shoelace formula on the local scale."""
        if not self.outer:
            return 0.0
        origin = self.outer[0]
        area = abs(_ring_area(self.outer, origin))
        return max(0.0, area - sum(abs(_ring_area(hole, origin)) for hole in self.rings[1:]))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Even-odd ray test."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i].longitude, ring[i].latitude
        xj, yj = ring[j].longitude, ring[j].latitude
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def metres_per_degree(latitude: float) -> tuple[float, float]:
    """(metres per degree of longitude, metres per degree of latitude) at ``latitude``, WGS-84."""
    phi = math.radians(latitude)
    s = math.sin(phi)
    w = math.sqrt(1.0 - _E2 * s * s)
    per_lon = math.pi / 180.0 * _A * math.cos(phi) / w
    per_lat = math.pi / 180.0 * _A * (1.0 - _E2) / (w * w * w)
    return per_lon, per_lat


def local_distance_m(a: GeoPoint, b: GeoPoint) -> float:
    kx, ky = metres_per_degree((a.latitude + b.latitude) / 2)
    return math.hypot((b.longitude - a.longitude) * kx, (b.latitude - a.latitude) * ky)


def great_circle_m(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance in metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _ring_area(ring: Ring, origin: GeoPoint) -> float:
    kx, ky = metres_per_degree(origin.latitude)
    xs = [(p.longitude - origin.longitude) * kx for p in ring]
    ys = [(p.latitude - origin.latitude) * ky for p in ring]
    return 0.5 * sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(ring) - 1))


def polyline_length_m(path: Sequence[GeoPoint]) -> float:
    return sum(local_distance_m(path[i], path[i + 1]) for i in range(len(path) - 1))


class Corridor:
    """Points within ``radius_m`` of a polyline (a road section) or of a point (a place): the test a
    hot-spot's presence and incident matching make per fix, so the projection is computed once."""

    def __init__(self, path: Sequence[GeoPoint], radius_m: float) -> None:
        if not path:
            raise ValueError("a corridor needs at least one point")
        self._origin = path[0]
        self._kx, self._ky = metres_per_degree(path[0].latitude)
        self._points = [self._project(p.longitude, p.latitude) for p in path]
        self._radius2 = radius_m * radius_m
        pad = radius_m * 1.5
        xs = [x for x, _ in self._points]
        ys = [y for _, y in self._points]
        self._box = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)

    def _project(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self._origin.longitude) * self._kx, (lat - self._origin.latitude) * self._ky

    def contains(self, longitude: float, latitude: float) -> bool:
        x, y = self._project(longitude, latitude)
        west, south, east, north = self._box
        if not (west <= x <= east and south <= y <= north):
            return False
        points = self._points
        if len(points) == 1:
            px, py = points[0]
            return (x - px) ** 2 + (y - py) ** 2 <= self._radius2
        return any(
            _segment_distance2(x, y, points[i], points[i + 1]) <= self._radius2
            for i in range(len(points) - 1)
        )


def _segment_distance2(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
    cx, cy = ax + t * dx - x, ay + t * dy - y
    return cx * cx + cy * cy


def _cross(o: GeoPoint, a: GeoPoint, b: GeoPoint) -> float:
    return (a.longitude - o.longitude) * (b.latitude - o.latitude) - (a.latitude - o.latitude) * (
        b.longitude - o.longitude
    )


def _segments_cross(p1: GeoPoint, p2: GeoPoint, q1: GeoPoint, q2: GeoPoint) -> bool:
    """Proper or touching intersection of two segments."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(o: GeoPoint, a: GeoPoint, b: GeoPoint) -> bool:
        return min(o.longitude, a.longitude) <= b.longitude <= max(o.longitude, a.longitude) and min(
            o.latitude, a.latitude
        ) <= b.latitude <= max(o.latitude, a.latitude)

    return (
        (d1 == 0 and on(q1, q2, p1))
        or (d2 == 0 and on(q1, q2, p2))
        or (d3 == 0 and on(p1, p2, q1))
        or (d4 == 0 and on(p1, p2, q2))
    )


def _self_intersects(ring: Ring) -> bool:
    edges = len(ring) - 1
    for i in range(edges):
        for j in range(i + 1, edges):
            if j == i + 1 or (i == 0 and j == edges - 1):
                continue  # neighbours share a vertex
            if _segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                return True
    return False


def check_polygon(v: Validator, field: str, polygon: Polygon) -> None:
    """A polygon as the contract defines it: at least one ring; every ring closed (first point repeated
    last), with at least three distinct vertices, valid coordinates, a non-zero area and no edges
    crossing; holes inside the outer ring. One violation per bad ring, naming it."""
    if not v.check(bool(polygon.rings), f"{field}.rings", "a polygon needs its outer ring"):
        return
    for index, ring in enumerate(polygon.rings):
        path = f"{field}.rings[{index}]"
        if not v.check(
            len(ring) <= MAX_RING_POINTS, f"{path}.points", f"at most {MAX_RING_POINTS} points per ring"
        ):
            continue
        bad = next(
            (
                i
                for i, p in enumerate(ring)
                if not (-180.0 <= p.longitude <= 180.0 and -90.0 <= p.latitude <= 90.0)
                or (p.longitude == 0.0 and p.latitude == 0.0)
            ),
            None,
        )
        if bad is not None:
            v.add(f"{path}.points[{bad}]", "coordinates are required and must be valid WGS-84 degrees")
            continue
        if not v.check(
            len(ring) >= 4 and ring[0] == ring[-1],
            f"{path}.points",
            "a ring must be closed: at least 4 points, the first repeated as the last",
        ):
            continue
        if not v.check(len(set(ring)) >= 3, f"{path}.points", "a ring needs at least 3 distinct vertices"):
            continue
        if not v.check(not _self_intersects(ring), f"{path}.points", "the ring's edges cross each other"):
            continue
        if not v.check(abs(_ring_area(ring, ring[0])) > 1.0, f"{path}.points", "the ring encloses no area"):
            continue
        if index > 0:
            outer = polygon.outer
            v.check(
                all(_in_ring(p.longitude, p.latitude, outer) for p in ring[:-1]),
                f"{path}.points",
                "a hole must lie inside the outer ring",
            )


def check_point(v: Validator, field: str, point: GeoPoint | None) -> bool:
    """Valid WGS-84 degrees (R-POP-7: every place is on the map); (0, 0) counts as not given."""
    if point is None or (point.longitude == 0.0 and point.latitude == 0.0):
        v.add(field, "coordinates are required")
        return False
    longitude_ok = v.check(
        -180.0 <= point.longitude <= 180.0,
        f"{field}.longitude",
        f"longitude must be in [-180, 180], got {point.longitude}",
    )
    latitude_ok = v.check(
        -90.0 <= point.latitude <= 90.0,
        f"{field}.latitude",
        f"latitude must be in [-90, 90], got {point.latitude}",
    )
    return longitude_ok and latitude_ok


def square_around(centre: GeoPoint, half_side_m: float) -> Polygon:
    """A closed square ring centred on ``centre`` (candidate hot-spot cells)."""
    kx, ky = metres_per_degree(centre.latitude)
    dx, dy = half_side_m / kx, half_side_m / ky
    lon, lat = centre.longitude, centre.latitude
    corners = (
        GeoPoint(lon - dx, lat - dy),
        GeoPoint(lon + dx, lat - dy),
        GeoPoint(lon + dx, lat + dy),
        GeoPoint(lon - dx, lat + dy),
    )
    return Polygon(((*corners, corners[0]),))

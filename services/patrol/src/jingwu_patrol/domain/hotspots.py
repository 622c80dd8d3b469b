"""Hot spots (R-PAT-2): road sections, places and areas where cases cluster, and their ranking by case
density per weekly time slot. Pure.

A hot spot is a registered geometry: a road section (a polyline with a corridor half-width), a place (a
point with a radius) or an area (a polygon). Ranking (``rank``) counts the window's incidents per hot
spot and hour of the week (local time), each incident weighing ``0.5 ** (age / half_life)`` so recent
cases count more; incidents outside every registered hot spot are gathered in square cells of the
district grid, which become candidate areas. Each recommendation carries why: the slot's counts, the
window, the categories (docs/adr: hot-spot ranking).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from jingwu_platform.calendar import local_midnight
from jingwu_platform.errors import Validator

from jingwu_patrol.domain.common import Audit, check_name
from jingwu_patrol.domain.geo import (
    Corridor,
    GeoPoint,
    Polygon,
    check_point,
    check_polygon,
    metres_per_degree,
    polyline_length_m,
    square_around,
)
from jingwu_patrol.domain.incidents import CATEGORY_LABELS, Incident, IncidentCategory
from jingwu_patrol.domain.slots import WEEKDAY_NAMES, TimeSlot, check_slot, hour_of_week, slot_of_hour
from jingwu_patrol.domain.territory import DistrictMap
from jingwu_patrol.domain.vehicles import check_zone

SOURCES = ("manual", "case_analysis")
DEFAULT_CORRIDOR_M = 30.0
MAX_RADIUS_M = 2_000.0
MAX_SLOTS = 168


class HotSpotKind(StrEnum):
    ROAD_SECTION = "road_section"
    PLACE = "place"
    AREA = "area"


class Shape:
    """Whether a point is at a hot spot; built once per hot spot, asked per fix or incident."""

    def __init__(
        self,
        kind: HotSpotKind,
        path: Sequence[GeoPoint],
        location: GeoPoint | None,
        radius_m: float,
        area: Polygon,
    ) -> None:
        self._area: Polygon | None = None
        self._corridor: Corridor | None = None
        if kind is HotSpotKind.AREA:
            self._area = area
        elif kind is HotSpotKind.ROAD_SECTION and path:
            self._corridor = Corridor(path, radius_m or DEFAULT_CORRIDOR_M)
        elif location is not None:
            self._corridor = Corridor([location], radius_m)

    def contains(self, longitude: float, latitude: float) -> bool:
        if self._area is not None:
            return self._area.contains(longitude, latitude)
        return self._corridor is not None and self._corridor.contains(longitude, latitude)


@dataclass(frozen=True)
class HotSpot:
    hotspot_id: str
    name: str
    kind: HotSpotKind
    zone_code: str
    path: tuple[GeoPoint, ...] = ()
    location: GeoPoint | None = None
    radius_m: float = 0.0
    area: Polygon = field(default_factory=Polygon)
    time_slots: tuple[TimeSlot, ...] = ()
    case_count: int = 0
    source: str = "manual"
    active: bool = True
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    def shape(self) -> Shape:
        return Shape(self.kind, self.path, self.location, self.radius_m, self.area)

    def centre(self) -> GeoPoint:
        if self.kind is HotSpotKind.AREA and self.area.rings:
            return self.area.centroid()
        if self.kind is HotSpotKind.ROAD_SECTION and self.path:
            return self.path[len(self.path) // 2]
        return self.location or GeoPoint(0.0, 0.0)

    def size(self) -> float:
        """km² (areas, places) or km (road sections): what density is per."""
        if self.kind is HotSpotKind.AREA:
            return self.area.area_m2() / 1e6
        if self.kind is HotSpotKind.ROAD_SECTION:
            return polyline_length_m(self.path) / 1000
        return math.pi * self.radius_m**2 / 1e6


# Fields UpdateHotSpot may change (its update_mask), by contract name.
UPDATABLE = ("name", "path", "location", "radius_m", "area", "time_slots", "case_count", "active")


def validate(spot: HotSpot, *, district: str, zones: DistrictMap, prefix: str = "") -> None:
    """Every field of a hot spot as created or updated; ValidationFailed lists each bad one."""
    v = Validator()
    p = prefix
    check_name(v, f"{p}name", spot.name)
    check_zone(v, f"{p}zone_code", spot.zone_code, district, zones)
    if spot.kind is HotSpotKind.ROAD_SECTION:
        if v.check(len(spot.path) >= 2, f"{p}path", "a road section needs at least 2 points"):
            for index, point in enumerate(spot.path):
                check_point(v, f"{p}path[{index}]", point)
        v.check(
            0 <= spot.radius_m <= 500,
            f"{p}radius_m",
            "a road corridor's half-width must be 0..500 m (0: 30 m)",
        )
    elif spot.kind is HotSpotKind.PLACE:
        check_point(v, f"{p}location", spot.location)
        v.check(
            0 < spot.radius_m <= MAX_RADIUS_M,
            f"{p}radius_m",
            f"a place needs a radius in (0, {MAX_RADIUS_M:g}] m",
        )
    else:
        check_polygon(v, f"{p}area", spot.area)
    v.check(len(spot.time_slots) <= MAX_SLOTS, f"{p}time_slots", f"at most {MAX_SLOTS} slots")
    for index, slot in enumerate(spot.time_slots):
        check_slot(v, f"{p}time_slots[{index}]", slot)
    v.check(spot.case_count >= 0, f"{p}case_count", "must not be negative")
    v.check(spot.source in SOURCES, f"{p}source", f"must be one of {', '.join(SOURCES)}")
    v.raise_if_any()


def updated(spot: HotSpot, changes: HotSpot, paths: Sequence[str], by: str, at: datetime) -> HotSpot:
    """The hot spot with the masked fields taken from ``changes`` (validated by the caller)."""
    values = {name: getattr(changes, name) for name in paths}
    return replace(spot, **values, audit=spot.audit.touched(by, at))


# --- ranking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingWindow:
    """The days counted, ``weeks`` weeks up to and including ``as_of``, and the decay's half-life."""

    as_of: date
    weeks: int
    half_life: timedelta

    @property
    def start(self) -> date:
        return self.as_of - timedelta(days=7 * self.weeks - 1)

    @property
    def end_utc(self) -> datetime:
        return local_midnight(self.as_of + timedelta(days=1)).astimezone(UTC)

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start).astimezone(UTC)

    def weight(self, at: datetime) -> float:
        age = max(0.0, (self.end_utc - at).total_seconds())
        return float(0.5 ** (age / self.half_life.total_seconds()))


@dataclass(frozen=True)
class Recommendation:
    hotspot_id: str
    cell_id: str
    name: str
    kind: HotSpotKind
    zone_code: str
    area: Polygon
    location: GeoPoint
    hour_of_week: int
    score: float
    case_count: int
    total_case_count: int
    categories: tuple[tuple[IncidentCategory, int], ...]
    density: float
    rank: int
    reason: str
    window: RankingWindow = field(
        compare=False, repr=False, default=RankingWindow(date(2000, 1, 1), 1, timedelta(days=1))
    )

    @property
    def slot(self) -> TimeSlot:
        return slot_of_hour(self.hour_of_week)


@dataclass
class _Candidate:
    hotspot_id: str
    cell_id: str
    name: str
    kind: HotSpotKind
    zone_code: str
    area: Polygon
    location: GeoPoint
    size: float
    incidents: list[Incident] = field(default_factory=list)


def cell_of(point: GeoPoint, size_m: float) -> tuple[str, GeoPoint]:
    """The grid cell a point falls in: its id and centre. The grid is anchored on whole degrees with
    the scale of the latitude band's middle, so a cell's id is the same in every run."""
    band = math.floor(point.latitude) + 0.5
    kx, ky = metres_per_degree(band)
    ix = math.floor(point.longitude * kx / size_m)
    iy = math.floor(point.latitude * ky / size_m)
    centre = GeoPoint((ix + 0.5) * size_m / kx, (iy + 0.5) * size_m / ky)
    return f"cell-{int(size_m)}-{ix}-{iy}", centre


def _candidates(
    incidents: Sequence[Incident], hotspots: Sequence[HotSpot], cell_size_m: float
) -> list[_Candidate]:
    registered = [
        (
            spot,
            spot.shape(),
            _Candidate(
                spot.hotspot_id,
                "",
                spot.name,
                spot.kind,
                spot.zone_code,
                spot.area,
                spot.centre(),
                spot.size(),
            ),
        )
        for spot in hotspots
        if spot.active
    ]
    cells: dict[str, _Candidate] = {}
    for incident in incidents:
        lon, lat = incident.location.longitude, incident.location.latitude
        matched = False
        for _, shape, candidate in registered:
            if shape.contains(lon, lat):
                candidate.incidents.append(incident)
                matched = True
        if matched:
            continue
        cell_id, centre = cell_of(incident.location, cell_size_m)
        cell = cells.get(cell_id)
        if cell is None:
            cell = _Candidate(
                "",
                cell_id,
                "",
                HotSpotKind.AREA,
                "",
                square_around(centre, cell_size_m / 2),
                centre,
                (cell_size_m / 1000) ** 2,
            )
            cells[cell_id] = cell
        cell.incidents.append(incident)
    for cell in cells.values():
        cell.zone_code = Counter(i.zone_code for i in cell.incidents).most_common(1)[0][0]
        addresses = Counter(i.address for i in cell.incidents if i.address)
        cell.name = f"{addresses.most_common(1)[0][0]}一带" if addresses else f"高发区域 {cell.cell_id}"
    return [c for _, _, c in registered] + list(cells.values())


def rank(
    incidents: Iterable[Incident],
    hotspots: Sequence[HotSpot],
    window: RankingWindow,
    *,
    zone_code: str = "",
    categories: frozenset[IncidentCategory] = frozenset(),
    cell_size_m: float = 300.0,
    min_cases: int = 2,
    limit: int = 20,
) -> tuple[list[Recommendation], int]:
    """The best ``limit`` (hot spot, hour of week) slots by decayed case count, and how many incidents
    were counted. Only slots with at least ``min_cases`` cases in the window are recommended."""
    start, end = window.start_utc, window.end_utc
    counted = [
        i
        for i in incidents
        if start <= i.occur_time < end
        and (not zone_code or i.zone_code == zone_code)
        and (not categories or i.category in categories)
    ]
    spots = [s for s in hotspots if not zone_code or s.zone_code == zone_code]
    scored: list[tuple[float, int, str, int, _Candidate, list[Incident]]] = []
    for candidate in _candidates(counted, spots, cell_size_m):
        by_hour: dict[int, list[Incident]] = {}
        for incident in candidate.incidents:
            by_hour.setdefault(hour_of_week(incident.occur_time), []).append(incident)
        for hour, cases in by_hour.items():
            if len(cases) < min_cases:
                continue
            score = sum(window.weight(i.occur_time) for i in cases)
            key = candidate.hotspot_id or candidate.cell_id
            scored.append((score, len(cases), key, hour, candidate, cases))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2], s[3]))
    recommendations = []
    for position, (score, count, _, hour, candidate, cases) in enumerate(scored[:limit], 1):
        kinds = tuple(Counter(i.category for i in cases).most_common())
        recommendations.append(
            Recommendation(
                hotspot_id=candidate.hotspot_id,
                cell_id=candidate.cell_id,
                name=candidate.name,
                kind=candidate.kind,
                zone_code=candidate.zone_code,
                area=candidate.area,
                location=candidate.location,
                hour_of_week=hour,
                score=round(score, 3),
                case_count=count,
                total_case_count=len(candidate.incidents),
                categories=kinds,
                density=round(score / candidate.size, 3) if candidate.size > 0 else 0.0,
                rank=position,
                reason=_reason(
                    hour=hour,
                    count=count,
                    score=score,
                    total=len(candidate.incidents),
                    kinds=kinds,
                    window=window,
                ),
                window=window,
            )
        )
    return recommendations, len(counted)


def _reason(
    *,
    hour: int,
    count: int,
    score: float,
    total: int,
    kinds: tuple[tuple[IncidentCategory, int], ...],
    window: RankingWindow,
) -> str:
    weekday, start = divmod(hour, 24)
    half_life = window.half_life.total_seconds() / 86400
    categories = "、".join(f"{CATEGORY_LABELS[c]} {n}" for c, n in kinds)
    return (
        f"{WEEKDAY_NAMES[weekday]} {start:02d}:00–{start + 1:02d}:00 近{window.weeks}周"
        f"（{window.start.isoformat()}–{window.as_of.isoformat()}）{count} 起，衰减后 {score:.1f}"
        f"（半衰期 {half_life:g} 天）；{categories}；该处窗口内共 {total} 起"
    )

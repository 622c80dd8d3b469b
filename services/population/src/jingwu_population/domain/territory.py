"""Territory as the room registry publishes it (jingwu.<district>.rooms.v1), and the re-division of zones
(R-ORG-3) on the population side. Pure.

A re-division dissolves zones and creates new ones. Every house of a dissolved zone moves to a new zone,
and its residents with it; nothing is orphaned. Where a house goes, in order of preference:
1. the new zone of its village (the registry's hand-over lists every village and community);
2. the new zone of its village's community (natural village → administrative village);
3. the new zone whose boundary contains the house;
4. the new zone whose boundary is nearest;
5. the first new zone (the registry always names at least one).
Each move is an item of the itemised hand-over list (交接清单).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from jingwu_population.domain.geo import GeoPoint, Polygon, distance_m


@dataclass(frozen=True, slots=True)
class Zone:
    zone_code: str
    name: str
    station_id: str
    community_ids: tuple[str, ...] = ()
    boundary: Polygon | None = None
    retired: bool = False
    successor_zone_codes: tuple[str, ...] = ()
    version: int = 0


@dataclass(frozen=True, slots=True)
class Village:
    village_id: str
    name: str
    parent_village_id: str
    zone_code: str
    station_id: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class Station:
    station_id: str
    name: str
    version: int = 0


class RedivisionStatus(StrEnum):
    APPLYING = "applying"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class HandoverEntry:
    record_type: str  # "house" | "resident"
    record_id: str
    from_zone_code: str
    to_zone_code: str


@dataclass(frozen=True, slots=True)
class Redivision:
    """The population side of one re-division: stored before any house moves, applied in chunks,
    resumed after a crash until ``DONE``."""

    redivision_id: str
    from_zone_codes: tuple[str, ...]
    to_zone_codes: tuple[str, ...]
    village_to_zone: dict[str, str]
    new_zones: tuple[Zone, ...] = ()
    status: RedivisionStatus = RedivisionStatus.APPLYING
    houses_moved: int = 0
    residents_moved: int = 0
    chunks: int = 0
    version: int = 0


@dataclass(frozen=True, slots=True)
class HandoverChunk:
    """One applied chunk of a re-division's hand-over list."""

    chunk_id: str  # <redivision_id>/<index>
    redivision_id: str
    index: int
    entries: tuple[HandoverEntry, ...] = field(default=())
    version: int = 0


@dataclass(frozen=True)
class HouseMove:
    house_id: str
    from_zone_code: str
    to_zone_code: str


def destination_zone(
    *,
    village_id: str,
    location: GeoPoint,
    villages: Mapping[str, Village],
    village_to_zone: Mapping[str, str],
    new_zones: Sequence[Zone],
    to_zone_codes: Sequence[str],
) -> str:
    """R-ORG-3: the new zone of one house of a dissolved zone (see the module docstring)."""
    if village_id in village_to_zone:
        return village_to_zone[village_id]
    village = villages.get(village_id)
    if village is not None and village.parent_village_id in village_to_zone:
        return village_to_zone[village.parent_village_id]
    bounded = [z for z in new_zones if z.boundary is not None and z.boundary.rings]
    for zone in bounded:
        assert zone.boundary is not None
        if zone.boundary.contains(location):
            return zone.zone_code
    if bounded:
        return min(bounded, key=lambda z: _distance_to(location, z)).zone_code
    return sorted(to_zone_codes)[0]


def _distance_to(point: GeoPoint, zone: Zone) -> float:
    assert zone.boundary is not None
    return min(distance_m(point, vertex) for vertex in zone.boundary.rings[0])


def plan_house_moves(
    redivision: Redivision,
    houses: Iterable[tuple[str, str, str, GeoPoint]],
    villages: Mapping[str, Village],
) -> list[HouseMove]:
    """Moves for (house_id, zone_code, village_id, location) of the dissolved zones, in house order."""
    dissolved = set(redivision.from_zone_codes)
    moves = []
    for house_id, zone_code, village_id, location in sorted(houses):
        if zone_code not in dissolved:
            continue
        to = destination_zone(
            village_id=village_id,
            location=location,
            villages=villages,
            village_to_zone=redivision.village_to_zone,
            new_zones=redivision.new_zones,
            to_zone_codes=redivision.to_zone_codes,
        )
        moves.append(HouseMove(house_id, zone_code, to))
    return moves

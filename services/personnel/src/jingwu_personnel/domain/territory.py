"""What personnel knows of the room registry's territory, kept from its events (R-ORG-1, R-ROOM-1). Pure.

The room registry owns stations, zones, villages and rooms; personnel keeps a read model of the parts its
rules need: a room's kind (R-PER-2 standard), a zone's actual population (R-PER-4 ratio), a station's
kind (R-PER-4 headcount floor), a village's level and township (R-PER-5, R-PER-7).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class RoomKind(StrEnum):
    """R-ROOM-1, mirrored from jingwu.rooms.v1.RoomKind."""

    URBAN_HOME_STYLE = "urban_home_style"
    URBAN_ONE_ZONE_ONE_OFFICER = "urban_one_zone_one_officer"
    RURAL_LINKED_CLUSTER = "rural_linked_cluster"
    KEY_VILLAGE = "key_village"
    VILLAGE_CONTACT_POINT = "village_contact_point"
    AUXILIARY_WORKROOM = "auxiliary_workroom"
    MOBILE = "mobile"


URBAN_ROOM_KINDS = frozenset({RoomKind.URBAN_HOME_STYLE, RoomKind.URBAN_ONE_ZONE_ONE_OFFICER})
RURAL_ROOM_KINDS = frozenset(
    {
        RoomKind.RURAL_LINKED_CLUSTER,
        RoomKind.KEY_VILLAGE,
        RoomKind.VILLAGE_CONTACT_POINT,
        RoomKind.AUXILIARY_WORKROOM,
    }
)


class RoomStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    MERGED = "merged"
    CLOSED = "closed"


class StationKind(StrEnum):
    URBAN = "urban"
    TOWN = "town"
    TOWNSHIP = "township"


class Setting(StrEnum):
    """Rural or urban: the tenure that counts for promotion (R-PER-12)."""

    URBAN = "urban"
    RURAL = "rural"


@dataclass(frozen=True)
class StationView:
    station_id: str
    name: str = ""
    kind: StationKind | None = None


@dataclass(frozen=True)
class RoomView:
    room_id: str
    kind: RoomKind | None
    status: RoomStatus
    station_id: str = ""
    zone_codes: tuple[str, ...] = ()
    village_id: str = ""
    name: str = ""
    merged_into_room_id: str = ""

    @property
    def active(self) -> bool:
        return self.status is RoomStatus.ACTIVE

    @classmethod
    def unknown(cls, room_id: str, status: RoomStatus) -> RoomView:
        """A room an event names that personnel has not heard of (events of different rooms come in
        no fixed order)."""
        return cls(room_id=room_id, kind=None, status=status)

    def merged_into(self, survivor_id: str) -> RoomView:
        """R-ROOM-2: merged into the surviving room."""
        return replace(self, status=RoomStatus.MERGED, merged_into_room_id=survivor_id)

    def closed(self) -> RoomView:
        """R-ROOM-2: closed without successor."""
        return replace(self, status=RoomStatus.CLOSED, merged_into_room_id="")

    def with_zones(self, zone_codes: tuple[str, ...]) -> RoomView:
        return replace(self, zone_codes=tuple(dict.fromkeys(zone_codes)))

    def rezoned(self, from_zone_code: str, to_zone_code: str) -> RoomView:
        """R-ORG-3: a re-division handed the room's part of ``from_zone_code`` to ``to_zone_code``."""
        return self.with_zones(tuple(to_zone_code if z == from_zone_code else z for z in self.zone_codes))


@dataclass(frozen=True)
class ZoneView:
    zone_code: str
    station_id: str = ""
    community_ids: tuple[str, ...] = ()
    # The registry's workload figure (R-ORG-3) and, when population has reported one, the measured
    # actual population (jingwu.population.v1.ZonePopulationChanged), which is the better number.
    workload_population: int = 0
    measured_population: int | None = None
    measured_at: datetime | None = None
    retired: bool = False

    @property
    def actual_population(self) -> int:
        return self.measured_population if self.measured_population is not None else self.workload_population


def registry_zone(stored: ZoneView | None, reported: ZoneView) -> ZoneView:
    """What the registry says of a zone (station, communities, workload, retired), keeping the actual
    population the population service measured, if any (R-PER-4)."""
    if stored is None:
        return replace(reported, measured_population=None, measured_at=None)
    return replace(reported, measured_population=stored.measured_population, measured_at=stored.measured_at)


def measured_zone(
    stored: ZoneView | None, zone_code: str, population: int, as_of: datetime
) -> ZoneView | None:
    """R-PER-4: the zone with its newly measured actual population, or None when the stored measurement
    is as new or newer (snapshots may arrive out of order; the newest wins)."""
    zone = stored or ZoneView(zone_code=zone_code)
    if zone.measured_at is not None and zone.measured_at >= as_of:
        return None
    return replace(zone, measured_population=population, measured_at=as_of)


@dataclass(frozen=True)
class VillageView:
    village_id: str
    name: str = ""
    administrative: bool = True
    parent_village_id: str = ""
    zone_code: str = ""
    station_id: str = ""
    township: str = ""
    urban_community: bool = False

    @property
    def needs_liaison_and_auxiliary(self) -> bool:
        """R-PER-5 applies to administrative villages; urban communities have community officers."""
        return self.administrative and not self.urban_community


def room_setting(room: RoomView, station: StationView | None) -> Setting | None:
    """R-PER-12: urban community rooms are urban, village rooms rural; a mobile room follows its station."""
    if room.kind in URBAN_ROOM_KINDS:
        return Setting.URBAN
    if room.kind in RURAL_ROOM_KINDS:
        return Setting.RURAL
    return station_setting(station)


def station_setting(station: StationView | None) -> Setting | None:
    if station is None or station.kind is None:
        return None
    return Setting.URBAN if station.kind is StationKind.URBAN else Setting.RURAL


def village_setting(village: VillageView) -> Setting:
    return Setting.URBAN if village.urban_community else Setting.RURAL

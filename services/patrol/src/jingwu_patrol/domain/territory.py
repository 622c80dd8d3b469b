"""What patrol knows of other services, as read models fed by their events. Pure.

- From the room registry (jingwu.<district>.rooms.v1): zones with their boundaries (R-ORG-2), villages
  and communities (whose mass-prevention teams patrol daily, R-PAT-4), mobile rooms with their stops and
  checkpoint orders (R-ROOM-5).
- From telemetry (jingwu.<district>.telemetry.v1): devices and what they are attached to (a handheld's
  officer, R-TEL-1), and the zone and stop crossings that evidence is made of (R-PAT-6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from jingwu_patrol.domain.geo import GeoPoint, Polygon, great_circle_m
from jingwu_patrol.domain.slots import MINUTES_PER_DAY


@dataclass(frozen=True)
class ZoneView:
    zone_code: str
    name: str = ""
    station_id: str = ""
    boundary: Polygon = field(default_factory=Polygon)
    retired: bool = False


class DistrictMap:
    """Which zone a point is in, over the district's active zones with a boundary (zones do not
    overlap; should two, the lowest code wins, so the answer is stable)."""

    def __init__(self, zones: Iterable[ZoneView]) -> None:
        self.zones = sorted((z for z in zones if not z.retired), key=lambda z: z.zone_code)
        self._bounded = [z for z in self.zones if z.boundary.rings]

    @property
    def has_boundaries(self) -> bool:
        return bool(self._bounded)

    def zone_at(self, point: GeoPoint) -> ZoneView | None:
        for zone in self._bounded:
            if zone.boundary.contains(point.longitude, point.latitude):
                return zone
        return None

    def get(self, zone_code: str) -> ZoneView | None:
        return next((z for z in self.zones if z.zone_code == zone_code), None)


@dataclass(frozen=True)
class VillageView:
    """A community (社区) or village (行政村 / 自然村)."""

    village_id: str
    name: str = ""
    zone_code: str = ""
    station_id: str = ""
    # Administrative villages and urban communities have a mass-prevention team of their own
    # (R-PAT-4); a natural village patrols with its administrative village.
    has_team: bool = True
    urban_community: bool = False
    parent_village_id: str = ""
    registered_on: date | None = None


@dataclass(frozen=True)
class MobileStop:
    """A designated stop of a mobile room (R-ROOM-5); the window is minutes after local midnight,
    0..0 meaning all day."""

    stop_id: str
    name: str = ""
    location: GeoPoint = field(default_factory=lambda: GeoPoint(0.0, 0.0))
    radius_m: float = 0.0
    window_start_minute: int = 0
    window_end_minute: int = 0

    def window(self) -> tuple[int, int]:
        if self.window_start_minute == 0 and self.window_end_minute == 0:
            return 0, MINUTES_PER_DAY
        return self.window_start_minute, self.window_end_minute


@dataclass(frozen=True)
class MobileRoomView:
    """A mobile room (流动警务室), a vehicle (R-ROOM-5)."""

    room_id: str
    name: str = ""
    active: bool = False
    station_id: str = ""
    zone_codes: tuple[str, ...] = ()
    vehicle_plate: str = ""
    # Its base (the room's registered location).
    location: GeoPoint | None = None
    stops: tuple[MobileStop, ...] = ()
    current_stop_id: str = ""
    # Where the checkpoint order it is carrying out sends it, if any.
    order_location: GeoPoint | None = None
    order_id: str = ""

    def believed_position(self) -> GeoPoint | None:
        """Where the registry believes it is: at its checkpoint, else its current stop, else its base
        (as the room registry reckons, rooms/domain/mobile.py)."""
        if self.order_location is not None:
            return self.order_location
        for stop in self.stops:
            if stop.stop_id == self.current_stop_id:
                return stop.location
        return self.location


class DeviceKind(StrEnum):
    VEHICLE_TERMINAL = "vehicle_terminal"
    HANDHELD = "handheld"


@dataclass(frozen=True)
class DeviceView:
    device_id: str
    kind: DeviceKind
    enabled: bool = True
    zone_code: str = ""
    vehicle_id: str = ""
    room_id: str = ""
    officer_id: str = ""


@dataclass(frozen=True)
class ZoneCrossing:
    """A device entered or left a zone (telemetry's ZoneEntered / ZoneLeft); id: the event id."""

    crossing_id: str
    device_id: str
    zone_code: str
    entered: bool
    at: datetime
    vehicle_id: str = ""
    officer_id: str = ""
    # Left only: the time since the matching entry, as telemetry measured it.
    stayed_s: float = 0.0


@dataclass(frozen=True)
class StopCrossing:
    """A mobile room's vehicle arrived at or left a stop (telemetry's StopArrived / StopDeparted)."""

    crossing_id: str
    room_id: str
    stop_id: str
    arrived: bool
    at: datetime
    device_id: str = ""
    vehicle_id: str = ""
    dwell_s: float = 0.0


Interval = tuple[float, float]  # seconds since the epoch, [start, end)


def visits(
    crossings: Sequence[tuple[str, bool, float, float]], start: float, end: float
) -> dict[str, list[Interval]]:
    """Stays per place within [start, end) from crossings (place, entered, at, stayed_s) in time
    order, some of them before ``start``. An entry without its exit stays until ``end``; an exit
    without a seen entry (it came before what was read) stays from ``at - stayed_s`` (or ``start``).
    Repeated entries or exits (redelivery) change nothing."""
    since: dict[str, float] = {}
    stays: dict[str, list[Interval]] = {}
    for place, entered, at, stayed in crossings:
        if entered:
            since.setdefault(place, at)
            continue
        began = since.pop(place, None)
        if began is None:
            began = at - stayed if stayed > 0 else start
        _add(stays, place, (began, at), (start, end))
    for place, began in since.items():
        _add(stays, place, (began, end), (start, end))
    return {place: sorted(intervals) for place, intervals in stays.items()}


def _add(stays: dict[str, list[Interval]], place: str, stay: Interval, window: Interval) -> None:
    a, b = max(stay[0], window[0]), min(stay[1], window[1])
    if a < b:
        stays.setdefault(place, []).append((a, b))


def nearest(candidates: Iterable[tuple[str, GeoPoint]], point: GeoPoint) -> tuple[str, float] | None:
    """The (id, distance in metres) of the candidate closest to ``point``; ties to the smaller id."""
    best: tuple[float, str] | None = None
    for key, where in candidates:
        distance = great_circle_m(where, point)
        if best is None or (distance, key) < best:
            best = (distance, key)
    return (best[1], best[0]) if best else None

"""R-ROOM-5 mobile rooms: designated stops, real-time reassignment, and the nearest room for a bureau's
checkpoint order by great-circle distance (computed here, not with $near: see docs/adr/0003). Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from jingwu_platform.errors import Validator
from jingwu_platform.shared_kernel import check_geo_point, check_required

from jingwu_rooms.domain.model import GeoPoint, MobileStop, Room, RoomKind, RoomStatus

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
MINUTES_PER_DAY = 24 * 60


def validate_stops(stops: Sequence[MobileStop]) -> None:
    v = Validator()
    seen: set[str] = set()
    for index, stop in enumerate(stops):
        field = f"stops[{index}]"
        check_required(v, f"{field}.stop_id", stop.stop_id, max_length=64)
        if stop.stop_id:
            v.check(stop.stop_id not in seen, f"{field}.stop_id", f"stop {stop.stop_id!r} is listed twice")
            seen.add(stop.stop_id)
        check_required(v, f"{field}.name", stop.name, max_length=64)
        check_geo_point(v, f"{field}.location", stop.location.longitude, stop.location.latitude)
        v.check(stop.radius_m > 0, f"{field}.radius_m", "must be positive")
        start, end = stop.window_start_minute, stop.window_end_minute
        if v.check(0 <= start < MINUTES_PER_DAY, f"{field}.window_start_minute", "must be in [0, 1440)"):
            # 0..0 means all day; otherwise the window must end after it starts, within the day.
            v.check(
                (start == 0 and end == 0) or start < end <= MINUTES_PER_DAY,
                f"{field}.window_end_minute",
                "must be after window_start_minute and at most 1440 (or both 0 for all day)",
            )
    v.raise_if_any()


def great_circle_m(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance in metres between two WGS-84 points."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def position_of(room: Room) -> GeoPoint:
    """Where a mobile room is believed to be: at its checkpoint, else its current stop, else its base."""
    if room.current_order is not None:
        return room.current_order.checkpoint_location
    for stop in room.stops:
        if stop.stop_id == room.current_stop_id:
            return stop.location
    return room.location


def nearest_mobile_room(rooms: Sequence[Room], point: GeoPoint) -> Room | None:
    """The active mobile room closest to ``point``; ties go to the smaller room id (deterministic)."""
    candidates = [r for r in rooms if r.kind is RoomKind.MOBILE and r.status is RoomStatus.ACTIVE]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (great_circle_m(position_of(r), point), r.room_id))

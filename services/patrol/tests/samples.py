"""A small district to test patrol on: two zones side by side (square boundaries), their villages, a
mobile room with two stops, and tracks with known answers built point by point."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from jingwu_patrol.domain.geo import GeoPoint, Polygon, metres_per_degree
from jingwu_patrol.domain.territory import MobileRoomView, MobileStop, VillageView, ZoneView
from jingwu_patrol.domain.tracks import Track
from jingwu_platform.calendar import DISTRICT_ZONE

DISTRICT = "01"
# The south-west corner of zone A; zone B is the next 2 km east.
LON0, LAT0 = 116.98, 33.63
KX, KY = metres_per_degree(LAT0)
ZONE_A = f"{DISTRICT}020301"
ZONE_B = f"{DISTRICT}020302"
STATION = "st-1"
# Tuesday 3 March 2026 is "yesterday" in most tests; the clock stands on Wednesday 4 March, 09:00.
DAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=DISTRICT_ZONE).astimezone(UTC)


def at_m(x: float, y: float) -> GeoPoint:
    """The point ``x`` metres east and ``y`` metres north of zone A's south-west corner."""
    return GeoPoint(LON0 + x / KX, LAT0 + y / KY)


def square(x0: float, y0: float, side: float) -> Polygon:
    corners = [at_m(x0, y0), at_m(x0 + side, y0), at_m(x0 + side, y0 + side), at_m(x0, y0 + side)]
    return Polygon((tuple([*corners, corners[0]]),))


def zones() -> list[ZoneView]:
    return [
        ZoneView(ZONE_A, "汴河一区", STATION, square(0, 0, 2000)),
        ZoneView(ZONE_B, "汴河二区", STATION, square(2000, 0, 2000)),
    ]


def villages() -> list[VillageView]:
    return [
        VillageView(
            "v-a",
            "汴河社区",
            ZONE_A,
            STATION,
            has_team=True,
            urban_community=True,
            registered_on=date(2026, 1, 1),
        ),
        VillageView("v-b", "朱集村", ZONE_B, STATION, has_team=True, registered_on=date(2026, 1, 1)),
        VillageView(
            "v-b1",
            "朱集村三组",
            ZONE_B,
            STATION,
            has_team=False,
            parent_village_id="v-b",
            registered_on=date(2026, 1, 1),
        ),
    ]


STOP_SQUARE = MobileStop("s-square", "人民广场", at_m(500, 500), 50.0, 8 * 60, 12 * 60)
STOP_MARKET = MobileStop("s-market", "夜市", at_m(1500, 500), 50.0, 18 * 60, 21 * 60)


def mobile_room() -> MobileRoomView:
    return MobileRoomView(
        "room-m",
        "流动警务室一号",
        active=True,
        station_id=STATION,
        zone_codes=(ZONE_A,),
        vehicle_plate="皖L·J0001",
        location=at_m(100, 100),
        stops=(STOP_SQUARE, STOP_MARKET),
        current_stop_id="s-square",
    )


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=DISTRICT_ZONE).astimezone(UTC)


def seconds(at: datetime) -> float:
    return at.timestamp()


def track_of(points: Iterable[tuple[datetime, GeoPoint]]) -> Track:
    track = Track()
    for at, point in points:
        track.append(at.timestamp(), point.longitude, point.latitude)
    return track


def straight(start: datetime, *, metres: float, speed_mps: float, x0: float = 0.0, y: float = 100.0) -> Track:
    """East along y at a constant speed, one fix a second: the mileage is ``metres``."""
    steps = round(metres / speed_mps)
    return track_of((start + timedelta(seconds=i), at_m(x0 + i * speed_mps, y)) for i in range(steps + 1))


def loop(
    start: datetime, *, radius: float, speed_mps: float, centre: tuple[float, float] = (1000.0, 1000.0)
) -> Track:
    """Once round a circle at a constant speed: the mileage is 2πr."""
    steps = round(2 * math.pi * radius / speed_mps)
    cx, cy = centre
    return track_of(
        (
            start + timedelta(seconds=i),
            at_m(
                cx + radius * math.cos(2 * math.pi * i / steps),
                cy + radius * math.sin(2 * math.pi * i / steps),
            ),
        )
        for i in range(steps + 1)
    )


def parked(
    start: datetime, *, seconds_: int, sigma_m: float, where: tuple[float, float], seed: int = 7
) -> Track:
    """Standing still with GPS scatter (σ per axis): the mileage is 0."""
    rng = random.Random(seed)
    x, y = where
    return track_of(
        (start + timedelta(seconds=i), at_m(x + rng.gauss(0, sigma_m), y + rng.gauss(0, sigma_m)))
        for i in range(seconds_)
    )


def joined(*tracks: Track) -> Track:
    out = Track()
    for track in tracks:
        for at, lon, lat in zip(track.times, track.lons, track.lats, strict=True):
            out.append(at, lon, lat)
    return out

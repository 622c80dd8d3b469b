"""Routes through the demo district (jingwu_cli.demo_data): pure geometry, no I/O.

The demo district has no street geometry, only places (stations, communities and villages, mobile
rooms' stops), so a route drives the way a street grid makes one drive between them: east-west first,
then north-south, each leg along one axis. Patrol vehicles loop through their station's communities;
the mobile rooms' vehicles go from stop to stop and park at each (R-ROOM-5); handhelds walk a small
loop around their community.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from jingwu_telemetry.domain.fix_rules import distance_m

Point = tuple[float, float]  # (longitude, latitude)


@dataclass(frozen=True)
class Leg:
    start: Point
    end: Point
    seconds: float  # moving (start != end) or parked (start == end)


@dataclass(frozen=True)
class Route:
    name: str
    legs: tuple[Leg, ...]
    speed_kmh: float
    station_id: str = ""
    plate: str = ""
    mobile_room: str = ""  # the demo room's name, for a mobile room's vehicle
    stops: tuple[tuple[str, Point], ...] = field(default=())

    @property
    def period_s(self) -> float:
        return sum(leg.seconds for leg in self.legs)

    def position(self, t: float) -> tuple[float, float, float, float]:
        """(longitude, latitude, speed km/h, heading °) ``t`` seconds into the loop."""
        t %= self.period_s
        for leg in self.legs:
            if t <= leg.seconds:
                if leg.start == leg.end or leg.seconds == 0:
                    return leg.start[0], leg.start[1], 0.0, 0.0
                share = t / leg.seconds
                lon = leg.start[0] + (leg.end[0] - leg.start[0]) * share
                lat = leg.start[1] + (leg.end[1] - leg.start[1]) * share
                return lon, lat, self.speed_kmh, heading(leg.start, leg.end)
            t -= leg.seconds
        last = self.legs[-1].end
        return last[0], last[1], 0.0, 0.0


def heading(start: Point, end: Point) -> float:
    """Clockwise from north, 0..360."""
    east = (end[0] - start[0]) * math.cos(math.radians(start[1]))
    north = end[1] - start[1]
    return math.degrees(math.atan2(east, north)) % 360


def street_legs(
    points: list[Point], speed_kmh: float, park_s: dict[int, float] | None = None
) -> tuple[Leg, ...]:
    """A closed loop through ``points`` along a street grid (east-west, then north-south); parks
    ``park_s[i]`` seconds at point i."""
    metres_per_s = speed_kmh / 3.6
    legs: list[Leg] = []
    for index, start in enumerate(points):
        end = points[(index + 1) % len(points)]
        if park_s and index in park_s:
            legs.append(Leg(start, start, park_s[index]))
        corner = (end[0], start[1])
        for a, b in ((start, corner), (corner, end)):
            if a != b:
                legs.append(Leg(a, b, distance_m(a[1], a[0], b[1], b[0]) / metres_per_s))
    return tuple(legs)


@dataclass(frozen=True)
class Place:
    station_id: str
    point: Point


def _loop(rng: random.Random, places: list[Point], size: int) -> list[Point]:
    chosen = rng.sample(places, min(size, len(places)))
    return chosen if len(chosen) >= 2 else [*chosen, (chosen[0][0] + 0.004, chosen[0][1] + 0.003)]


def vehicle_routes(demo: object, count: int, *, seed: int = 7, park_s: float = 180.0) -> list[Route]:
    """``count`` vehicle routes: first the mobile rooms' vehicles (stop to stop, parking at each),
    then patrol vehicles looping through their station's communities."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, reproducible by design
    stations = list(demo.stations)  # type: ignore[attr-defined]
    villages = [v for v in demo.villages if not v.natural]  # type: ignore[attr-defined]
    routes: list[Route] = []
    for room in (r for r in demo.rooms if r.stops):  # type: ignore[attr-defined]
        if len(routes) >= count:
            break
        points = [(s.lon, s.lat) for s in room.stops]
        routes.append(
            Route(
                name=room.name,
                legs=street_legs(points, 30.0, dict.fromkeys(range(len(points)), park_s)),
                speed_kmh=30.0,
                station_id=room.station_id,
                plate=room.plate,
                mobile_room=room.name,
                stops=tuple((s.stop_id, (s.lon, s.lat)) for s in room.stops),
            )
        )
    number = 0
    while len(routes) < count:
        station = stations[number % len(stations)]
        own = [(v.lon, v.lat) for v in villages if v.station_id == station.station_id] or [
            (station.lon, station.lat)
        ]
        points = [(station.lon, station.lat), *_loop(rng, own, 4)]
        speed = rng.uniform(25.0, 45.0)
        routes.append(
            Route(
                name=f"{station.name}巡逻车{number // len(stations) + 1}",
                legs=street_legs(points, speed),
                speed_kmh=speed,
                station_id=station.station_id,
            )
        )
        number += 1
    return routes


def walking_routes(demo: object, count: int, *, seed: int = 11) -> list[Route]:
    """``count`` officers on foot (5 km/h) around a community of their station."""
    rng = random.Random(seed)  # noqa: S311
    villages = [v for v in demo.villages if not v.natural]  # type: ignore[attr-defined]
    routes = []
    for number in range(count):
        village = villages[(number * 7) % len(villages)]
        around = [
            (village.lon + rng.uniform(-0.004, 0.004), village.lat + rng.uniform(-0.004, 0.004))
            for _ in range(3)
        ]
        routes.append(
            Route(
                name=f"{village.name}民警{number + 1}",
                legs=street_legs([(village.lon, village.lat), *around], 5.0),
                speed_kmh=5.0,
                station_id=village.station_id,
            )
        )
    return routes

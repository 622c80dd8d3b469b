"""A past day's track of a patrol vehicle that follows its plan — or, on purpose, misses it — for the
blind-area backfill (sim.backfill). Vehicle patrol tracks are the evidence for assessment (R-PAT-6):
patrol counts, for each planned hot-spot slot (R-PAT-2), the distinct minutes of the slot with a fix at
the hot spot (jingwu_patrol.domain.evidence). Pure: no I/O, no clock; the same inputs give the same
fixes.

The day, in the district's time (DISTRICT_ZONE, UTC+8):
- **On duty** from ``lead`` before the first slot to ``tail`` after the last; off duty (at home, the
  terminal off, no fixes) before, after, and between two slots more than ``max_patrol_gap`` apart.
- On duty the vehicle drives its patrol loop (sim.routes: the loop through its station's communities, or
  a mobile room's stops) and goes from place to place along the street grid (east-west, then
  north-south), at its route's speed.
- **Following**, it is at each hot spot ``early`` before the slot opens and parks there for the required
  minutes plus ``margin``.
- **Missing**, it stays away from the hot spot through the slot — at home (or, if home is at the hot
  spot, a kilometre off) — but for one brief stop there of a third of the required minutes, at most
  ``required - 3``: the minutes driving in and out cannot make it up. Required minutes under 4: no stop.

Sampling, as a JT/T 808 terminal stores fixes while out of coverage (its time report intervals, terminal
parameters 0x0029/0x0027): every ``moving_interval_s`` (10 s) while driving, every
``parked_interval_s`` (30 s) while parked, each fix scattered by ``scatter_m`` of GPS noise. Why these:
patrol's track filter (jingwu_patrol.domain.tracks) smooths over 5 fixes and clusters within 20 m, so
fixes 10 s apart while driving (≈ 100 m at 35 km/h) leave every cluster and the chords follow the
streets (the filtered mileage comes within a few per cent of the distance driven: the smoothing cuts
the corners); parked fixes 30 s apart give each minute of a slot two fixes (one lost still counts the
minute) and stay far below the 120 s that splits a track into segments; no two consecutive fixes are
more than ~130 m apart, below the 200 m under which telemetry never calls a move a jump. Fix times are
whole seconds (the BCD time of a report has no fraction). A day of one slot is ~450 fixes, so a
district's yesterday is uploaded and stored in seconds (docs/benchmarks.md, make run).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from jingwu_platform.calendar import local_midnight

from jingwu_telemetry.domain.fix_rules import distance_m
from jingwu_telemetry.sim.routes import Point, Route, heading

_METRES_PER_DEG_LAT = 110_950.0


class PlannedVisit(Protocol):
    """One planned hot-spot slot (jingwu_cli.demo_patrol.Waypoint has this shape)."""

    @property
    def longitude(self) -> float: ...
    @property
    def latitude(self) -> float: ...
    @property
    def radius_m(self) -> float: ...
    @property
    def day(self) -> date: ...
    @property
    def start_minute(self) -> int: ...
    @property
    def end_minute(self) -> int: ...
    @property
    def minutes(self) -> int: ...


class FollowedPlan(Protocol):
    """A vehicle's plan for the day and whether to follow it (jingwu_cli.demo_patrol.Itinerary)."""

    @property
    def device_id(self) -> str: ...
    @property
    def follow(self) -> bool: ...
    @property
    def waypoints(self) -> Sequence[PlannedVisit]: ...


@dataclass(frozen=True)
class DayShape:
    """How the day is driven and sampled (see the module docstring)."""

    moving_interval_s: int = 10
    parked_interval_s: int = 30
    scatter_m: float = 2.5
    lead: timedelta = timedelta(minutes=30)
    tail: timedelta = timedelta(minutes=30)
    early: timedelta = timedelta(minutes=2)
    margin: timedelta = timedelta(minutes=3)
    max_patrol_gap: timedelta = timedelta(hours=2)
    # The engine runs this long at home before leaving and after coming back.
    warm_up_s: int = 120
    # Patrol the loop only when there is at least this much spare time before the next place.
    min_patrol_s: int = 300


@dataclass(frozen=True)
class StoredFix:
    """A fix as the terminal stored it: UTC time (whole seconds), position, speed, heading and the
    day's trip meter."""

    at: datetime
    longitude: float
    latitude: float
    speed_kmh: float
    heading_deg: int
    mileage_km: float


@dataclass(frozen=True)
class _Stretch:
    start: Point
    end: Point
    seconds: int
    reporting: bool = True

    @property
    def metres(self) -> float:
        if self.start == self.end:
            return 0.0
        return distance_m(self.start[1], self.start[0], self.end[1], self.end[0])


@dataclass(frozen=True)
class _Window:
    point: Point
    radius_m: float
    start: int  # epoch seconds, UTC
    end: int
    required: int  # minutes


def slot_window(visit: PlannedVisit) -> tuple[datetime, datetime]:
    """The slot of a planned visit as UTC datetimes (its minutes are the district's local minutes)."""
    midnight = local_midnight(visit.day)
    return (
        (midnight + timedelta(minutes=visit.start_minute)).astimezone(UTC),
        (midnight + timedelta(minutes=visit.end_minute)).astimezone(UTC),
    )


def day_track(
    visits: Sequence[PlannedVisit],
    *,
    follow: bool,
    home: Point,
    loop: Route | None = None,
    speed_kmh: float = 35.0,
    seed: str = "",
    shape: DayShape | None = None,
) -> list[StoredFix]:
    """The fixes of the local day of ``visits`` (all of one day), oldest first; none without visits.
    ``home`` is where the vehicle starts and ends (its station); ``loop`` what it patrols meanwhile."""
    if not visits:
        return []
    shape = shape or DayShape()
    day = visits[0].day
    windows = []
    for visit in visits:
        start, end = slot_window(visit)
        point = (visit.longitude, visit.latitude)
        windows.append(
            _Window(point, visit.radius_m, int(start.timestamp()), int(end.timestamp()), visit.minutes)
        )
    windows.sort(key=lambda w: (w.start, w.end))
    plan = _Planner(home, loop, speed_kmh, shape)
    plan.day(windows, follow)
    midnight = int(local_midnight(day).timestamp())
    following = int(local_midnight(day + timedelta(days=1)).timestamp())
    fixes = _sample(plan.started, plan.stretches, shape, random.Random(f"{seed}/{day}"))  # noqa: S311
    return [f for f in fixes if midnight <= f.at.timestamp() < following]


class _Planner:
    """Builds the day as contiguous stretches (drive, park, patrol, off), from ``started``."""

    def __init__(self, home: Point, loop: Route | None, speed_kmh: float, shape: DayShape) -> None:
        self.home = home
        self.loop = loop if loop is not None and loop.period_s > 0 else None
        self.mps = speed_kmh / 3.6
        self.shape = shape
        self.stretches: list[_Stretch] = []
        self.started = 0
        self.t = 0
        self.pos = home

    def _travel_s(self, a: Point, b: Point) -> int:
        corner = (b[0], a[1])
        metres = distance_m(a[1], a[0], corner[1], corner[0]) + distance_m(corner[1], corner[0], b[1], b[0])
        return math.ceil(metres / self.mps)

    def _add(self, stretch: _Stretch) -> None:
        if stretch.seconds > 0:
            self.stretches.append(stretch)
            self.t += stretch.seconds
            self.pos = stretch.end

    def drive(self, to: Point) -> None:
        corner = (to[0], self.pos[1])
        for a, b in ((self.pos, corner), (corner, to)):
            if a != b:
                metres = distance_m(a[1], a[0], b[1], b[0])
                self._add(_Stretch(a, b, max(1, math.ceil(metres / self.mps))))

    def park(self, seconds: int, *, reporting: bool = True) -> None:
        self._add(_Stretch(self.pos, self.pos, seconds, reporting))

    def park_until(self, at: int) -> None:
        if at > self.t:
            self.park(at - self.t)

    def patrol(self, seconds: int) -> None:
        """The loop from home for ``seconds`` (the last leg cut where the time ends)."""
        assert self.loop is not None and self.pos == self.home
        left = seconds
        while left > 0:
            for leg in self.loop.legs:
                step = math.ceil(leg.seconds)
                if step <= 0:
                    continue
                if step <= left:
                    self._add(_Stretch(leg.start, leg.end, step))
                    left -= step
                    continue
                share = left / step
                end = (
                    leg.start[0] + (leg.end[0] - leg.start[0]) * share,
                    leg.start[1] + (leg.end[1] - leg.start[1]) * share,
                )
                self._add(_Stretch(leg.start, end, left))
                left = 0
                break

    def _farthest_s(self, to: Point) -> int:
        """Longest drive from anywhere on the loop to ``to`` (the grid distance along a leg peaks at an
        end)."""
        assert self.loop is not None
        return max(self._travel_s(p, to) for leg in self.loop.legs for p in (leg.start, leg.end))

    def be_at(self, to: Point, by: int) -> None:
        """At ``to`` by ``by``: patrol first when there is time, then drive there and wait."""
        if self.loop is not None:
            spare = by - self.t - self._travel_s(self.pos, self.home) - self._farthest_s(to)
            if spare >= self.shape.min_patrol_s:
                self.drive(self.home)
                self.patrol(spare)
        self.drive(to)
        self.park_until(by)

    def off_duty_until(self, at: int) -> None:
        """Home, the terminal off, and the engine started again in time to be back on duty at ``at``."""
        warm_up = self.shape.warm_up_s
        self.drive(self.home)
        self.park(warm_up)
        if at - warm_up > self.t:
            self.park(at - warm_up - self.t, reporting=False)
        self.park(warm_up)

    def _away(self, w: _Window) -> Point:
        """Where a vehicle missing ``w`` waits: home, unless home is at the hot spot."""
        if distance_m(self.home[1], self.home[0], w.point[1], w.point[0]) > w.radius_m + 300:
            return self.home
        metres_lon = 111_320.0 * math.cos(math.radians(w.point[1]))
        return (w.point[0] + (w.radius_m + 1000) / metres_lon, w.point[1])

    def day(self, windows: Sequence[_Window], follow: bool) -> None:
        shape = self.shape
        lead, tail = int(shape.lead.total_seconds()), int(shape.tail.total_seconds())
        early, margin = int(shape.early.total_seconds()), int(shape.margin.total_seconds())
        self.started = self.t = windows[0].start - lead - shape.warm_up_s
        self.park(shape.warm_up_s)
        for w in windows:
            if w.start - lead - self.t > shape.max_patrol_gap.total_seconds():
                self.off_duty_until(w.start - lead)
            if follow:
                self.be_at(w.point, w.start - early)
                self.park_until(max(self.t, w.start) + (w.required * 60) + margin)
                continue
            away = self._away(w)
            self.be_at(away, w.start - early)
            brief = min(w.required // 3, w.required - 3)
            if brief >= 1:
                there = self._travel_s(away, w.point)
                self.park_until((w.start + w.end) // 2 - brief * 30 - there)
                self.drive(w.point)
                self.park(brief * 60)
                self.drive(away)
            self.park_until(w.end + early)
        if self.loop is not None:
            self.drive(self.home)
            self.patrol(tail)
        self.drive(self.home)
        self.park(shape.warm_up_s)


def _sample(
    started: int, stretches: Sequence[_Stretch], shape: DayShape, rng: random.Random
) -> list[StoredFix]:
    """A fix at the start of every stretch (so every corner has one), then one every interval."""
    fixes: list[StoredFix] = []
    begin = started
    odometer = 0.0

    def fix(t: int, lon: float, lat: float, *, motion: tuple[float, int], metres: float) -> StoredFix:
        east, north = rng.gauss(0.0, shape.scatter_m), rng.gauss(0.0, shape.scatter_m)
        return StoredFix(
            at=datetime.fromtimestamp(t, UTC),
            longitude=lon + east / (111_320.0 * math.cos(math.radians(lat))),
            latitude=lat + north / _METRES_PER_DEG_LAT,
            speed_kmh=motion[0],
            heading_deg=motion[1],
            mileage_km=round(metres / 1000, 1),
        )

    for stretch in stretches:
        end = begin + stretch.seconds
        metres = stretch.metres
        moving = metres > 0
        interval = shape.moving_interval_s if moving else shape.parked_interval_s
        speed = round(metres / stretch.seconds * 3.6, 1) if moving else 0.0
        bearing = round(heading(stretch.start, stretch.end)) % 360 if moving else 0
        t = begin
        while stretch.reporting and t < end:
            share = (t - begin) / stretch.seconds
            lon = stretch.start[0] + (stretch.end[0] - stretch.start[0]) * share
            lat = stretch.start[1] + (stretch.end[1] - stretch.start[1]) * share
            fixes.append(fix(t, lon, lat, motion=(speed, bearing), metres=odometer + metres * share))
            t += interval
        odometer += metres
        begin = end
    if stretches:
        last = stretches[-1].end
        fixes.append(fix(begin, last[0], last[1], motion=(0.0, 0), metres=odometer))
    return fixes

"""Mileage and movement from a GPS track, with jitter and teleport outliers filtered (R-PAT-6). Pure.

A track is a device's fixes of one day in time order. Raw GPS is noisy in two ways that inflate naive
mileage (the sum of distances between consecutive fixes): while parked, positions scatter by metres
around the true spot at every fix (at 1 Hz that alone adds tens of kilometres a day), and now and then a
fix lands kilometres away (multipath, a cold start) and the next one is back. The filter, in order:

1. **Teleports.** A fix the vehicle could not have reached from the last accepted fix at
   ``max_speed_kmh`` (plus ``jump_slack_m`` for GPS error) is an outlier when the fix after it is
   reachable from the last accepted one again (a spike): it is dropped. When the fixes after it agree
   with it instead, the device really is elsewhere (it was moved without reporting): the track starts a
   new segment there and the jump counts no distance.
2. **Gaps.** Fixes more than ``max_fix_gap_s`` apart split the track into segments; the time between
   is gap time. The straight line across a gap counts as mileage when it is plausible at the speed
   limit (the vehicle drove while the device was silent; a lower bound of the distance driven).
3. **Jitter.** Within a segment positions are smoothed by a centred moving average of
   ``2 * smoothing_half_window + 1`` fixes (the window shrinks symmetrically at the segment's ends, so
   straight driving keeps its endpoints; those few less smoothed fixes never start a cluster).
   Smoothed fixes within ``jitter_radius_m`` of the centroid of the current cluster join it; the
   first one outside counts the distance from the cluster — from its centroid when the cluster
   lasted ``stop_after_s`` (a stop: the centroid of hundreds of scattered fixes is where the vehicle
   stood; the way into it counts too), else from its first fix (the vehicle drove through it) — and
   starts the next cluster. Parked jitter never leaves the centroid's radius; driving leaves it every
   few fixes, and the chords it counts follow the road (a loop of 100 m radius loses under 1 %).

Distances use the local scale of the WGS-84 ellipsoid at the fixes' latitude (jingwu_patrol.domain.geo),
refreshed when the track drifts 0.05° in latitude. The module works on parallel float lists, not on an
object per fix: a day of 1 Hz fixes is 86,400 of them per vehicle (docs/benchmarks.md, patrol).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from jingwu_patrol.domain.geo import metres_per_degree

_LATITUDE_REFRESH_DEG = 0.05


@dataclass(frozen=True)
class TrackFilter:
    """The filter's parameters (policy values of the district, PatrolPolicy)."""

    max_speed_kmh: float = 160.0
    jump_slack_m: float = 20.0
    jitter_radius_m: float = 20.0
    smoothing_half_window: int = 2
    max_fix_gap_s: float = 120.0
    # Moving time is counted at no less than this speed over a counted chord, so a vehicle that stood
    # an hour and then moved 20 m does not count an hour of moving.
    min_moving_speed_mps: float = 1.0
    # Fixes that stay within the jitter radius this long are a stop: distance counts from their centre.
    stop_after_s: float = 60.0


@dataclass
class Track:
    """Fixes in time order, as parallel lists: seconds since the epoch (UTC), longitude, latitude."""

    times: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.times)

    def append(self, at: float, longitude: float, latitude: float) -> None:
        """Add a fix; a fix at the time of the previous one (a duplicate) is ignored."""
        if self.times and at <= self.times[-1]:
            if at == self.times[-1]:
                return
            raise ValueError("fixes must be appended in time order")
        self.times.append(at)
        self.lons.append(longitude)
        self.lats.append(latitude)

    @classmethod
    def of(cls, fixes: Sequence[tuple[float, float, float]]) -> Track:
        """From (time, longitude, latitude) in any order; exact duplicates of a time keep the first."""
        track = cls()
        for at, lon, lat in sorted(fixes, key=lambda f: f[0]):
            track.append(at, lon, lat)
        return track


@dataclass(frozen=True)
class TrackMeasure:
    fix_count: int
    mileage_m: float
    raw_mileage_m: float
    moving_s: float
    gap_s: float
    outlier_count: int
    # Teleports the device really made (new segment, no distance).
    relocation_count: int
    # Mileage counted while the time fell inside ``inside`` (the vehicle's own zone).
    mileage_inside_m: float
    # Indices of the fixes kept (not outliers), in time order: hot-spot presence uses them.
    kept: tuple[int, ...]
    # Time the device was reporting: [first, last] of each run of fixes without a gap (seconds).
    alive: tuple[tuple[float, float], ...]


def raw_mileage_m(track: Track) -> float:
    """The naive sum of distances between consecutive fixes (for audit, never the evidence)."""
    if len(track) < 2:
        return 0.0
    lons, lats = track.lons, track.lats
    ref = lats[0]
    kx, ky = metres_per_degree(ref)
    total = 0.0
    sqrt = math.sqrt
    refresh = _LATITUDE_REFRESH_DEG
    previous_lon, previous_lat = lons[0], lats[0]
    for i in range(1, len(lons)):
        lon, lat = lons[i], lats[i]
        if lat - ref > refresh or ref - lat > refresh:
            ref = lat
            kx, ky = metres_per_degree(ref)
        dx, dy = (lon - previous_lon) * kx, (lat - previous_lat) * ky
        total += sqrt(dx * dx + dy * dy)
        previous_lon, previous_lat = lon, lat
    return total


def _reject_teleports(track: Track, f: TrackFilter) -> tuple[list[bool], set[int]]:
    """Which fixes to keep, and the indices where the device relocated (a new segment starts)."""
    times, lons, lats = track.times, track.lons, track.lats
    n = len(times)
    keep = [True] * n
    relocations: set[int] = set()
    if n < 2:
        return keep, relocations
    vmax = f.max_speed_kmh / 3.6
    slack = f.jump_slack_m
    ref = lats[0]
    kx, ky = metres_per_degree(ref)
    refresh = _LATITUDE_REFRESH_DEG

    def reachable(a: int, b: int) -> bool:
        dx, dy = (lons[b] - lons[a]) * kx, (lats[b] - lats[a]) * ky
        reach = vmax * (times[b] - times[a]) + slack
        return dx * dx + dy * dy <= reach * reach

    last = 0
    last_lon, last_lat, last_time = lons[0], lats[0], times[0]
    for i in range(1, n):
        lat = lats[i]
        if lat - ref > refresh or ref - lat > refresh:
            ref = lat
            kx, ky = metres_per_degree(ref)
        # The common case inline: reachable from the last accepted fix.
        dx, dy = (lons[i] - last_lon) * kx, (lat - last_lat) * ky
        reach = vmax * (times[i] - last_time) + slack
        if dx * dx + dy * dy <= reach * reach:
            last = i
            last_lon, last_lat, last_time = lons[i], lat, times[i]
            continue
        following = i + 1
        if following < n and reachable(last, following):
            keep[i] = False  # a spike: the next fix is back where the vehicle could be
            continue
        if following < n and reachable(i, following):
            relocations.add(i)  # the device really is elsewhere now
            last = i
            last_lon, last_lat, last_time = lons[i], lat, times[i]
            continue
        keep[i] = False
    return keep, relocations


def _intervals_contain(intervals: Sequence[tuple[float, float]], starts: list[float], at: float) -> bool:
    index = bisect.bisect_right(starts, at) - 1
    return index >= 0 and at <= intervals[index][1]


def measure(
    track: Track, f: TrackFilter | None = None, inside: Sequence[tuple[float, float]] = ()
) -> TrackMeasure:
    """Filtered mileage, moving and gap time of a track. ``inside``: sorted, disjoint time intervals
    (seconds) in which counted distance is also counted as ``mileage_inside_m``."""
    f = f or TrackFilter()
    n = len(track)
    raw = raw_mileage_m(track)
    if n == 0:
        return TrackMeasure(0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, (), ())
    keep, relocations = _reject_teleports(track, f)
    kept = [i for i in range(n) if keep[i]]
    times, lons, lats = track.times, track.lons, track.lats
    vmax = f.max_speed_kmh / 3.6
    inside_starts = [start for start, _ in inside]

    # Segments: runs of kept fixes without a time gap or a relocation.
    segments: list[list[int]] = []
    alive: list[tuple[float, float]] = []
    mileage = moving = gap = inside_m = 0.0
    current: list[int] = [kept[0]]
    alive_start = times[kept[0]]
    for previous, index in itertools.pairwise(kept):
        dt = times[index] - times[previous]
        if dt > f.max_fix_gap_s:
            gap += dt
            alive.append((alive_start, times[previous]))
            alive_start = times[index]
            kx, ky = metres_per_degree(lats[index])
            chord = math.hypot((lons[index] - lons[previous]) * kx, (lats[index] - lats[previous]) * ky)
            if index not in relocations and chord <= vmax * dt:
                mileage += chord
            segments.append(current)
            current = [index]
        elif index in relocations:
            segments.append(current)
            current = [index]
        else:
            current.append(index)
    segments.append(current)
    alive.append((alive_start, times[kept[-1]]))

    for segment in segments:
        distance, moved, in_zone = _segment_mileage(
            segment, track, f, inside=inside, inside_starts=inside_starts
        )
        mileage += distance
        moving += moved
        inside_m += in_zone
    return TrackMeasure(
        fix_count=n,
        mileage_m=mileage,
        raw_mileage_m=raw,
        moving_s=moving,
        gap_s=gap,
        outlier_count=n - len(kept),
        relocation_count=len(relocations),
        mileage_inside_m=inside_m,
        kept=tuple(kept),
        alive=tuple(alive),
    )


def _segment_mileage(  # noqa: PLR0912, PLR0915 - one inlined loop per fix (86,400 a vehicle-day)
    segment: list[int],
    track: Track,
    f: TrackFilter,
    *,
    inside: Sequence[tuple[float, float]],
    inside_starts: list[float],
) -> tuple[float, float, float]:
    """(distance, moving time, distance inside) of one segment: smoothed, then counted from cluster to
    cluster. A cluster gathers the smoothed fixes within ``jitter_radius_m`` of its centroid; a fix
    outside it counts the distance from where the cluster stood — its centroid when the cluster is a
    stop (it lasted ``stop_after_s``; the way into it, from its first fix to its centroid, counts
    too), else its first fix (the vehicle was moving through it) — and starts the next cluster. At the
    segment's end a moving cluster counts to its last fix, a stop to its centroid."""
    m = len(segment)
    if m < 2:
        return 0.0, 0.0, 0.0
    times, lons, lats = track.times, track.lons, track.lats
    lon0, lat0 = lons[segment[0]], lats[segment[0]]
    # Prefix sums of offsets from the segment's first fix (small numbers: no loss of precision).
    sum_lon = [0.0] * (m + 1)
    sum_lat = [0.0] * (m + 1)
    acc_lon = acc_lat = 0.0
    for j, index in enumerate(segment, 1):
        acc_lon += lons[index] - lon0
        acc_lat += lats[index] - lat0
        sum_lon[j] = acc_lon
        sum_lat[j] = acc_lat
    k = f.smoothing_half_window
    full = 2 * k + 1
    jitter2 = f.jitter_radius_m * f.jitter_radius_m
    min_speed = f.min_moving_speed_mps
    stop_after = f.stop_after_s
    refresh = _LATITUDE_REFRESH_DEG
    ref = lat0
    kx, ky = metres_per_degree(ref)
    sqrt = math.sqrt
    distance = moved = in_zone = 0.0
    # The cluster: its first fix (the segment's first, unsmoothed), its centroid's sums, its last fix.
    first_x = first_y = 0.0
    first_time = times[segment[0]]
    cx, cy = first_x, first_y
    count = 1
    last_x, last_y = first_x, first_y
    last_time = first_time
    # The segment's first cluster starts where the segment does; any later one was driven into.
    arrived = False
    interior_end = m - 1 - k
    for j in range(1, m):
        at = times[segment[j]]
        if not k <= j <= interior_end:
            # The ends of a segment, smoothed over fewer fixes, only join the cluster: its first fix
            # already is where the segment began, and its end is counted after the loop.
            w = min(k, j, m - 1 - j)
            x = (sum_lon[j + w + 1] - sum_lon[j - w]) / (2 * w + 1)
            y = (sum_lat[j + w + 1] - sum_lat[j - w]) / (2 * w + 1)
            if j > interior_end:
                last_x, last_y, last_time = x, y, at
            continue
        x = (sum_lon[j + k + 1] - sum_lon[j - k]) / full
        y = (sum_lat[j + k + 1] - sum_lat[j - k]) / full
        dx, dy = (x - cx / count) * kx, (y - cy / count) * ky
        if dx * dx + dy * dy < jitter2:
            cx += x
            cy += y
            count += 1
            last_x, last_y, last_time = x, y, at
            continue
        lat = lat0 + y
        if lat - ref > refresh or ref - lat > refresh:
            ref = lat
            kx, ky = metres_per_degree(ref)
        stop = last_time - first_time >= stop_after
        if stop:
            from_x, from_y = cx / count, cy / count  # a stop: from where it stood
            if arrived:  # and the way into it, from where the drive entered it
                ax, ay = (from_x - first_x) * kx, (from_y - first_y) * ky
                distance += sqrt(ax * ax + ay * ay)
        else:
            from_x, from_y = first_x, first_y  # moving through: from where it entered
        ex, ey = (x - from_x) * kx, (y - from_y) * ky
        d = sqrt(ex * ex + ey * ey)
        distance += d
        elapsed = at - last_time if last_time - first_time >= stop_after else at - first_time
        cap = d / min_speed
        moved += elapsed if elapsed < cap else cap
        if inside and _intervals_contain(inside, inside_starts, at):
            in_zone += d
        first_x, first_y, first_time = x, y, at
        cx, cy, count = x, y, 1
        last_x, last_y, last_time = x, y, at
        arrived = True
    if last_time > first_time:
        if last_time - first_time < stop_after:  # moving at the end: to the last fix
            ex, ey = (last_x - first_x) * kx, (last_y - first_y) * ky
        elif arrived:  # stopped at the end, after driving in: to where it stood
            ex, ey = (cx / count - first_x) * kx, (cy / count - first_y) * ky
        else:
            ex = ey = 0.0
        d = sqrt(ex * ex + ey * ey)
        distance += d
        moved += min(last_time - first_time, d / min_speed)
        if inside and _intervals_contain(inside, inside_starts, last_time):
            in_zone += d
    return distance, moved, in_zone


def overlap_s(intervals: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Total length of ``intervals`` (sorted, disjoint) within [start, end)."""
    total = 0.0
    for a, b in intervals:
        if b <= start:
            continue
        if a >= end:
            break
        total += min(b, end) - max(a, start)
    return total


def intersect(
    first: Sequence[tuple[float, float]], second: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Intersection of two sorted lists of disjoint intervals."""
    out: list[tuple[float, float]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            out.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


def merged(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, overlapping intervals merged."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out

"""Patrol evidence for assessment (R-PAT-6, R-ROOM-5, R-PER-11), per vehicle and per officer handheld,
per local day. Pure.

From the day's track (jingwu_patrol.domain.tracks): mileage with jitter and teleports filtered, moving
and gap time. From telemetry's zone crossings: time inside each zone, clipped to the time the device
was actually reporting (a vehicle whose device is off is not present, whatever the last crossing said).
From the plans that applied: presence at each planned hot-spot slot, as the number of distinct minutes
of the slot with a fix at the hot spot, against the minutes required. From telemetry's stop crossings:
each mobile-room stop's window — arrived, dwell, left early, missed — where time on a checkpoint duty
(R-ROOM-5: the room was ordered away) is taken out of the window. The compliance ratio is the share of
planned slots and stops met.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from jingwu_patrol.domain.hotspots import Shape
from jingwu_patrol.domain.slots import day_window
from jingwu_patrol.domain.territory import Interval, MobileStop
from jingwu_patrol.domain.tracks import Track, TrackFilter, intersect, measure, merged, overlap_s


class SubjectKind(StrEnum):
    VEHICLE = "vehicle"
    HANDHELD = "handheld"


@dataclass(frozen=True)
class Subject:
    """Whose evidence: a vehicle's terminal or an officer's handheld."""

    kind: SubjectKind
    subject_id: str  # vehicle_id, or the handheld's device_id
    device_id: str
    zone_code: str
    station_id: str = ""
    vehicle_id: str = ""
    officer_id: str = ""
    room_id: str = ""


def evidence_id(subject_id: str, day: date) -> str:
    return f"{subject_id}/{day.isoformat()}"


@dataclass(frozen=True)
class HotSpotCoverage:
    hotspot_id: str
    plan_id: str
    start_minute: int
    end_minute: int
    required_minutes: int
    present_minutes: int
    met: bool


@dataclass(frozen=True)
class StopCompliance:
    room_id: str
    stop_id: str
    window_start_minute: int
    window_end_minute: int
    arrived: bool
    dwell_s: float
    required_dwell_s: float
    met: bool
    left_early: bool
    missed: bool
    first_arrival: datetime | None = None
    last_departure: datetime | None = None


@dataclass(frozen=True)
class ZonePresence:
    zone_code: str
    seconds: float
    entries: int


@dataclass(frozen=True)
class PatrolEvidence:
    evidence_id: str
    subject_kind: SubjectKind
    day: date
    device_id: str
    zone_code: str
    computed_at: datetime
    vehicle_id: str = ""
    officer_id: str = ""
    officer_ids: tuple[str, ...] = ()
    station_id: str = ""
    mileage_km: float = 0.0
    mileage_in_zone_km: float = 0.0
    raw_mileage_km: float = 0.0
    time_in_zone_s: float = 0.0
    moving_s: float = 0.0
    gap_s: float = 0.0
    fix_count: int = 0
    outlier_count: int = 0
    hotspot_coverage: tuple[HotSpotCoverage, ...] = ()
    stop_compliance: tuple[StopCompliance, ...] = ()
    zone_presence: tuple[ZonePresence, ...] = ()
    planned_slot_count: int = 0
    met_slot_count: int = 0
    planned_stop_count: int = 0
    met_stop_count: int = 0
    compliance_ratio: float = 1.0
    plan_ids: tuple[str, ...] = ()
    revision: int = 1
    # Lists page by it: the day, then the subject.
    order_key: str = ""


@dataclass(frozen=True)
class PlannedSlot:
    """One planned hot-spot slot on the day (from a plan's section)."""

    plan_id: str
    hotspot_id: str
    shape: Shape
    start: datetime
    end: datetime
    start_minute: int
    end_minute: int
    required_minutes: int


@dataclass(frozen=True)
class StopRules:
    """R-ROOM-5 compliance (policy values, PatrolPolicy)."""

    required_share: float = 0.8
    early_tolerance: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class DayInputs:
    """Everything one subject's evidence for one day is computed from."""

    subject: Subject
    day: date
    # The day's fixes (and, for planned slots crossing midnight, those until the last slot's end).
    track: Track
    # Zone → stays (seconds), from the zone crossings of the subject's device.
    zone_stays: Mapping[str, Sequence[Interval]]
    zone_entries: Mapping[str, int]
    planned: Sequence[PlannedSlot] = ()
    # The mobile room's stops and its stays at each (stop id → intervals).
    stops: Sequence[MobileStop] = ()
    stop_stays: Mapping[str, Sequence[Interval]] | None = None
    # Checkpoint duties of the vehicle that day (excused from its stops).
    duties: Sequence[Interval] = ()
    officer_ids: tuple[str, ...] = ()
    plan_ids: tuple[str, ...] = ()


def compute(
    inputs: DayInputs,
    *,
    track_filter: TrackFilter,
    stop_rules: StopRules,
    now: datetime,
    revision: int = 1,
) -> PatrolEvidence:
    subject, day = inputs.subject, inputs.day
    start, end = day_window(day)
    # The track may run past midnight for slots that cross it; mileage and presence are the day's.
    track = inputs.track
    day_track = until(track, end.timestamp())
    own_zone = merged(inputs.zone_stays.get(subject.zone_code, ()))
    measured = measure(day_track, track_filter, inside=own_zone)
    alive = list(measured.alive)
    presence = []
    time_in_zone = 0.0
    for zone_code in sorted(inputs.zone_stays):
        seconds = sum(b - a for a, b in intersect(merged(inputs.zone_stays[zone_code]), alive))
        presence.append(ZonePresence(zone_code, round(seconds, 3), inputs.zone_entries.get(zone_code, 0)))
        if zone_code == subject.zone_code:
            time_in_zone = seconds
    kept = measured.kept if day_track is track else measure(track, track_filter).kept
    coverage = _hotspot_coverage(track, kept, inputs.planned)
    stops = _stop_compliance(subject.room_id, inputs, start.timestamp(), stop_rules)
    met_slots = sum(1 for c in coverage if c.met)
    met_stops = sum(1 for s in stops if s.met)
    planned = len(coverage) + len(stops)
    return PatrolEvidence(
        evidence_id=evidence_id(subject.subject_id, day),
        subject_kind=subject.kind,
        day=day,
        device_id=subject.device_id,
        zone_code=subject.zone_code,
        computed_at=now,
        vehicle_id=subject.vehicle_id,
        officer_id=subject.officer_id,
        officer_ids=inputs.officer_ids,
        station_id=subject.station_id,
        mileage_km=round(measured.mileage_m / 1000, 3),
        mileage_in_zone_km=round(measured.mileage_inside_m / 1000, 3),
        raw_mileage_km=round(measured.raw_mileage_m / 1000, 3),
        time_in_zone_s=round(time_in_zone, 3),
        moving_s=round(measured.moving_s, 3),
        gap_s=round(measured.gap_s, 3),
        fix_count=measured.fix_count,
        outlier_count=measured.outlier_count,
        hotspot_coverage=tuple(coverage),
        stop_compliance=tuple(stops),
        zone_presence=tuple(presence),
        planned_slot_count=len(coverage),
        met_slot_count=met_slots,
        planned_stop_count=len(stops),
        met_stop_count=met_stops,
        compliance_ratio=round((met_slots + met_stops) / planned, 4) if planned else 1.0,
        plan_ids=inputs.plan_ids,
        revision=revision,
        order_key=f"{day.isoformat()}/{subject.subject_id}",
    )


def until(track: Track, end: float) -> Track:
    """The fixes before ``end``: the track itself when none is later."""
    if not track.times or track.times[-1] < end:
        return track
    cut = bisect.bisect_left(track.times, end)
    return Track(track.times[:cut], track.lons[:cut], track.lats[:cut])


def _hotspot_coverage(
    track: Track, kept: Sequence[int], planned: Sequence[PlannedSlot]
) -> list[HotSpotCoverage]:
    """Minutes of each slot with a (kept) fix at the hot spot (R-PAT-2 planned against actual)."""
    times, lons, lats = track.times, track.lons, track.lats
    kept_times = [times[i] for i in kept]
    found = []
    for slot in planned:
        a, b = slot.start.timestamp(), slot.end.timestamp()
        lo, hi = bisect.bisect_left(kept_times, a), bisect.bisect_left(kept_times, b)
        minutes = set()
        contains = slot.shape.contains
        for position in range(lo, hi):
            index = kept[position]
            minute = int((times[index] - a) // 60)
            if minute not in minutes and contains(lons[index], lats[index]):
                minutes.add(minute)
        present = len(minutes)
        found.append(
            HotSpotCoverage(
                slot.hotspot_id,
                slot.plan_id,
                slot.start_minute,
                slot.end_minute,
                slot.required_minutes,
                present,
                present >= slot.required_minutes,
            )
        )
    return found


def _subtract(window: Interval, holes: Sequence[Interval]) -> list[Interval]:
    parts = [window]
    for h0, h1 in merged(holes):
        nxt = []
        for a, b in parts:
            if h1 <= a or h0 >= b:
                nxt.append((a, b))
                continue
            if a < h0:
                nxt.append((a, h0))
            if h1 < b:
                nxt.append((h1, b))
        parts = nxt
    return parts


def _stop_compliance(
    room_id: str, inputs: DayInputs, midnight: float, rules: StopRules
) -> list[StopCompliance]:
    """R-ROOM-5: each stop's window on the day (time on a checkpoint duty excused)."""
    if not room_id or not inputs.stops:
        return []
    stays_of = inputs.stop_stays or {}
    found = []
    tolerance = rules.early_tolerance.total_seconds()
    for stop in sorted(inputs.stops, key=lambda s: (s.window()[0], s.stop_id)):
        first_minute, last_minute = stop.window()
        window = (midnight + first_minute * 60, midnight + last_minute * 60)
        effective = _subtract(window, inputs.duties)
        length = sum(b - a for a, b in effective)
        if length <= 0:
            continue  # ordered to a checkpoint for the whole window: nothing was asked at the stop
        stays = merged(stays_of.get(stop.stop_id, ()))
        dwell = sum(overlap_s(stays, a, b) for a, b in effective)
        touching = [(a, b) for a, b in stays if a < window[1] and b > window[0]]
        arrived = dwell > 0
        required = rules.required_share * length
        last_departure = max(b for _, b in touching) if touching else None
        effective_end = effective[-1][1]
        left_early = arrived and last_departure is not None and last_departure < effective_end - tolerance
        found.append(
            StopCompliance(
                room_id=room_id,
                stop_id=stop.stop_id,
                window_start_minute=first_minute,
                window_end_minute=last_minute,
                arrived=arrived,
                dwell_s=round(dwell, 3),
                required_dwell_s=round(required, 3),
                met=arrived and dwell >= required and not left_early,
                left_early=left_early,
                missed=not arrived,
                first_arrival=_at(min(a for a, _ in touching)) if touching else None,
                last_departure=_at(last_departure)
                if last_departure is not None and last_departure < window[1]
                else None,
            )
        )
    return found


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    """At the store's precision (milliseconds), so a stored record reads back equal."""
    return _EPOCH + timedelta(milliseconds=round(seconds * 1000))

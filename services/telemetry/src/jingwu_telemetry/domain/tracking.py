"""What the consumer makes of a device's fixes, one fix at a time (R-PAT-6, R-ROOM-5, R-POP-7). Pure.

For each fix, in the order the device sent them (one Kafka partition per device):
- a fix that breaks the single-fix rules (coordinates, time skew, not positioned) is rejected with the
  reason, for the dead-letter topic;
- the same fix again (same fix time and position) is a duplicate and dropped; another position at the
  same fix time is rejected as a conflict;
- a fix older than the device's latest (a stored fix uploaded late, 0x0704) joins the track and
  changes nothing else: zone and stop events follow the device's own timeline forward only;
- a newer fix is checked against the previous one (a jump faster than any drive is rejected; after
  ``rules.max_jump_rejections`` in a row the new place is believed, the device really moved); it then
  moves the device's state, and crossing a zone boundary or a stop's radius makes an event.

Events have ids derived from the device, the place and the fix time, so a replayed fix derives the
same event, which the store keeps once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from jingwu_telemetry.domain.devices import DeviceKind
from jingwu_telemetry.domain.fix_rules import FixRules, fix_violations, implausible_jump
from jingwu_telemetry.domain.geo import Stop, ZoneIndex, stop_at

STATUS_POSITIONED = 1 << 1
BACKFILL = "backfill"


@dataclass(frozen=True)
class Fix:
    """One fix as the consumer sees it; ``payload`` is the fix as published (kept, never interpreted)."""

    device_id: str
    fix_time: datetime | None
    receive_time: datetime
    latitude: float
    longitude: float
    speed_kmh: float
    heading_deg: float
    status_flags: int
    source: str  # "report", "backfill", "query", "handheld"
    payload: bytes = b""

    @property
    def positioned(self) -> bool:
        return bool(self.status_flags & STATUS_POSITIONED)


@dataclass(frozen=True)
class Attached:
    """What the device is attached to when the fix is taken (from the registry)."""

    kind: DeviceKind
    enabled: bool = True
    vehicle_id: str = ""
    room_id: str = ""
    officer_id: str = ""


@dataclass(frozen=True)
class Tracking:
    """A device's state between fixes; also its latest position (the live map, R-POP-7)."""

    device_id: str
    fix_time: datetime | None = None
    latitude: float = 0.0
    longitude: float = 0.0
    zone_code: str = ""
    zone_since: datetime | None = None
    room_id: str = ""
    stop_id: str = ""
    stop_since: datetime | None = None
    jump_rejections: int = 0
    # The latest fix and the attachment it was taken under.
    payload: bytes = b""
    kind: DeviceKind | None = None
    vehicle_id: str = ""
    officer_id: str = ""


class ZoneEventKind(StrEnum):
    ENTERED = "entered"
    LEFT = "left"


class StopEventKind(StrEnum):
    ARRIVED = "arrived"
    DEPARTED = "departed"


@dataclass(frozen=True)
class ZoneCrossing:
    event_id: str
    kind: ZoneEventKind
    device_id: str
    device_kind: DeviceKind
    vehicle_id: str
    officer_id: str
    zone_code: str
    longitude: float
    latitude: float
    occur_time: datetime
    time_in_zone_s: float = 0.0


@dataclass(frozen=True)
class StopVisit:
    event_id: str
    kind: StopEventKind
    device_id: str
    vehicle_id: str
    room_id: str
    stop_id: str
    longitude: float
    latitude: float
    occur_time: datetime
    dwell_s: float = 0.0


class Verdict(StrEnum):
    MOVED = "moved"  # newer: state advanced
    LATE = "late"  # older than the latest: track only
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    state: Tracking
    reason: str = ""
    zone_events: tuple[ZoneCrossing, ...] = ()
    stop_events: tuple[StopVisit, ...] = ()


def event_id(at: datetime, *parts: str) -> str:
    """Time-ordered and derived from what happened: ``20261122T003000000000Z-<device>-<place>-<kind>``."""
    return f"{at:%Y%m%dT%H%M%S%fZ}-{'-'.join(parts)}"


def _refusal(fix: Fix, device: Attached | None, rules: FixRules) -> str:
    """Why the fix is refused on its own (without the device's history); "" when it is not."""
    if device is None:
        return "unknown device: not in this district's registry"
    if not device.enabled:
        return "device disabled"
    if not fix.positioned:
        return "not positioned: status bit 1 is clear"
    problems = fix_violations(
        latitude=fix.latitude,
        longitude=fix.longitude,
        fix_time=fix.fix_time,
        received=fix.receive_time,
        speed_kmh=fix.speed_kmh,
        heading_deg=fix.heading_deg,
        backfill=fix.source == BACKFILL,
        rules=rules,
    )
    return "; ".join(f"{field}: {why}" for field, why in problems)


def track(
    state: Tracking,
    fix: Fix,
    device: Attached | None,
    *,
    zones: ZoneIndex,
    stops: Sequence[Stop],
    rules: FixRules,
) -> Outcome:
    """The outcome of one fix for a device in ``state`` (see the module docstring)."""
    refusal = _refusal(fix, device, rules)
    if refusal:
        return Outcome(Verdict.REJECTED, state, refusal)
    assert device is not None
    at = fix.fix_time
    assert at is not None
    if state.fix_time is not None:
        if at == state.fix_time:
            if (fix.latitude, fix.longitude) == (state.latitude, state.longitude):
                return Outcome(Verdict.DUPLICATE, state)
            return Outcome(
                Verdict.REJECTED, state, "conflicting duplicate: another position at the same fix time"
            )
        if at < state.fix_time:
            return Outcome(Verdict.LATE, state)
        jump = implausible_jump(
            (state.latitude, state.longitude, state.fix_time), fix.latitude, fix.longitude, at, rules
        )
        if jump and state.jump_rejections < rules.max_jump_rejections:
            return Outcome(Verdict.REJECTED, replace(state, jump_rejections=state.jump_rejections + 1), jump)
    return _moved(state, fix, at, device, zones=zones, stops=stops)


def _moved(
    state: Tracking, fix: Fix, at: datetime, device: Attached, *, zones: ZoneIndex, stops: Sequence[Stop]
) -> Outcome:
    zone = zones.zone_at(fix.longitude, fix.latitude)
    zone_events: list[ZoneCrossing] = []
    zone_since = state.zone_since
    if zone != state.zone_code:
        if state.zone_code:
            stayed = (at - state.zone_since).total_seconds() if state.zone_since else 0.0
            zone_events.append(
                _crossing(ZoneEventKind.LEFT, state.zone_code, fix, at, device=device, stayed=stayed)
            )
        if zone:
            zone_events.append(_crossing(ZoneEventKind.ENTERED, zone, fix, at, device=device, stayed=0.0))
        zone_since = at if zone else None
    room_stops = [s for s in stops if s.room_id == device.room_id] if device.room_id else []
    here = stop_at(room_stops, fix.longitude, fix.latitude)
    stop_events: list[StopVisit] = []
    stop_id, stop_since, room_id = state.stop_id, state.stop_since, state.room_id
    key = (here.room_id, here.stop_id) if here else ("", "")
    if key != (state.room_id, state.stop_id):
        if state.stop_id:
            dwell = (at - state.stop_since).total_seconds() if state.stop_since else 0.0
            stop_events.append(
                _visit(
                    StopEventKind.DEPARTED,
                    (state.room_id, state.stop_id),
                    fix,
                    at,
                    device=device,
                    dwell=dwell,
                )
            )
        if here:
            stop_events.append(
                _visit(StopEventKind.ARRIVED, (here.room_id, here.stop_id), fix, at, device=device, dwell=0.0)
            )
        room_id, stop_id = key
        stop_since = at if here else None
    moved = Tracking(
        device_id=state.device_id,
        fix_time=at,
        latitude=fix.latitude,
        longitude=fix.longitude,
        zone_code=zone,
        zone_since=zone_since,
        room_id=room_id,
        stop_id=stop_id,
        stop_since=stop_since,
        jump_rejections=0,
        payload=fix.payload,
        kind=device.kind,
        vehicle_id=device.vehicle_id,
        officer_id=device.officer_id,
    )
    return Outcome(Verdict.MOVED, moved, zone_events=tuple(zone_events), stop_events=tuple(stop_events))


def _crossing(
    kind: ZoneEventKind, zone: str, fix: Fix, at: datetime, *, device: Attached, stayed: float
) -> ZoneCrossing:
    return ZoneCrossing(
        event_id=event_id(at, fix.device_id, zone, kind.value),
        kind=kind,
        device_id=fix.device_id,
        device_kind=device.kind,
        vehicle_id=device.vehicle_id,
        officer_id=device.officer_id,
        zone_code=zone,
        longitude=fix.longitude,
        latitude=fix.latitude,
        occur_time=at,
        time_in_zone_s=stayed,
    )


def _visit(
    kind: StopEventKind, place: tuple[str, str], fix: Fix, at: datetime, *, device: Attached, dwell: float
) -> StopVisit:
    room_id, stop_id = place
    return StopVisit(
        event_id=event_id(at, fix.device_id, room_id, stop_id, kind.value),
        kind=kind,
        device_id=fix.device_id,
        vehicle_id=device.vehicle_id,
        room_id=room_id,
        stop_id=stop_id,
        longitude=fix.longitude,
        latitude=fix.latitude,
        occur_time=at,
        dwell_s=dwell,
    )


def window_start(at: datetime, width: timedelta) -> datetime:
    """The start of the track bucket window ``at`` falls in (windows aligned on the Unix epoch)."""
    seconds = int(width.total_seconds())
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, at.tzinfo)

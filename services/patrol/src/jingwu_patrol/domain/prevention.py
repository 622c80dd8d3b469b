"""Prevention rings, checkpoints and duty orders (R-PAT-3), and the interception order that sends the
nearest mobile room to a checkpoint (R-ROOM-5). Pure.

An interception order (堵控查缉) names a place — where the suspect was seen, an incident's location — or
a checkpoint. The checkpoint nearest the place is manned (or the one named), by the active mobile room
nearest that checkpoint: where the room's vehicle is, from its latest GPS position when telemetry has
a recent one, else where the room registry believes it is (its checkpoint, its current stop, its base).
The room is ordered through the room registry, so the order is the registry's own; the duty is kept
here and shows in the vehicle's plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_zone_code

from jingwu_patrol.domain.common import Audit, check_ids, check_name, check_text
from jingwu_patrol.domain.geo import GeoPoint, Polygon, check_point, check_polygon, great_circle_m
from jingwu_patrol.domain.territory import MobileRoomView, nearest


class RingLevel(StrEnum):
    CORE = "core"
    CENTRE = "centre"
    INNER = "inner"
    OUTER = "outer"


RING_ORDER = {RingLevel.CORE: 0, RingLevel.CENTRE: 1, RingLevel.INNER: 2, RingLevel.OUTER: 3}


@dataclass(frozen=True)
class PreventionRing:
    ring_id: str
    name: str
    level: RingLevel
    boundary: Polygon
    audit: Audit = field(default_factory=Audit)
    version: int = 0


def validate_ring(name: str, level: RingLevel | None, boundary: Polygon) -> None:
    """A named ring of a known level whose boundary is a valid closed polygon."""
    v = Validator()
    check_name(v, "name", name)
    v.check(level is not None, "level", "is required: core, centre, inner or outer")
    check_polygon(v, "boundary", boundary)
    v.raise_if_any()


class CheckpointKind(StrEnum):
    CHECKPOINT = "checkpoint"  # 卡口
    SECURITY_CHECK_STATION = "security_check_station"  # 治安检查站


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: str
    name: str
    kind: CheckpointKind
    location: GeoPoint
    ring_id: str = ""
    zone_code: str = ""
    active: bool = True
    audit: Audit = field(default_factory=Audit)
    version: int = 0


def validate_checkpoint(
    *,
    name: str,
    kind: CheckpointKind | None,
    location: GeoPoint | None,
    ring_id: str,
    zone_code: str,
    district: str,
    rings: Mapping[str, PreventionRing],
) -> None:
    v = Validator()
    check_name(v, "name", name)
    v.check(kind is not None, "kind", "is required: checkpoint or security check station")
    check_point(v, "location", location)
    if ring_id:
        v.check(ring_id in rings, "ring_id", f"no prevention ring {ring_id!r}")
    if zone_code:
        check_zone_code(v, "zone_code", zone_code, district)
    v.raise_if_any()


class DutySource(StrEnum):
    MANUAL = "manual"
    INTERCEPTION = "interception"
    ROOM_REGISTRY = "room_registry"


@dataclass(frozen=True)
class CheckpointDuty:
    """A duty order at a checkpoint (R-PAT-3). Written once: an order is relieved by its end time."""

    duty_id: str
    checkpoint_id: str
    checkpoint_name: str
    checkpoint_location: GeoPoint
    start: datetime
    source: DutySource
    end: datetime | None = None
    vehicle_id: str = ""
    room_id: str = ""
    officer_ids: tuple[str, ...] = ()
    room_order_id: str = ""
    incident_id: str = ""
    reason: str = ""
    issued_by: str = ""
    distance_m: float = 0.0
    audit: Audit = field(default_factory=Audit)
    # Newest-first lists page by it: the start, then the id.
    order_key: str = ""

    def in_force(self, start: datetime, end: datetime) -> bool:
        """Overlaps [start, end)."""
        return self.start < end and (self.end is None or self.end > start)


def validate_duty(
    *,
    checkpoint: Checkpoint | None,
    checkpoint_id: str,
    vehicle_id: str,
    vehicle_known: bool,
    officer_ids: Sequence[str],
    start: datetime,
    end: datetime | None,
    reason: str,
) -> None:
    v = Validator()
    if v.check(bool(checkpoint_id), "checkpoint_id", "is required") and v.check(
        checkpoint is not None, "checkpoint_id", f"no checkpoint {checkpoint_id!r}"
    ):
        assert checkpoint is not None
        v.check(checkpoint.active, "checkpoint_id", "the checkpoint is inactive")
    if vehicle_id:
        v.check(vehicle_known, "vehicle_id", f"no patrol vehicle {vehicle_id!r}")
    v.check(bool(vehicle_id or officer_ids), "vehicle_id", "a duty order needs a vehicle or officers")
    check_ids(v, "officer_ids", tuple(officer_ids))
    if end is not None:
        v.check(end > start, "end_time", "must be after start_time")
    check_text(v, "reason", reason, 256)
    v.raise_if_any()


@dataclass(frozen=True)
class InterceptionChoice:
    checkpoint: Checkpoint
    room: MobileRoomView
    room_position: GeoPoint
    distance_m: float


def choose_interception(
    *,
    location: GeoPoint | None,
    checkpoint_id: str,
    checkpoints: Sequence[Checkpoint],
    rooms: Iterable[MobileRoomView],
    positions: Mapping[str, GeoPoint],
) -> InterceptionChoice:
    """R-PAT-3, R-ROOM-5: the checkpoint (named, or nearest ``location``) and the active mobile room
    nearest it. ``positions``: room id → the room's vehicle's latest GPS position, where known."""
    v = Validator()
    if checkpoint_id:
        chosen = next((c for c in checkpoints if c.checkpoint_id == checkpoint_id), None)
        if v.check(chosen is not None, "checkpoint_id", f"no checkpoint {checkpoint_id!r}"):
            assert chosen is not None
            v.check(chosen.active, "checkpoint_id", "the checkpoint is inactive")
        if location is not None and (location.longitude or location.latitude):
            check_point(v, "location", location)
    else:
        check_point(v, "location", location)
        chosen = None
    v.raise_if_any()
    if chosen is None:
        assert location is not None
        active = [c for c in checkpoints if c.active]
        found = nearest(((c.checkpoint_id, c.location) for c in active), location)
        if found is None:
            raise RuleViolation(
                "R-PAT-3", "checkpoints", "no active checkpoint is registered to intercept at"
            )
        chosen = next(c for c in active if c.checkpoint_id == found[0])
    candidates: dict[str, tuple[MobileRoomView, GeoPoint]] = {}
    for room in rooms:
        if not room.active:
            continue
        where = positions.get(room.room_id) or room.believed_position()
        if where is not None:
            candidates[room.room_id] = (room, where)
    found = nearest(((room_id, where) for room_id, (_, where) in candidates.items()), chosen.location)
    if found is None:
        raise RuleViolation("R-ROOM-5", "rooms", "no active mobile room with a known position can intercept")
    room, where = candidates[found[0]]
    return InterceptionChoice(chosen, room, where, round(great_circle_m(where, chosen.location), 1))


def checkpoint_at(
    checkpoints: Sequence[Checkpoint], location: GeoPoint, within_m: float
) -> Checkpoint | None:
    """The registered checkpoint at a place (within ``within_m``), for orders the room registry issued
    without naming one of ours."""
    found = nearest(((c.checkpoint_id, c.location) for c in checkpoints), location)
    if found is None or found[1] > within_m:
        return None
    return next(c for c in checkpoints if c.checkpoint_id == found[0])

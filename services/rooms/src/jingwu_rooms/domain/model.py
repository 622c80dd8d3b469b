"""Room registry domain: police rooms, their lifecycle and consolidation. Pure: no I/O, no protobuf.

Rules: R-ROOM-1 (room kinds), R-ROOM-2 (lifecycle, consolidation, history kept), R-ROOM-5 (mobile rooms
are vehicles), R-ROOM-7 (naming after an officer), R-ORG-2 (zone codes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code

AUXILIARY_WORKROOM_SUFFIX = "辅警工作室"
REASON_MAX_LENGTH = 256


class RoomKind(StrEnum):
    """R-ROOM-1."""

    URBAN_HOME_STYLE = "urban_home_style"  # 居家式
    URBAN_ONE_ZONE_ONE_OFFICER = "urban_one_zone_one_officer"  # 一区一警式
    RURAL_LINKED_CLUSTER = "rural_linked_cluster"  # 联动包片式
    KEY_VILLAGE = "key_village"  # 重点村警务室
    VILLAGE_CONTACT_POINT = "village_contact_point"  # 警务联系点
    AUXILIARY_WORKROOM = "auxiliary_workroom"  # <village>辅警工作室
    MOBILE = "mobile"  # 流动警务室


class RoomStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    MERGED = "merged"
    CLOSED = "closed"


LIVE_STATUSES = (RoomStatus.PLANNED, RoomStatus.ACTIVE)


@dataclass(frozen=True)
class GeoPoint:
    longitude: float
    latitude: float


@dataclass(frozen=True)
class Audit:
    """Who created a record and who changed it last, and when."""

    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    @staticmethod
    def new(by: str, at: datetime) -> Audit:
        return Audit(by, at, by, at)

    def touched(self, by: str, at: datetime) -> Audit:
        return replace(self, updated_by=by, updated_at=at)


@dataclass(frozen=True)
class Facility:
    """R-ROOM-3: a recorded facility; ``quantity`` is m² for spaces, a count for equipment."""

    code: str
    quantity: float


@dataclass(frozen=True)
class MobileStop:
    """R-ROOM-5: a designated stop of a mobile room; the window is minutes after local midnight."""

    stop_id: str
    name: str
    location: GeoPoint
    radius_m: float
    window_start_minute: int = 0
    window_end_minute: int = 0


@dataclass(frozen=True)
class CheckpointOrder:
    """R-ROOM-5 堵控查缉: a bureau order sending a mobile room to a checkpoint."""

    order_id: str
    room_id: str
    checkpoint_name: str
    checkpoint_location: GeoPoint
    issued_at: datetime
    issued_by: str


@dataclass(frozen=True)
class HistoryEntry:
    """R-ROOM-2: every lifecycle step stays on the room."""

    at: datetime
    action: str
    by: str
    detail: str = ""


@dataclass(frozen=True)
class HandoverItem:
    """One record that moves (R-ORG-3 交接清单, R-ROOM-2): between zones, rooms, or both."""

    record_type: str
    record_id: str
    from_zone_code: str = ""
    to_zone_code: str = ""
    from_room_id: str = ""
    to_room_id: str = ""


@dataclass(frozen=True)
class Room:
    room_id: str
    name: str
    kind: RoomKind
    status: RoomStatus
    station_id: str
    zone_codes: tuple[str, ...]
    location: GeoPoint
    address: str = ""
    village_id: str = ""
    vehicle_plate: str = ""
    open_time: datetime | None = None
    audit: Audit = field(default_factory=Audit)
    facilities: tuple[Facility, ...] = ()
    grade: str = ""
    honorary_officer_name: str = ""
    honorary_citation: str = ""
    stops: tuple[MobileStop, ...] = ()
    current_stop_id: str = ""
    current_order: CheckpointOrder | None = None
    # Every checkpoint order the room took (R-ROOM-5), so a repeated order is answered, not re-issued.
    orders: tuple[CheckpointOrder, ...] = ()
    merged_into_room_id: str = ""
    absorbed_room_ids: tuple[str, ...] = ()
    close_time: datetime | None = None
    history: tuple[HistoryEntry, ...] = ()
    # Optimistic concurrency: every stored change bumps it; a write expects the version it read.
    version: int = 0

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def _changed(self, at: datetime, by: str, action: str, detail: str = "", **changes: object) -> Room:
        entry = HistoryEntry(at=at, action=action, by=by, detail=detail)
        return replace(self, **changes, history=(*self.history, entry), audit=self.audit.touched(by, at))  # type: ignore[arg-type]

    def require_live(self, doing: str) -> None:
        """R-ROOM-2: a merged or closed room keeps its history and accepts no further change."""
        if not self.live:
            raise RuleViolation(
                "R-ROOM-2", f"rooms/{self.room_id}", f"cannot {doing} a room that is {self.status}"
            )

    def activate(self, at: datetime, by: str) -> Room:
        """planned → active. A merged or closed room never reopens (R-ROOM-2 keeps its history)."""
        if self.status is not RoomStatus.PLANNED:
            raise RuleViolation(
                "R-ROOM-2",
                f"rooms/{self.room_id}",
                f"only a planned room can be opened; this one is {self.status}",
            )
        return self._changed(at, by, "opened", status=RoomStatus.ACTIVE, open_time=at)

    def close(self, *, reason: str, at: datetime, by: str, posted_staff: int) -> Room:
        """Close without a successor. Refused while staff are posted: they would be dropped silently
        (R-ROOM-2); end or move their postings first, or merge the room into another."""
        self.require_live("close")
        if posted_staff:
            raise RuleViolation(
                "R-ROOM-2",
                f"rooms/{self.room_id}",
                f"room has {posted_staff} current posting(s): move them, or merge the room instead",
            )
        return self._changed(at, by, "closed", reason, status=RoomStatus.CLOSED, close_time=at)

    def name_after(self, officer_name: str, citation: str, at: datetime, by: str) -> Room:
        """R-ROOM-7: the room carries an outstanding community officer's name."""
        self.require_live("name")
        return self._changed(
            at,
            by,
            "named",
            f"{officer_name}: {citation}" if citation else officer_name,
            honorary_officer_name=officer_name,
            honorary_citation=citation,
        )

    def with_facilities(self, facilities: tuple[Facility, ...], grade: str, at: datetime, by: str) -> Room:
        """R-ROOM-3. Recording what is recorded already changes nothing (a repeated request)."""
        self.require_live("record facilities of")
        if (facilities, grade) == (self.facilities, self.grade):
            return self
        return self._changed(at, by, "graded", grade, facilities=facilities, grade=grade)

    def require_mobile(self) -> None:
        if self.kind is not RoomKind.MOBILE:
            raise RuleViolation(
                "R-ROOM-5", f"rooms/{self.room_id}", f"only a mobile room has stops; this one is {self.kind}"
            )

    def with_stops(self, stops: tuple[MobileStop, ...], at: datetime, by: str) -> Room:
        """R-ROOM-5: designated stops. The current stop stays only if it is still designated."""
        self.require_live("set stops of")
        self.require_mobile()
        current = self.current_stop_id if any(s.stop_id == self.current_stop_id for s in stops) else ""
        names = ", ".join(s.stop_id for s in stops)
        return self._changed(at, by, "stops_set", names, stops=stops, current_stop_id=current)

    def reassign_stop(self, stop_id: str, reason: str, at: datetime, by: str) -> Room:
        """R-ROOM-5: moved to another designated stop in real time; ends any checkpoint order."""
        self.require_live("reassign")
        self.require_mobile()
        if self.status is not RoomStatus.ACTIVE:
            raise RuleViolation(
                "R-ROOM-5", f"rooms/{self.room_id}", "only an active mobile room is on the road"
            )
        if not any(s.stop_id == stop_id for s in self.stops):
            raise RuleViolation(
                "R-ROOM-5",
                f"rooms/{self.room_id}/stops/{stop_id}",
                f"stop {stop_id!r} is not one of the room's designated stops",
            )
        return self._changed(
            at, by, "stop_reassigned", f"{stop_id}: {reason}", current_stop_id=stop_id, current_order=None
        )

    def order(self, order_id: str) -> CheckpointOrder | None:
        """The checkpoint order of this id the room took, if it took it."""
        return next((o for o in self.orders if o.order_id == order_id), None)

    def take_order(self, order: CheckpointOrder) -> Room:
        """R-ROOM-5: on a bureau order the room goes to the checkpoint and acts as a checkpoint post."""
        if self.order(order.order_id) is not None:
            return self  # the same order repeated
        self.require_mobile()
        if self.status is not RoomStatus.ACTIVE:
            raise RuleViolation(
                "R-ROOM-5", f"rooms/{self.room_id}", f"a {self.status} room cannot take a checkpoint order"
            )
        return self._changed(
            order.issued_at,
            order.issued_by,
            "checkpoint_order",
            f"{order.order_id}: {order.checkpoint_name}",
            current_order=order,
            orders=(*self.orders, order),
        )

    def with_zone_codes(self, zone_codes: tuple[str, ...], detail: str, at: datetime, by: str) -> Room:
        """R-ORG-3: a re-division re-homes the room onto the new zones."""
        return self._changed(at, by, "zones_redivided", detail, zone_codes=zone_codes)


@dataclass(frozen=True)
class RoomDraft:
    """What a caller asks for when planning or opening a room; validated by ``validate_draft``."""

    name: str
    kind: RoomKind | None
    station_id: str
    zone_codes: tuple[str, ...]
    location: GeoPoint
    address: str = ""
    village_id: str = ""
    vehicle_plate: str = ""


def validate_draft(draft: RoomDraft, district: str) -> RoomKind:
    """Check a draft against the field rules; raises ValidationFailed listing every bad field."""
    v = Validator()
    check_required(v, "name", draft.name, max_length=64)
    v.check(draft.kind is not None, "kind", "room kind is required (R-ROOM-1)")
    check_required(v, "station_id", draft.station_id)
    if v.check(bool(draft.zone_codes), "zone_codes", "a room serves at least one zone"):
        for index, code in enumerate(draft.zone_codes):
            check_zone_code(v, f"zone_codes[{index}]", code, district)
        v.check(
            len(set(draft.zone_codes)) == len(draft.zone_codes), "zone_codes", "zone codes must not repeat"
        )
    check_geo_point(v, "location", draft.location.longitude, draft.location.latitude)
    if draft.kind is RoomKind.MOBILE:
        # R-ROOM-5: a mobile room is a vehicle; its stops and position come from its plate's terminal.
        check_required(v, "vehicle_plate", draft.vehicle_plate, max_length=16)
    elif draft.vehicle_plate:
        v.add("vehicle_plate", "only a mobile room has a vehicle plate (R-ROOM-5)")
    if draft.kind is RoomKind.AUXILIARY_WORKROOM:
        # R-ROOM-1: named "<village>辅警工作室" and tied to its village.
        v.check(
            draft.name.endswith(AUXILIARY_WORKROOM_SUFFIX)
            and len(draft.name) > len(AUXILIARY_WORKROOM_SUFFIX),
            "name",
            f"an auxiliary workroom is named '<village>{AUXILIARY_WORKROOM_SUFFIX}' (R-ROOM-1)",
        )
        check_required(v, "village_id", draft.village_id)
    v.raise_if_any()
    assert draft.kind is not None
    return draft.kind


def _new_room(
    draft: RoomDraft, *, district: str, room_id: str, at: datetime, by: str, status: RoomStatus
) -> Room:
    kind = validate_draft(draft, district)
    active = status is RoomStatus.ACTIVE
    return Room(
        room_id=room_id,
        name=draft.name.strip(),
        kind=kind,
        status=status,
        station_id=draft.station_id,
        zone_codes=draft.zone_codes,
        location=draft.location,
        address=draft.address,
        village_id=draft.village_id,
        vehicle_plate=draft.vehicle_plate,
        open_time=at if active else None,
        audit=Audit.new(by, at),
        history=(HistoryEntry(at=at, action="opened" if active else "planned", by=by),),
    )


def open_new_room(draft: RoomDraft, *, district: str, room_id: str, at: datetime, by: str) -> Room:
    """Create a room that is active from now on."""
    return _new_room(draft, district=district, room_id=room_id, at=at, by=by, status=RoomStatus.ACTIVE)


def plan_new_room(draft: RoomDraft, *, district: str, room_id: str, at: datetime, by: str) -> Room:
    """Create a planned room: registered, not yet serving (opened later with OpenRoom)."""
    return _new_room(draft, district=district, room_id=room_id, at=at, by=by, status=RoomStatus.PLANNED)


def check_reason(v: Validator, field_name: str, reason: str) -> None:
    """Consolidation, closing and stop changes keep their reason in the history (R-ROOM-2, R-ROOM-5)."""
    check_required(v, field_name, reason, max_length=REASON_MAX_LENGTH)


# --- Consolidation (R-ROOM-2) ---------------------------------------------------------------------


def validate_merge_request(merged_room_ids: Sequence[str], surviving_room_id: str, reason: str) -> None:
    v = Validator()
    check_required(v, "surviving_room_id", surviving_room_id)
    if v.check(bool(merged_room_ids), "merged_room_ids", "name at least one room to merge"):
        seen: set[str] = set()
        for index, room_id in enumerate(merged_room_ids):
            if v.check(bool(room_id.strip()), f"merged_room_ids[{index}]", "is required"):
                v.check(room_id not in seen, f"merged_room_ids[{index}]", f"room {room_id} is listed twice")
                seen.add(room_id)
    check_reason(v, "reason", reason)
    v.raise_if_any()


@dataclass(frozen=True)
class MergeOutcome:
    surviving: Room
    # Rooms that change now; rooms already merged into the survivor by an interrupted earlier attempt
    # are not repeated.
    newly_merged: tuple[Room, ...]
    handover: tuple[HandoverItem, ...]
    # False when an earlier attempt already completed everything: nothing to write, no event.
    changed: bool = True


def merge_rooms(
    surviving: Room,
    merged: Sequence[Room],
    *,
    reason: str,
    at: datetime,
    by: str,
    postings_by_room: Mapping[str, Sequence[str]] | None = None,
) -> MergeOutcome:
    """R-ROOM-2: merged rooms end as ``merged`` with ``merged_into``; their zones move to the survivor and
    their staff are listed for hand-over (personnel re-posts them). History is kept on every room.

    Idempotent: a room already merged into the survivor (an interrupted earlier attempt) is accepted.
    """
    subject = f"rooms/{surviving.room_id}"
    if any(room.room_id == surviving.room_id for room in merged):
        raise RuleViolation("R-ROOM-2", subject, "a room cannot be merged into itself")
    if surviving.status is not RoomStatus.ACTIVE:
        raise RuleViolation(
            "R-ROOM-2",
            subject,
            f"rooms can only be merged into an active room; {surviving.room_id} is {surviving.status}",
        )
    newly: list[Room] = []
    handover: list[HandoverItem] = []
    zone_codes = list(surviving.zone_codes)
    absorbed = list(surviving.absorbed_room_ids)
    for room in merged:
        already = room.status is RoomStatus.MERGED and room.merged_into_room_id == surviving.room_id
        if not already and not room.live:
            into = f" into {room.merged_into_room_id}" if room.merged_into_room_id else ""
            raise RuleViolation(
                "R-ROOM-2", f"rooms/{room.room_id}", f"room {room.room_id} is already {room.status}{into}"
            )
        if room.room_id in absorbed:
            continue  # completed by an earlier attempt
        if not already:
            newly.append(
                room._changed(
                    at,
                    by,
                    "merged_into",
                    f"{surviving.room_id}: {reason}",
                    status=RoomStatus.MERGED,
                    merged_into_room_id=surviving.room_id,
                    close_time=at,
                )
            )
        absorbed.append(room.room_id)
        for code in room.zone_codes:
            handover.append(
                HandoverItem(
                    "zone", code, code, code, from_room_id=room.room_id, to_room_id=surviving.room_id
                )
            )
            if code not in zone_codes:
                zone_codes.append(code)
        for posting_id in (postings_by_room or {}).get(room.room_id, ()):
            handover.append(
                HandoverItem("posting", posting_id, from_room_id=room.room_id, to_room_id=surviving.room_id)
            )
    if absorbed == list(surviving.absorbed_room_ids):
        return MergeOutcome(surviving, (), (), changed=False)
    new_ids = [r for r in absorbed if r not in surviving.absorbed_room_ids]
    survivor = surviving._changed(
        at,
        by,
        "absorbed",
        f"{', '.join(new_ids)}: {reason}",
        zone_codes=tuple(zone_codes),
        absorbed_room_ids=tuple(absorbed),
    )
    return MergeOutcome(survivor, tuple(newly), tuple(handover))

"""Room registry domain: police rooms and the rules for opening them. Pure: no I/O, no protobuf.

Rules: R-ROOM-1 (room kinds), R-ROOM-5 (mobile rooms are vehicles), R-ORG-2 (zone codes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code

AUXILIARY_WORKROOM_SUFFIX = "辅警工作室"


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


@dataclass(frozen=True)
class GeoPoint:
    longitude: float
    latitude: float


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
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    def activate(self, at: datetime, by: str) -> Room:
        """planned → active. A merged or closed room never reopens (R-ROOM-2 keeps its history)."""
        if self.status is not RoomStatus.PLANNED:
            raise RuleViolation(
                "R-ROOM-2",
                f"rooms/{self.room_id}",
                f"only a planned room can be opened; this one is {self.status}",
            )
        return replace(self, status=RoomStatus.ACTIVE, open_time=at, updated_by=by, updated_at=at)


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


def open_new_room(draft: RoomDraft, *, district: str, room_id: str, at: datetime, by: str) -> Room:
    """Create a room that is active from now on."""
    kind = validate_draft(draft, district)
    return Room(
        room_id=room_id,
        name=draft.name.strip(),
        kind=kind,
        status=RoomStatus.ACTIVE,
        station_id=draft.station_id,
        zone_codes=draft.zone_codes,
        location=draft.location,
        address=draft.address,
        village_id=draft.village_id,
        vehicle_plate=draft.vehicle_plate,
        open_time=at,
        created_by=by,
        created_at=at,
        updated_by=by,
        updated_at=at,
    )

"""Room rules without I/O: R-ROOM-1 (kinds and naming), R-ROOM-5 (mobile rooms), R-ORG-2 (zone codes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of
from jingwu_rooms.domain.model import GeoPoint, RoomDraft, RoomKind, RoomStatus, open_new_room

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SUZHOU = GeoPoint(longitude=116.98, latitude=33.63)


def draft(**changes: object) -> RoomDraft:
    values: dict[str, object] = {
        "name": "汴河社区警务室",
        "kind": RoomKind.URBAN_ONE_ZONE_ONE_OFFICER,
        "station_id": "st-bianhe",
        "zone_codes": ("01020301",),
        "location": SUZHOU,
    }
    values.update(changes)
    return RoomDraft(**values)  # type: ignore[arg-type]


def test_valid_draft_opens_an_active_room() -> None:
    room = open_new_room(draft(), district="01", room_id="r1", at=AT, by="officer-7")
    assert room.status is RoomStatus.ACTIVE
    assert room.open_time == AT
    assert (room.audit.created_by, room.audit.created_at) == ("officer-7", AT)


@pytest.mark.parametrize(
    ("zone_code", "message"),
    [
        ("0102030", "8 digits"),  # too short
        ("010203011", "8 digits"),  # too long
        ("01O20301", "8 digits"),  # letter O, not zero
        ("06020301", "does not belong to district 01"),  # R-ORG-2: another district's code
    ],
)
def test_zone_code_must_be_eight_digits_of_own_district(zone_code: str, message: str) -> None:
    # R-ORG-2
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(draft(zone_codes=("01020301", zone_code)), district="01", room_id="r", at=AT, by="u")
    assert message in violations_of(exc.value)["zone_codes[1]"]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(
            draft(name=" ", kind=None, zone_codes=(), location=GeoPoint(200.0, 33.0)),
            district="01",
            room_id="r",
            at=AT,
            by="u",
        )
    assert set(violations_of(exc.value)) == {"name", "kind", "zone_codes", "location.longitude"}


def test_missing_coordinates_are_refused() -> None:
    # R-POP-7: every room is on the map.
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(draft(location=GeoPoint(0.0, 0.0)), district="01", room_id="r", at=AT, by="u")
    assert "location" in violations_of(exc.value)


def test_mobile_room_needs_a_vehicle_plate() -> None:
    # R-ROOM-5: a mobile room is a vehicle.
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(
            draft(kind=RoomKind.MOBILE, name="流动警务室一号"), district="01", room_id="r", at=AT, by="u"
        )
    assert "vehicle_plate" in violations_of(exc.value)
    room = open_new_room(
        draft(kind=RoomKind.MOBILE, name="流动警务室一号", vehicle_plate="皖L·J0106"),
        district="01",
        room_id="r",
        at=AT,
        by="u",
    )
    assert room.vehicle_plate == "皖L·J0106"


def test_only_mobile_rooms_have_plates() -> None:
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(draft(vehicle_plate="皖L·J0106"), district="01", room_id="r", at=AT, by="u")
    assert "R-ROOM-5" in violations_of(exc.value)["vehicle_plate"]


def test_auxiliary_workroom_is_named_after_its_village() -> None:
    # R-ROOM-1: "<village>辅警工作室", tied to the village.
    kind = RoomKind.AUXILIARY_WORKROOM
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(
            draft(kind=kind, name="辅警工作室", village_id="v-1"), district="01", room_id="r", at=AT, by="u"
        )
    assert "R-ROOM-1" in violations_of(exc.value)["name"]
    with pytest.raises(ValidationFailed) as exc:
        open_new_room(draft(kind=kind, name="张庄村辅警工作室"), district="01", room_id="r", at=AT, by="u")
    assert "village_id" in violations_of(exc.value)
    room = open_new_room(
        draft(kind=kind, name="张庄村辅警工作室", village_id="v-zhangzhuang"),
        district="01",
        room_id="r",
        at=AT,
        by="u",
    )
    assert room.kind is kind


def test_only_a_planned_room_can_be_activated() -> None:
    # R-ROOM-2: merged/closed rooms keep their history and never reopen.
    active = open_new_room(draft(), district="01", room_id="r1", at=AT, by="u")
    with pytest.raises(RuleViolation) as exc:
        active.activate(AT, "u")
    assert exc.value.rule_id == "R-ROOM-2"

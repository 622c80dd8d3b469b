"""Room rules without I/O: R-ROOM-1 (planning), R-ROOM-2 (lifecycle, consolidation), R-ROOM-3 (grade),
R-ROOM-5 (mobile rooms), R-ROOM-7 (naming)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.policy import DistrictPolicy, RoomStandard
from jingwu_rooms.domain.facilities import Grade, grade_room, validate_facilities
from jingwu_rooms.domain.mobile import great_circle_m, nearest_mobile_room, position_of, validate_stops
from jingwu_rooms.domain.model import (
    CheckpointOrder,
    Facility,
    GeoPoint,
    MobileStop,
    Room,
    RoomDraft,
    RoomKind,
    RoomStatus,
    merge_rooms,
    open_new_room,
    plan_new_room,
    validate_merge_request,
)

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SUZHOU = GeoPoint(longitude=116.98, latitude=33.63)
STANDARD = DistrictPolicy().rooms


def room(room_id: str = "r1", **changes: object) -> Room:
    draft = RoomDraft(
        name="汴河社区警务室",
        kind=RoomKind.URBAN_ONE_ZONE_ONE_OFFICER,
        station_id="st-bianhe",
        zone_codes=("01020301",),
        location=SUZHOU,
    )
    return replace(open_new_room(draft, district="01", room_id=room_id, at=AT, by="u"), **changes)  # type: ignore[arg-type]


def mobile(room_id: str, location: GeoPoint, **changes: object) -> Room:
    return room(room_id, kind=RoomKind.MOBILE, vehicle_plate="皖L·J0106", location=location, **changes)


# --- R-ROOM-1 / R-ROOM-2 lifecycle ----------------------------------------------------------------------


def test_planned_room_is_not_open_until_activated() -> None:
    # R-ROOM-1: planned → active
    draft = RoomDraft("张庄村警务室", RoomKind.KEY_VILLAGE, "st-1", ("01110201",), SUZHOU, village_id="v-zz")
    planned = plan_new_room(draft, district="01", room_id="p1", at=AT, by="u")
    assert planned.status is RoomStatus.PLANNED and planned.open_time is None
    opened = planned.activate(LATER, "chief")
    assert opened.status is RoomStatus.ACTIVE and opened.open_time == LATER
    assert [h.action for h in opened.history] == ["planned", "opened"]


def test_close_keeps_history_and_refuses_while_staff_are_posted() -> None:
    # R-ROOM-2: nothing silently dropped — posted staff must move first
    with pytest.raises(RuleViolation) as exc:
        room().close(reason="合并撤销", at=LATER, by="u", posted_staff=2)
    assert exc.value.rule_id == "R-ROOM-2"
    closed = room().close(reason="办公场所拆迁", at=LATER, by="u", posted_staff=0)
    assert closed.status is RoomStatus.CLOSED and closed.close_time == LATER
    assert closed.history[-1].action == "closed" and "拆迁" in closed.history[-1].detail
    with pytest.raises(RuleViolation) as exc:
        closed.close(reason="again", at=LATER, by="u", posted_staff=0)
    assert exc.value.rule_id == "R-ROOM-2"


def test_merge_moves_zones_marks_rooms_and_keeps_history() -> None:
    # R-ROOM-2: 51 → 32 consolidation
    survivor = room("s", zone_codes=("01020301",))
    a = room("a", zone_codes=("01020302",))
    b = room("b", zone_codes=("01020303", "01020301"))
    outcome = merge_rooms(
        survivor, [a, b], reason="警务室整合", at=LATER, by="chief", postings_by_room={"a": ["p-1"]}
    )
    assert outcome.surviving.zone_codes == ("01020301", "01020302", "01020303")
    assert outcome.surviving.absorbed_room_ids == ("a", "b")
    assert outcome.surviving.history[-1].action == "absorbed"
    assert {r.room_id: (r.status, r.merged_into_room_id) for r in outcome.newly_merged} == {
        "a": (RoomStatus.MERGED, "s"),
        "b": (RoomStatus.MERGED, "s"),
    }
    assert all(r.history[-1].action == "merged_into" for r in outcome.newly_merged)
    items = {(i.record_type, i.record_id, i.from_room_id, i.to_room_id) for i in outcome.handover}
    assert ("zone", "01020302", "a", "s") in items and ("posting", "p-1", "a", "s") in items


@pytest.mark.parametrize("status", [RoomStatus.CLOSED, RoomStatus.MERGED, RoomStatus.PLANNED])
def test_merge_into_a_room_that_is_not_active_is_refused(status: RoomStatus) -> None:
    # R-ROOM-2: no merge into a closed or merged room (nor a planned one)
    with pytest.raises(RuleViolation) as exc:
        merge_rooms(room("s", status=status), [room("a")], reason="r", at=LATER, by="u")
    assert exc.value.rule_id == "R-ROOM-2"
    assert exc.value.subject == "rooms/s"


def test_merge_of_a_room_into_itself_is_refused() -> None:
    # R-ROOM-2
    with pytest.raises(RuleViolation) as exc:
        merge_rooms(room("s"), [room("s")], reason="r", at=LATER, by="u")
    assert exc.value.rule_id == "R-ROOM-2" and "itself" in str(exc.value)


def test_merge_of_a_closed_room_is_refused() -> None:
    # R-ROOM-2: a closed room's history is final
    with pytest.raises(RuleViolation) as exc:
        merge_rooms(room("s"), [room("a", status=RoomStatus.CLOSED)], reason="r", at=LATER, by="u")
    assert exc.value.subject == "rooms/a"


def test_repeating_an_interrupted_merge_completes_it_once() -> None:
    # R-ROOM-2 without transactions: a room marked merged but not yet absorbed is accepted once
    half_done = room("a", status=RoomStatus.MERGED, merged_into_room_id="s", zone_codes=("01020302",))
    outcome = merge_rooms(room("s"), [half_done], reason="r", at=LATER, by="u")
    assert outcome.changed and outcome.newly_merged == () and "01020302" in outcome.surviving.zone_codes
    again = merge_rooms(outcome.surviving, [half_done], reason="r", at=LATER, by="u")
    assert not again.changed


def test_merge_request_fields() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_merge_request(["a", "a", ""], "", " ")
    fields = {v.field for v in exc.value.violations}
    assert fields == {"merged_room_ids[1]", "merged_room_ids[2]", "surviving_room_id", "reason"}


# --- R-ROOM-3 grade -----------------------------------------------------------------------------------


def full(office_m2: float) -> list[Facility]:
    return [Facility(code, office_m2 if code == "office" else 1) for code in STANDARD.required_facilities]


def test_office_of_exactly_the_standard_area_is_standard() -> None:
    # R-ROOM-3: office ≥ 30 m²
    assert grade_room(full(30.0), STANDARD).grade is Grade.STANDARD


def test_office_just_below_the_standard_area_is_only_basic() -> None:
    # R-ROOM-3: 29.9 m² misses the standard; the office still counts for "basic"
    result = grade_room(full(29.9), STANDARD)
    assert result.grade is Grade.BASIC and result.missing == ("office",)


def test_without_basic_facilities_the_room_is_below_standard() -> None:
    facilities = [f for f in full(40.0) if f.code != "police_network_computer"]
    result = grade_room(facilities, STANDARD)
    assert result.grade is Grade.BELOW and "police_network_computer" in result.missing
    assert grade_room([], STANDARD).grade is Grade.BELOW


def test_equipment_with_zero_quantity_is_missing() -> None:
    facilities = [Facility(f.code, 0 if f.code == "camera" else f.quantity) for f in full(30)]
    assert grade_room(facilities, STANDARD).missing == ("camera",)


def test_grade_follows_the_district_policy_not_a_constant() -> None:
    # seed numbers are defaults per district
    smaller = RoomStandard(office_min_m2=20.0)
    assert grade_room(full(25.0), smaller).grade is Grade.STANDARD
    assert grade_room(full(25.0), STANDARD).grade is Grade.BASIC


def test_facility_codes_are_validated() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_facilities([Facility("office", 30), Facility("office", 31), Facility("Bad Code", -1)])
    fields = {v.field for v in exc.value.violations}
    assert fields == {"facilities[1].code", "facilities[2].code", "facilities[2].quantity"}


def test_recording_the_same_facilities_again_changes_nothing() -> None:
    # R-ROOM-3: a repeated RecordFacilities is no new grading (no history entry, no event)
    graded = room().with_facilities(tuple(full(30)), "standard", AT, "u")
    assert graded.history[-1].action == "graded"
    assert graded.with_facilities(tuple(full(30)), "standard", LATER, "v") is graded
    assert graded.with_facilities(tuple(full(29)), "basic", LATER, "v").grade == "basic"


def test_closed_room_records_no_facilities() -> None:
    with pytest.raises(RuleViolation):
        room(status=RoomStatus.CLOSED).with_facilities((), "below", AT, "u")


# --- R-ROOM-5 mobile rooms ------------------------------------------------------------------------------


def stop(stop_id: str, lon: float, lat: float, **changes: object) -> MobileStop:
    plain = MobileStop(stop_id, f"停靠点{stop_id}", GeoPoint(lon, lat), 150.0, 7 * 60, 9 * 60)
    return replace(plain, **changes)  # type: ignore[arg-type]


def test_stops_are_validated() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_stops(
            [
                stop("s1", 116.98, 33.63),
                stop("s1", 0, 0, radius_m=0),
                stop("s3", 116.9, 33.6, window_start_minute=600, window_end_minute=500),
            ]
        )
    fields = {v.field for v in exc.value.violations}
    assert fields == {
        "stops[1].stop_id",
        "stops[1].location",
        "stops[1].radius_m",
        "stops[2].window_end_minute",
    }
    validate_stops([stop("all-day", 116.9, 33.6, window_start_minute=0, window_end_minute=0)])


def test_only_mobile_rooms_have_stops() -> None:
    with pytest.raises(RuleViolation) as exc:
        room().with_stops((stop("s1", 116.98, 33.63),), AT, "u")
    assert exc.value.rule_id == "R-ROOM-5"


def test_reassignment_keeps_the_reason_and_needs_a_designated_stop() -> None:
    # R-ROOM-5: stops are adjusted in real time to the security situation
    car = mobile("m1", SUZHOU).with_stops((stop("s1", 116.98, 33.63), stop("s2", 116.99, 33.64)), AT, "u")
    moved = car.reassign_stop("s2", "夜市人流高峰", LATER, "duty-chief")
    assert moved.current_stop_id == "s2" and "夜市人流高峰" in moved.history[-1].detail
    with pytest.raises(RuleViolation) as exc:
        car.reassign_stop("nowhere", "r", LATER, "u")
    assert exc.value.rule_id == "R-ROOM-5"


def test_great_circle_distance() -> None:
    # one degree of latitude is about 111.2 km
    assert great_circle_m(GeoPoint(117.0, 33.0), GeoPoint(117.0, 34.0)) == pytest.approx(111_195, rel=1e-3)
    assert great_circle_m(SUZHOU, SUZHOU) == 0.0


def test_nearest_active_mobile_room_is_chosen() -> None:
    # R-ROOM-5: on a bureau order the nearest mobile room goes to the checkpoint
    checkpoint = GeoPoint(117.00, 33.60)
    near = mobile("m-near", GeoPoint(117.01, 33.60))
    far = mobile("m-far", GeoPoint(117.20, 33.60))
    nearer_but_closed = mobile("m-closed", GeoPoint(117.001, 33.60), status=RoomStatus.CLOSED)
    not_mobile = room("fixed", location=GeoPoint(117.0, 33.6))
    assert nearest_mobile_room([far, near, nearer_but_closed, not_mobile], checkpoint) == near
    assert nearest_mobile_room([not_mobile], checkpoint) is None


def test_a_mobile_room_is_where_its_current_stop_is() -> None:
    # base far away, current stop right at the checkpoint: the stop counts
    parked = mobile("m-parked", GeoPoint(117.50, 33.60)).with_stops((stop("s", 117.0, 33.6),), AT, "u")
    parked = parked.reassign_stop("s", "r", AT, "u")
    near_base = mobile("m-base", GeoPoint(117.05, 33.60))
    assert position_of(parked) == GeoPoint(117.0, 33.6)
    assert nearest_mobile_room([near_base, parked], GeoPoint(117.0, 33.6)) == parked


def test_checkpoint_order_takes_the_room_until_it_returns_to_a_stop() -> None:
    car = mobile("m1", SUZHOU).with_stops((stop("s1", 116.98, 33.63),), AT, "u")
    order = CheckpointOrder("o1", "m1", "G3高速出口", GeoPoint(117.1, 33.7), LATER, "bureau")
    ordered = car.take_order(order)
    assert position_of(ordered) == GeoPoint(117.1, 33.7)
    assert ordered.reassign_stop("s1", "任务结束", LATER, "u").current_order is None


def test_a_repeated_checkpoint_order_is_taken_once_and_remembered_after_the_room_moves_on() -> None:
    # R-ROOM-5: the order id comes from the request id; the room keeps every order it took
    car = mobile("m1", SUZHOU).with_stops((stop("s1", 116.98, 33.63),), AT, "u")
    order = CheckpointOrder("o1", "m1", "G3高速出口", GeoPoint(117.1, 33.7), LATER, "bureau")
    ordered = car.take_order(order)
    assert ordered.take_order(order) is ordered
    back = ordered.reassign_stop("s1", "任务结束", LATER, "u")
    assert back.current_order is None and back.order("o1") == order
    assert back.take_order(order) is back and back.order("o2") is None


# --- R-ROOM-7 naming ----------------------------------------------------------------------------------


def test_room_named_after_an_officer_keeps_the_citation() -> None:
    named = room().name_after("老杨", "扎根社区二十年", LATER, "province")
    assert named.honorary_officer_name == "老杨" and named.honorary_citation == "扎根社区二十年"
    assert named.history[-1].action == "named"
    with pytest.raises(RuleViolation) as exc:
        room(status=RoomStatus.MERGED).name_after("老杨", "", LATER, "u")
    assert exc.value.rule_id == "R-ROOM-2"

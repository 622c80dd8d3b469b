"""Territory rules without I/O: R-ORG-1/4 (stations), R-ORG-2 (zone codes and names), R-ORG-3 (workload,
boundaries, re-division with nothing orphaned), R-ORG-5 (villages)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jingwu_platform.errors import AlreadyExists, RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of
from jingwu_rooms.domain.model import GeoPoint, HandoverItem, Room, RoomKind, RoomStatus
from jingwu_rooms.domain.redivision import (
    RedivisionStatus,
    RoomMove,
    plan_redivision,
    validate_redivision,
)
from jingwu_rooms.domain.territory import (
    OperatingModel,
    StationDraft,
    StationKind,
    Village,
    VillageDraft,
    VillageLevel,
    Zone,
    ZoneDraft,
    ZoneWorkload,
    check_community_naming,
    new_station,
    new_zone,
    place_village,
    validate_village_draft,
    validate_zone_draft,
    zone_name,
)

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
P = GeoPoint(116.98, 33.63)
SQUARE = ((GeoPoint(116.9, 33.6), GeoPoint(117.0, 33.6), GeoPoint(117.0, 33.7), GeoPoint(116.9, 33.6)),)
WORK = ZoneWorkload(actual_population=4800, area_km2=1.2, security_complexity=3)


def draft(code: str = "01020301", community: str = "汴河社区", sequence: int = 0, **kw: object) -> ZoneDraft:
    values: dict[str, object] = {
        "zone_code": code,
        "community_name": community,
        "sequence": sequence,
        "station_id": "st-1",
        "community_ids": (),
        "workload": WORK,
        "boundary": SQUARE,
    }
    values.update(kw)
    return ZoneDraft(**values)  # type: ignore[arg-type]


def zone(
    code: str, community: str = "汴河社区", sequence: int = 0, communities: tuple[str, ...] = ()
) -> Zone:
    return new_zone(draft(code, community, sequence, community_ids=communities), at=AT, by="u")


# --- R-ORG-1 / R-ORG-4 stations -------------------------------------------------------------------------


def test_station_needs_kind_and_operating_model() -> None:
    with pytest.raises(ValidationFailed) as exc:
        new_station(StationDraft("", None, None, GeoPoint(0, 0)), station_id="bad id", at=AT, by="u")
    assert set(violations_of(exc.value)) == {"name", "kind", "operating_model", "location", "station_id"}
    assert "R-ORG-4" in violations_of(exc.value)["operating_model"]
    # R-ORG-4: a small township station uses the all-round zone model
    station = new_station(
        StationDraft("朱仙庄派出所", StationKind.TOWNSHIP, OperatingModel.ZONE, P),
        station_id="st-zxz",
        at=AT,
        by="u",
    )
    assert (station.station_id, station.operating_model) == ("st-zxz", OperatingModel.ZONE)


# --- R-ORG-2 zone codes and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0102030", "8 digits"),
        ("010203011", "8 digits"),
        ("0102030A", "8 digits"),
        ("06020301", "district 01"),
    ],
)
def test_zone_code_is_eight_digits_of_the_district(code: str, message: str) -> None:
    # R-ORG-2: district(2) + street(2) + community(2) + zone(2)
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(code), "01")
    assert message in violations_of(exc.value)["zone_code"]


def test_zone_is_named_after_its_community_with_a_sequence_number_when_it_has_several() -> None:
    # R-ORG-2 (seed 003): 冠以社区名称，同一社区有2—3个责任区的应冠以顺序号
    assert zone_name("汴河社区", 0) == "汴河社区"
    assert zone_name("汴河社区", 2) == "汴河社区2"
    assert zone("01020301", sequence=1).name == "汴河社区1"


def test_sequence_runs_to_three() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(sequence=4), "01")
    assert "R-ORG-2" in violations_of(exc.value)["sequence"]


def test_community_with_one_unnumbered_zone_cannot_get_another_without_numbers() -> None:
    # R-ORG-2
    with pytest.raises(RuleViolation) as exc:
        check_community_naming(draft("01020302", sequence=1), [zone("01020301", sequence=0)])
    assert exc.value.rule_id == "R-ORG-2"
    with pytest.raises(RuleViolation):
        check_community_naming(draft("01020303", sequence=1), [zone("01020302", sequence=1)])
    check_community_naming(draft("01020303", sequence=2), [zone("01020302", sequence=1)])
    check_community_naming(draft("01030101", community="道东社区"), [zone("01020301")])


# --- R-ORG-3 workload and boundary ------------------------------------------------------------------------


def test_workload_is_quantified() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(workload=ZoneWorkload(-1, 0.0, 6)), "01")
    assert set(violations_of(exc.value)) == {
        "workload.actual_population",
        "workload.area_km2",
        "workload.security_complexity",
    }


def test_boundary_rings_are_closed_with_at_least_four_points() -> None:
    a, b, c = GeoPoint(116.9, 33.6), GeoPoint(117.0, 33.6), GeoPoint(117.0, 33.7)
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(boundary=((a, b, c, b),)), "01")  # not closed
    assert "closed" in violations_of(exc.value)["boundary.rings[0].points"]
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(boundary=((a, b, a),)), "01")  # too few points
    assert "at least 4" in violations_of(exc.value)["boundary.rings[0].points"]
    with pytest.raises(ValidationFailed) as exc:
        validate_zone_draft(draft(boundary=(SQUARE[0], (a, b, GeoPoint(300, 1), a))), "01")
    assert "boundary.rings[1].points[2].longitude" in violations_of(exc.value)
    validate_zone_draft(draft(boundary=((a, b, c, a),)), "01")
    validate_zone_draft(draft(boundary=()), "01")  # not surveyed yet


# --- R-ORG-5 villages ---------------------------------------------------------------------------------


def village(vid: str, zone_code: str = "01020301", **kw: object) -> Village:
    values: dict[str, object] = {
        "village_id": vid,
        "name": f"村{vid}",
        "level": VillageLevel.ADMINISTRATIVE,
        "parent_village_id": "",
        "zone_code": zone_code,
        "station_id": "st-1",
        "location": P,
    }
    values.update(kw)
    return Village(**values)  # type: ignore[arg-type]


def test_natural_village_needs_an_administrative_parent_and_inherits_its_zone() -> None:
    # R-ORG-5
    natural = VillageDraft("李家庄", VillageLevel.NATURAL, "", "", "", P)
    with pytest.raises(ValidationFailed) as exc:
        validate_village_draft(natural, "01", "")
    assert "parent_village_id" in violations_of(exc.value)
    natural = VillageDraft("李家庄", VillageLevel.NATURAL, "c1", "", "", P)
    with pytest.raises(ValidationFailed) as exc:
        place_village(
            natural,
            village_id="n1",
            parent=village("n0", level=VillageLevel.NATURAL),
            zone=None,
            at=AT,
            by="u",
        )
    assert "R-ORG-5" in violations_of(exc.value)["parent_village_id"]
    placed = place_village(
        natural,
        village_id="n1",
        parent=village("c1", township="朱仙庄镇"),
        zone=zone("01020301"),
        at=AT,
        by="u",
    )
    assert (placed.zone_code, placed.station_id, placed.township) == ("01020301", "st-1", "朱仙庄镇")


def test_administrative_village_has_no_parent() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_village_draft(
            VillageDraft("张庄村", VillageLevel.ADMINISTRATIVE, "x", "01020301", "", P), "01", ""
        )
    assert "R-ORG-5" in violations_of(exc.value)["parent_village_id"]


def test_village_in_a_dissolved_zone_is_refused() -> None:
    retired = Zone(**{**zone("01020301").__dict__, "retired": True})
    with pytest.raises(RuleViolation) as exc:
        place_village(
            VillageDraft("张庄村", VillageLevel.ADMINISTRATIVE, "", "01020301", "", P),
            village_id="v",
            parent=None,
            zone=retired,
            at=AT,
            by="u",
        )
    assert exc.value.rule_id == "R-ORG-3"


# --- R-ORG-3 re-division ------------------------------------------------------------------------------


def live_room(room_id: str, zone_codes: tuple[str, ...], village_id: str = "") -> Room:
    return Room(
        room_id,
        "室",
        RoomKind.URBAN_HOME_STYLE,
        RoomStatus.ACTIVE,
        "st-1",
        zone_codes,
        P,
        village_id=village_id,
    )


def plan(dissolved: list[Zone], to: list[ZoneDraft], *, others: list[Zone] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "redivision_id": "rd-1",
        "reason": "社区改革",
        "dissolved": dissolved,
        "to_zones": to,
        "active_zones": [*dissolved, *(others or [])],
        "villages": [],
        "rooms": [],
        "taken_codes": [],
        "at": AT,
        "by": "u",
    }
    values.update(kw)
    return plan_redivision(**values)  # type: ignore[arg-type]


def test_split_hands_over_every_community_village_and_room() -> None:
    # R-ORG-3: one zone split in two; the hand-over list is itemised
    old = zone("01020301", communities=("c1", "c2"))
    villages = [
        village("c1"),
        village("c2"),
        village("n1", level=VillageLevel.NATURAL, parent_village_id="c1"),
    ]
    rooms = [live_room("r-c2", ("01020301",), village_id="c2"), live_room("r-any", ("01020301", "01020401"))]
    result = plan(
        [old],
        [
            draft("01020302", sequence=1, community_ids=("c1",), station_id="st-2"),
            draft("01020303", sequence=2, community_ids=("c2",)),
        ],
        villages=villages,
        rooms=rooms,
    )
    assert result.community_to_zone == {"c1": "01020302", "c2": "01020303"}
    assert result.successors == {"01020301": ("01020302", "01020303")}
    moves = {m.village_id: (m.to_zone_code, m.to_station_id) for m in result.village_moves}
    assert moves == {"c1": ("01020302", "st-2"), "c2": ("01020303", "st-1"), "n1": ("01020302", "st-2")}
    rooms_after = {m.room_id: m.to_zone_codes for m in result.room_moves}
    # a room in a community follows its community; a room of the whole zone serves both new zones
    assert rooms_after == {"r-c2": ("01020303",), "r-any": ("01020302", "01020303", "01020401")}
    items = {(i.record_type, i.record_id, i.from_zone_code, i.to_zone_code) for i in result.handover}
    assert ("village", "n1", "01020301", "01020302") in items
    assert ("room", "r-any", "01020301", "01020303") in items
    assert [z.name for z in result.new_zones] == ["汴河社区1", "汴河社区2"]
    assert all(z.created_by_redivision_id == "rd-1" for z in result.new_zones)


def test_merge_of_two_zones_into_one() -> None:
    a, b = (
        zone("01020301", sequence=1, communities=("c1",)),
        zone("01020302", sequence=2, communities=("c2",)),
    )
    result = plan([a, b], [draft("01020303", community_ids=("c1", "c2"))])
    assert result.successors == {"01020301": ("01020303",), "01020302": ("01020303",)}
    assert result.new_zones[0].name == "汴河社区"  # the only zone again: no sequence number


def test_a_community_left_out_is_refused_and_named() -> None:
    # R-ORG-3: nothing orphaned
    old = zone("01020301", communities=("c1", "c2"))
    with pytest.raises(RuleViolation) as exc:
        plan([old], [draft("01020302", community_ids=("c1",))], villages=[village("c2", name="二郎庙社区")])
    assert exc.value.rule_id == "R-ORG-3" and exc.value.subject == "villages/c2"
    assert "二郎庙社区" in str(exc.value)


def test_a_village_recorded_in_the_zone_but_not_listed_is_refused() -> None:
    # administrative villages recorded in a dissolved zone count as its communities
    old = zone("01020301", communities=("c1",))
    with pytest.raises(RuleViolation) as exc:
        plan([old], [draft("01020302", community_ids=("c1",))], villages=[village("c1"), village("stray")])
    assert exc.value.subject == "villages/stray"


def test_a_natural_village_whose_parent_lands_nowhere_is_refused() -> None:
    old = zone("01020301", communities=("c1",))
    orphan = village("n9", level=VillageLevel.NATURAL, parent_village_id="elsewhere")
    with pytest.raises(RuleViolation) as exc:
        plan([old], [draft("01020302", community_ids=("c1",))], villages=[orphan])
    assert exc.value.subject == "villages/n9"


def test_a_community_given_to_two_new_zones_is_a_bad_request() -> None:
    # R-ORG-3: exactly one new zone per community
    with pytest.raises(ValidationFailed) as exc:
        validate_redivision(
            ["01020301"],
            [
                draft("01020302", sequence=1, community_ids=("c1",)),
                draft("01020303", sequence=2, community_ids=("c1",)),
            ],
            "r",
            "01",
        )
    assert "to_zones[1].community_ids[0]" in violations_of(exc.value)


def test_redivision_request_fields_are_prefixed() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_redivision(["0102030", "01020301", "01020301"], [draft("0602030X")], "", "01")
    assert {"from_zone_codes[0]", "from_zone_codes", "to_zones[0].zone_code", "reason"} <= set(
        violations_of(exc.value)
    )


def test_a_community_of_a_zone_not_being_redivided_is_refused() -> None:
    old = zone("01020301", communities=("c1",))
    neighbour = zone("01030101", community="道东社区", communities=("c9",))
    with pytest.raises(RuleViolation) as exc:
        plan([old], [draft("01020302", community_ids=("c1", "c9"))], others=[neighbour])
    assert exc.value.subject == "villages/c9" and "01030101" in str(exc.value)


def test_codes_are_never_reused() -> None:
    # R-ORG-2: unique per district, including retired zones
    with pytest.raises(AlreadyExists):
        plan(
            [zone("01020301", communities=("c1",))],
            [draft("01020302", community_ids=("c1",))],
            taken_codes=["01020302"],
        )


def test_a_dissolved_zone_without_communities_needs_a_single_successor() -> None:
    empty = zone("01020301")
    one = plan([empty], [draft("01020302")], rooms=[live_room("r", ("01020301",))])
    assert one.room_moves[0].to_zone_codes == ("01020302",)
    with pytest.raises(RuleViolation) as exc:
        plan([empty], [draft("01020302", sequence=1), draft("01020303", sequence=2)])
    assert exc.value.subject == "zones/01020301"


def test_an_already_dissolved_zone_cannot_be_redivided_again() -> None:
    retired = Zone(**{**zone("01020301", communities=("c1",)).__dict__, "retired": True})
    with pytest.raises(RuleViolation) as exc:
        plan([retired], [draft("01020302", community_ids=("c1",))])
    assert exc.value.rule_id == "R-ORG-3"


def test_a_zone_is_dissolved_by_one_redivision_only_and_restored_if_it_is_abandoned() -> None:
    # R-ORG-3: the claim is the lock; claiming again (a resumed plan) is a no-op
    active = zone("01020301")
    claimed = active.retired_by("rd-1", ("01020302",))
    assert claimed is not None and claimed.retired and claimed.successor_zone_codes == ("01020302",)
    assert claimed.retired_by("rd-1", ("01020302",)) is claimed
    assert claimed.retired_by("rd-2", ("01020303",)) is None
    assert claimed.restored_from("rd-2") is claimed  # another plan cannot undo this one's claim
    restored = claimed.restored_from("rd-1")
    assert (
        not restored.retired
        and restored.retired_by_redivision_id == ""
        and restored.successor_zone_codes == ()
    )


def test_a_village_moves_only_out_of_the_dissolved_zone() -> None:
    stays = village("c1", "01020399")
    assert stays.moved("01020301", "01020302", "st-2") is stays
    moved = village("c1").moved("01020301", "01020302", "st-2")
    assert (moved.zone_code, moved.station_id) == ("01020302", "st-2")
    assert moved.moved("01020301", "01020303", "st-3") is moved  # a resumed plan moves it once


def test_a_finished_plan_lists_the_rooms_found_while_applying() -> None:
    # R-ORG-3: the hand-over names every record that moved, rooms opened after planning too
    old = zone("01020301", communities=("c1",))
    planned = plan([old], [draft("01020302", community_ids=("c1",))])
    assert planned.status is RedivisionStatus.APPLYING and planned.created_by == "u"
    late = RoomMove("r-late", ("01020301",), ("01020302",), (("01020301", ("01020302",)),))
    done = planned.finished([late])
    assert done.status is RedivisionStatus.DONE and not done.applying
    assert done.room_moves[-1] == late
    assert done.handover[len(planned.handover) :] == (HandoverItem("room", "r-late", "01020301", "01020302"),)
    assert planned.abandoned().status is RedivisionStatus.ABANDONED

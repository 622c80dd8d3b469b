"""Staffing findings (R-PER-2..5, R-PER-7..9) without I/O: each rule at its boundary, and reconcile."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from jingwu_personnel.domain.findings import (
    COMPLIANCE_KINDS,
    STRUCTURAL_KINDS,
    FindingKind,
    FindingStatus,
    Scope,
    raise_finding,
    reconcile,
)
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.staffing import (
    Snapshot,
    compliance_conditions,
    room_conditions,
    station_conditions,
    structural_conditions,
    village_conditions,
    zone_conditions,
)
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    VillageView,
    ZoneView,
)
from jingwu_personnel.domain.villages import Holder, VillageAssignment
from jingwu_personnel.domain.worklogs import CommunityWeek, VillageMonth
from jingwu_platform.calendar import month_of, week_of
from jingwu_platform.policy import DistrictPolicy, StaffingStandard

POLICY = DistrictPolicy()
COUNTY = DistrictPolicy(urban_district=False)
AT = datetime(2026, 11, 2, tzinfo=UTC)
TODAY = date(2026, 11, 2)


def cop(oid: str, station: str = "st-1") -> Officer:
    return Officer(oid, oid, frozenset({OfficerRole.POLICE}), branch=Branch.STATION, station_id=station)


def aux(oid: str) -> Officer:
    return Officer(oid, oid, frozenset({OfficerRole.AUXILIARY}), station_id="st-1")


def post(pid: str, officer: str, role: OfficerRole, **where: object) -> Posting:
    return Posting(pid, officer, role, date(2026, 1, 1), **where)  # type: ignore[arg-type]


def snapshot(
    officers: list[Officer],
    postings: list[Posting] = (),  # type: ignore[assignment]
    *,
    rooms: list[RoomView] = (),  # type: ignore[assignment]
    zones: list[ZoneView] = (),  # type: ignore[assignment]
    stations: list[StationView] = (),  # type: ignore[assignment]
    villages: list[VillageAssignment] = (),  # type: ignore[assignment]
) -> Snapshot:
    return Snapshot(
        officers={o.officer_id: o for o in officers},
        open_postings=list(postings),
        rooms={r.room_id: r for r in rooms},
        zones={z.zone_code: z for z in zones},
        stations={s.station_id: s for s in stations},
        villages=list(villages),
    )


MOBILE = RoomView("room-m", RoomKind.MOBILE, RoomStatus.ACTIVE, station_id="st-1", name="流动警务室一号")
HOME = RoomView("room-h", RoomKind.URBAN_HOME_STYLE, RoomStatus.ACTIVE, station_id="st-1")


def understaffed(conditions: list) -> dict[str, tuple[float, float]]:  # type: ignore[type-arg]
    return {c.key.rsplit("/", 1)[1]: (c.actual_value, c.required_value) for c in conditions}


def test_a_mobile_room_with_one_auxiliary_is_understaffed() -> None:
    # R-PER-2: mobile room = 1 full-time officer + 2 auxiliaries (policy.staffing).
    postings = [
        post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, room_id="room-m", full_time=True),
        post("p2", "a1", OfficerRole.AUXILIARY, room_id="room-m"),
    ]
    found = room_conditions(snapshot([cop("c1"), aux("a1")], postings, rooms=[MOBILE]), POLICY)
    assert understaffed(found) == {"auxiliaries": (1, POLICY.staffing.mobile_room_auxiliaries)}
    assert found[0].rule_id == "R-PER-2" and found[0].kind is FindingKind.ROOM_UNDERSTAFFED
    second = [*postings, post("p3", "a2", OfficerRole.RESIDENT_AUXILIARY, room_id="room-m")]
    assert room_conditions(snapshot([cop("c1"), aux("a1"), aux("a2")], second, rooms=[MOBILE]), POLICY) == []


def test_any_other_room_needs_one_officer_and_one_auxiliary() -> None:
    postings = [
        post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, room_id="room-h", full_time=True),
        post("p2", "a1", OfficerRole.AUXILIARY, room_id="room-h"),
    ]
    assert room_conditions(snapshot([cop("c1"), aux("a1")], postings, rooms=[HOME]), POLICY) == []


def test_a_new_room_without_staff_and_a_part_time_officer_do_not_count() -> None:
    part_time = [post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, room_id="room-m", full_time=False)]
    found = room_conditions(snapshot([cop("c1")], part_time, rooms=[MOBILE]), POLICY)
    assert understaffed(found) == {"officers": (0, 1), "auxiliaries": (0, 2)}
    closed = replace(MOBILE, status=RoomStatus.MERGED)
    assert room_conditions(snapshot([], rooms=[closed]), POLICY) == []


def test_room_standard_is_district_policy() -> None:
    bigger = DistrictPolicy(staffing=StaffingStandard(room_auxiliaries=2))
    postings = [
        post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, room_id="room-h", full_time=True),
        post("p2", "a1", OfficerRole.AUXILIARY, room_id="room-h"),
    ]
    assert understaffed(
        room_conditions(snapshot([cop("c1"), aux("a1")], postings, rooms=[HOME]), bigger)
    ) == {"auxiliaries": (1, 2)}


@pytest.mark.parametrize(
    ("kind", "minimum"),
    [
        (StationKind.URBAN, POLICY.staffing.station_min_officers_urban),
        (StationKind.TOWN, POLICY.staffing.station_min_officers_town),
        (StationKind.TOWNSHIP, POLICY.staffing.station_min_officers_township),
    ],
)
def test_station_headcount_floor_at_its_boundary(kind: StationKind, minimum: int) -> None:
    # R-PER-4: urban ≥ 20, town ≥ 10, township ≥ 5 police officers; auxiliaries do not count.
    station = StationView("st-1", "符离派出所", kind)
    below = [cop(f"c{i}") for i in range(minimum - 1)] + [aux("a1"), aux("a2")]
    found = [c for c in station_conditions(snapshot(below, stations=[station]), POLICY) if c.station_id]
    assert [(c.actual_value, c.required_value) for c in found] == [(minimum - 1, minimum)]
    at_floor = [cop(f"c{i}") for i in range(minimum)]
    assert [
        c for c in station_conditions(snapshot(at_floor, stations=[station]), POLICY) if c.station_id
    ] == []


def test_stations_share_of_the_force() -> None:
    # R-PER-4: ≥ 50 % of an urban district bureau's police at stations, ≥ 40 % for a county.
    officers = [cop("s1"), cop("s2"), cop("b1", station=""), cop("b2", station=""), cop("b3", station="")]
    urban = station_conditions(snapshot(officers), POLICY)
    assert [(c.kind, c.actual_value) for c in urban] == [(FindingKind.STATION_FORCE_SHARE_LOW, 0.4)]
    assert station_conditions(snapshot(officers), COUNTY) == []  # 40 % meets the county floor
    half = [cop("s1"), cop("s2"), cop("b1", station=""), cop("b2", station="")]
    assert station_conditions(snapshot(half), POLICY) == []


def test_zone_population_ratio_urban_and_county() -> None:
    # R-PER-4: urban ~5,000 actual residents per community officer; county 1 officer + 2 auxiliaries
    # per 10,000.
    per_officer = POLICY.staffing.urban_residents_per_community_officer
    zone = ZoneView("01020301", station_id="st-1", workload_population=per_officer)
    postings = [post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, zone_code="01020301")]
    assert zone_conditions(snapshot([cop("c1")], postings, zones=[zone]), POLICY) == []
    over = replace(zone, workload_population=per_officer + 1)
    found = zone_conditions(snapshot([cop("c1")], postings, zones=[over]), POLICY)
    assert [(c.actual_value, c.required_value) for c in found] == [(per_officer + 1, per_officer)]
    measured = replace(over, measured_population=per_officer - 100)  # the population service's figure wins
    assert zone_conditions(snapshot([cop("c1")], postings, zones=[measured]), POLICY) == []
    county_zone = replace(zone, workload_population=10_000)
    county_posts = [*postings, post("p2", "a1", OfficerRole.AUXILIARY, zone_code="01020301")]
    found = zone_conditions(snapshot([cop("c1"), aux("a1")], county_posts, zones=[county_zone]), COUNTY)
    assert [c.key for c in found] == ["population_ratio/01020301/auxiliaries"]


VILLAGE = VillageView("v1", name="张庄村", township="符离镇", station_id="st-1", zone_code="01050101")


def test_villages_without_liaison_or_auxiliary_and_rotation_due() -> None:
    # R-PER-5 (blank village, no auxiliary), R-PER-7 (rotation due).
    blank = VillageAssignment.of(VILLAGE)
    kinds = [c.kind for c in village_conditions(snapshot([], villages=[blank]), POLICY, TODAY)]
    assert kinds == [FindingKind.BLANK_VILLAGE, FindingKind.VILLAGE_WITHOUT_AUXILIARY]
    staffed = replace(
        blank,
        liaison=Holder("c1", "p-c1"),
        auxiliary=Holder("a1", "p-a1", since=date(2024, 11, 2), rotation_due=TODAY),
    )
    found = village_conditions(snapshot([], villages=[staffed]), POLICY, TODAY)
    assert [(c.kind, c.rule_id) for c in found] == [(FindingKind.AUXILIARY_ROTATION_DUE, "R-PER-7")]
    assert village_conditions(snapshot([], villages=[staffed]), POLICY, date(2026, 11, 1)) == []
    natural = VillageAssignment.of(replace(VILLAGE, administrative=False))
    assert village_conditions(snapshot([], villages=[natural]), POLICY, TODAY) == []


def test_a_full_time_room_officer_on_station_duty_is_a_finding() -> None:
    # R-PER-3
    postings = [
        post("p1", "c1", OfficerRole.COMMUNITY_OFFICER, room_id="room-h", full_time=True),
        post("p2", "c1", OfficerRole.POLICE, station_id="st-1"),
        post("p3", "c1", OfficerRole.VILLAGE_LIAISON_OFFICER, village_id="v1"),
    ]
    found = [
        c
        for c in structural_conditions(snapshot([cop("c1")], postings, rooms=[HOME]), POLICY, TODAY)
        if c.kind is FindingKind.ROOM_OFFICER_NOT_FULL_TIME
    ]
    assert [(c.officer_id, c.actual_value) for c in found] == [("c1", 1)]


def test_compliance_conditions_cite_their_rules() -> None:
    october, week = month_of(date(2026, 10, 1)), week_of(date(2026, 10, 5))
    found = compliance_conditions(
        [VillageMonth("o1", "v1", october, 1, 2), VillageMonth("o1", "v2", october, 2, 2)],
        [CommunityWeek("o2", "01020301", week, 19.5, 20.0)],
        {"o1": cop("o1")},
    )
    assert [(c.rule_id, c.actual_value, c.required_value) for c in found] == [
        ("R-PER-8", 1, 2),
        ("R-PER-9", 19.5, 20),
    ]
    assert found[0].period == october and found[0].station_id == "st-1"


def test_reconcile_raises_new_keeps_open_and_resolves_only_in_scope() -> None:
    snap = snapshot([], rooms=[MOBILE])
    conditions = room_conditions(snap, POLICY)
    scope = Scope(STRUCTURAL_KINDS)
    first = reconcile([], conditions, scope)
    assert len(first.to_raise) == 2 and first.to_resolve == ()
    opened = [raise_finding(c, finding_id=f"f{i}", at=AT) for i, c in enumerate(first.to_raise)]
    again = reconcile(opened, conditions, scope)  # the same state again: nothing changes
    assert again.to_raise == () and again.to_resolve == ()
    cleared = reconcile(opened, [], scope)
    assert [f.finding_id for f in cleared.to_resolve] == ["f0", "f1"]
    assert all(f.status is FindingStatus.OPEN for f in cleared.to_resolve)
    other_station = reconcile(opened, [], Scope(STRUCTURAL_KINDS, station_id="st-9"))
    assert other_station.to_resolve == ()
    compliance_only = reconcile(opened, [], Scope(COMPLIANCE_KINDS))
    assert compliance_only.to_resolve == ()

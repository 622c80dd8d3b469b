"""Staffing rules without I/O: R-ROOM-4 (three must-builds, every room has an officer) and R-ROOM-6
(rooms staffed every day; a room with two or more officers has one of them in on each working day)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from jingwu_platform.errors import ValidationFailed
from jingwu_rooms.domain.coverage import Finding, MustBuild, coverage_report
from jingwu_rooms.domain.model import GeoPoint, Room, RoomKind, RoomStatus
from jingwu_rooms.domain.rota import GapKind, Rota, each_day, rota_gaps, validate_rota
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import Village, VillageLevel

P = GeoPoint(117.05, 33.58)


def village(vid: str, **flags: bool) -> Village:
    plain = Village(vid, f"村{vid}", VillageLevel.ADMINISTRATIVE, "", "01110201", "st-1", P)
    return replace(plain, **flags)  # type: ignore[arg-type]


def room(rid: str, kind: RoomKind = RoomKind.KEY_VILLAGE, village_id: str = "", **kw: object) -> Room:
    status = kw.pop("status", RoomStatus.ACTIVE)
    assert isinstance(status, RoomStatus)
    return Room(rid, f"室{rid}", kind, status, "st-1", ("01110201",), P, village_id=village_id)


def posting(rid: str, officer: str, role: str = "community_officer") -> RoomPosting:
    return RoomPosting(f"p-{rid}-{officer}", officer, rid, role)


# --- R-ROOM-4 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("security_complex_central", MustBuild.SECURITY_COMPLEX_CENTRAL),  # (a)
        ("former_township_seat", MustBuild.FORMER_TOWNSHIP_SEAT),  # (b)
        ("remote_from_station", MustBuild.REMOTE_FROM_STATION),  # (c)
    ],
)
def test_each_must_build_flag_requires_a_room(flag: str, reason: MustBuild) -> None:
    # R-ROOM-4
    report = coverage_report([village("v1", **{flag: True}), village("plain")], [], {})
    assert (report.villages_requiring_room, report.villages_covered, report.coverage_ratio) == (1, 0, 0.0)
    (gap,) = report.gaps
    assert (gap.finding, gap.village_id, gap.reasons) == (
        Finding.MUST_BUILD_VILLAGE_WITHOUT_ROOM,
        "v1",
        (reason,),
    )


def test_an_active_staffed_room_in_the_village_covers_it() -> None:
    villages = [village("v1", remote_from_station=True, former_township_seat=True)]
    report = coverage_report(villages, [room("r1", village_id="v1")], {"r1": [posting("r1", "o1")]})
    assert (report.villages_covered, report.coverage_ratio, report.gaps) == (1, 1.0, ())


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (RoomKind.KEY_VILLAGE, RoomStatus.PLANNED),  # planned is not built yet
        (RoomKind.KEY_VILLAGE, RoomStatus.CLOSED),
        (RoomKind.VILLAGE_CONTACT_POINT, RoomStatus.ACTIVE),  # a contact point is not a room (R-ORG-5)
        (RoomKind.MOBILE, RoomStatus.ACTIVE),  # a vehicle is not in the village
    ],
)
def test_what_does_not_count_as_a_room_in_the_village(kind: RoomKind, status: RoomStatus) -> None:
    report = coverage_report(
        [village("v1", security_complex_central=True)], [room("r1", kind, "v1", status=status)], {}
    )
    assert report.villages_covered == 0


def test_an_active_room_without_an_officer_is_a_gap() -> None:
    # R-ROOM-4 一室一警: auxiliaries and "1+X" linked officers do not make a room staffed
    rooms = [
        room("r1"),
        room("r2"),
        room("r3"),
        room("w", RoomKind.AUXILIARY_WORKROOM),
        room("c", status=RoomStatus.CLOSED),
    ]
    postings = {
        "r1": [posting("r1", "o1", "police")],
        "r2": [posting("r2", "a1", "auxiliary")],
        "r3": [posting("r3", "x1", "linked_officer")],
        "w": [posting("w", "a2", "resident_auxiliary")],  # an auxiliary workroom is staffed by its auxiliary
    }
    report = coverage_report([], rooms, postings)
    assert [(g.finding, g.room_id) for g in report.gaps] == [
        (Finding.ROOM_WITHOUT_OFFICER, "r2"),
        (Finding.ROOM_WITHOUT_OFFICER, "r3"),
    ]
    assert report.coverage_ratio == 1.0  # no village requires a room


# --- R-ROOM-6 -----------------------------------------------------------------------------------------

MON, FRI, SAT, SUN = date(2026, 11, 2), date(2026, 11, 6), date(2026, 11, 7), date(2026, 11, 8)


def rota(days: dict[date, str], holidays: frozenset[date] = frozenset()) -> Rota:
    return Rota("r1", days, holidays)


def test_every_day_is_staffed_including_the_weekend() -> None:
    # R-ROOM-6: weekends included
    weekdays_only = rota({d: "o1" for d in each_day(MON, FRI)})
    gaps = rota_gaps(weekdays_only, MON, SUN, {"o1"}, 2)
    assert [(g.day, g.kind) for g in gaps] == [(SAT, GapKind.UNCOVERED), (SUN, GapKind.UNCOVERED)]
    assert "weekend" in gaps[0].detail
    full_week = rota({d: "o1" for d in each_day(MON, SUN)})
    assert rota_gaps(full_week, MON, SUN, {"o1"}, 2) == []


def test_holidays_are_staffed_too() -> None:
    national_day = date(2026, 10, 1)  # a Thursday
    gaps = rota_gaps(rota({}, frozenset({national_day})), national_day, national_day, set(), 2)
    assert gaps[0].kind is GapKind.UNCOVERED and "holiday" in gaps[0].detail


def test_with_two_officers_one_of_them_is_in_on_each_working_day() -> None:
    # R-ROOM-6 (seed 003): 2个或2个以上责任区民警的社区，每个工作日应有一名社区民警在警务室
    week = {d: "aux-1" for d in each_day(MON, SUN)} | {MON: "o1"}
    gaps = rota_gaps(rota(week), MON, SUN, {"o1", "o2"}, 2)
    assert [g.day for g in gaps] == [date(2026, 11, d) for d in (3, 4, 5, 6)]
    assert all(g.kind is GapKind.NO_COMMUNITY_OFFICER for g in gaps)  # weekends: an auxiliary is enough


def test_with_one_officer_an_auxiliary_may_hold_the_room() -> None:
    week = {d: "aux-1" for d in each_day(MON, SUN)}
    assert rota_gaps(rota(week), MON, SUN, {"o1"}, 2) == []
    # the threshold is the district's policy value
    assert len(rota_gaps(rota(week), MON, SUN, {"o1"}, 1)) == 5


def test_a_holiday_is_not_a_working_day() -> None:
    holiday = date(2026, 11, 4)
    week = {d: "aux-1" for d in each_day(MON, FRI)}
    gaps = rota_gaps(rota(week, frozenset({holiday})), MON, FRI, {"o1", "o2"}, 2)
    assert holiday not in [g.day for g in gaps] and len(gaps) == 4


def test_setting_a_period_keeps_the_days_outside_it() -> None:
    before = rota({date(2026, 10, 31): "o9", MON: "o1"})
    after = before.replace_period(MON, SUN, {SAT: "o2"}, [])
    assert after.days == {date(2026, 10, 31): "o9", SAT: "o2"}


def test_rota_requests_are_validated() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_rota(SUN, MON, [], [])
    assert "period.end" in {v.field for v in exc.value.violations}
    with pytest.raises(ValidationFailed) as exc:
        validate_rota(MON, SUN, [(MON, "o1"), (MON, "o2"), (date(2026, 12, 1), " "), (None, "o3")], [None])
    fields = {v.field for v in exc.value.violations}
    assert fields == {"days[1].date", "days[2].date", "days[2].officer_id", "days[3].date", "holidays[0]"}
    with pytest.raises(ValidationFailed) as exc:
        validate_rota(date(2026, 1, 1), date(2027, 1, 2), [], [])
    assert "period" in {v.field for v in exc.value.violations}

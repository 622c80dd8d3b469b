"""The consumer's rules, pure (R-PAT-6 time in zone, R-ROOM-5 stops, R-POP-7): point in polygon,
zone enter/leave, stop arrival/departure with dwell, duplicates, late fixes, implausible jumps and the
single-fix checks that send a fix to the dead-letter topic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from jingwu_telemetry.domain.clock_offset import ClockOffset
from jingwu_telemetry.domain.devices import DeviceKind
from jingwu_telemetry.domain.fix_rules import DEFAULT_RULES, distance_m
from jingwu_telemetry.domain.geo import Stop, ZoneArea, ZoneIndex, stop_at
from jingwu_telemetry.domain.tracking import (
    Attached,
    Fix,
    Outcome,
    StopEventKind,
    Tracking,
    Verdict,
    ZoneEventKind,
    track,
    window_start,
)

AT = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
SQUARE = ((116.97, 33.63), (116.98, 33.63), (116.98, 33.64), (116.97, 33.64), (116.97, 33.63))
HOLE = ((116.974, 33.634), (116.976, 33.634), (116.976, 33.636), (116.974, 33.636))
ZONES = ZoneIndex(
    [
        ZoneArea("01020301", (SQUARE, HOLE)),
        ZoneArea("01020302", (((117.0, 33.63), (117.01, 33.63), (117.01, 33.64)),)),
    ]
)
STOPS = [Stop("room-m1", "stop-1", 116.998, 33.633, 80.0), Stop("room-m1", "stop-2", 116.978, 33.641, 80.0)]
VEHICLE = Attached(DeviceKind.VEHICLE_TERMINAL, vehicle_id="veh-1", room_id="room-m1")


def fix(lat: float, lon: float, at: datetime, **changes: object) -> Fix:
    values: dict[str, object] = {
        "device_id": "dev-1",
        "fix_time": at,
        "receive_time": at + timedelta(seconds=1),
        "latitude": lat,
        "longitude": lon,
        "speed_kmh": 30.0,
        "heading_deg": 90.0,
        "status_flags": 0b11,
        "source": "report",
    }
    values.update(changes)
    return Fix(**values)  # type: ignore[arg-type]


def run(state: Tracking, *fixes: Fix, device: Attached | None = VEHICLE) -> list[Outcome]:
    outcomes = []
    for one in fixes:
        outcome = track(state, one, device, zones=ZONES, stops=STOPS, rules=DEFAULT_RULES)
        state = outcome.state
        outcomes.append(outcome)
    return outcomes


def test_point_in_polygon_with_a_hole_and_a_bounding_box() -> None:
    assert ZONES.zone_at(116.971, 33.631) == "01020301"
    assert ZONES.zone_at(116.975, 33.635) == ""  # in the hole
    assert ZONES.zone_at(116.99, 33.635) == ""  # between the zones
    assert ZONES.zone_at(117.009, 33.632) == "01020302"  # inside the triangle
    assert ZONES.zone_at(117.001, 33.639) == ""  # in its bounding box, outside the triangle
    retired = ZoneIndex([ZoneArea("01020301", (SQUARE,), retired=True)])
    assert retired.zone_at(116.971, 33.631) == ""


def test_entering_and_leaving_a_zone_make_events_with_the_time_in_zone() -> None:
    outcomes = run(
        Tracking("dev-1"),
        fix(33.625, 116.975, AT),  # south of the zone
        fix(33.631, 116.975, AT + timedelta(minutes=1)),  # in
        fix(33.632, 116.975, AT + timedelta(minutes=2)),  # still in
        fix(33.645, 116.975, AT + timedelta(minutes=4)),  # out, north
    )
    events = [e for o in outcomes for e in o.zone_events]
    assert [(e.kind, e.zone_code, e.occur_time) for e in events] == [
        (ZoneEventKind.ENTERED, "01020301", AT + timedelta(minutes=1)),
        (ZoneEventKind.LEFT, "01020301", AT + timedelta(minutes=4)),
    ]
    assert events[1].time_in_zone_s == 180.0 and events[0].vehicle_id == "veh-1"
    assert outcomes[-1].state.zone_code == "" and outcomes[2].state.zone_code == "01020301"
    # Ids follow from what happened: a replay derives the same ones.
    again = run(Tracking("dev-1"), fix(33.625, 116.975, AT), fix(33.631, 116.975, AT + timedelta(minutes=1)))
    assert again[1].zone_events[0].event_id == events[0].event_id


def test_a_mobile_rooms_vehicle_arrives_at_and_departs_from_its_stops() -> None:
    outcomes = run(
        Tracking("dev-1"),
        fix(33.640, 116.990, AT),
        fix(33.6332, 116.9981, AT + timedelta(minutes=5)),  # within 80 m of stop-1
        fix(33.6333, 116.9982, AT + timedelta(minutes=20)),
        fix(33.640, 116.990, AT + timedelta(minutes=45)),  # gone
    )
    visits = [v for o in outcomes for v in o.stop_events]
    assert [(v.kind, v.stop_id) for v in visits] == [
        (StopEventKind.ARRIVED, "stop-1"),
        (StopEventKind.DEPARTED, "stop-1"),
    ]
    assert visits[1].dwell_s == 40 * 60 and visits[0].room_id == "room-m1"
    # A device of no mobile room has no stops.
    others = run(Tracking("dev-1"), fix(33.6332, 116.9981, AT), device=replace(VEHICLE, room_id=""))
    assert others[0].stop_events == ()
    assert stop_at(STOPS, 116.9985, 33.6332) == STOPS[0]
    assert distance_m(33.633, 116.998, 33.641, 116.978) > 2000


def test_duplicates_are_dropped_conflicts_rejected_and_late_fixes_only_join_the_track() -> None:
    first = fix(33.625, 116.975, AT)
    outcomes = run(
        Tracking("dev-1"),
        first,
        first,  # the same fix again
        fix(33.626, 116.975, AT),  # another position at the same time
        fix(33.631, 116.975, AT - timedelta(minutes=10), source="backfill"),  # older: inside the zone
    )
    assert [o.verdict for o in outcomes] == [Verdict.MOVED, Verdict.DUPLICATE, Verdict.REJECTED, Verdict.LATE]
    assert "conflicting duplicate" in outcomes[2].reason
    assert outcomes[3].zone_events == () and outcomes[3].state.fix_time == AT  # no event from the past


def test_an_implausible_jump_is_rejected_until_the_device_really_moved() -> None:
    base = fix(33.625, 116.975, AT)
    far = [fix(33.725, 116.975, AT + timedelta(seconds=10 * n)) for n in range(1, 5)]  # 11 km in 10 s
    outcomes = run(Tracking("dev-1"), base, *far)
    assert [o.verdict for o in outcomes] == [Verdict.MOVED, *[Verdict.REJECTED] * 3, Verdict.MOVED]
    assert "implausible" in outcomes[1].reason and "km/h" in outcomes[1].reason
    assert outcomes[-1].state.jump_rejections == 0


@pytest.mark.parametrize(
    ("changes", "device", "reason"),
    [
        ({}, None, "unknown device"),
        ({}, replace(VEHICLE, enabled=False), "device disabled"),
        ({"status_flags": 0b01}, VEHICLE, "not positioned"),
        ({"latitude": 91.0}, VEHICLE, "latitude: 91.0 is outside -90..90"),
        ({"latitude": 0.0, "longitude": 0.0}, VEHICLE, "0,0 is no position"),
        ({"fix_time": None}, VEHICLE, "no fix time"),
        ({"fix_time": AT + timedelta(hours=1)}, VEHICLE, "too skewed: 60 min ahead"),
        ({"fix_time": AT - timedelta(days=2)}, VEHICLE, "too skewed: older than 1 day"),
        ({"speed_kmh": 999.0}, VEHICLE, "speed: 999.0 km/h"),
    ],
)
def test_single_fix_checks_give_the_reason(
    changes: dict[str, object], device: Attached | None, reason: str
) -> None:
    (outcome,) = run(
        Tracking("dev-1"), fix(33.63, 116.97, AT, **{"receive_time": AT, **changes}), device=device
    )
    assert outcome.verdict is Verdict.REJECTED and reason in outcome.reason


def test_stored_fixes_may_be_older_than_real_time_ones() -> None:
    old = fix(33.63, 116.97, AT - timedelta(days=2), receive_time=AT, source="backfill")
    (outcome,) = run(Tracking("dev-1"), old)
    assert outcome.verdict is Verdict.MOVED


def test_the_clock_offset_of_a_terminal_on_another_zone_is_learned_and_forgotten() -> None:
    offset = ClockOffset()
    for n in range(2):
        offset.observe(
            AT - timedelta(hours=8) + timedelta(seconds=n), AT + timedelta(seconds=n, milliseconds=400)
        )
    assert offset.correction == timedelta(0)  # two reports are not enough
    offset.observe(AT - timedelta(hours=8, seconds=-2), AT + timedelta(seconds=2))
    assert offset.correction == timedelta(hours=8)
    offset.observe(AT - timedelta(hours=3, minutes=17), AT)  # a late report: no evidence either way
    assert offset.correction == timedelta(hours=8)
    assert offset.corrected(AT - timedelta(hours=8)) == AT
    for n in range(4):  # the terminal was set right (the first report after the late one is no evidence)
        offset.observe(AT + timedelta(seconds=n), AT + timedelta(seconds=n))
    assert offset.correction == timedelta(0)


def test_a_burst_of_stored_reports_is_a_delay_not_a_clock_offset() -> None:
    offset = ClockOffset()
    for n in range(10):  # fixes taken 30 s apart, 1-2 h ago, re-sent as 0x0200 within a second
        offset.observe(
            AT - timedelta(hours=2) + timedelta(seconds=30 * n), AT + timedelta(milliseconds=50 * n)
        )
    assert offset.correction == timedelta(0)
    late = ClockOffset()
    for n in range(5):  # a steady 30-minute delay is no zone either (at least an hour)
        late.observe(AT - timedelta(minutes=30) + timedelta(seconds=5 * n), AT + timedelta(seconds=5 * n))
    assert late.correction == timedelta(0)


def test_track_windows_align_on_the_epoch() -> None:
    assert window_start(datetime(2026, 11, 22, 0, 37, 12, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2026, 11, 22, 0, 0, tzinfo=UTC
    )

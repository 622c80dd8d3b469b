"""R-PAT-6 evidence of one day from a track and telemetry's crossings, with known answers: time in zone
clipped to the time the device reported; planned against actual presence at hot-spot slots; mobile-room
stop compliance — arrived, dwell, left early, missed, excused by a checkpoint duty (R-ROOM-5); street
visibility (R-PAT-2); golden-hour slots (R-PAT-5); joint-patrol gaps (R-PAT-4)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from jingwu_patrol.domain.evidence import DayInputs, PlannedSlot, StopRules, Subject, SubjectKind, compute
from jingwu_patrol.domain.golden_hours import GoldenReason, golden_slots
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.joint_patrols import gaps
from jingwu_patrol.domain.territory import visits
from jingwu_patrol.domain.tracks import Track, TrackFilter
from jingwu_patrol.domain.visibility import visibility

from .samples import (
    DAY,
    NOW,
    STOP_MARKET,
    STOP_SQUARE,
    ZONE_A,
    ZONE_B,
    at_m,
    joined,
    local,
    parked,
    straight,
    villages,
)

VEHICLE = Subject(SubjectKind.VEHICLE, "v-1", "d-1", ZONE_A, "st-1", vehicle_id="v-1", room_id="room-m")
MARKET = HotSpot("hs-1", "菜市场", HotSpotKind.PLACE, ZONE_A, location=at_m(1000, 100), radius_m=80)


def s(hour: int, minute: int = 0) -> float:
    return local(DAY, hour, minute).timestamp()


def evidence_of(track: Track, **inputs: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "subject": VEHICLE,
        "day": DAY,
        "track": track,
        "zone_stays": {},
        "zone_entries": {},
    }
    values.update(inputs)
    return compute(DayInputs(**values), track_filter=TrackFilter(), stop_rules=StopRules(), now=NOW)  # type: ignore[arg-type]


def test_mileage_and_time_in_zone_from_a_day_with_a_drive_and_a_silent_device() -> None:
    # 08:00 drive 3 km east (the first 2 km in zone A), then the device is off until 10:00, parked.
    drive = straight(local(DAY, 8), metres=3000, speed_mps=10)
    stand = parked(local(DAY, 10), seconds_=600, sigma_m=4, where=(3000, 100))
    stays = {
        ZONE_A: [(s(7), s(8, 3) + 20)],
        ZONE_B: [(s(8, 3) + 20, s(23, 59))],
    }  # telemetry says: in B all day
    evidence = evidence_of(joined(drive, stand), zone_stays=stays, zone_entries={ZONE_A: 1, ZONE_B: 1})
    assert evidence.mileage_km == pytest.approx(3.0, abs=0.02)
    assert evidence.mileage_in_zone_km == pytest.approx(2.0, abs=0.03)
    assert evidence.raw_mileage_km > evidence.mileage_km
    assert evidence.fix_count == 301 + 600
    # In zone A only while the device reported: 08:00 → 08:03:20. In B, 08:03:20 → 08:05 and 10:00 →
    # 10:10, not the silent hours between (the device was off: no presence).
    presence = {p.zone_code: p.seconds for p in evidence.zone_presence}
    assert presence[ZONE_A] == pytest.approx(200)
    assert presence[ZONE_B] == pytest.approx(100 + 599)
    assert evidence.time_in_zone_s == pytest.approx(200)
    assert evidence.gap_s == pytest.approx(3600 + 3300 - 1, abs=1)
    assert evidence.evidence_id == "v-1/2026-03-03" and evidence.revision == 1
    assert evidence.compliance_ratio == 1.0 and evidence.planned_slot_count == 0


def test_planned_slots_are_met_by_minutes_present_at_the_hot_spot() -> None:
    # Parked at the market 19:00–19:25 (inside the radius), then gone.
    at_market = parked(local(DAY, 19), seconds_=25 * 60, sigma_m=4, where=(1000, 100))
    slots = [
        PlannedSlot("p-1", "hs-1", MARKET.shape(), *_window(19, 20), 19 * 60, 20 * 60, 20),
        PlannedSlot("p-1", "hs-1", MARKET.shape(), *_window(21, 22), 21 * 60, 22 * 60, 20),
        PlannedSlot("p-1", "hs-1", MARKET.shape(), *_window(19, 20), 19 * 60, 20 * 60, 30),
    ]
    evidence = evidence_of(at_market, planned=slots)
    present = [(c.present_minutes, c.met) for c in evidence.hotspot_coverage]
    assert present == [(25, True), (0, False), (25, False)]
    assert (evidence.planned_slot_count, evidence.met_slot_count) == (3, 1)
    assert evidence.compliance_ratio == pytest.approx(1 / 3, abs=1e-4)


def _window(h0: int, h1: int) -> tuple[datetime, datetime]:
    return local(DAY, h0), local(DAY, h1)


def _stays(*pairs: tuple[float, float]) -> list[tuple[float, float]]:
    return list(pairs)


def test_stop_compliance_arrived_dwell_left_early_missed() -> None:
    # The square's window is 08:00–12:00: there 08:05–11:58 (met, 2 minutes early is within tolerance).
    # The market's window is 18:00–21:00: there 18:10–19:30 only (left early, dwell short).
    stop_stays = {
        STOP_SQUARE.stop_id: _stays((s(8, 5), s(11, 58))),
        STOP_MARKET.stop_id: _stays((s(18, 10), s(19, 30))),
    }
    evidence = evidence_of(Track(), stops=(STOP_SQUARE, STOP_MARKET), stop_stays=stop_stays)
    square, market = evidence.stop_compliance
    assert (square.stop_id, square.arrived, square.met, square.left_early, square.missed) == (
        "s-square",
        True,
        True,
        False,
        False,
    )
    assert square.dwell_s == pytest.approx(3 * 3600 + 53 * 60)
    assert square.required_dwell_s == pytest.approx(0.8 * 4 * 3600)
    assert (market.arrived, market.met, market.left_early, market.missed) == (True, False, True, False)
    assert market.last_departure == local(DAY, 19, 30) and market.first_arrival == local(DAY, 18, 10)
    assert (evidence.planned_stop_count, evidence.met_stop_count) == (2, 1)
    missed = evidence_of(Track(), stops=(STOP_MARKET,), stop_stays={}).stop_compliance[0]
    assert (missed.arrived, missed.missed, missed.met, missed.dwell_s) == (False, True, False, 0)


def test_a_checkpoint_duty_excuses_the_stop_window_it_covers() -> None:
    # R-ROOM-5: ordered to a checkpoint 18:00–20:00, then at the market 20:00–21:00: met.
    stop_stays = {STOP_MARKET.stop_id: _stays((s(20, 0), s(21, 0)))}
    evidence = evidence_of(
        Track(), stops=(STOP_MARKET,), stop_stays=stop_stays, duties=[(s(17, 30), s(20, 0))]
    )
    (market,) = evidence.stop_compliance
    assert market.met and market.required_dwell_s == pytest.approx(0.8 * 3600)
    whole = evidence_of(Track(), stops=(STOP_MARKET,), stop_stays={}, duties=[(s(17, 0), s(22, 0))])
    assert whole.stop_compliance == () and whole.compliance_ratio == 1.0


def test_crossings_become_stays_even_across_midnight_and_redelivery() -> None:
    start, end = s(0), s(0) + 86400
    crossings = [
        (ZONE_A, True, start - 3600, 0.0),  # entered yesterday: inside at midnight
        (ZONE_A, True, start - 3600, 0.0),  # the same entry again
        (ZONE_A, False, s(6), 0.0),
        (ZONE_B, False, s(7), 3600.0),  # an exit whose entry was not read: from its own stay
        (ZONE_B, True, s(22), 0.0),  # still inside at the day's end
    ]
    assert visits(crossings, start, end) == {ZONE_A: [(start, s(6))], ZONE_B: [(s(6), s(7)), (s(22), end)]}


def test_street_visibility_is_the_share_of_hours_with_presence() -> None:
    first, last = DAY, DAY + timedelta(days=1)
    stays = [
        (s(9), s(9, 30)),  # day 1 09:00: 30 minutes
        (s(10), s(10, 10)),  # day 1 10:00: only 10 minutes (< 15)
        (s(10, 5), s(10, 12)),  # a second vehicle overlapping: still 12 minutes together
        (s(9) + 86400, s(9, 20) + 86400),  # day 2 09:00: 20 minutes
    ]
    zone = visibility(ZONE_A, stays, first, last, min_minutes=15)
    hours = {h.hour: (h.present_count, h.slot_count) for h in zone.hours}
    assert hours[9] == (2, 2) and hours[10] == (0, 2) and hours[3] == (0, 2)
    assert zone.slot_count == 48 and zone.present_count == 2 and zone.share == pytest.approx(2 / 48, abs=1e-4)


def test_golden_hours_are_noon_and_evening_on_working_days_and_whole_rest_days() -> None:
    # Friday 6 – Monday 9 March 2026, Monday a holiday in the district's calendar.
    slots = golden_slots(
        date(2026, 3, 6),
        date(2026, 3, 9),
        working_day_hours=((time(12), time(13)), (time(17), time(19))),
        rest_day_hours=(time(9), time(21)),
        holidays=[date(2026, 3, 9)],
    )
    assert [(x.day.day, x.start_minute, x.end_minute, x.reason) for x in slots] == [
        (6, 720, 780, GoldenReason.NOON),
        (6, 1020, 1140, GoldenReason.EVENING),
        (7, 540, 1260, GoldenReason.WEEKEND),
        (8, 540, 1260, GoldenReason.WEEKEND),
        (9, 540, 1260, GoldenReason.HOLIDAY),
    ]


def test_joint_patrol_gaps_are_the_days_without_one_since_registration() -> None:
    teams = villages()
    done = {("v-a", DAY), ("v-b", DAY - timedelta(days=1))}
    found = gaps(teams, done, DAY - timedelta(days=1), DAY)
    assert [(g.village_id, g.missed) for g in found] == [("v-a", (DAY - timedelta(days=1),)), ("v-b", (DAY,))]
    # A natural village patrols with its administrative village: never a gap of its own.
    assert all(g.village_id != "v-b1" for g in found)

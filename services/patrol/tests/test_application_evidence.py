"""Evidence use cases on fakes (R-PAT-6, R-ROOM-5, R-PER-11): a vehicle's and a handheld's day from
tracks constructed here and telemetry's crossings, published for assessment with the officers it
credits; the daily schedule over the fleet; street visibility (R-PAT-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jingwu.patrol.v1 import events_pb2
from jingwu_patrol.domain.evidence import SubjectKind
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.plans import PatrolPlan, PlannedSection
from jingwu_patrol.domain.slots import TimeSlot
from jingwu_patrol.domain.territory import DeviceKind, DeviceView, StopCrossing, ZoneCrossing
from jingwu_patrol.entrypoints.schedules import PATROL_EVIDENCE
from jingwu_platform.errors import NotFound, ValidationFailed
from jingwu_platform.testing import violations_of

from .fakes import LEADER, World, seeded
from .samples import DAY, NOW, ZONE_A, at_m, joined, local, parked, straight


async def fleet(w: World) -> str:
    vehicle = await w.apps.vehicles.register(
        plate="皖L·J0009",
        zone_code=ZONE_A,
        device_id="d-1",
        room_id="room-m",
        officer_ids=["o-9"],
        caller=LEADER,
        request_id="veh-1",
    )
    spot = await w.apps.hotspots.create(
        HotSpot("", "菜市场", HotSpotKind.PLACE, ZONE_A, location=at_m(1500, 500), radius_m=80),
        HotSpotKind.PLACE,
        caller=LEADER,
        request_id="hs-1",
    )
    section = PlannedSection(spot.hotspot_id, TimeSlot((2,), 19 * 60, 20 * 60), 20)
    await w.apps.plans.create(
        PatrolPlan(
            "",
            ZONE_A,
            DAY - timedelta(days=1),
            DAY + timedelta(days=5),
            vehicle_id=vehicle.vehicle_id,
            officer_ids=("o-1", "o-2"),
            sections=(section,),
        ),
        caller=LEADER,
        request_id="plan-1",
    )
    # The day: 08:00 a 500 m drive to the square stop and four hours there (jitter), 19:00 a 1 km drive
    # to the market and 25 minutes there.
    w.tracks.tracks["d-1"] = joined(
        straight(local(DAY, 8), metres=500, speed_mps=10, x0=0, y=500),
        parked(local(DAY, 8, 1), seconds_=4 * 3600 - 120, sigma_m=4, where=(500, 500)),
        straight(local(DAY, 19), metres=1000, speed_mps=10, x0=500, y=500),
        parked(local(DAY, 19, 2), seconds_=25 * 60, sigma_m=4, where=(1500, 500)),
    )
    for n, (entered, hour) in enumerate(((True, 7), (False, 23))):
        await w.apps.territory.zone_crossed(
            ZoneCrossing(
                f"z-{n}", "d-1", ZONE_A, entered, local(DAY, hour, 59), vehicle_id=vehicle.vehicle_id
            )
        )
    await w.apps.territory.stop_crossed(StopCrossing("s-1", "room-m", "s-square", True, local(DAY, 8, 1)))
    await w.apps.territory.stop_crossed(
        StopCrossing("s-2", "room-m", "s-square", False, local(DAY, 11, 59), dwell_s=14280)
    )
    return vehicle.vehicle_id


async def test_a_vehicles_day_is_evidence_for_its_crew() -> None:
    w = await seeded()
    vehicle_id = await fleet(w)
    evidence = await w.apps.evidence.compute_vehicle(vehicle_id, DAY)
    assert evidence.mileage_km == pytest.approx(1.5, abs=0.02)
    assert evidence.raw_mileage_km > 20  # four hours of parked jitter, filtered
    assert evidence.time_in_zone_s == pytest.approx(4 * 3600 - 1 + 1 + 25 * 60 + 100, abs=120)
    (coverage,) = evidence.hotspot_coverage
    assert coverage.present_minutes >= 25 and coverage.met
    square, market = evidence.stop_compliance
    assert square.met and not square.left_early
    assert market.missed and not market.met  # the market stop 18:00–21:00: never parked within 50 m
    assert (
        evidence.planned_slot_count,
        evidence.met_slot_count,
        evidence.planned_stop_count,
        evidence.met_stop_count,
    ) == (1, 1, 2, 1)
    assert evidence.compliance_ratio == pytest.approx(2 / 3, abs=1e-4)
    assert evidence.officer_ids == ("o-1", "o-2")  # the plan's crew, not the usual one
    (published,) = w.outbox.of_type(events_pb2.PatrolEvidenceComputed)
    assert published.evidence.evidence_id == f"{vehicle_id}/2026-03-03"
    assert list(published.evidence.officer_ids) == ["o-1", "o-2"]
    assert published.evidence.subject_kind == 1 and published.evidence.revision == 1
    # The track asked for is the local day.
    assert w.tracks.asked == [("d-1", local(DAY, 0), local(DAY + timedelta(days=1), 0))]
    again = await w.apps.evidence.compute_vehicle(vehicle_id, DAY)
    assert again.revision == 2 and again.mileage_km == evidence.mileage_km
    assert await w.apps.evidence.get(vehicle_id, DAY) == again


async def test_a_handhelds_day_credits_its_officer() -> None:
    w = await seeded()
    await w.apps.territory.device_seen(
        DeviceView("h-1", DeviceKind.HANDHELD, zone_code=ZONE_A, officer_id="o-5")
    )
    w.tracks.tracks["h-1"] = straight(local(DAY, 14), metres=2000, speed_mps=1.4, y=300)
    evidence = await w.apps.evidence.compute_handheld("h-1", DAY)
    assert evidence.subject_kind is SubjectKind.HANDHELD and evidence.officer_ids == ("o-5",)
    assert evidence.mileage_km == pytest.approx(2.0, abs=0.03)
    assert evidence.evidence_id == "h-1/2026-03-03" and evidence.station_id == "st-1"
    with pytest.raises(NotFound):
        await w.apps.evidence.compute_handheld("d-unknown", DAY)
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.evidence.compute_handheld("h-1", NOW.date() + timedelta(days=2))
    assert set(violations_of(refused.value)) == {"date"}


async def test_the_daily_schedule_computes_the_fleet_and_waits_for_telemetry() -> None:
    w = await seeded()
    await fleet(w)
    await w.apps.territory.device_seen(
        DeviceView("h-1", DeviceKind.HANDHELD, zone_code=ZONE_A, officer_id="o-5")
    )
    await w.apps.territory.device_seen(
        DeviceView("h-2", DeviceKind.HANDHELD, enabled=False, officer_id="o-6")
    )
    period = PATROL_EVIDENCE.cadence.latest_due(NOW)
    assert period.start == DAY
    run = await w.apps.evidence.compute_day(period)
    assert (run.computed, run.failed) == (2, 0)
    kinds = sorted(e.evidence.subject_kind for e in w.outbox.of_type(events_pb2.PatrolEvidenceComputed))
    assert kinds == [1, 2]

    async def unreachable(*args: object) -> object:
        raise ConnectionError("telemetry is down")

    w.tracks.track = unreachable  # type: ignore[assignment, method-assign]
    with pytest.raises(ConnectionError):
        await w.apps.evidence.compute_day(period)  # the scheduler retries the period


async def test_street_visibility_counts_every_patrol_devices_stays() -> None:
    w = await seeded()
    for n, (device, entered, hour, minute) in enumerate(
        [("d-1", True, 9, 0), ("d-1", False, 9, 40), ("h-1", True, 10, 0), ("h-1", False, 10, 5)]
    ):
        await w.apps.territory.zone_crossed(
            ZoneCrossing(f"c-{n}", device, ZONE_A, entered, local(DAY, hour, minute))
        )
    (zone,) = await w.apps.evidence.street_visibility(zone_code=ZONE_A, station_id="", first=DAY, last=DAY)
    hours = {h.hour: h.present_count for h in zone.hours}
    assert hours[9] == 1 and hours[10] == 0 and zone.present_count == 1
    everywhere = await w.apps.evidence.street_visibility(zone_code="", station_id="st-1", first=DAY, last=DAY)
    assert [z.zone_code for z in everywhere] == [ZONE_A, "01020302"]
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.evidence.street_visibility(
            zone_code="01999999", station_id="", first=DAY, last=DAY - timedelta(days=1)
        )
    assert set(violations_of(refused.value)) == {"period.end", "zone_code"}

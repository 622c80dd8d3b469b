"""Evidence on the real Kafka, store and gRPC server (R-PAT-6, R-ROOM-5, R-PER-11): telemetry's device,
zone and stop events produced exactly as telemetry publishes them; tracks through the TrackSource port
(constructed here with known answers: telemetry's own GetTrack is exercised in
test_service_evidence_telemetry.py when the telemetry package is importable); the evidence computed on
demand and by the daily schedule on the service's own timer (a fake clock), published as
PatrolEvidenceComputed for assessment; the joint-patrol check firing the same way (R-PAT-4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from google.protobuf.duration_pb2 import Duration
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import events_pb2, patrol_pb2
from jingwu.telemetry.v1 import events_pb2 as telemetry_events
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import wait_until
from jingwu_platform.usecase import FakeClock

from .fakes import RecordedTracks
from .samples import DAY, NOW, at_m, joined, local, parked, straight
from .support import point, running, stamp_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def dwell(seconds: float) -> Duration:
    value = Duration()
    value.FromSeconds(int(seconds))
    return value


async def test_evidence_from_telemetrys_events_published_for_assessment_and_on_schedule(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    clock = FakeClock(NOW)
    tracks = RecordedTracks()
    tracks.tracks["d-1"] = joined(
        straight(local(DAY, 8), metres=500, speed_mps=10, x0=0, y=500),
        parked(local(DAY, 8, 1), seconds_=4 * 3600 - 120, sigma_m=4, where=(500, 500)),
        straight(local(DAY, 19), metres=1000, speed_mps=10, x0=500, y=500),
        parked(local(DAY, 19, 2), seconds_=25 * 60, sigma_m=4, where=(1500, 500)),
    )
    fast: dict[str, object] = {"schedule_poll_interval_s": 0.05}
    async with running(
        settings_for, district, auth_secret, kafka_bootstrap, clock=clock, tracks=tracks, settings=fast
    ) as patrol:
        await patrol.learn_district()
        zone_a = patrol.zone("020301")
        leader = patrol.stub()
        vehicle = (
            await leader.RegisterVehicle(
                patrol_pb2.RegisterVehicleRequest(
                    plate="皖L·J0009",
                    zone_code=zone_a,
                    device_id="d-1",
                    room_id="room-m",
                    officer_ids=["o-9"],
                    request_id="veh-1",
                )
            )
        ).vehicle
        spot = await leader.CreateHotSpot(
            patrol_pb2.CreateHotSpotRequest(
                name="夜市",
                kind=patrol_pb2.HOT_SPOT_KIND_PLACE,
                zone_code=zone_a,
                location=point(at_m(1500, 500)),
                radius_m=80,
                request_id="hs-1",
            )
        )
        await leader.CreatePatrolPlan(
            patrol_pb2.CreatePatrolPlanRequest(
                zone_code=zone_a,
                vehicle_id=vehicle.vehicle_id,
                officer_ids=["o-1", "o-2"],
                period=common_pb2.DateRange(start=_date(DAY), end=_date(DAY + timedelta(days=3))),
                sections=[
                    patrol_pb2.PlannedSection(
                        hotspot_id=spot.hotspot.hotspot_id,
                        slot=patrol_pb2.TimeSlot(weekdays=[2], start_minute=19 * 60, end_minute=20 * 60),
                        required_minutes=20,
                    )
                ],
                request_id="plan-1",
            )
        )
        # Telemetry's events: a handheld, the vehicle's zone crossings and its stop arrival/departure.
        handheld = telemetry_pb2.Device(
            device_id="h-1",
            kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
            status=telemetry_pb2.DEVICE_STATUS_REGISTERED,
            zone_code=zone_a,
            officer_id="o-5",
        )
        await patrol.publish(
            "telemetry", telemetry_events.DeviceRegistered(district_code=district, device=handheld), "h-1"
        )
        entered = telemetry_events.ZoneEntered(
            district_code=district,
            device_id="d-1",
            device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
            vehicle_id=vehicle.vehicle_id,
            zone_code=zone_a,
            position=point(at_m(0, 500)),
            occur_time=stamp_of(local(DAY, 7, 59)),
        )
        await patrol.publish("telemetry", entered, "d-1")
        left = telemetry_events.ZoneLeft(
            district_code=district,
            device_id="d-1",
            device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
            vehicle_id=vehicle.vehicle_id,
            zone_code=zone_a,
            position=point(at_m(2001, 500)),
            time_in_zone=dwell(16 * 3600),
            occur_time=stamp_of(local(DAY, 23, 59)),
        )
        await patrol.publish("telemetry", left, "d-1")
        arrived = telemetry_events.StopArrived(
            district_code=district,
            room_id="room-m",
            stop_id="s-square",
            device_id="d-1",
            vehicle_id=vehicle.vehicle_id,
            position=point(at_m(500, 500)),
            occur_time=stamp_of(local(DAY, 8, 1)),
        )
        await patrol.publish("telemetry", arrived, "room-m")
        departed = telemetry_events.StopDeparted(
            district_code=district,
            room_id="room-m",
            stop_id="s-square",
            device_id="d-1",
            vehicle_id=vehicle.vehicle_id,
            position=point(at_m(520, 500)),
            dwell=dwell(3 * 3600 + 58 * 60),
            occur_time=stamp_of(local(DAY, 11, 59)),
        )
        await patrol.publish("telemetry", departed, "room-m")
        await wait_until(
            lambda: patrol.process.reactions.processed >= 6 + 5, what="telemetry's events consumed"
        )

        reply = await leader.ComputePatrolEvidence(
            patrol_pb2.ComputePatrolEvidenceRequest(vehicle_id=vehicle.vehicle_id, date=_date(DAY))
        )
        evidence = reply.patrol_evidence
        assert evidence.mileage_km == pytest.approx(1.5, abs=0.02)
        assert evidence.raw_mileage_km > 20
        assert evidence.time_in_zone.ToTimedelta() > timedelta(hours=4)
        assert [(c.hotspot_id, c.met) for c in evidence.hotspot_coverage] == [(spot.hotspot.hotspot_id, True)]
        assert [(s.stop_id, s.met, s.missed) for s in evidence.stop_compliance] == [
            ("s-square", True, False),
            ("s-market", False, True),
        ]
        assert (
            list(evidence.officer_ids) == ["o-1", "o-2"]
            and evidence.evidence_id == f"{vehicle.vehicle_id}/2026-03-03"
        )
        (published,) = await patrol.own_events(events_pb2.PatrolEvidenceComputed)
        assert published.key == evidence.evidence_id.encode()
        sent = events_pb2.PatrolEvidenceComputed.FromString(published.value or b"").evidence
        assert sent == evidence

        # The daily schedule on the service's own timer: tomorrow 02:00 computes today's evidence for the
        # vehicle and the handheld; 00:30 judged today's joint patrols (none: both teams missed).
        clock.set(local(DAY + timedelta(days=2), 2, 1))
        records = await patrol.own_events(events_pb2.PatrolEvidenceComputed, count=3, timeout_s=60)
        scheduled = [
            events_pb2.PatrolEvidenceComputed.FromString(r.value or b"").evidence for r in records[1:]
        ]
        assert {(e.evidence_id, e.subject_kind) for e in scheduled} == {
            ("h-1/2026-03-04", patrol_pb2.EVIDENCE_SUBJECT_KIND_HANDHELD),
            (f"{vehicle.vehicle_id}/2026-03-04", patrol_pb2.EVIDENCE_SUBJECT_KIND_VEHICLE),
        }
        missed = await patrol.own_events(events_pb2.JointPatrolMissed, count=2, timeout_s=60)
        days = {(m.key, events_pb2.JointPatrolMissed.FromString(m.value or b"").date.day) for m in missed}
        assert {(b"v-a", 4), (b"v-b", 4)} <= days
        listed = await leader.ListPatrolEvidence(
            patrol_pb2.ListPatrolEvidenceRequest(
                officer_id="o-1", period=common_pb2.DateRange(start=_date(DAY), end=_date(DAY))
            )
        )
        assert [e.evidence_id for e in listed.patrol_evidence] == [evidence.evidence_id]


def _date(day: object) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=day.year, month=day.month, day=day.day)  # type: ignore[attr-defined]

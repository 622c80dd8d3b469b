"""PatrolService on the real gRPC server, Kafka and store: bad input refused with field violations — a
ring that is not a closed polygon (R-PAT-3), a slot out of range (R-PAT-2), an incident outside the
district (R-NOT-5) — roles enforced as declared, idempotent creates, and the read paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import events_pb2, patrol_pb2
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import field_violations, refused

from .samples import at_m, square
from .support import point, polygon, running, stamp_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def today() -> common_pb2.LocalDate:
    now = datetime.now(DISTRICT_ZONE)
    return common_pb2.LocalDate(year=now.year, month=now.month, day=now.day)


async def test_bad_input_is_refused_with_field_violations(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    async with running(settings_for, district, auth_secret, kafka_bootstrap) as patrol:
        await patrol.learn_district()
        leader = patrol.stub()
        zone_a = patrol.zone("020301")

        # A ring that is not a closed polygon (the first point not repeated last).
        open_ring = polygon(square(0, 0, 500))
        del open_ring.rings[0].points[-1]
        ring = patrol_pb2.DefinePreventionRingRequest(
            name="核心圈", level=patrol_pb2.RING_LEVEL_CORE, boundary=open_ring
        )
        found = field_violations(await refused(leader.DefinePreventionRing(ring)))
        assert set(found) == {"boundary.rings[0].points"} and "closed" in found["boundary.rings[0].points"]

        # A slot out of range in a plan (and presence longer than its slot).
        vehicle = await leader.RegisterVehicle(
            patrol_pb2.RegisterVehicleRequest(
                plate="皖L·J0001", zone_code=zone_a, device_id="d-1", request_id="v-1"
            )
        )
        spot = await leader.CreateHotSpot(
            patrol_pb2.CreateHotSpotRequest(
                name="菜市场",
                kind=patrol_pb2.HOT_SPOT_KIND_PLACE,
                zone_code=zone_a,
                location=point(at_m(500, 500)),
                radius_m=80,
                request_id="hs-1",
            )
        )
        plan = patrol_pb2.CreatePatrolPlanRequest(
            zone_code=zone_a,
            vehicle_id=vehicle.vehicle.vehicle_id,
            period=common_pb2.DateRange(start=today(), end=today()),
            sections=[
                patrol_pb2.PlannedSection(
                    hotspot_id=spot.hotspot.hotspot_id,
                    slot=patrol_pb2.TimeSlot(weekdays=[8], start_minute=1500, end_minute=1560),
                    required_minutes=20,
                ),
                patrol_pb2.PlannedSection(
                    hotspot_id=spot.hotspot.hotspot_id,
                    slot=patrol_pb2.TimeSlot(start_minute=600, end_minute=630),
                    required_minutes=45,
                ),
            ],
            request_id="plan-bad",
        )
        found = field_violations(await refused(leader.CreatePatrolPlan(plan)))
        assert set(found) == {
            "sections[0].slot.weekdays[0]",
            "sections[0].slot.start_minute",
            "sections[1].required_minutes",
        }

        # An incident outside the district.
        service = patrol.stub(Role.SERVICE, subject="system:command-centre")
        report = patrol_pb2.IncidentReport(
            source_system="command_centre",
            source_incident_id="110-77",
            occur_time=stamp_of(datetime.now(DISTRICT_ZONE) - timedelta(hours=1)),
            location=point(at_m(30_000, 30_000)),
            category=patrol_pb2.INCIDENT_CATEGORY_THEFT,
        )
        found = field_violations(
            await refused(service.RecordIncident(patrol_pb2.RecordIncidentRequest(report=report)))
        )
        assert (
            set(found) == {"report.location"} and f"outside district {district}" in found["report.location"]
        )
        empty = field_violations(await refused(service.RecordIncident(patrol_pb2.RecordIncidentRequest())))
        assert set(empty) == {
            "report.source_system",
            "report.source_incident_id",
            "report.occur_time",
            "report.location",
            "report.category",
        }

        # A hot spot edited with a field the mask may not touch.
        bad_mask = patrol_pb2.UpdateHotSpotRequest(
            hotspot=spot.hotspot, update_mask=FieldMask(paths=["kind"])
        )
        assert set(field_violations(await refused(leader.UpdateHotSpot(bad_mask)))) == {
            "update_mask.paths[0]"
        }


async def test_roles_are_enforced_and_creates_are_idempotent(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    async with running(settings_for, district, auth_secret, kafka_bootstrap) as patrol:
        await patrol.learn_district()
        zone_a = patrol.zone("020301")
        officer = patrol.stub(Role.OFFICER, subject="officer-1")
        request = patrol_pb2.RegisterVehicleRequest(
            plate="皖L·J0002", zone_code=zone_a, device_id="d-2", request_id="v-2"
        )
        error = await refused(officer.RegisterVehicle(request))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "supervisor" in (error.details() or "")
        leader = patrol.stub()
        first = await leader.RegisterVehicle(request)
        again = await leader.RegisterVehicle(request)
        assert first.vehicle == again.vehicle
        listed = await officer.ListVehicles(patrol_pb2.ListVehiclesRequest(zone_code=zone_a))
        assert [v.plate for v in listed.vehicles] == ["皖L·J0002"]
        (registered,) = await patrol.own_events(events_pb2.PatrolVehicleRegistered)
        assert registered.key == first.vehicle.vehicle_id.encode()
        coverage = await officer.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
        assert list(coverage.uncovered_zone_codes) == [patrol.zone("020302")]

        # An officer records the team's joint patrol; gaps and golden hours are open reads.
        joint = patrol_pb2.RecordJointPatrolRequest(
            village_id="v-a",
            date=today(),
            leader_officer_id="officer-1",
            participant_ids=["officer-1", "p-2"],
            participant_count=6,
            request_id="jp-1",
        )
        recorded = await officer.RecordJointPatrol(joint)
        assert (await officer.RecordJointPatrol(joint)).joint_patrol == recorded.joint_patrol
        assert recorded.joint_patrol.zone_code == zone_a
        slots = await officer.ListGoldenHourSlots(
            patrol_pb2.ListGoldenHourSlotsRequest(period=common_pb2.DateRange(start=today(), end=today()))
        )
        assert slots.slots and all(s.reason for s in slots.slots)
        interception = patrol_pb2.IssueInterceptionOrderRequest(location=point(at_m(0, 0)), request_id="x")
        denied = await refused(leader.IssueInterceptionOrder(interception))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and "district_admin" in (
            denied.details() or ""
        )

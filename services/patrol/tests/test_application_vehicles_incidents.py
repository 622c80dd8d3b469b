"""Vehicle and incident use cases on fakes: every zone has a GPS vehicle, a zone without one is a finding
raised once a day (R-PAT-1); incidents are validated, placed in their zone, recorded once per sender's
incident id (R-PAT-2, R-NOT-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jingwu.patrol.v1 import events_pb2
from jingwu_patrol.domain.incidents import IncidentCategory, IncidentReport
from jingwu_patrol.domain.territory import DeviceKind, DeviceView
from jingwu_patrol.domain.vehicles import VehicleStatus
from jingwu_patrol.entrypoints.schedules import VEHICLE_COVERAGE
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of

from .fakes import LEADER, World, seeded
from .samples import NOW, ZONE_A, ZONE_B, at_m


async def register(w: World, plate: str, zone: str, device: str = "", request_id: str = "") -> str:
    vehicle = await w.apps.vehicles.register(
        plate=plate,
        zone_code=zone,
        device_id=device,
        room_id="",
        officer_ids=["o-1"],
        caller=LEADER,
        request_id=request_id,
    )
    return vehicle.vehicle_id


async def test_registering_a_vehicle_takes_its_station_from_the_zone_and_is_idempotent() -> None:
    w = await seeded()
    first = await w.apps.vehicles.register(
        plate="皖L·J0001",
        zone_code=ZONE_A,
        device_id="d-1",
        room_id="room-m",
        officer_ids=["o-1"],
        caller=LEADER,
        request_id="r-1",
    )
    again = await w.apps.vehicles.register(
        plate="ignored",
        zone_code=ZONE_B,
        device_id="",
        room_id="",
        officer_ids=[],
        caller=LEADER,
        request_id="r-1",
    )
    assert again == first and first.station_id == "st-1" and first.room_id == "room-m"
    (event,) = w.outbox.of_type(events_pb2.PatrolVehicleRegistered)
    assert event.vehicle.plate == "皖L·J0001"


async def test_a_vehicle_in_an_unknown_zone_or_on_a_handheld_is_refused() -> None:
    w = await seeded()
    await w.apps.territory.device_seen(DeviceView("h-1", DeviceKind.HANDHELD, officer_id="o-1"))
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.vehicles.register(
            plate="",
            zone_code="02999999",
            device_id="h-1",
            room_id="room-x",
            officer_ids=["o-1", "o-1"],
            caller=LEADER,
            request_id="",
        )
    assert set(violations_of(refused.value)) == {
        "plate",
        "zone_code",
        "device_id",
        "room_id",
        "officer_ids[1]",
    }


async def test_coverage_and_the_daily_finding_of_a_zone_without_a_vehicle() -> None:
    """R-PAT-1: zone B has a vehicle, but without a GPS device; it is found uncovered, once a day."""
    w = await seeded()
    await register(w, "皖L·J0001", ZONE_A, device="d-1")
    b = await register(w, "皖L·J0002", ZONE_B)
    found = await w.apps.vehicles.coverage()
    assert (found.zone_count, found.covered, found.uncovered) == (2, (ZONE_A,), (ZONE_B,))
    period = VEHICLE_COVERAGE.cadence.latest_due(NOW)
    assert await w.apps.vehicles.check_coverage(period) == 1
    assert await w.apps.vehicles.check_coverage(period) == 0  # the same day again: nothing new
    (event,) = w.outbox.of_type(events_pb2.ZoneWithoutPatrolVehicle)
    assert event.zone_code == ZONE_B and (event.date.month, event.date.day) == (3, 4)
    await w.apps.vehicles.reassign(
        b, zone_code="", device_id="d-2", status=None, officer_ids=[], reason="装上 GPS", caller=LEADER
    )
    assert (await w.apps.vehicles.coverage()).uncovered == ()
    assert (
        await w.apps.vehicles.check_coverage(VEHICLE_COVERAGE.cadence.latest_due(NOW + timedelta(days=1)))
        == 0
    )


async def test_a_retired_vehicle_stays_retired() -> None:
    w = await seeded()
    vehicle_id = await register(w, "皖L·J0001", ZONE_A, device="d-1")
    await w.apps.vehicles.reassign(
        vehicle_id,
        zone_code="",
        device_id="",
        status=VehicleStatus.RETIRED,
        officer_ids=[],
        reason="报废",
        caller=LEADER,
    )
    with pytest.raises(RuleViolation, match="R-PAT-1"):
        await w.apps.vehicles.reassign(
            vehicle_id,
            zone_code="",
            device_id="",
            status=VehicleStatus.IN_SERVICE,
            officer_ids=[],
            reason="",
            caller=LEADER,
        )
    moved = w.outbox.of_type(events_pb2.PatrolVehicleAssigned)
    assert [m.vehicle.status for m in moved] == [3]


def report(source_id: str = "110-1", **changes: object) -> IncidentReport:
    values: dict[str, object] = {
        "source_system": "command_centre",
        "source_incident_id": source_id,
        "occur_time": NOW - timedelta(hours=3),
        "location": at_m(2500, 500),
        "category": IncidentCategory.BURGLARY,
    }
    values.update(changes)
    return IncidentReport(**values)  # type: ignore[arg-type]


async def test_an_incident_is_recorded_once_per_senders_incident_id() -> None:
    w = await seeded()
    first, duplicate = await w.apps.incidents.record(report(), channel="grpc")
    assert not duplicate and first.zone_code == ZONE_B
    again, duplicate = await w.apps.incidents.record(report(category=IncidentCategory.FRAUD), channel="kafka")
    assert duplicate and again == first
    other, _ = await w.apps.incidents.record(report(source_system="traffic"), channel="kafka")
    assert other.incident_id != first.incident_id
    assert len(w.outbox.of_type(events_pb2.IncidentRecorded)) == 2
    listed, token = await w.apps.incidents.list_incidents(
        zone_code=ZONE_B, category=None, start=None, end=None, page_size=1, page_token=""
    )
    assert len(listed) == 1 and token


async def test_an_incident_outside_the_district_or_before_any_boundary_is_refused() -> None:
    w = await seeded()
    with pytest.raises(ValidationFailed) as outside:
        await w.apps.incidents.record(report(location=at_m(20_000, 0)), channel="grpc", prefix="report.")
    assert "outside district 01" in violations_of(outside.value)["report.location"]
    bare = await seeded()
    bare.repositories.directories.zones.items.clear()  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as unknown:
        await bare.apps.incidents.record(report(), channel="kafka")
    assert "no zone boundaries" in violations_of(unknown.value)["location"]
    assert w.outbox.of_type(events_pb2.IncidentRecorded) == []

"""The interception order end to end on the real stack (R-PAT-3, R-ROOM-5): the room registry and patrol
as services on one Kafka and store. The bureau orders an interception at patrol; patrol picks the
checkpoint nearest the place and the mobile room nearest it, and orders the room through the
registry's IssueCheckpointOrder as a Jingwu service; the order shows in the registry (the room's
current checkpoint order) and in the vehicle's plan; the registry's own CheckpointOrderIssued changes
nothing more; the room sent back to a stop relieves the duty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for, wait_until
from jingwu_rooms.entrypoints.main import build as build_rooms

from conftest import started

from .samples import at_m, square
from .support import point, polygon, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def today() -> common_pb2.LocalDate:
    now = datetime.now(DISTRICT_ZONE)
    return common_pb2.LocalDate(year=now.year, month=now.month, day=now.day)


async def test_an_interception_order_flows_to_the_room_registry_and_the_vehicles_plan(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    rooms_runtime, _ = build_rooms(settings_for("rooms", district), DistrictPolicy())
    async with started(rooms_runtime) as rooms_port:
        rooms_target = f"127.0.0.1:{rooms_port}"
        bureau_token = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="chief-1")
        leader_token = token_for(auth_secret, district, Role.SUPERVISOR, subject="leader-1")
        async with (
            open_channel(rooms_target, bureau_token) as bureau_channel,
            open_channel(rooms_target, leader_token) as leader_channel,
        ):
            registry = rooms_pb2_grpc.RoomRegistryServiceStub(bureau_channel)
            registry_leader = rooms_pb2_grpc.RoomRegistryServiceStub(leader_channel)
            # The district as the bureau registers it in the room registry: a station, two zones with
            # boundaries, two mobile rooms at their stops (near the west exit, and far east).
            await registry.CreateStation(
                rooms_pb2.CreateStationRequest(
                    station_id="st-1",
                    name="汴河派出所",
                    kind=rooms_pb2.STATION_KIND_URBAN,
                    operating_model=rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
                    location=point(at_m(100, 100)),
                )
            )
            for suffix, x0 in (("020301", 0), ("020302", 2000)):
                await registry.CreateZone(
                    rooms_pb2.CreateZoneRequest(
                        zone_code=f"{district}{suffix}",
                        community_name=f"汴河{suffix[-1]}",
                        station_id="st-1",
                        workload=rooms_pb2.ZoneWorkload(
                            actual_population=5000, area_km2=4, security_complexity=3
                        ),
                        boundary=polygon(square(x0, 0, 2000)),
                    )
                )
            rooms = {}
            for name, zone, where in (
                ("流动一号", "020301", (300, 300)),
                ("流动二号", "020302", (3800, 1800)),
            ):
                opened = await registry_leader.OpenRoom(
                    rooms_pb2.OpenRoomRequest(
                        name=name,
                        kind=rooms_pb2.ROOM_KIND_MOBILE,
                        station_id="st-1",
                        zone_codes=[f"{district}{zone}"],
                        location=point(at_m(*where)),
                        vehicle_plate=f"皖L·{name}",
                        request_id=name,
                    )
                )
                room_id = opened.room.room_id
                rooms[name] = room_id
                stop = rooms_pb2.MobileStop(
                    stop_id=f"s-{zone}", name="广场", location=point(at_m(*where)), radius_m=50
                )
                await registry_leader.SetMobileStops(
                    rooms_pb2.SetMobileStopsRequest(room_id=room_id, stops=[stop])
                )
                await registry_leader.ReassignMobileStop(
                    rooms_pb2.ReassignMobileStopRequest(
                        room_id=room_id, stop_id=stop.stop_id, reason="日常驻点"
                    )
                )

            options = PatrolOptions(rooms_target=rooms_target, telemetry_target="127.0.0.1:1")
            async with running(
                settings_for, district, auth_secret, kafka_bootstrap, options=options
            ) as patrol:
                leader, bureau = patrol.stub(), patrol.stub(Role.DISTRICT_ADMIN, subject="chief-1")
                zone_a = patrol.zone("020301")

                async def learnt() -> bool:
                    coverage = await leader.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
                    known = await patrol.process.apps.territory.mobile_rooms()
                    return (
                        coverage.zone_count == 2
                        and len(known) == 2
                        and all(r.current_stop_id for r in known.values())
                    )

                await wait_until(
                    learnt, what="patrol learning zones and mobile rooms from the registry", timeout_s=60
                )
                near = rooms["流动一号"]
                vehicle = await leader.RegisterVehicle(
                    patrol_pb2.RegisterVehicleRequest(
                        plate="皖L·流动一号",
                        zone_code=zone_a,
                        device_id="d-m1",
                        room_id=near,
                        request_id="veh-m1",
                    )
                )
                plan = await leader.CreatePatrolPlan(
                    patrol_pb2.CreatePatrolPlanRequest(
                        zone_code=zone_a,
                        vehicle_id=vehicle.vehicle.vehicle_id,
                        period=common_pb2.DateRange(start=today(), end=today()),
                        request_id="plan-m1",
                    )
                )
                for name, where in (("G3 西出口卡口", (50, 50)), ("东环检查站", (3950, 1950))):
                    await leader.RegisterCheckpoint(
                        patrol_pb2.RegisterCheckpointRequest(
                            name=name,
                            kind=patrol_pb2.CHECKPOINT_KIND_CHECKPOINT,
                            location=point(at_m(*where)),
                            request_id=name,
                        )
                    )

                # The bureau's order: intercept near the west exit (telemetry is unreachable here: the
                # rooms' positions are the registry's — their current stops).
                order = patrol_pb2.IssueInterceptionOrderRequest(
                    location=point(at_m(200, 150)),
                    incident_id="i-1",
                    reason="抢劫嫌疑人驾车西逃",
                    request_id="int-1",
                )
                duty = (await bureau.IssueInterceptionOrder(order)).checkpoint_duty
                assert duty.room_id == near and duty.checkpoint_name == "G3 西出口卡口"
                assert (
                    duty.vehicle_id == vehicle.vehicle.vehicle_id
                    and duty.source == patrol_pb2.DUTY_ORDER_SOURCE_INTERCEPTION
                )
                # In the room registry: the room is on its checkpoint order, issued by patrol as a service.
                on_order = (await registry.GetRoom(rooms_pb2.GetRoomRequest(room_id=near))).room
                assert on_order.current_checkpoint_order.order_id == duty.room_order_id
                assert on_order.current_checkpoint_order.issued_by == "system:patrol"
                # In the vehicle's plan.
                shown = (
                    await leader.GetPatrolPlan(
                        patrol_pb2.GetPatrolPlanRequest(plan_id=plan.patrol_plan.plan_id)
                    )
                ).patrol_plan
                assert [d.duty_id for d in shown.checkpoint_duties] == [duty.duty_id]
                # A retry answers the first order; the registry's CheckpointOrderIssued adds nothing.
                assert (await bureau.IssueInterceptionOrder(order)).checkpoint_duty.duty_id == duty.duty_id

                async def registry_event_consumed() -> bool:
                    # ZoneCreated ×2, RoomOpened ×2, MobileStopsChanged ×4, then CheckpointOrderIssued.
                    return patrol.process.reactions.processed >= 9

                await wait_until(
                    registry_event_consumed, what="the registry's CheckpointOrderIssued consumed"
                )
                duties = await leader.ListCheckpointDuties(
                    patrol_pb2.ListCheckpointDutiesRequest(vehicle_id=duty.vehicle_id)
                )
                assert [d.duty_id for d in duties.checkpoint_duties] == [duty.duty_id]

                # The room sent back to its stop: the duty is relieved.
                await registry_leader.ReassignMobileStop(
                    rooms_pb2.ReassignMobileStopRequest(room_id=near, stop_id="s-020301", reason="堵控结束")
                )

                async def relieved() -> bool:
                    found = await leader.ListCheckpointDuties(
                        patrol_pb2.ListCheckpointDutiesRequest(vehicle_id=duty.vehicle_id)
                    )
                    return bool(found.checkpoint_duties) and found.checkpoint_duties[0].HasField("end_time")

                await wait_until(relieved, what="the duty relieved when the room returned to its stop")

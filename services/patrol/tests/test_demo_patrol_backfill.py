"""``make run``'s patrol demo, end to end on the real stack (R-PAT-6: vehicle patrol tracks are the
evidence for assessment; R-PAT-2 plans; R-TEL-2 JT/T 808): the room registry, telemetry (registry and
fix consumer), the city's JT/T 808 gateway and patrol, in-process on the session's Kafka and FerretDB.

The simulator provisions its terminals, the demo loader registers a vehicle per zone on them and plans
from the hot spots, ``itineraries`` says what each vehicle has to do yesterday, and the simulator's
backfill drives yesterday after it — the first vehicle following its plan, the second missing it on
purpose — and uploads the tracks with 0x0704 through the gateway. Once telemetry and patrol are caught
up, yesterday's evidence shows the first vehicle's slots met and the second's missed, and the demo's
summary line says one met and one fell short."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_cli.client import Clients
from jingwu_cli.config import Credential, Target
from jingwu_cli.demo_patrol import compute_yesterday, itineraries, seed_patrol
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for, wait_caught_up, wait_until
from jingwu_rooms.entrypoints.main import build as build_rooms
from jingwu_telemetry.entrypoints.main import build as build_telemetry
from jingwu_telemetry.gateway.main import jt808_gateway
from jingwu_telemetry.gateway.settings import GatewaySettings
from jingwu_telemetry.settings import TelemetrySettings
from jingwu_telemetry.sim.backfill import BackfillConfig, backfill
from jingwu_telemetry.sim.fleet import Provisioner
from jingwu_telemetry.sim.routes import Route, street_legs
from pydantic import SecretStr

from conftest import started

from .samples import at_m, square
from .support import point, polygon, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
ZONE_SIDE_M = 2000


def _xy(where: GeoPoint) -> tuple[float, float]:
    return where.longitude, where.latitude


def patrol_loop(station_id: str, x0: float) -> Route:
    """A loop of the zone at ``x0``: from the station through the community and back, 30 km/h."""
    points = [_xy(at_m(x0 + 200, 200)), _xy(at_m(x0 + 1000, 1000)), _xy(at_m(x0 + 1600, 600))]
    return Route(f"{station_id}巡逻车", street_legs(points, 30.0), 30.0, station_id=station_id)


async def test_the_backfilled_yesterday_shows_a_plan_met_and_a_plan_missed(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    # Territory: two stations, three zones with a community each (the last zone gets no vehicle).
    rooms_runtime, _ = build_rooms(settings_for("rooms", district), DistrictPolicy())
    async with started(rooms_runtime) as rooms_port:
        rooms_target = f"127.0.0.1:{rooms_port}"
        bureau = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="chief-1")
        zone_codes = [f"{district}0203{n + 1:02d}" for n in range(3)]
        stations = ["st-1", "st-2", "st-2"]
        async with open_channel(rooms_target, bureau) as channel:
            registry = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
            for n, station_id in enumerate(("st-1", "st-2")):
                await registry.CreateStation(
                    rooms_pb2.CreateStationRequest(
                        station_id=station_id,
                        name=f"汴河{n + 1}派出所",
                        kind=rooms_pb2.STATION_KIND_URBAN,
                        operating_model=rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
                        location=point(at_m(ZONE_SIDE_M * n + 200, 200)),
                    )
                )
            for n, (code, station_id) in enumerate(zip(zone_codes, stations, strict=True)):
                await registry.CreateZone(
                    rooms_pb2.CreateZoneRequest(
                        zone_code=code,
                        community_name=f"汴河{n + 1}",
                        station_id=station_id,
                        workload=rooms_pb2.ZoneWorkload(
                            actual_population=5000, area_km2=4, security_complexity=3
                        ),
                        boundary=polygon(square(ZONE_SIDE_M * n, 0, ZONE_SIDE_M)),
                    )
                )
                await registry.RegisterVillage(
                    rooms_pb2.RegisterVillageRequest(
                        village_id=f"v-{n}",
                        name=f"社区{n}",
                        level=rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
                        zone_code=code,
                        urban_community=True,
                        location=point(at_m(ZONE_SIDE_M * n + 1000, 1000)),
                    )
                )
        telemetry = build_telemetry(
            settings_for("telemetry", district),
            TelemetrySettings(consume_fixes=True, batch_max_wait_ms=100, seal_interval_s=3600),
        )
        async with started(telemetry.runtime) as telemetry_port:
            telemetry_target = f"127.0.0.1:{telemetry_port}"
            gateway_process, gateway = jt808_gateway(
                GatewaySettings(
                    kafka_bootstrap=kafka_bootstrap,
                    registry_targets={district: telemetry_target},
                    auth_secret=SecretStr(auth_secret),
                    jt808_host="127.0.0.1",
                    jt808_port=0,
                    linger_ms=2,
                )
            )
            await gateway_process.start()
            options = PatrolOptions(telemetry_target=telemetry_target, rooms_target=rooms_target)
            try:
                async with running(
                    settings_for, district, auth_secret, kafka_bootstrap, options=options
                ) as patrol:
                    leader = patrol.stub()

                    async def learnt() -> bool:
                        coverage = await leader.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
                        return coverage.zone_count == 3 and len(telemetry.geography.zones) == 3

                    await wait_until(learnt, what="patrol and telemetry taking the zones in", timeout_s=60)
                    # The simulator's terminals: one for each station's first zone.
                    routes = [patrol_loop("st-1", 0), patrol_loop("st-2", ZONE_SIDE_M)]
                    fleet = await Provisioner(telemetry_target, auth_secret, district).provision(
                        routes, {"st-1": zone_codes[0], "st-2": zone_codes[1]}
                    )
                    target = Target(district, rooms_target, "127.0.0.1:1", Credential(bureau, "test"))
                    yesterday = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
                    async with Clients(target) as clients:
                        await seed_patrol(
                            clients, auth_secret, patrol_addr=patrol.target, telemetry_addr=telemetry_target
                        )
                        plans = await itineraries(clients, patrol_addr=patrol.target, day=yesterday)
                        assert [p.follow for p in plans] == [True, False]
                        assert all(p.waypoints for p in plans)
                        assert {p.device_id for p in plans} == {v.device_id for v in fleet}

                        uploaded = await backfill(
                            plans, fleet, BackfillConfig(gateway=("127.0.0.1", gateway.port))
                        )
                        assert uploaded.vehicles == 2 and uploaded.following == 1 and uploaded.missing == 1
                        assert gateway.counters.refused.get("rate_limited", 0) == 0
                        await wait_caught_up([telemetry_target, patrol.target], bureau, timeout_s=60)

                        by_vehicle = {}
                        for plan in plans:
                            request = patrol_pb2.ComputePatrolEvidenceRequest(
                                vehicle_id=plan.vehicle_id,
                                date=common_pb2.LocalDate(
                                    year=yesterday.year, month=yesterday.month, day=yesterday.day
                                ),
                            )
                            reply = await leader.ComputePatrolEvidence(request)
                            by_vehicle[plan.follow] = reply.patrol_evidence
                        summary = await compute_yesterday(clients, patrol_addr=patrol.target)
            finally:
                await gateway_process.stop()

    met, missed = by_vehicle[True], by_vehicle[False]
    for evidence in (met, missed):
        assert evidence.planned_slot_count >= 1
        assert evidence.fix_count > 200 and evidence.outlier_fix_count == 0
        assert evidence.mileage_km > 5
        assert evidence.zone_presence  # telemetry's zone crossings of the backfilled track
    assert met.met_slot_count == met.planned_slot_count
    assert all(c.present_minutes >= c.required_minutes for c in met.hotspot_coverage)
    assert missed.met_slot_count == 0
    # There, but too briefly: a short stop, not a drive past.
    assert all(0 < c.present_minutes < c.required_minutes for c in missed.hotspot_coverage)
    assert summary == [
        f"patrol evidence {yesterday.isoformat()}: 1 vehicles met their plan, 1 fell short (R-PAT-6)"
    ]

"""The demo loader's patrol part (jingwu_cli.demo_patrol) against the real room registry and patrol
services: vehicles, incidents, hot spots, generated plans, rings, checkpoints and joint patrols through
the APIs, idempotently; the itineraries the simulator follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import events_pb2, patrol_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_cli.client import Clients
from jingwu_cli.config import Credential, Target
from jingwu_cli.demo_patrol import itineraries, seed_patrol
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

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


async def test_the_demo_patrol_data_loads_through_the_apis_idempotently(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    rooms_runtime, _ = build_rooms(settings_for("rooms", district), DistrictPolicy())
    async with started(rooms_runtime) as rooms_port:
        rooms_target = f"127.0.0.1:{rooms_port}"
        bureau = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="chief-1")
        async with open_channel(rooms_target, bureau) as channel:
            registry = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
            await registry.CreateStation(
                rooms_pb2.CreateStationRequest(
                    station_id="st-1",
                    name="汴河派出所",
                    kind=rooms_pb2.STATION_KIND_URBAN,
                    operating_model=rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
                    location=point(at_m(100, 100)),
                )
            )
            for n in range(3):
                code = f"{district}0203{n + 1:02d}"
                await registry.CreateZone(
                    rooms_pb2.CreateZoneRequest(
                        zone_code=code,
                        community_name=f"汴河{n + 1}",
                        station_id="st-1",
                        workload=rooms_pb2.ZoneWorkload(
                            actual_population=5000, area_km2=4, security_complexity=3
                        ),
                        boundary=polygon(square(2000 * n, 0, 2000)),
                    )
                )
                await registry.RegisterVillage(
                    rooms_pb2.RegisterVillageRequest(
                        village_id=f"v-{n}",
                        name=f"社区{n}",
                        level=rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
                        zone_code=code,
                        urban_community=True,
                        location=point(at_m(2000 * n + 1000, 1000)),
                    )
                )
        async with running(settings_for, district, auth_secret, kafka_bootstrap) as patrol:
            leader = patrol.stub()

            async def learnt() -> bool:
                coverage = await leader.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
                return coverage.zone_count == 3 and len(await patrol.process.apps.territory.villages()) == 3

            await wait_until(learnt, what="patrol learning the demo zones", timeout_s=60)
            target = Target(district, rooms_target, "127.0.0.1:1", Credential(bureau, "test"))
            async with Clients(target) as clients:
                report = await seed_patrol(clients, auth_secret, patrol_addr=patrol.target)
                again = await seed_patrol(clients, auth_secret, patrol_addr=patrol.target)
                today = datetime.now(DISTRICT_ZONE).date()
                routes = await itineraries(clients, patrol_addr=patrol.target, day=today - timedelta(days=1))
            assert (
                report.counts["vehicles"] == 2
                and report.counts["rings"] == 4
                and report.counts["checkpoints"] == 8
            )
            assert report.counts["incidents"] > 20 and report.counts["hot spots"] >= 3
            assert report.counts["plans"] == 2 and report.counts["joint patrols"] == 3 * 7 - 1
            assert again.counts == report.counts  # loading again changes nothing
            assert any("without a vehicle on purpose" in s for s in report.skipped)
            vehicles = (await leader.ListVehicles(patrol_pb2.ListVehiclesRequest())).vehicles
            assert sorted(v.zone_code for v in vehicles) == [f"{district}020301", f"{district}020302"]
            # Without telemetry's terminals the vehicles have no GPS device yet: every zone is a finding.
            coverage = await leader.GetVehicleCoverage(patrol_pb2.GetVehicleCoverageRequest())
            assert len(coverage.uncovered_zone_codes) == 3
            assert len(await patrol.own_events(events_pb2.PatrolPlanned, count=2)) == 2
            gaps = await leader.GetJointPatrolGaps(
                patrol_pb2.GetJointPatrolGapsRequest(
                    period=_range(today - timedelta(days=7), today - timedelta(days=1))
                )
            )
            # The teams were registered today: no day before it is a gap, whatever the loader recorded.
            assert list(gaps.gaps) == []
            # No simulated terminals here (telemetry not given): no itineraries to follow.
            assert routes == []


def _range(first: date, last: date) -> common_pb2.DateRange:
    return common_pb2.DateRange(
        start=common_pb2.LocalDate(year=first.year, month=first.month, day=first.day),
        end=common_pb2.LocalDate(year=last.year, month=last.month, day=last.day),
    )

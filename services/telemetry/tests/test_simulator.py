"""The simulator: routes along the demo district's street grid, and a small fleet over the real gateways
(vehicles registering, authenticating, reporting, going offline and backfilling with 0x0704;
handhelds posting JSON and OsmAnd)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

import pytest
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_cli.demo_data import build as build_demo
from jingwu_platform.testing import read_topic
from jingwu_telemetry.domain.fix_rules import distance_m
from jingwu_telemetry.sim.main import simulate
from jingwu_telemetry.sim.routes import vehicle_routes, walking_routes

from .conftest import Stack


def test_routes_follow_the_street_grid_and_park_at_the_mobile_rooms_stops() -> None:
    demo = build_demo("01", date(2026, 11, 22))
    routes = vehicle_routes(demo, 6)
    mobile = routes[0]
    assert mobile.mobile_room and mobile.stops and mobile.plate
    for leg in mobile.legs:  # every leg runs along one axis (or parks)
        assert leg.start[0] == leg.end[0] or leg.start[1] == leg.end[1]
    parked = [leg for leg in mobile.legs if leg.start == leg.end]
    assert {leg.start for leg in parked} == {point for _, point in mobile.stops}
    lon, lat, speed, _ = mobile.position(1.0)  # parked at its first stop at the start
    assert speed == 0 and distance_m(lat, lon, mobile.stops[0][1][1], mobile.stops[0][1][0]) < 1
    lon, lat, speed, heading = routes[3].position(30.0)
    assert speed > 20 and 0 <= heading < 360
    assert {r.station_id for r in routes[2:]} <= {s.station_id for s in demo.stations}
    walkers = walking_routes(demo, 3)
    assert all(w.speed_kmh == 5.0 for w in walkers)


@pytest.mark.integration
@pytest.mark.parametrize("stack", [{"idle_timeout_s": 30.0}], indirect=True)
async def test_a_small_fleet_reports_backfills_and_posts(
    stack: Stack, kafka_bootstrap: str, auth_secret: str
) -> None:
    args = argparse.Namespace(
        district=stack.district,
        vehicles=4,
        handhelds=2,
        registry=f"127.0.0.1:{stack.port}",
        rooms="",
        jt808=f"127.0.0.1:{stack.jt808.port}",
        http=f"127.0.0.1:{stack.handheld.port}",
        interval=0.5,
        offline_share=0.25,
        offline_s=(2.0, 3.0),
        online_s=(2.0, 3.0),
        speedup=20.0,
        duration=0.0,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(simulate(args, auth_secret, stop))
    await asyncio.sleep(12)  # the offline vehicle goes out of coverage and comes back at least once
    stop.set()
    stats = await task
    assert stats.reports_acked > 10 and stats.handheld_posts > 4
    assert stats.offline_periods >= 1 and stats.backfilled >= 1
    records = await read_topic(
        kafka_bootstrap, f"jingwu.{stack.district}.telemetry.fixes.v1", until=lambda rs: len(rs) >= 20
    )
    fixes = [telemetry_pb2.LocationFix.FromString(r.value or b"") for r in records]
    kinds = {f.device_kind for f in fixes}
    assert kinds == {telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL, telemetry_pb2.DEVICE_KIND_HANDHELD}
    assert len({f.device_id for f in fixes}) == 6

"""`jingwu patrol hotspots|plans|evidence|rings|checkpoints|joint-patrols` against the real patrol service
(in-process, real FerretDB + Kafka): tables with Chinese headings, or --json. The tool runs through
``main([...])`` in a worker thread (its own event loop, as a shell runs it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from jingwu.patrol.v1 import patrol_pb2
from jingwu_cli.main import main
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.settings import ServiceSettings

from .fakes import RecordedTracks
from .samples import at_m, square, straight
from .support import RunningPatrol, point, polygon, running, stamp_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


async def seed(patrol: RunningPatrol) -> str:
    leader, service = patrol.stub(), patrol.stub(Role.SERVICE, subject="system:command-centre")
    zone_a = patrol.zone("020301")
    vehicle = await leader.RegisterVehicle(
        patrol_pb2.RegisterVehicleRequest(
            plate="皖L·J0001", zone_code=zone_a, device_id="d-1", officer_ids=["o-1"], request_id="v-1"
        )
    )
    await leader.CreateHotSpot(
        patrol_pb2.CreateHotSpotRequest(
            name="汴河菜市场",
            kind=patrol_pb2.HOT_SPOT_KIND_PLACE,
            zone_code=zone_a,
            location=point(at_m(500, 500)),
            radius_m=100,
            request_id="hs-1",
        )
    )
    # Thefts at the market at this hour of the week, for four weeks.
    now = datetime.now(DISTRICT_ZONE) - timedelta(minutes=30)
    for week in range(4):
        report = patrol_pb2.IncidentReport(
            source_system="command_centre",
            source_incident_id=f"110-{week}",
            occur_time=stamp_of(now - timedelta(days=7 * week)),
            location=point(at_m(510, 490)),
            category=patrol_pb2.INCIDENT_CATEGORY_THEFT,
        )
        await service.RecordIncident(patrol_pb2.RecordIncidentRequest(report=report))
    await leader.DefinePreventionRing(
        patrol_pb2.DefinePreventionRingRequest(
            name="城区外环",
            level=patrol_pb2.RING_LEVEL_OUTER,
            boundary=polygon(square(-500, -500, 5000)),
            request_id="r-1",
        )
    )
    await leader.RegisterCheckpoint(
        patrol_pb2.RegisterCheckpointRequest(
            name="G3 西出口卡口",
            kind=patrol_pb2.CHECKPOINT_KIND_CHECKPOINT,
            location=point(at_m(50, 50)),
            request_id="cp-1",
        )
    )
    return vehicle.vehicle.vehicle_id


async def test_the_patrol_commands_as_tables_and_json(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JINGWU_AUTH_SECRET", auth_secret)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)
    tracks = RecordedTracks()
    async with running(settings_for, district, auth_secret, kafka_bootstrap, tracks=tracks) as patrol:
        await patrol.learn_district()
        vehicle_id = await seed(patrol)
        yesterday = datetime.now(DISTRICT_ZONE).date() - timedelta(days=1)
        noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=DISTRICT_ZONE)
        tracks.tracks["d-1"] = straight(noon, metres=3000, speed_mps=10)

        async def jingwu(*args: str) -> tuple[int, str, str]:
            argv = ["--district", district, *args, "--patrol-addr", patrol.target]
            capfd.readouterr()
            code = await asyncio.to_thread(main, argv)
            captured = capfd.readouterr()
            return code, captured.out, captured.err

        code, out, _ = await jingwu("patrol", "hotspots")
        assert code == 0 and "热点时段推荐" in out and "汴河菜市场" in out and "盗窃 4" in out
        code, out, _ = await jingwu("patrol", "hotspots", "--json")
        ranking = json.loads(out)
        assert ranking["recommendations"][0]["case_count"] == 4 and "reason" in ranking["recommendations"][0]

        code, out, _ = await jingwu(
            "patrol", "plans", "--generate", "--zone", patrol.zone("020301"), "--top", "1"
        )
        assert code == 0 and "生成的巡逻计划" in out and "依据：" in out
        code, out, _ = await jingwu("patrol", "plans", "--json", "--vehicle", vehicle_id)
        (plan,) = json.loads(out)
        assert plan["source"] == "hotspot_recommendation" and plan["sections"][0]["required_minutes"] == 20

        code, out, _ = await jingwu("patrol", "evidence", "--compute", vehicle_id)
        assert code == 0 and "巡逻轨迹考核依据" in out and "3.0" in out
        code, out, _ = await jingwu("patrol", "evidence", "--json")
        (evidence,) = json.loads(out)
        assert evidence["vehicle_id"] == vehicle_id and evidence["officer_ids"] == ["o-1"]
        code, out, _ = await jingwu("patrol", "evidence", "--visibility")
        assert code == 0 and "见警率" in out

        code, out, _ = await jingwu("patrol", "rings")
        assert code == 0 and "城区外环" in out and "外圈" in out
        code, out, _ = await jingwu("patrol", "checkpoints", "--json")
        assert [c["name"] for c in json.loads(out)] == ["G3 西出口卡口"]
        code, out, _ = await jingwu("patrol", "joint-patrols", "--gaps")
        assert code == 0 and "v-a" in out and "v-b" in out and "v-b1" not in out

        code, _, err = await jingwu("patrol", "plans", "--generate", "--zone", "99999999")
        assert code == 2 and "zone_code" in err

"""`jingwu` against the real room registry and personnel services (in-process, real FerretDB + Kafka).

The tool runs through ``main([...])`` in a worker thread (its own event loop, like a shell would run it)
while the services serve on the test session's loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import grpc
import pytest
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2, personnel_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_cli.main import main
from jingwu_personnel.entrypoints.main import build_runtime as personnel_runtime
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import field_violations, refused, token_for
from jingwu_rooms.entrypoints.main import build_runtime as rooms_runtime
from rich.cells import cell_len

from conftest import started

pytestmark = pytest.mark.integration


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
async def rooms_port(settings_for: Callable[..., ServiceSettings], district: str) -> AsyncIterator[int]:
    async with started(rooms_runtime(settings_for("rooms", district))) as port:
        yield port


@pytest.fixture
async def personnel_port(settings_for: Callable[..., ServiceSettings], district: str) -> AsyncIterator[int]:
    runtime, _consumer = personnel_runtime(settings_for("personnel", district))
    async with started(runtime) as port:
        yield port


@pytest.fixture
def cli(
    rooms_port: int,
    personnel_port: int,
    district: str,
    auth_secret: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., object]:
    """Run `jingwu <args>` against this test's district; answers exit code, stdout, stderr."""
    monkeypatch.setenv("JINGWU_AUTH_SECRET", auth_secret)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)

    async def run(*args: str, district_code: str | None = None) -> Ran:
        argv = [
            "--district",
            district_code or district,
            "--rooms-addr",
            f"127.0.0.1:{rooms_port}",
            "--personnel-addr",
            f"127.0.0.1:{personnel_port}",
            *args,
        ]
        capfd.readouterr()
        code = await asyncio.to_thread(main, argv)
        captured = capfd.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


async def open_rooms(
    port: int, district: str, secret: str, channels: list[grpc.aio.Channel]
) -> list[rooms_pb2.Room]:
    channels.append(open_channel(f"127.0.0.1:{port}", token_for(secret, district, Role.DISTRICT_ADMIN)))
    stub = rooms_pb2_grpc.RoomRegistryServiceStub(channels[-1])
    specs = [
        ("汴河社区警务室", rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER, f"{district}020301", ""),
        ("张庄村警务室", rooms_pb2.ROOM_KIND_KEY_VILLAGE, f"{district}110201", ""),
        ("埇桥一号流动警务室", rooms_pb2.ROOM_KIND_MOBILE, f"{district}020302", "皖L·J0106警"),
    ]
    opened = []
    for index, (name, kind, zone, plate) in enumerate(specs):
        request = rooms_pb2.OpenRoomRequest(
            name=name,
            kind=kind,
            station_id="st-bianhe",
            zone_codes=[zone],
            location=common_pb2.GeoPoint(longitude=116.98 + index / 100, latitude=33.63),
            vehicle_plate=plate,
            request_id=f"cli-test-{index}",
        )
        opened.append((await stub.OpenRoom(request)).room)
    return opened


async def test_rooms_list_table_aligns_chinese_names(
    cli: Callable[..., object],
    rooms_port: int,
    district: str,
    auth_secret: str,
    channels: list[grpc.aio.Channel],
) -> None:
    await open_rooms(rooms_port, district, auth_secret, channels)
    ran = await cli("rooms", "list")  # type: ignore[misc]
    assert ran.code == 0, ran.err
    rows = [line for line in ran.out.splitlines() if "运行" in line]
    assert len(rows) == 3, ran.out
    assert {"汴河社区警务室", "张庄村警务室", "埇桥一号流动警务室"} <= {
        n for row in rows for n in row.split()
    }
    # Columns after the Chinese names start at the same display column in every row (CJK = 2 cells).
    for marker in ("运行", "st-bianhe"):
        assert len({cell_len(row[: row.index(marker)]) for row in rows}) == 1, ran.out
    assert "3 rooms" in ran.out


async def test_rooms_list_json_is_parseable(
    cli: Callable[..., object],
    rooms_port: int,
    district: str,
    auth_secret: str,
    channels: list[grpc.aio.Channel],
) -> None:
    opened = await open_rooms(rooms_port, district, auth_secret, channels)
    ran = await cli("rooms", "list", "--kind", "mobile", "--json")  # type: ignore[misc]
    assert ran.code == 0, ran.err
    records = json.loads(ran.out)
    assert [r["name"] for r in records] == ["埇桥一号流动警务室"]
    assert records[0]["room_id"] == opened[2].room_id
    assert records[0]["kind"] == "ROOM_KIND_MOBILE"
    shown = await cli("--json", "rooms", "show", opened[0].room_id)  # type: ignore[misc]
    assert json.loads(shown.out)["name"] == "汴河社区警务室"


async def test_invalid_argument_names_the_field_and_exits_2(
    cli: Callable[..., object],
    personnel_port: int,
    district: str,
    auth_secret: str,
    channels: list[grpc.aio.Channel],
) -> None:
    # ListRooms does not validate its zone filter (an unknown zone lists nothing); RankAssignmentCandidates
    # refuses a missing village with a field violation.
    ran = await cli("villages", "candidates", "")  # type: ignore[misc]
    assert ran.code == 2, (ran.out, ran.err)
    assert "personnel service rejected the request" in ran.err and "village_id: is required" in ran.err
    # The tool shows every field violation the service answers, as the service words it.
    channels.append(open_channel(f"127.0.0.1:{personnel_port}", token_for(auth_secret, district)))
    stub = personnel_pb2_grpc.PersonnelServiceStub(channels[-1])
    request = personnel_pb2.RankAssignmentCandidatesRequest(
        village_id="", role=personnel_pb2.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER
    )
    answered = field_violations(await refused(stub.RankAssignmentCandidates(request)))
    assert answered and all(f"{field}: {text}" in ran.err for field, text in answered.items())


async def test_credential_of_another_district_exits_3(cli: Callable[..., object], district: str) -> None:
    other = "99" if district != "99" else "98"
    ran = await cli("rooms", "list", district_code=other)  # type: ignore[misc]
    assert ran.code == 3
    assert f"district {other}" in ran.err and "JINGWU_AUTH_SECRET" in ran.err


async def test_unreachable_service_exits_4(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JINGWU_AUTH_SECRET", "x" * 32)
    code = await asyncio.to_thread(main, ["--rooms-addr", "127.0.0.1:1", "rooms", "list"])
    assert code == 4
    assert "rooms service not reachable at 127.0.0.1:1 — is `make run` running?" in capfd.readouterr().err


def test_bad_month_exits_2_before_any_rpc(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No credential and no service anywhere: the option is refused first.
    monkeypatch.delenv("JINGWU_AUTH_SECRET", raising=False)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)
    code = main(["--rooms-addr", "127.0.0.1:1", "worklog", "compliance", "--month", "2026-13"])
    assert code == 2
    err = capfd.readouterr().err
    assert "argument --month: invalid month '2026-13'" in err


def test_to_before_from_exits_2(capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["rooms", "rota-gaps", "r-1", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert code == 2
    assert "argument --to" in capfd.readouterr().err

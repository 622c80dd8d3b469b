"""The demo district that `make run` loads, seeded through the real services (each its own process):
the sizes the issue asks for, and every kind of finding present at least once."""

from __future__ import annotations

import pytest
from jingwu.personnel.v1 import personnel_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu_cli import labels
from jingwu_cli.client import Clients
from jingwu_cli.config import Credential, Target
from jingwu_cli.demo import SEED_CALL_TIMEOUT_S, seed
from jingwu_platform.auth import Role
from jingwu_platform.testing import token_for

from .conftest import StartService

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(900)  # the first seed of ~350 officers takes minutes on 2 cores (docs/benchmarks.md)
async def test_demo_district_has_every_finding(
    start_service: StartService, district: str, auth_secret: str
) -> None:
    rooms = start_service("rooms", district)
    personnel = start_service("personnel", district)
    token = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="demo-test")
    target = Target(
        district=district,
        rooms_addr=rooms.target,
        personnel_addr=personnel.target,
        credential=Credential(token=token, source="test"),
    )
    async with Clients(target, timeout_s=SEED_CALL_TIMEOUT_S) as clients:
        report = await seed(clients, auth_secret)

    assert not report.skipped, report.skipped
    counts = report.counts
    assert counts["stations"] >= 3
    assert counts["zones"] >= 30
    assert counts["administrative villages"] >= 50
    assert counts["officers and auxiliaries"] >= 200
    # Rooms of every kind (R-ROOM-1), as the room registry lists them.
    every_kind = {
        labels.room_kind(k) for k in rooms_pb2.RoomKind.values() if k != rooms_pb2.ROOM_KIND_UNSPECIFIED
    }
    assert set(report.rooms_by_kind) == every_kind
    assert report.rooms_by_kind[labels.room_kind(rooms_pb2.ROOM_KIND_MOBILE)] >= 2
    # Both coverage gaps (R-ROOM-4) and a rota gap (R-ROOM-6), from the room registry's queries.
    assert set(report.coverage_gaps) == {"must_build_village_without_room", "room_without_officer"}
    assert report.rota_gap_days
    # Every staffing-finding kind the contract defines is open in personnel (R-PER-2..9).
    every_finding = {
        labels.finding_kind(k)
        for k in personnel_pb2.StaffingFindingKind.values()
        if k != personnel_pb2.STAFFING_FINDING_KIND_UNSPECIFIED
    }
    assert every_finding <= set(report.findings_by_kind), every_finding - set(report.findings_by_kind)

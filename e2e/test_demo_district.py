"""The demo district that `make run` loads, seeded through the real services (each its own process):
the sizes the issue asks for, every kind of finding present at least once, and a summary that is the
settled state — read once both services answered GetStatus caught up twice in a row, so its figures are
exactly what the services answer afterwards (the first `make run` once printed 34 rooms without an
officer where `jingwu rooms coverage` said 4 a minute later)."""

from __future__ import annotations

from collections import Counter

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu_cli import labels
from jingwu_cli.caught_up import wait_caught_up
from jingwu_cli.client import Clients
from jingwu_cli.config import Credential, Target
from jingwu_cli.demo import SEED_CALL_TIMEOUT_S, seed
from jingwu_cli.directory import Directory
from jingwu_platform.auth import Role
from jingwu_platform.testing import token_for

from .conftest import StartService

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(900)  # the first seed on a busy 2-core machine (docs/benchmarks.md)
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
        # The services' own answers afterwards, once they are caught up again.
        await wait_caught_up({"rooms": rooms.target, "personnel": personnel.target}, token)
        coverage = await clients.call(
            "rooms", clients.rooms.GetCoverageReport, rooms_pb2.GetCoverageReportRequest()
        )
        listed = await Directory(clients).list_rooms()
        open_findings = await clients.call(
            "personnel",
            clients.personnel.ListStaffingFindings,
            personnel_pb2.ListStaffingFindingsRequest(
                status=personnel_pb2.STAFFING_FINDING_STATUS_OPEN,
                page=common_pb2.PageRequest(page_size=500),
            ),
        )
    assert report.timings["territory settled"] >= 0 and "staffing evaluation" in report.timings
    assert report.coverage_gaps == dict(Counter(g.finding for g in coverage.coverage_report.gaps))
    assert report.counts["rooms"] == len(listed)
    assert report.findings_by_kind == dict(
        Counter(labels.finding_kind(f.kind) for f in open_findings.staffing_findings)
    )

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

"""Staffing findings on the fakes (R-PER-2..5): raised while a breach lasts, resolved when it is gone,
re-measured when its numbers change, and evaluation requests that arrive while one runs sharing the next
run. (One open finding per breach however evaluations race is the repositories' contract.)"""

from __future__ import annotations

import asyncio

from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.domain.findings import STRUCTURAL_KINDS, FindingKind, FindingStatus
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import PostingDraft
from jingwu_personnel.domain.staffing import Snapshot
from jingwu_personnel.domain.territory import RoomKind, StationKind

from .fakes import LEADER, FakePersonnel, fake_personnel
from .samples import STATION


async def room_findings(personnel: FakePersonnel, status: FindingStatus | None) -> list[tuple[float, float]]:
    found, _ = await personnel.apps.staffing.list_findings(
        kind=FindingKind.ROOM_UNDERSTAFFED,
        status=status,
        station_id="",
        room_id="room-1",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    return sorted((f.condition.actual_value, f.condition.required_value) for f in found)


async def test_a_mobile_room_is_understaffed_until_it_has_its_officer_and_two_auxiliaries() -> None:
    # R-PER-2: mobile room = 1 full-time officer + 2 auxiliaries (policy); the finding is re-measured as
    # staff arrive and resolved when the standard is met.
    personnel = fake_personnel()
    await personnel.room("room-1", RoomKind.MOBILE)
    staffing = personnel.kit.policy.staffing
    assert await room_findings(personnel, FindingStatus.OPEN) == [
        (0, staffing.mobile_room_officers),
        (0, staffing.mobile_room_auxiliaries),
    ]
    (raised_officers, raised_auxiliaries) = personnel.outbox.of_type(events_pb2.StaffingFindingRaised)
    assert {raised_officers.finding.rule_id, raised_auxiliaries.finding.rule_id} == {"R-PER-2"}
    cop = await personnel.police("张警官")
    await personnel.apps.postings.post(
        PostingDraft(cop.officer_id, OfficerRole.COMMUNITY_OFFICER, room_id="room-1", full_time=True),
        caller=LEADER,
        request_id="",
    )
    aux = await personnel.auxiliary("刘辅警")
    await personnel.apps.postings.post(
        PostingDraft(aux.officer_id, OfficerRole.AUXILIARY, room_id="room-1"), caller=LEADER, request_id=""
    )
    assert await room_findings(personnel, FindingStatus.OPEN) == [(1, 2)]
    assert await room_findings(personnel, FindingStatus.RESOLVED) == [(0, 1)]
    (updated,) = personnel.outbox.of_type(events_pb2.StaffingFindingUpdated)
    assert (updated.finding.actual_value, updated.finding.required_value) == (1, 2)
    second = await personnel.auxiliary("李辅警")
    await personnel.apps.postings.post(
        PostingDraft(second.officer_id, OfficerRole.AUXILIARY, room_id="room-1"), caller=LEADER, request_id=""
    )
    assert await room_findings(personnel, FindingStatus.OPEN) == []
    resolved = personnel.outbox.of_type(events_pb2.StaffingFindingResolved)
    assert len(resolved) == 2 and all(r.finding.status == 2 for r in resolved)  # STATUS_RESOLVED


async def test_evaluating_again_changes_nothing() -> None:
    personnel = fake_personnel()
    await personnel.station(kind=StationKind.TOWNSHIP)
    await personnel.police("唯一民警")
    raised, resolved, open_count = await personnel.apps.staffing.evaluate(station_id=STATION, as_of=None)
    # R-PER-4: a township station needs 5 police officers; it was raised when he registered.
    assert (raised, resolved) == ([], [])
    assert open_count == 1
    found, _ = await personnel.apps.staffing.list_findings(
        kind=FindingKind.STATION_HEADCOUNT_LOW,
        status=FindingStatus.OPEN,
        station_id=STATION,
        room_id="",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    assert [(f.condition.actual_value, f.condition.required_value) for f in found] == [(1, 5)]


async def test_requests_that_arrive_while_an_evaluation_runs_share_the_next_one() -> None:
    # The coalescing of StaffingApplication.evaluate_structural: a burst costs two runs, not one each.
    personnel = fake_personnel()
    staffing = personnel.apps.staffing
    runs: list[frozenset[FindingKind]] = []
    gate = asyncio.Event()
    original = staffing.snapshot

    async def counted(kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> Snapshot:
        runs.append(kinds)
        await gate.wait()
        return await original(kinds)

    staffing.snapshot = counted  # type: ignore[method-assign]
    first = asyncio.create_task(
        staffing.evaluate_structural("first", frozenset({FindingKind.ROOM_UNDERSTAFFED}))
    )
    await asyncio.sleep(0)
    burst = [
        asyncio.create_task(staffing.evaluate_structural(f"burst-{n}", frozenset({kind})))
        for n, kind in enumerate((FindingKind.BLANK_VILLAGE, FindingKind.STATION_HEADCOUNT_LOW))
    ]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *burst)
    assert runs == [
        frozenset({FindingKind.ROOM_UNDERSTAFFED}),
        frozenset({FindingKind.BLANK_VILLAGE, FindingKind.STATION_HEADCOUNT_LOW}),
    ]

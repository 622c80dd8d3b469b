"""Following the registry on the fakes (R-ROOM-2, R-ORG-3, R-PER-4, R-PER-5): merged rooms' staff move
to the surviving room with history, closed rooms' postings end, a re-division moves postings or refuses
the event whole, a zone's measured population replaces the registry's figure. Event handlers translate
and check payloads first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.application.territory_changes import (
    RoomClosed,
    RoomsMerged,
    ZonePopulationChanged,
    ZonesRedivided,
)
from jingwu_personnel.domain.findings import FindingKind, FindingStatus
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import Posting, PostingDraft
from jingwu_personnel.domain.redivision import HandoverItem, ZoneRedivision
from jingwu_personnel.domain.territory import RoomStatus, ZoneView
from jingwu_platform.errors import RuleViolation

from .fakes import LEADER, FakePersonnel, fake_personnel
from .samples import STATION


async def post(personnel: FakePersonnel, officer_id: str, **draft: object) -> Posting:
    values: dict[str, object] = {"officer_id": officer_id, "role": OfficerRole.COMMUNITY_OFFICER, **draft}
    return await personnel.apps.postings.post(PostingDraft(**values), caller=LEADER, request_id="")  # type: ignore[arg-type]


async def current(personnel: FakePersonnel, **place: str) -> list[str]:
    postings, _ = await personnel.apps.postings.list_postings(
        station_id="",
        room_id=place.get("room_id", ""),
        zone_code=place.get("zone_code", ""),
        village_id="",
        role=None,
        current_only=True,
        page_size=0,
        page_token="",
    )
    return [p.officer_id for p in postings]


async def test_merged_rooms_staff_move_to_the_surviving_room_and_a_redelivery_changes_nothing() -> None:
    # R-ROOM-2: "zones and staff move to the surviving room"; R-PER-12: both postings in the history.
    personnel = fake_personnel()
    await personnel.room("room-m", zone="01050101")
    await personnel.room("room-s", zone="01050102")
    cop = await personnel.police("陈警官")
    first = await post(
        personnel, cop.officer_id, room_id="room-m", full_time=True, start_date=date(2025, 1, 1)
    )
    merge = personnel.registry_event("e-merge", "RoomsMerged")
    await personnel.territory(RoomsMerged(merge, "room-s", ("room-m",)))
    assert await current(personnel, room_id="room-s") == [cop.officer_id]
    history, tenure = await personnel.apps.postings.history(cop.officer_id)
    old, new = history
    assert (
        old.posting_id == first.posting_id and old.end_date == personnel.today and "merged" in old.end_reason
    )
    assert (new.room_id, new.start_date, new.full_time, new.open) == ("room-s", personnel.today, True, True)
    assert new.approval_reference == "jingwu.rooms.v1.RoomsMerged e-merge"
    assert tenure.urban_days == (personnel.today - date(2025, 1, 1)).days  # no gap, no double count
    merged = await personnel.repositories.rooms.get("room-m")
    survivor = await personnel.repositories.rooms.get("room-s")
    assert merged is not None and (merged.status, merged.merged_into_room_id) == (RoomStatus.MERGED, "room-s")
    assert survivor is not None and survivor.zone_codes == ("01050102", "01050101")
    events = len(personnel.outbox.events)
    await personnel.territory(RoomsMerged(merge, "room-s", ("room-m",)))  # re-delivered
    assert len((await personnel.apps.postings.history(cop.officer_id))[0]) == 2
    assert len(personnel.outbox.events) == events
    # A late RoomOpened of the merged room does not reopen it.
    await personnel.room("room-m")
    late = await personnel.repositories.rooms.get("room-m")
    assert late is not None and late.status is RoomStatus.MERGED


async def test_a_closed_rooms_postings_end_and_publish() -> None:
    personnel = fake_personnel()
    await personnel.room("room-1")
    cop = await personnel.police("赵警官")
    posting = await post(personnel, cop.officer_id, room_id="room-1")
    await personnel.territory(RoomClosed(personnel.registry_event("e-1", "RoomClosed"), "room-1", "拆迁"))
    assert await current(personnel, room_id="room-1") == []
    (ended,) = personnel.outbox.of_type(events_pb2.PostingEnded)
    assert ended.posting.posting_id == posting.posting_id
    assert ended.posting.end_reason == "room room-1 closed: 拆迁 (R-ROOM-2)"
    found, _ = await personnel.apps.staffing.list_findings(
        kind=FindingKind.ROOM_UNDERSTAFFED,
        status=FindingStatus.OPEN,
        station_id="",
        room_id="room-1",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    assert found == []  # a closed room needs no staff


async def test_a_redivision_moves_postings_and_villages_or_is_refused_whole() -> None:
    # R-ORG-3: every posting of a dissolved zone moves per the hand-over list; none is guessed.
    personnel = fake_personnel()
    old, north, south = "01060101", "01060111", "01060112"
    await personnel.zone(old, population=3000)
    await personnel.village("v-1", zone=old)
    cop = await personnel.police("冯警官")
    other = await personnel.police("褚警官")
    placed = await post(personnel, cop.officer_id, zone_code=old)
    lost = await post(personnel, other.officer_id, zone_code=old)
    _, liaison = await personnel.apps.villages.assign_liaison(
        "v-1", other.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    )
    handover = (HandoverItem("posting", placed.posting_id, old, south),)
    incomplete = ZoneRedivision("rd-1", frozenset({old}), (north, south), {}, handover)
    (refused,) = await personnel.territory(
        ZonesRedivided(personnel.registry_event("e-1", "ZonesRedivided"), incomplete)
    )
    assert refused.violation.rule_id == "R-ORG-3" and lost.posting_id in str(refused.violation)
    assert sorted(await current(personnel, zone_code=old)) == sorted(
        [cop.officer_id, other.officer_id, other.officer_id]
    )
    complete = ZoneRedivision(
        "rd-2",
        frozenset({old}),
        (north, south),
        {"v-1": north},
        (*handover, HandoverItem("posting", lost.posting_id, old, north)),
        (ZoneView(north, STATION, workload_population=9000), ZoneView(south, STATION)),
    )
    assert not await personnel.territory(
        ZonesRedivided(personnel.registry_event("e-2", "ZonesRedivided"), complete)
    )
    assert await current(personnel, zone_code=south) == [cop.officer_id]
    assert sorted(await current(personnel, zone_code=north)) == [other.officer_id, other.officer_id]
    village = await personnel.apps.villages.get("v-1")
    # The village moved with the community map, and keeps its liaison under his successor posting.
    assert village.village.zone_code == north and village.liaison_officer_id == other.officer_id
    assert village.liaison_posting_id != liaison.posting_id and village.liaison_since == liaison.start_date
    zone = await personnel.repositories.zones.get(old)
    assert zone is not None and zone.retired
    with pytest.raises(RuleViolation) as dissolved:
        await post(personnel, cop.officer_id, zone_code=old)
    assert dissolved.value.rule_id == "R-ORG-3"


async def test_the_newest_measured_population_decides_the_ratio() -> None:
    # R-PER-4: ~5,000 actual residents per community officer (policy); measurements come out of order.
    personnel = fake_personnel()
    per_officer = personnel.kit.policy.staffing.urban_residents_per_community_officer
    await personnel.zone("01050101", population=per_officer + 2300)
    cop = await personnel.police("钱警官")
    await post(personnel, cop.officer_id, zone_code="01050101")
    now = personnel.clock.now()
    await personnel.territory(ZonePopulationChanged("01050101", per_officer - 200, now))
    older = ZonePopulationChanged("01050101", per_officer + 9000, now - timedelta(days=1))
    await personnel.territory(older)
    zone = await personnel.repositories.zones.get("01050101")
    assert zone is not None and zone.actual_population == per_officer - 200
    found, _ = await personnel.apps.staffing.list_findings(
        kind=FindingKind.POPULATION_RATIO_EXCEEDED,
        status=FindingStatus.OPEN,
        station_id="",
        room_id="",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    assert found == []

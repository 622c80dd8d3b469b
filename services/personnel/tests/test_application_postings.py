"""Postings and tenure on the fakes (R-PER-3, R-PER-12, R-ROOM-2, R-ORG-3): posting an officer, moving a
full-time room officer, ending postings, the history with rural and urban days."""

from __future__ import annotations

from datetime import date

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.application.territory_changes import RoomClosed, ZonesRedivided
from jingwu_personnel.domain.findings import FindingKind, FindingStatus
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import Posting, PostingDraft
from jingwu_personnel.domain.redivision import ZoneRedivision
from jingwu_personnel.domain.territory import RoomKind, Setting, StationKind
from jingwu_platform.errors import NotFound, RuleViolation, ValidationFailed

from .fakes import LEADER, FakePersonnel, fake_personnel
from .samples import STATION, ZONE


async def post(
    personnel: FakePersonnel, officer_id: str, *, request_id: str = "", **draft: object
) -> Posting:
    values: dict[str, object] = {"officer_id": officer_id, "role": OfficerRole.COMMUNITY_OFFICER, **draft}
    return await personnel.apps.postings.post(PostingDraft(**values), caller=LEADER, request_id=request_id)  # type: ignore[arg-type]


async def open_findings(personnel: FakePersonnel, room_id: str) -> list[tuple[float, float]]:
    found, _ = await personnel.apps.staffing.list_findings(
        kind=FindingKind.ROOM_UNDERSTAFFED,
        status=FindingStatus.OPEN,
        station_id="",
        room_id=room_id,
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    return sorted((f.condition.actual_value, f.condition.required_value) for f in found)


async def test_posting_to_a_room_takes_its_station_zone_and_setting_and_staffs_it() -> None:
    # R-PER-2: the new room's officer finding resolves once a full-time officer is posted.
    personnel = fake_personnel()
    await personnel.station(kind=StationKind.URBAN)
    await personnel.room("room-1")
    assert await open_findings(personnel, "room-1") == [(0, 1), (0, 1)]
    cop = await personnel.police("张警官", station_id="")
    posted = await post(personnel, cop.officer_id, room_id="room-1", full_time=True, request_id="post-1")
    assert (posted.station_id, posted.zone_code, posted.setting) == (STATION, ZONE, Setting.URBAN)
    assert posted.start_date == personnel.today and posted.full_time
    assert await open_findings(personnel, "room-1") == [(0, 1)]  # the auxiliary is still missing
    # R-PER-12 history and the repeat of the request: the same posting, no second event.
    assert (
        await post(personnel, cop.officer_id, room_id="room-1", full_time=True, request_id="post-1") == posted
    )
    assert [p.posting.posting_id for p in personnel.outbox.of_type(events_pb2.OfficerPosted)] == [
        posted.posting_id
    ]


async def test_moving_a_full_time_room_officer_needs_an_approval_and_ends_his_room_posting() -> None:
    # R-PER-3
    personnel = fake_personnel()
    for room_id in ("room-a", "room-b"):
        await personnel.room(room_id)
    cop = await personnel.police("赵警官")
    first = await post(personnel, cop.officer_id, room_id="room-a", full_time=True)
    with pytest.raises(RuleViolation) as refused:
        await post(personnel, cop.officer_id, room_id="room-b", full_time=True)
    assert refused.value.rule_id == "R-PER-3"
    moved = await post(
        personnel, cop.officer_id, room_id="room-b", full_time=True, approval_reference="埇公政〔2026〕120号"
    )
    history = {p.posting_id: p for p in (await personnel.apps.postings.history(cop.officer_id))[0]}
    assert {pid: p.open for pid, p in history.items()} == {first.posting_id: False, moved.posting_id: True}
    assert history[first.posting_id].end_reason == "moved to room-b (R-PER-3)"
    assert history[first.posting_id].approval_reference == "埇公政〔2026〕120号"
    (ended,) = personnel.outbox.of_type(events_pb2.PostingEnded)
    assert ended.posting.posting_id == first.posting_id
    # Posting him where he already is changes nothing.
    assert await post(personnel, cop.officer_id, room_id="room-b", full_time=True) == moved


async def test_a_posting_needs_an_active_room_and_a_live_zone() -> None:
    personnel = fake_personnel()
    cop = await personnel.police("孙警官")
    with pytest.raises(NotFound):
        await post(personnel, cop.officer_id, room_id="room-unknown")
    await personnel.room("room-1")
    await personnel.territory(RoomClosed(personnel.registry_event("e-1", "RoomClosed"), "room-1", "拆迁"))
    with pytest.raises(RuleViolation) as closed:
        await post(personnel, cop.officer_id, room_id="room-1")
    assert closed.value.rule_id == "R-ROOM-2"
    await personnel.zone("01060101")
    await personnel.territory(
        ZonesRedivided(personnel.registry_event("e-2", "ZonesRedivided"), redivision("01060101", "01060111"))
    )
    with pytest.raises(RuleViolation) as dissolved:
        await post(personnel, cop.officer_id, zone_code="01060101")
    assert dissolved.value.rule_id == "R-ORG-3"
    with pytest.raises(ValidationFailed) as invalid:
        await post(personnel, cop.officer_id, zone_code="99060101", full_time=True)
    assert {v.field for v in invalid.value.violations} == {"zone_code", "full_time"}


def redivision(old: str, new: str) -> ZoneRedivision:
    return ZoneRedivision("rd-1", frozenset({old}), (new,), {})


async def test_ending_a_posting_keeps_the_history_and_counts_tenure_without_gaps() -> None:
    # R-PER-12: rural and urban days from the history; ≥ 2 rural years qualify for station leadership.
    personnel = fake_personnel()
    await personnel.station(kind=StationKind.TOWNSHIP)
    await personnel.room("room-rural", RoomKind.RURAL_LINKED_CLUSTER)
    await personnel.room("room-city", RoomKind.URBAN_HOME_STYLE)
    cop = await personnel.police("钱警官")
    rural = await post(personnel, cop.officer_id, room_id="room-rural", start_date=date(2023, 3, 1))
    city = await post(personnel, cop.officer_id, room_id="room-city", start_date=date(2025, 3, 1))
    with pytest.raises(ValidationFailed) as no_successor_here:
        await personnel.apps.postings.end(
            rural.posting_id,
            end_date=None,
            end_date_invalid=False,
            reason="",
            approval_reference="",
            successor_officer_id="o-x",
            caller=LEADER,
        )
    # R-PER-5: only a village's liaison or auxiliary posting names a successor.
    assert [v.field for v in no_successor_here.value.violations] == ["successor_officer_id"]
    ended, successor = await personnel.apps.postings.end(
        rural.posting_id,
        end_date=date(2025, 3, 1),
        end_date_invalid=False,
        reason="",
        approval_reference="",
        successor_officer_id="",
        caller=LEADER,
    )
    assert ended.end_date == date(2025, 3, 1) and ended.end_reason == "posting ended" and successor is None
    postings, tenure = await personnel.apps.postings.history(cop.officer_id)
    assert [p.posting_id for p in postings] == [rural.posting_id, city.posting_id]
    assert tenure.rural_days == (date(2025, 3, 1) - date(2023, 3, 1)).days
    assert tenure.urban_days == (personnel.today - date(2025, 3, 1)).days
    assert tenure.eligible_for_station_leadership  # 731 rural days ≥ 2 × 365
    with pytest.raises(RuleViolation) as again:
        await personnel.apps.postings.end(
            rural.posting_id,
            end_date=None,
            end_date_invalid=False,
            reason="",
            approval_reference="",
            successor_officer_id="",
            caller=LEADER,
        )
    assert again.value.rule_id == "R-PER-12"


async def test_lists_page_newest_first() -> None:
    personnel = fake_personnel()
    await personnel.room("room-1")
    made = [
        await post(personnel, (await personnel.police(f"警官{n}")).officer_id, room_id="room-1")
        for n in range(3)
    ]
    page, token = await personnel.apps.postings.list_postings(
        station_id="",
        room_id="room-1",
        zone_code="",
        village_id="",
        role=None,
        current_only=True,
        page_size=2,
        page_token="",
    )
    rest, last = await personnel.apps.postings.list_postings(
        station_id="",
        room_id="room-1",
        zone_code="",
        village_id="",
        role=None,
        current_only=True,
        page_size=2,
        page_token=token,
    )
    assert sorted(p.posting_id for p in page + rest) == sorted(p.posting_id for p in made) and last == ""
    assert [p.posting_id for p in page + rest] == sorted((p.posting_id for p in made), reverse=True)

"""Village assignments on the fakes (R-PER-5..7): one liaison officer and one resident auxiliary per
administrative village, replaced in one step, never from his own village, rotating; ranked candidates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.domain.candidates import CandidateReason
from jingwu_personnel.domain.findings import FindingKind, FindingStatus
from jingwu_personnel.domain.officers import Branch, OfficerRole
from jingwu_personnel.domain.postings import PostingDraft
from jingwu_personnel.domain.villages import VillageProfile, rotation_due
from jingwu_platform.errors import NotFound, RuleViolation
from jingwu_platform.policy import DistrictPolicy

from .fakes import LEADER, FakePersonnel, fake_personnel


async def open_kinds(personnel: FakePersonnel, village_id: str) -> list[FindingKind]:
    found, _ = await personnel.apps.staffing.list_findings(
        kind=None,
        status=FindingStatus.OPEN,
        station_id="",
        room_id="",
        village_id=village_id,
        officer_id="",
        page_size=0,
        page_token="",
    )
    return sorted(f.condition.kind for f in found)


async def test_a_village_without_liaison_is_blank_until_one_is_assigned_and_a_replacement_is_immediate() -> (
    None
):
    # R-PER-5: exactly one liaison officer; replacing him never leaves the village blank.
    personnel = fake_personnel()
    await personnel.village("v-1")
    assert await open_kinds(personnel, "v-1") == [
        FindingKind.BLANK_VILLAGE,
        FindingKind.VILLAGE_WITHOUT_AUXILIARY,
    ]
    first = await personnel.police("孙警官")
    second = await personnel.police("周警官")
    villages = personnel.apps.villages
    assignment, posting = await villages.assign_liaison(
        "v-1", first.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    )
    assert (
        assignment.liaison_officer_id == first.officer_id
        and assignment.liaison_posting_id == posting.posting_id
    )
    assert posting.role is OfficerRole.VILLAGE_LIAISON_OFFICER and posting.village_id == "v-1"
    assert await open_kinds(personnel, "v-1") == [FindingKind.VILLAGE_WITHOUT_AUXILIARY]
    # The same assignment again: nothing changes, nothing is published.
    events = len(personnel.outbox.events)
    assert await villages.assign_liaison(
        "v-1", first.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    ) == (
        assignment,
        posting,
    )
    assert len(personnel.outbox.events) == events
    personnel.clock.advance(days=10)
    handed, _ = await personnel.apps.postings.end(
        posting.posting_id,
        end_date=None,
        end_date_invalid=False,
        reason="轮岗",
        approval_reference="",
        successor_officer_id=second.officer_id,
        caller=LEADER,
    )
    assert handed.successor_officer_id == second.officer_id and handed.end_reason == "轮岗"
    now = await villages.get("v-1")
    assert now.liaison_officer_id == second.officer_id and now.liaison_since == personnel.today
    assert FindingKind.BLANK_VILLAGE not in await open_kinds(personnel, "v-1")
    assigned = personnel.outbox.of_type(events_pb2.LiaisonAssigned)
    assert [(e.officer_id, e.previous_officer_id) for e in assigned] == [
        (first.officer_id, ""),
        (second.officer_id, first.officer_id),
    ]


async def test_ending_the_liaisons_posting_without_successor_leaves_a_blank_village() -> None:
    personnel = fake_personnel()
    await personnel.village("v-1")
    cop = await personnel.police("孙警官")
    _, posting = await personnel.apps.villages.assign_liaison(
        "v-1", cop.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    )
    await personnel.apps.postings.end(
        posting.posting_id,
        end_date=None,
        end_date_invalid=False,
        reason="调任刑警大队",
        approval_reference="",
        successor_officer_id="",
        caller=LEADER,
    )
    assert (await personnel.apps.villages.get("v-1")).liaison is None
    assert FindingKind.BLANK_VILLAGE in await open_kinds(personnel, "v-1")


async def test_posting_as_a_villages_liaison_is_an_assignment() -> None:
    personnel = fake_personnel()
    await personnel.village("v-1")
    cop = await personnel.police("孙警官")
    draft = PostingDraft(cop.officer_id, OfficerRole.VILLAGE_LIAISON_OFFICER, village_id="v-1")
    posting = await personnel.apps.postings.post(draft, caller=LEADER, request_id="p-1")
    assert (await personnel.apps.villages.get("v-1")).liaison_posting_id == posting.posting_id


async def test_a_resident_auxiliary_comes_from_the_township_or_a_neighbour_never_his_own_village() -> None:
    # R-PER-7
    personnel = fake_personnel()
    await personnel.village("v-1")
    profile = VillageProfile("v-1", township="符离镇", neighbouring_townships=("朱仙庄镇",))
    await personnel.apps.villages.set_profile(profile, caller=LEADER)
    own = await personnel.auxiliary("本村辅警", home_village_id="v-1")
    far = await personnel.auxiliary("远乡辅警", home_township="灰古镇")
    near = await personnel.auxiliary("邻乡辅警", home_township="朱仙庄镇")
    for candidate in (own, far):
        with pytest.raises(RuleViolation) as refused:
            await personnel.apps.villages.assign_auxiliary(
                "v-1",
                candidate.officer_id,
                None,
                None,
                caller=LEADER,
                start_invalid=False,
                due_invalid=False,
                reason="",
            )
        assert refused.value.rule_id == "R-PER-7"
    ranked = await personnel.apps.villages.rank("v-1", OfficerRole.RESIDENT_AUXILIARY, 0)
    assert [c.officer.officer_id for c in ranked] == [near.officer_id]
    assert CandidateReason.NEIGHBOURING_TOWNSHIP in ranked[0].reasons
    assignment, _ = await personnel.apps.villages.assign_auxiliary(
        "v-1", near.officer_id, None, None, caller=LEADER, start_invalid=False, due_invalid=False, reason=""
    )
    due = rotation_due(personnel.today, personnel.kit.policy.work)
    assert assignment.auxiliary_id == near.officer_id and assignment.auxiliary_rotation_due == due
    (event,) = personnel.outbox.of_type(events_pb2.AuxiliaryAssigned)
    assert (event.rotation_due.year, event.rotation_due.month, event.rotation_due.day) == (
        due.year,
        due.month,
        due.day,
    )
    # R-PER-7 rotation: once due, re-assigning him is refused and the village shows it.
    personnel.clock.advance(days=(due - personnel.today).days)
    await personnel.apps.staffing.evaluate(station_id="", as_of=None)
    assert FindingKind.AUXILIARY_ROTATION_DUE in await open_kinds(personnel, "v-1")
    with pytest.raises(RuleViolation) as overstaying:
        await personnel.apps.villages.assign_auxiliary(
            "v-1",
            near.officer_id,
            personnel.today - timedelta(days=1),
            None,
            caller=LEADER,
            start_invalid=False,
            due_invalid=False,
            reason="",
        )
    assert overstaying.value.rule_id == "R-PER-7"


async def test_liaison_candidates_are_ranked_by_the_districts_r_per_6_points() -> None:
    village = "v-1"
    default = fake_personnel()
    branchy = fake_personnel(policy=DistrictPolicy.from_json('{"preferences": {"branch_match": 6}}'))
    for personnel in (default, branchy):
        await personnel.village(village)
        await personnel.apps.villages.set_profile(
            VillageProfile(village, township="符离镇", along_traffic_line=True), caller=LEADER
        )
        await personnel.police("本村民警", home_village_id=village)
        await personnel.police("交警", branch=Branch.TRAFFIC)
        await personnel.police("其他民警", branch=Branch.NARCOTICS)
    ranked = await default.apps.villages.rank(village, OfficerRole.VILLAGE_LIAISON_OFFICER, 2)
    assert [(c.officer.name, c.score) for c in ranked] == [("本村民警", 5.0), ("交警", 3.0)]
    assert ranked[1].terms == ((CandidateReason.TRAFFIC_LINE, 3.0),)
    reordered = await branchy.apps.villages.rank(village, OfficerRole.VILLAGE_LIAISON_OFFICER, 2)
    assert [c.officer.name for c in reordered] == ["交警", "本村民警"]


async def test_villages_list_the_incomplete_and_unknown_villages_are_not_found() -> None:
    personnel = fake_personnel()
    await personnel.village("v-1")
    await personnel.village("v-2")
    cop = await personnel.police("孙警官")
    aux = await personnel.auxiliary("辅警")
    await personnel.apps.villages.assign_liaison(
        "v-2", cop.officer_id, None, caller=LEADER, start_invalid=False, reason=""
    )
    await personnel.apps.villages.assign_auxiliary(
        "v-2",
        aux.officer_id,
        None,
        date(2027, 1, 1),
        caller=LEADER,
        start_invalid=False,
        due_invalid=False,
        reason="",
    )
    found, _ = await personnel.apps.villages.list_assignments(
        station_id="", zone_code="", incomplete_only=True, rotation_due_by=None, page_size=0, page_token=""
    )
    assert [a.village_id for a in found] == ["v-1"]
    due, _ = await personnel.apps.villages.list_assignments(
        station_id="",
        zone_code="",
        incomplete_only=False,
        rotation_due_by=date(2027, 1, 1),
        page_size=0,
        page_token="",
    )
    assert [a.village_id for a in due] == ["v-2"]
    with pytest.raises(NotFound):
        await personnel.apps.villages.get("v-404")
    with pytest.raises(NotFound):
        await personnel.apps.villages.set_profile(VillageProfile("v-404"), caller=LEADER)


async def test_a_successor_cannot_start_before_the_current_liaison_did() -> None:
    # R-PER-12: the history runs forwards; nothing is written when the dates would overlap backwards.
    personnel = fake_personnel()
    await personnel.village("v-1")
    first = await personnel.police("孙警官")
    second = await personnel.police("周警官")
    start = personnel.today - timedelta(days=10)
    await personnel.apps.villages.assign_liaison(
        "v-1", first.officer_id, start, caller=LEADER, start_invalid=False, reason=""
    )
    events = len(personnel.outbox.events)
    with pytest.raises(RuleViolation) as refused:
        await personnel.apps.villages.assign_liaison(
            "v-1", second.officer_id, start - timedelta(days=1), caller=LEADER, start_invalid=False, reason=""
        )
    assert refused.value.rule_id == "R-PER-12"
    assert len(personnel.outbox.events) == events
    assert (await personnel.apps.villages.get("v-1")).liaison_officer_id == first.officer_id

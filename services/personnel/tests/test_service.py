"""The personnel service through its real gRPC server, FerretDB and Kafka started by the test session:
every command is stored and published, the room registry's events (produced here exactly as the
registry publishes them) change staffing findings and postings, refusals carry field names or rule ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_personnel.domain.villages import rotation_due
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.mongo import district_database_name
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.testing import read_topic, wait_until
from pymongo import AsyncMongoClient

from .service_support import (
    Personnel,
    auxiliary_request,
    district_today,
    field_violations,
    findings,
    known,
    local,
    now_stamp,
    police_request,
    records_of,
    refused,
    register,
    room_known,
    room_opened,
    rule_of,
    typed,
    village_registered,
)

pytestmark = pytest.mark.integration


# --- officers (R-PER-1, R-POP-6) -------------------------------------------------------------------


async def test_registered_officer_is_stored_published_and_masked_unless_pii_reader(
    personnel: Personnel, mongo_url: str
) -> None:
    officer = await register(personnel.admin, police_request("王建国", request_id="reg-1"))
    assert officer.id_number == "341***********0417" and officer.phone == "139****1234"
    again = await register(personnel.admin, police_request("王建国", request_id="reg-1"))
    assert again.officer_id == officer.officer_id  # the same request registers once

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    database = client[district_database_name(personnel.district)]
    stored = await database["personnel.officers"].find_one({"_id": officer.officer_id})
    assert stored is not None and stored["id_number"] == "341302198803150417"

    topic = f"jingwu.{personnel.district}.personnel.v1"
    records = await records_of(personnel.kafka, topic, lambda rs: bool(typed(rs, "OfficerRegistered")))
    registered = typed(records, "OfficerRegistered")
    assert len(registered) == 1 and registered[0].key == officer.officer_id.encode()
    payload = personnel_events.OfficerRegistered.FromString(registered[0].value or b"")
    assert (
        payload.officer.name == "王建国" and payload.officer.id_number == "" and payload.officer.phone == ""
    )

    as_officer = await personnel.stub(Role.OFFICER).GetOfficer(
        pb.GetOfficerRequest(officer_id=officer.officer_id)
    )
    assert as_officer.officer.id_number == "341***********0417"
    reader = personnel.stub(Role.OFFICER, Role.PII_READER, subject="auditor-7")
    unmasked = await reader.GetOfficer(pb.GetOfficerRequest(officer_id=officer.officer_id))
    assert unmasked.officer.id_number == "341302198803150417" and unmasked.officer.phone == "13905571234"

    # R-POP-6: every unmasked read is audited, as a record and an event that never carries the numbers.
    records = await records_of(personnel.kafka, topic, lambda rs: bool(typed(rs, "OfficerDataReadUnmasked")))
    audit = typed(records, "OfficerDataReadUnmasked")
    assert len(audit) == 1 and audit[0].key == b"auditor-7"
    read = personnel_events.OfficerDataReadUnmasked.FromString(audit[0].value or b"")
    assert list(read.officer_ids) == [officer.officer_id] and list(read.fields) == ["id_number", "phone"]
    assert read.method == "jingwu.personnel.v1.PersonnelService/GetOfficer"
    assert b"341302198803150417" not in (audit[0].value or b"")
    assert await database["personnel.unmasked_reads"].count_documents({"reader_id": "auditor-7"}) == 1
    await client.close()


async def test_invalid_registration_names_each_bad_field(personnel: Personnel) -> None:
    bad = police_request(" ", roles=[pb.OFFICER_ROLE_POLICE, pb.OFFICER_ROLE_AUXILIARY], id_number="12")
    fields = field_violations(await refused(personnel.admin.RegisterOfficer(bad)))
    assert set(fields) == {"name", "roles", "id_number"}
    assert "R-PER-1" in fields["roles"]


async def test_an_officer_credential_may_not_register_and_unknown_officers_are_not_found(
    personnel: Personnel,
) -> None:
    error = await refused(personnel.stub(Role.OFFICER).RegisterOfficer(police_request("李四")))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await refused(personnel.admin.GetOfficer(pb.GetOfficerRequest(officer_id="nobody")))
    assert error.code() == grpc.StatusCode.NOT_FOUND


# --- rooms: R-PER-2, R-ROOM-2 ----------------------------------------------------------------------


async def test_opened_mobile_room_without_staff_is_a_finding_and_redelivery_changes_nothing(
    personnel: Personnel,
) -> None:
    admin, district = personnel.admin, personnel.district
    room_id = f"room-{uuid.uuid4().hex[:8]}"
    event = await personnel.publish(
        room_opened(district, room_id, rooms_pb2.ROOM_KIND_MOBILE, vehicle_plate="皖L·J0106"), key=room_id
    )
    await personnel.resend(event)  # as a relay that crashed after publishing would
    await wait_until(lambda: personnel.consumer.duplicates == 1, what="duplicate dropped")
    assert personnel.consumer.processed == 1

    found = await findings(admin, room_id=room_id)
    standard = DistrictPolicy().staffing
    assert sorted((f.kind, f.rule_id, f.actual_value, f.required_value) for f in found) == [
        (pb.STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED, "R-PER-2", 0, standard.mobile_room_officers),
        (pb.STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED, "R-PER-2", 0, standard.mobile_room_auxiliaries),
    ]
    topic = f"jingwu.{district}.personnel.v1"
    ids = {f.finding_id.encode() for f in found}
    records = await records_of(
        personnel.kafka, topic, lambda rs: {r.key for r in typed(rs, "StaffingFindingRaised")} >= ids
    )
    assert len([r for r in typed(records, "StaffingFindingRaised") if r.key in ids]) == 2

    # 1 full-time officer and 1 auxiliary: the officer finding resolves, the auxiliary one stays (1 of 2).
    cop = await register(admin, police_request("张警官"))
    aux = await register(admin, auxiliary_request("刘辅警"))
    await admin.PostOfficer(
        pb.PostOfficerRequest(
            officer_id=cop.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, room_id=room_id, full_time=True
        )
    )
    await admin.PostOfficer(
        pb.PostOfficerRequest(officer_id=aux.officer_id, role=pb.OFFICER_ROLE_AUXILIARY, room_id=room_id)
    )
    await personnel.settled()  # the postings' events judged (ChecksByEvents)
    still_open = await findings(admin, room_id=room_id, status=pb.STAFFING_FINDING_STATUS_OPEN)
    assert [(f.actual_value, f.required_value) for f in still_open] == [(1, standard.mobile_room_auxiliaries)]
    resolved = await findings(admin, room_id=room_id, status=pb.STAFFING_FINDING_STATUS_RESOLVED)
    assert [f.required_value for f in resolved] == [standard.mobile_room_officers]
    await records_of(
        personnel.kafka,
        topic,
        lambda rs: any(
            r.key == resolved[0].finding_id.encode() for r in typed(rs, "StaffingFindingResolved")
        ),
    )


async def test_merged_rooms_postings_move_to_the_surviving_room_with_history(personnel: Personnel) -> None:
    # R-ROOM-2: staff move to the surviving room; R-PER-12: the history keeps both postings.
    admin, district = personnel.admin, personnel.district
    merged_id, survivor_id = f"room-m-{uuid.uuid4().hex[:6]}", f"room-s-{uuid.uuid4().hex[:6]}"
    for room_id in (merged_id, survivor_id):
        await personnel.publish(
            room_opened(district, room_id, rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE), key=room_id
        )
    cop = await register(admin, police_request("陈警官"))
    start = date(2025, 1, 1)
    await known(
        personnel,
        lambda: admin.PostOfficer(
            pb.PostOfficerRequest(
                officer_id=cop.officer_id,
                role=pb.OFFICER_ROLE_COMMUNITY_OFFICER,
                room_id=merged_id,
                full_time=True,
                start_date=local(start),
            )
        ),
        "merged room known",
    )
    merge = room_events.RoomsMerged(
        district_code=district,
        surviving_room_id=survivor_id,
        merged_room_ids=[merged_id],
        reason="51 → 32",
        occur_time=now_stamp(),
    )
    event = await personnel.publish(merge, key=survivor_id)

    async def moved() -> bool:
        reply = await admin.ListPostings(pb.ListPostingsRequest(room_id=survivor_id, current_only=True))
        return [p.officer_id for p in reply.postings] == [cop.officer_id]

    await wait_until(moved, what="posting moved to the surviving room")
    history = await admin.GetPostingHistory(pb.GetPostingHistoryRequest(officer_id=cop.officer_id))
    first, second = history.postings
    assert first.room_id == merged_id and "merged" in first.end_reason and first.HasField("end_date")
    assert second.room_id == survivor_id and not second.HasField("end_date") and second.full_time
    assert (second.start_date.year, second.start_date.month, second.start_date.day) == (
        first.end_date.year,
        first.end_date.month,
        first.end_date.day,
    )
    assert history.tenure.urban_days == (district_today() - start).days  # no gap, no double count
    await personnel.settled()
    assert await findings(admin, room_id=merged_id, status=pb.STAFFING_FINDING_STATUS_OPEN) == []

    processed = personnel.consumer.processed  # the registry's events and personnel's own
    await personnel.resend(event)
    await wait_until(lambda: personnel.consumer.duplicates >= 1, what="re-delivered merge dropped")
    again = await admin.GetPostingHistory(pb.GetPostingHistoryRequest(officer_id=cop.officer_id))
    assert len(again.postings) == 2 and personnel.consumer.processed == processed


async def test_moving_a_full_time_room_officer_needs_an_approval(personnel: Personnel) -> None:
    # R-PER-3
    admin, district = personnel.admin, personnel.district
    room_a, room_b = f"room-a-{uuid.uuid4().hex[:6]}", f"room-b-{uuid.uuid4().hex[:6]}"
    for room_id in (room_a, room_b):
        await personnel.publish(
            room_opened(district, room_id, rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE), key=room_id
        )
    cop = await register(admin, police_request("赵警官"))

    def post(room_id: str, approval: str = "") -> pb.PostOfficerRequest:
        return pb.PostOfficerRequest(
            officer_id=cop.officer_id,
            role=pb.OFFICER_ROLE_COMMUNITY_OFFICER,
            room_id=room_id,
            full_time=True,
            approval_reference=approval,
        )

    await room_known(personnel, room_a)
    await room_known(personnel, room_b)
    await admin.PostOfficer(post(room_a))
    error = await refused(admin.PostOfficer(post(room_b)))
    assert rule_of(error) == "R-PER-3"
    moved = await admin.PostOfficer(post(room_b, approval="埇公政〔2026〕120号"))
    assert moved.posting.room_id == room_b
    current = await admin.ListPostings(pb.ListPostingsRequest(room_id=room_a, current_only=True))
    assert list(current.postings) == []


# --- villages: R-PER-5..7 --------------------------------------------------------------------------


async def test_reposting_a_liaison_leaves_a_blank_village_until_a_replacement(personnel: Personnel) -> None:
    # R-PER-5: exactly one liaison officer per administrative village; no blank village.
    admin, district = personnel.admin, personnel.district
    village_id = f"v-{uuid.uuid4().hex[:8]}"
    await personnel.publish(village_registered(district, village_id), key=village_id)
    await known(
        personnel,
        lambda: admin.GetVillageAssignment(pb.GetVillageAssignmentRequest(village_id=village_id)),
        "village",
    )
    blank = pb.STAFFING_FINDING_KIND_BLANK_VILLAGE
    open_ = pb.STAFFING_FINDING_STATUS_OPEN
    assert len(await findings(admin, village_id=village_id, kind=blank, status=open_)) == 1

    first = await register(admin, police_request("孙警官"))
    second = await register(admin, police_request("周警官"))
    assigned = await admin.AssignLiaisonOfficer(
        pb.AssignLiaisonOfficerRequest(village_id=village_id, officer_id=first.officer_id)
    )
    assert assigned.village_assignment.liaison_officer_id == first.officer_id
    await personnel.settled()
    assert await findings(admin, village_id=village_id, kind=blank, status=open_) == []

    await admin.EndPosting(
        pb.EndPostingRequest(posting_id=assigned.village_assignment.liaison_posting_id, reason="调任刑警大队")
    )
    await personnel.settled()
    blank_again = await findings(admin, village_id=village_id, kind=blank, status=open_)
    assert [f.rule_id for f in blank_again] == ["R-PER-5"]
    view = await admin.GetVillageAssignment(pb.GetVillageAssignmentRequest(village_id=village_id))
    assert view.village_assignment.liaison_officer_id == ""

    replaced = await admin.AssignLiaisonOfficer(
        pb.AssignLiaisonOfficerRequest(village_id=village_id, officer_id=second.officer_id)
    )
    await personnel.settled()
    assert await findings(admin, village_id=village_id, kind=blank, status=open_) == []
    # Re-posting with a successor in the same step never leaves the village blank.
    handed = await admin.EndPosting(
        pb.EndPostingRequest(
            posting_id=replaced.village_assignment.liaison_posting_id,
            reason="轮岗",
            successor_officer_id=first.officer_id,
        )
    )
    assert handed.successor_posting.officer_id == first.officer_id
    assert handed.posting.successor_officer_id == first.officer_id
    await personnel.settled()
    assert await findings(admin, village_id=village_id, kind=blank, status=open_) == []

    topic = f"jingwu.{district}.personnel.v1"
    records = await records_of(
        personnel.kafka,
        topic,
        # Events of different collections are relayed in no fixed order: wait for both kinds.
        lambda rs: (
            len([r for r in typed(rs, "LiaisonAssigned") if r.key == village_id.encode()]) == 3
            and len(typed(rs, "PostingEnded")) >= 2
        ),
    )
    assert len(typed(records, "PostingEnded")) >= 2


async def test_resident_auxiliary_from_his_own_village_or_a_far_township_is_refused(
    personnel: Personnel,
) -> None:
    # R-PER-7: same or neighbouring township, never his own village.
    admin, district = personnel.admin, personnel.district
    village_id = f"v-{uuid.uuid4().hex[:8]}"
    await personnel.publish(village_registered(district, village_id), key=village_id)
    profile = pb.VillageProfile(village_id=village_id, township="符离镇", neighbouring_townships=["朱仙庄镇"])
    await known(
        personnel, lambda: admin.SetVillageProfile(pb.SetVillageProfileRequest(village_profile=profile)), "v"
    )

    own = await register(admin, auxiliary_request("本村辅警", home_village_id=village_id))
    far = await register(admin, auxiliary_request("远乡辅警", home_township="灰古镇"))
    near = await register(admin, auxiliary_request("邻乡辅警", home_township="朱仙庄镇"))
    for candidate in (own, far):
        error = await refused(
            admin.AssignResidentAuxiliary(
                pb.AssignResidentAuxiliaryRequest(village_id=village_id, officer_id=candidate.officer_id)
            )
        )
        assert rule_of(error) == "R-PER-7"

    ranked = await admin.RankAssignmentCandidates(
        pb.RankAssignmentCandidatesRequest(village_id=village_id, role=pb.OFFICER_ROLE_RESIDENT_AUXILIARY)
    )
    names = [c.officer_id for c in ranked.candidates]
    assert near.officer_id in names and own.officer_id not in names and far.officer_id not in names
    near_candidate = next(c for c in ranked.candidates if c.officer_id == near.officer_id)
    assert pb.CANDIDATE_REASON_NEIGHBOURING_TOWNSHIP in near_candidate.reasons

    start = district_today()
    done = await admin.AssignResidentAuxiliary(
        pb.AssignResidentAuxiliaryRequest(
            village_id=village_id, officer_id=near.officer_id, start_date=local(start)
        )
    )
    assignment = done.village_assignment
    assert assignment.resident_auxiliary_id == near.officer_id
    due = rotation_due(start, DistrictPolicy().work)
    assert (assignment.auxiliary_rotation_due.year, assignment.auxiliary_rotation_due.month) == (
        due.year,
        due.month,
    )


async def test_rank_liaison_candidates_explains_the_r_per_6_preferences(personnel: Personnel) -> None:
    admin, district = personnel.admin, personnel.district
    village_id = f"v-{uuid.uuid4().hex[:8]}"
    await personnel.publish(village_registered(district, village_id), key=village_id)
    profile = pb.VillageProfile(village_id=village_id, township="符离镇", along_traffic_line=True)
    await known(
        personnel, lambda: admin.SetVillageProfile(pb.SetVillageProfileRequest(village_profile=profile)), "v"
    )
    home = await register(admin, police_request("本村民警", home_village_id=village_id))
    traffic = await register(admin, police_request("交警", branch=pb.BRANCH_TRAFFIC))
    await register(admin, police_request("其他民警", branch=pb.BRANCH_NARCOTICS))
    reply = await admin.RankAssignmentCandidates(
        pb.RankAssignmentCandidatesRequest(
            village_id=village_id, role=pb.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER
        )
    )
    top = reply.candidates[:2]
    assert [c.officer_id for c in top] == [home.officer_id, traffic.officer_id]
    assert list(top[0].reasons) == [pb.CANDIDATE_REASON_HOME_VILLAGE]
    assert [(t.reason, t.points) for t in top[1].score_terms] == [
        (pb.CANDIDATE_REASON_TRAFFIC_LINE, top[1].score)
    ]
    error = await refused(
        admin.RankAssignmentCandidates(
            pb.RankAssignmentCandidatesRequest(village_id="", role=pb.OFFICER_ROLE_POLICE)
        )
    )
    assert set(field_violations(error)) == {"village_id", "role"}


# --- logs: R-PER-8..10 -----------------------------------------------------------------------------


async def test_a_month_with_one_village_day_is_a_finding_until_a_late_log_completes_it(
    personnel: Personnel,
) -> None:
    # R-PER-8: ≥ 2 village days a month; a late log (handheld offline) resolves the finding.
    admin, district = personnel.admin, personnel.district
    village_id = f"v-{uuid.uuid4().hex[:8]}"
    await personnel.publish(village_registered(district, village_id), key=village_id)
    await known(
        personnel,
        lambda: admin.GetVillageAssignment(pb.GetVillageAssignmentRequest(village_id=village_id)),
        "village",
    )
    cop = await register(admin, police_request("吴警官"))
    this_month = district_today().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    await admin.AssignLiaisonOfficer(
        pb.AssignLiaisonOfficerRequest(
            village_id=village_id,
            officer_id=cop.officer_id,
            start_date=local((last_month - timedelta(days=1)).replace(day=1)),
        )
    )
    officer = personnel.stub(Role.OFFICER, subject=cop.officer_id)

    def visit(day: int) -> pb.LogVisitRequest:
        start = datetime(last_month.year, last_month.month, day, 9, tzinfo=DISTRICT_ZONE)
        return pb.LogVisitRequest(
            kind=pb.VISIT_LOG_KIND_VILLAGE_VISIT,
            village_id=village_id,
            start_time=now_stamp(start),
            end_time=now_stamp(start + timedelta(hours=3)),
            six_roles=[pb.SIX_ROLE_MEDIATOR],
            six_does=[pb.SIX_DO_DISPUTE_RESOLUTION],
            household_visits=[pb.HouseholdVisit(house_id="h-1", asks=[pb.SIX_ASK_SECURITY])],
            request_id=f"visit-{day}",
        )

    logged = await officer.LogVisit(visit(3))
    again = await officer.LogVisit(visit(3))  # a handheld retrying its upload
    assert again.visit_log.log_id == logged.visit_log.log_id
    evaluated = await admin.EvaluateStaffing(pb.EvaluateStaffingRequest(as_of=local(this_month)))
    short = [f for f in evaluated.raised if f.kind == pb.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT]
    required = DistrictPolicy().work.liaison_village_days_per_month
    assert [(f.officer_id, f.rule_id, f.actual_value, f.required_value) for f in short] == [
        (cop.officer_id, "R-PER-8", 1, required)
    ]
    repeat = await admin.EvaluateStaffing(pb.EvaluateStaffingRequest(as_of=local(this_month)))
    assert not [f for f in repeat.raised if f.kind == pb.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT]

    await officer.LogVisit(visit(17))
    finding = await admin.GetStaffingFinding(pb.GetStaffingFindingRequest(finding_id=short[0].finding_id))
    assert finding.staffing_finding.status == pb.STAFFING_FINDING_STATUS_RESOLVED
    summary = await admin.GetWorkSummary(
        pb.GetWorkSummaryRequest(
            officer_id=cop.officer_id,
            period=common_pb2.DateRange(start=local(last_month), end=local(this_month - timedelta(days=1))),
        )
    )
    assert [(d.days_present, d.required_days) for d in summary.work_summary.village_days] == [(2, required)]
    assert summary.work_summary.household_count == 2


async def test_bad_logs_name_their_fields(personnel: Personnel) -> None:
    admin = personnel.admin
    cop = await register(admin, police_request("郑警官"))
    officer = personnel.stub(Role.OFFICER, subject=cop.officer_id)
    start = datetime.now(UTC) - timedelta(hours=2)
    bad = pb.LogVisitRequest(
        kind=pb.VISIT_LOG_KIND_COMMUNITY_WORK,
        start_time=now_stamp(start),
        end_time=now_stamp(start - timedelta(hours=1)),
        six_does=[pb.SIX_DO_UNSPECIFIED],
    )
    assert set(field_violations(await refused(officer.LogVisit(bad)))) == {
        "end_time",
        "zone_code",
        "six_does[0]",
    }


# --- zones: R-PER-4, R-ORG-3 -----------------------------------------------------------------------


async def test_zone_population_from_registry_and_population_events(personnel: Personnel) -> None:
    # R-PER-4: an urban community officer covers ~5,000 actual residents (policy).
    admin, district = personnel.admin, personnel.district
    zone_code = f"{district}0{uuid.uuid4().int % 10_000_000:07d}"[:8]
    per_officer = DistrictPolicy().staffing.urban_residents_per_community_officer
    zone = rooms_pb2.Zone(
        zone_code=zone_code,
        station_id="st-fuli",
        community_ids=["c-1"],
        workload=rooms_pb2.ZoneWorkload(actual_population=per_officer + 2300),
    )
    await personnel.publish(room_events.ZoneCreated(district_code=district, zone=zone), key=zone_code)
    cop = await register(admin, police_request("钱警官"))
    ratio = pb.STAFFING_FINDING_KIND_POPULATION_RATIO_EXCEEDED

    async def finding_open() -> bool:
        return len(await findings(admin, kind=ratio, status=pb.STAFFING_FINDING_STATUS_OPEN)) == 1

    await wait_until(finding_open, what="ratio finding for the new zone")
    await admin.PostOfficer(
        pb.PostOfficerRequest(
            officer_id=cop.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, zone_code=zone_code
        )
    )
    await personnel.settled()
    (still,) = await findings(admin, kind=ratio, status=pb.STAFFING_FINDING_STATUS_OPEN)
    assert (still.zone_code, still.actual_value, still.required_value) == (
        zone_code,
        per_officer + 2300,
        per_officer,
    )

    measured = population_events.ZonePopulationChanged(
        district_code=district,
        zone_population=population_pb2.ZonePopulation(
            zone_code=zone_code, actual_population=per_officer - 200, as_of_time=now_stamp()
        ),
    )
    await personnel.publish(measured, key=zone_code, domain="population")

    async def resolved() -> bool:
        return await findings(admin, kind=ratio, status=pb.STAFFING_FINDING_STATUS_OPEN) == []

    await wait_until(resolved, what="measured population resolves the finding")


async def test_zone_redivision_moves_postings_or_refuses_the_event(personnel: Personnel) -> None:
    # R-ORG-3: every posting of a dissolved zone moves per the hand-over list; none is guessed.
    admin, district = personnel.admin, personnel.district
    old, north, south = f"{district}060101", f"{district}060111", f"{district}060112"
    cop = await register(admin, police_request("冯警官"))
    other = await register(admin, police_request("褚警官"))
    placed = await admin.PostOfficer(
        pb.PostOfficerRequest(
            officer_id=cop.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, zone_code=old
        )
    )
    lost = await admin.PostOfficer(
        pb.PostOfficerRequest(
            officer_id=other.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, zone_code=old
        )
    )
    incomplete = room_events.ZonesRedivided(
        district_code=district,
        redivision_id="rd-1",
        from_zone_codes=[old],
        to_zone_codes=[north, south],
        handover=[
            rooms_pb2.HandoverItem(
                record_type="posting", record_id=placed.posting.posting_id, to_zone_code=south
            )
        ],
    )
    await personnel.publish(incomplete, key="rd-1")
    dlq = await read_topic(
        personnel.kafka, f"jingwu.{district}.personnel.dlq.v1", until=lambda rs: len(rs) >= 1
    )
    assert (
        lost.posting.posting_id in dlq[0].headers["dlq_reason"] and "R-ORG-3" in dlq[0].headers["dlq_reason"]
    )
    unchanged = await admin.ListPostings(pb.ListPostingsRequest(zone_code=old, current_only=True))
    assert len(unchanged.postings) == 2  # refused whole: nothing moved

    complete = room_events.ZonesRedivided(
        district_code=district,
        redivision_id="rd-2",
        from_zone_codes=[old],
        to_zone_codes=[north, south],
        handover=[
            rooms_pb2.HandoverItem(
                record_type="posting", record_id=placed.posting.posting_id, to_zone_code=south
            ),
            rooms_pb2.HandoverItem(
                record_type="posting", record_id=lost.posting.posting_id, to_zone_code=north
            ),
        ],
        new_zones=[
            rooms_pb2.Zone(
                zone_code=north, station_id="st-fuli", workload=rooms_pb2.ZoneWorkload(actual_population=9000)
            ),
            rooms_pb2.Zone(zone_code=south, station_id="st-fuli"),
        ],
    )
    await personnel.publish(complete, key="rd-2")

    async def moved() -> bool:
        reply = await admin.ListPostings(pb.ListPostingsRequest(zone_code=south, current_only=True))
        return [p.officer_id for p in reply.postings] == [cop.officer_id]

    await wait_until(moved, what="postings re-homed")
    north_now = await admin.ListPostings(pb.ListPostingsRequest(zone_code=north, current_only=True))
    assert [p.officer_id for p in north_now.postings] == [other.officer_id]
    # The new zones' workload came with the event: 9,000 residents need two community officers (R-PER-4).
    await personnel.settled()
    (crowded,) = await findings(
        admin, kind=pb.STAFFING_FINDING_KIND_POPULATION_RATIO_EXCEEDED, status=pb.STAFFING_FINDING_STATUS_OPEN
    )
    assert (crowded.zone_code, crowded.actual_value) == (north, 9000)
    error = await refused(
        admin.PostOfficer(
            pb.PostOfficerRequest(
                officer_id=cop.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, zone_code=old
            )
        )
    )
    assert rule_of(error) == "R-ORG-3"


# --- assessment: R-PER-11, R-PER-13 ----------------------------------------------------------------


async def test_assessment_is_computed_ranked_published_and_then_final(personnel: Personnel) -> None:
    admin, district = personnel.admin, personnel.district
    good = await register(admin, police_request("优秀民警"))
    weak = await register(admin, police_request("一般民警"))
    last_month = (district_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    period = pb.AssessmentPeriod(kind=pb.PERIOD_KIND_MONTHLY, year=last_month.year, index=last_month.month)
    for officer, score in ((good, 95.0), (weak, 70.0)):
        await personnel.leader.SubmitRating(
            pb.SubmitRatingRequest(
                officer_id=officer.officer_id, period=period, source=pb.RATING_SOURCE_LEADER, score=score
            )
        )
    await personnel.leader.RecordConduct(
        pb.RecordConductRequest(
            officer_id=weak.officer_id,
            rule=pb.CONDUCT_RULE_FOUR_NOS,
            occur_date=local(last_month + timedelta(days=4)),
            description="工作日饮酒",
        )
    )
    computed = await admin.ComputeAssessments(pb.ComputeAssessmentsRequest(period=period))
    totals = {a.officer_id: (a.total_score, a.district_rank) for a in computed.assessments}
    deduction = DistrictPolicy().assessment.conduct_deductions.four_nos  # R-PER-13
    assert totals == {good.officer_id: (95.0, 1), weak.officer_id: (70.0 - deduction, 2)}

    published = await personnel.leader.PublishAssessments(pb.PublishAssessmentsRequest(period=period))
    assert published.published_count == 2
    ranking = await admin.ListRankings(pb.ListRankingsRequest(period=period, station_id="st-fuli"))
    assert [(e.rank, e.officer_id) for e in ranking.entries] == [(1, good.officer_id), (2, weak.officer_id)]
    one = await admin.GetAssessment(pb.GetAssessmentRequest(officer_id=good.officer_id, period=period))
    assert one.assessment.status == pb.ASSESSMENT_STATUS_PUBLISHED

    topic = f"jingwu.{district}.personnel.v1"
    records = await records_of(personnel.kafka, topic, lambda rs: len(typed(rs, "AssessmentPublished")) == 2)
    assert {r.key for r in typed(records, "AssessmentPublished")} == {
        good.officer_id.encode(),
        weak.officer_id.encode(),
    }
    assert (
        rule_of(await refused(admin.ComputeAssessments(pb.ComputeAssessmentsRequest(period=period))))
        == "R-PER-11"
    )
    as_officer = personnel.stub(Role.OFFICER, subject=good.officer_id)
    error = await refused(
        as_officer.SubmitRating(
            pb.SubmitRatingRequest(
                officer_id=good.officer_id, period=period, source=pb.RATING_SOURCE_LEADER, score=100
            )
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_update_list_and_deactivate_an_officer(personnel: Personnel) -> None:
    # R-PER-1 profile changes; leaving the force ends every posting and leaves his village blank (R-PER-5).
    admin, district = personnel.admin, personnel.district
    village_id = f"v-{uuid.uuid4().hex[:8]}"
    await personnel.publish(village_registered(district, village_id), key=village_id)
    await known(
        personnel,
        lambda: admin.GetVillageAssignment(pb.GetVillageAssignmentRequest(village_id=village_id)),
        "village",
    )
    cop = await register(admin, police_request("卫警官"))
    await admin.AssignLiaisonOfficer(
        pb.AssignLiaisonOfficerRequest(village_id=village_id, officer_id=cop.officer_id)
    )

    update = pb.UpdateOfficerRequest(
        officer=pb.Officer(officer_id=cop.officer_id, branch=pb.BRANCH_TRAFFIC, name="不应改变"),
        update_mask=field_mask_pb2.FieldMask(paths=["branch"]),
    )
    updated = (await admin.UpdateOfficer(update)).officer
    assert updated.branch == pb.BRANCH_TRAFFIC and updated.name == "卫警官"
    bad_mask = pb.UpdateOfficerRequest(
        officer=pb.Officer(officer_id=cop.officer_id), update_mask=field_mask_pb2.FieldMask(paths=["status"])
    )
    assert set(field_violations(await refused(admin.UpdateOfficer(bad_mask)))) == {"update_mask.paths[0]"}

    listed = await admin.ListOfficers(pb.ListOfficersRequest(village_id=village_id))
    assert [o.officer_id for o in listed.officers] == [cop.officer_id]
    assert listed.officers[0].id_number == "341***********0417"
    complete = await admin.ListVillageAssignments(pb.ListVillageAssignmentsRequest(incomplete_only=True))
    assert village_id in [a.village_id for a in complete.village_assignments]  # no auxiliary yet

    reply = await admin.DeactivateOfficer(
        pb.DeactivateOfficerRequest(officer_id=cop.officer_id, reason="退休")
    )
    assert reply.officer.status == pb.OFFICER_STATUS_INACTIVE
    assert [p.village_id for p in reply.ended_postings] == [village_id]
    await personnel.settled()
    blank = await findings(
        admin,
        village_id=village_id,
        kind=pb.STAFFING_FINDING_KIND_BLANK_VILLAGE,
        status=pb.STAFFING_FINDING_STATUS_OPEN,
    )
    assert len(blank) == 1
    error = await refused(
        admin.AssignLiaisonOfficer(
            pb.AssignLiaisonOfficerRequest(village_id=village_id, officer_id=cop.officer_id)
        )
    )
    assert rule_of(error) == "R-PER-1"
    topic = f"jingwu.{district}.personnel.v1"
    records = await records_of(personnel.kafka, topic, lambda rs: bool(typed(rs, "OfficerDeactivated")))
    assert typed(records, "OfficerDeactivated")[0].key == cop.officer_id.encode()


async def test_leaders_audit_logs_and_record_conduct(personnel: Personnel) -> None:
    # R-PER-11 log audits by leaders; R-PER-13 conduct records.
    admin = personnel.admin
    cop = await register(admin, police_request("蒋警官"))
    officer = personnel.stub(Role.OFFICER, subject=cop.officer_id)
    start = datetime.now(UTC) - timedelta(hours=5)
    logged = await officer.LogVisit(
        pb.LogVisitRequest(
            kind=pb.VISIT_LOG_KIND_COMMUNITY_WORK,
            zone_code=f"{personnel.district}020301",
            start_time=now_stamp(start),
            end_time=now_stamp(start + timedelta(hours=4)),
            information_record_ids=["info-1"],
        )
    )
    log_id = logged.visit_log.log_id
    review = pb.ReviewVisitLogRequest(log_id=log_id, result=pb.LOG_REVIEW_RESULT_APPROVED, note="内容翔实")
    assert (await refused(officer.ReviewVisitLog(review))).code() == grpc.StatusCode.PERMISSION_DENIED
    own = personnel.stub(Role.SUPERVISOR, subject=cop.officer_id)
    assert rule_of(await refused(own.ReviewVisitLog(review))) == "R-PER-11"  # nobody audits his own log
    reviewed = await personnel.leader.ReviewVisitLog(review)
    assert reviewed.visit_log.review_result == pb.LOG_REVIEW_RESULT_APPROVED
    approved = await admin.ListVisitLogs(
        pb.ListVisitLogsRequest(officer_id=cop.officer_id, review_result=pb.LOG_REVIEW_RESULT_APPROVED)
    )
    assert [log.log_id for log in approved.visit_logs] == [log_id]

    today = district_today()
    recorded = await personnel.leader.RecordConduct(
        pb.RecordConductRequest(
            officer_id=cop.officer_id,
            rule=pb.CONDUCT_RULE_OTHER,
            occur_date=local(today),
            description="着装不规范",
            score_deduction=2,
        )
    )
    assert recorded.conduct_record.score_deduction == 2
    listed = await admin.ListConductRecords(
        pb.ListConductRecordsRequest(
            officer_id=cop.officer_id, period=common_pb2.DateRange(start=local(today), end=local(today))
        )
    )
    assert [r.record_id for r in listed.conduct_records] == [recorded.conduct_record.record_id]
    bad = pb.ListConductRecordsRequest(period=common_pb2.DateRange(start=local(today)))
    assert set(field_violations(await refused(admin.ListConductRecords(bad)))) == {"period"}

"""Through the real gRPC server, Kafka and FerretDB: who may call what (the declared rules of
entrypoints/grpc_api.ACCESS, docs/adr/0013), and commands repeated with their request id answering the
first result without a second event."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu_platform.auth import Role
from jingwu_platform.testing import Record

from .service_support import (
    M,
    Personnel,
    district_today,
    local,
    now_stamp,
    police_request,
    records_of,
    refused,
    register,
    typed,
)

pytestmark = pytest.mark.integration


# --- authorization (grpc_api.ACCESS) and idempotent commands ---------------------------------------------


async def test_an_officer_token_may_not_post_record_conduct_or_publish(personnel: Personnel) -> None:
    # The declared rule of each RPC (docs/adr/0013): PERMISSION_DENIED naming the roles it needs.
    admin = personnel.admin
    cop = await register(admin, police_request("韩警官"))
    officer = personnel.stub(Role.OFFICER, subject=cop.officer_id)
    period = pb.AssessmentPeriod(kind=pb.PERIOD_KIND_MONTHLY, year=2026, index=1)
    calls: dict[str, Awaitable[object]] = {
        "PostOfficer": officer.PostOfficer(
            pb.PostOfficerRequest(
                officer_id=cop.officer_id, role=pb.OFFICER_ROLE_COMMUNITY_OFFICER, station_id="s"
            )
        ),
        "RecordConduct": officer.RecordConduct(
            pb.RecordConductRequest(
                officer_id=cop.officer_id,
                rule=pb.CONDUCT_RULE_OTHER,
                occur_date=local(district_today()),
                description="自己记自己",
                request_id="c-own",
            )
        ),
        "PublishAssessments": officer.PublishAssessments(pb.PublishAssessmentsRequest(period=period)),
    }
    expected = {
        "PostOfficer": "one of the roles: district_admin, service, supervisor",
        "RecordConduct": "one of the roles: district_admin, supervisor",
        "PublishAssessments": "one of the roles: district_admin, supervisor",
    }
    for method, call in calls.items():
        error = await refused(call)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, method
        assert error.details() == f"{method} needs {expected[method]} (caller {cop.officer_id} has: officer)"
    listed = await admin.ListConductRecords(pb.ListConductRecordsRequest(officer_id=cop.officer_id))
    assert list(listed.conduct_records) == []  # nothing was recorded


async def test_repeated_requests_return_the_first_result_and_publish_once(personnel: Personnel) -> None:
    # RegisterOfficer, PostOfficer, LogVisit, SubmitRating, RecordConduct: the record id derives from the
    # request id, so a client retrying after a lost answer gets the first result and no second event.
    admin, leader, district = personnel.admin, personnel.leader, personnel.district
    request = police_request("复查民警", request_id="idem-officer")
    cop = await register(admin, request)
    assert (await register(admin, request)).officer_id == cop.officer_id

    post = pb.PostOfficerRequest(
        officer_id=cop.officer_id,
        role=pb.OFFICER_ROLE_COMMUNITY_OFFICER,
        zone_code=f"{district}070101",
        request_id="idem-post",
    )
    posting = (await admin.PostOfficer(post)).posting
    assert (await admin.PostOfficer(post)).posting == posting

    start = datetime.now(UTC) - timedelta(hours=3)
    visit = pb.LogVisitRequest(
        kind=pb.VISIT_LOG_KIND_COMMUNITY_WORK,
        zone_code=f"{district}070101",
        start_time=now_stamp(start),
        end_time=now_stamp(start + timedelta(hours=2)),
        request_id="idem-log",
    )
    officer = personnel.stub(Role.OFFICER, subject=cop.officer_id)
    logged = (await officer.LogVisit(visit)).visit_log
    assert (await officer.LogVisit(visit)).visit_log == logged

    last_month = (district_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    period = pb.AssessmentPeriod(kind=pb.PERIOD_KIND_MONTHLY, year=last_month.year, index=last_month.month)
    rating = pb.SubmitRatingRequest(
        officer_id=cop.officer_id,
        period=period,
        source=pb.RATING_SOURCE_LEADER,
        score=88,
        request_id="idem-rating",
    )
    rated = (await leader.SubmitRating(rating)).rating
    assert (await leader.SubmitRating(rating)).rating == rated
    conduct = pb.RecordConductRequest(
        officer_id=cop.officer_id,
        rule=pb.CONDUCT_RULE_OTHER,
        occur_date=local(district_today()),
        description="着装不规范",
        request_id="idem-conduct",
    )
    recorded = (await leader.RecordConduct(conduct)).conduct_record
    assert (await leader.RecordConduct(conduct)).conduct_record == recorded
    listed = await admin.ListConductRecords(pb.ListConductRecordsRequest(officer_id=cop.officer_id))
    assert [r.record_id for r in listed.conduct_records] == [recorded.record_id]

    # A resident rating relayed by a Jingwu service: a later write in the ratings collection, after which
    # any second event of the first rating would have been relayed too.
    relay = personnel.stub(Role.SERVICE, subject="callback-service")
    resident = pb.SubmitRatingRequest(
        officer_id=cop.officer_id,
        period=period,
        source=pb.RATING_SOURCE_RESIDENT,
        score=95,
        resident_reference="callback-1",
        request_id="idem-resident",
    )
    marker = (await relay.SubmitRating(resident)).rating
    topic = f"jingwu.{district}.personnel.v1"

    def payloads(records: list[Record], event_type: str, message: type[M]) -> list[M]:
        return [message.FromString(r.value or b"") for r in typed(records, event_type)]

    def seen(records: list[Record]) -> bool:
        ratings = payloads(records, "RatingSubmitted", personnel_events.RatingSubmitted)
        return any(r.rating.rating_id == marker.rating_id for r in ratings) and bool(
            typed(records, "ConductRecorded")
            and typed(records, "VisitLogged")
            and typed(records, "OfficerPosted")
        )

    records = await records_of(personnel.kafka, topic, seen)
    counts: dict[str, int] = {
        "OfficerRegistered": sum(
            1
            for e in payloads(records, "OfficerRegistered", personnel_events.OfficerRegistered)
            if e.officer.officer_id == cop.officer_id
        ),
        "OfficerPosted": sum(
            1
            for e in payloads(records, "OfficerPosted", personnel_events.OfficerPosted)
            if e.posting.posting_id == posting.posting_id
        ),
        "VisitLogged": sum(
            1
            for e in payloads(records, "VisitLogged", personnel_events.VisitLogged)
            if e.visit_log.log_id == logged.log_id
        ),
        "RatingSubmitted": sum(
            1
            for e in payloads(records, "RatingSubmitted", personnel_events.RatingSubmitted)
            if e.rating.rating_id == rated.rating_id
        ),
        "ConductRecorded": sum(
            1
            for e in payloads(records, "ConductRecorded", personnel_events.ConductRecorded)
            if e.record.record_id == recorded.record_id
        ),
    }
    assert counts == dict.fromkeys(counts, 1)  # one event each: the repeats published nothing

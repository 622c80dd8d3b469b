"""gRPC entry point of the personnel service: who may call what (``ACCESS``), decode requests, call the
use cases, encode answers."""

from __future__ import annotations

from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu_platform.auth import Role, current_caller
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import Validator
from jingwu_platform.grpc_server import Context

from jingwu_personnel.adapters import proto_mapping as m
from jingwu_personnel.application.assessment import AssessmentApplication
from jingwu_personnel.application.conduct import ConductApplication
from jingwu_personnel.application.officers import OfficerApplication
from jingwu_personnel.application.postings import PostingApplication
from jingwu_personnel.application.ratings import RatingApplication
from jingwu_personnel.application.staffing import StaffingApplication
from jingwu_personnel.application.villages import VillageApplication
from jingwu_personnel.application.worklogs import WorkLogApplication, check_range

# Who may call what. Reads are open to every caller of the district (identity numbers stay masked
# unless the caller is a pii_reader, R-POP-6); station and bureau leaders, and Jingwu services acting
# for them, change records (MANAGERS); leaders alone audit logs, record conduct and publish
# assessments. Rules that depend on the record (a leader rating, a resident rating relayed) are checked
# in the use cases (application/ratings.py); a log is always the caller's own (LogVisit).
_MANAGERS = (Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE)
_LEADERS = (Role.SUPERVISOR, Role.DISTRICT_ADMIN)
_STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE)
ACCESS = AccessPolicy(
    pb.DESCRIPTOR.services_by_name["PersonnelService"],
    {
        "RegisterOfficer": allow(*_MANAGERS, idempotency_key="request_id"),
        "GetOfficer": READ,
        "ListOfficers": READ,
        "UpdateOfficer": allow(*_MANAGERS),
        "DeactivateOfficer": allow(*_MANAGERS),
        "PostOfficer": allow(*_MANAGERS, idempotency_key="request_id"),
        "EndPosting": allow(*_MANAGERS),
        "ListPostings": READ,
        "GetPostingHistory": READ,
        "AssignLiaisonOfficer": allow(*_MANAGERS),
        "AssignResidentAuxiliary": allow(*_MANAGERS),
        "GetVillageAssignment": READ,
        "ListVillageAssignments": READ,
        "RankAssignmentCandidates": READ,
        "SetVillageProfile": allow(*_MANAGERS),
        "LogVisit": allow(*_STAFF, idempotency_key="request_id"),
        "ListVisitLogs": READ,
        "ReviewVisitLog": allow(*_LEADERS),
        "GetWorkSummary": READ,
        "EvaluateStaffing": allow(*_MANAGERS),
        "GetStaffingFinding": READ,
        "ListStaffingFindings": READ,
        "RecordConduct": allow(*_LEADERS, idempotency_key="request_id"),
        "ListConductRecords": READ,
        "SubmitRating": allow(*_STAFF, idempotency_key="request_id"),
        "ComputeAssessments": allow(*_MANAGERS),
        "PublishAssessments": allow(*_LEADERS, idempotency_key="period"),
        "GetAssessment": READ,
        "ListRankings": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


def _period_range(message: object, field: str, *, required: bool) -> DateRange | None:
    """A DateRange field: None when unset and optional; INVALID_ARGUMENT when malformed."""
    if not required and not message.HasField(field):  # type: ignore[attr-defined]
        return None
    container = getattr(message, field)
    start, start_bad = m.from_local_date(container, "start")
    end, end_bad = m.from_local_date(container, "end")
    v = Validator()
    period = check_range(v, field, start, end, start_bad or end_bad)
    v.raise_if_any()
    return period


class PersonnelServicer(personnel_pb2_grpc.PersonnelServiceServicer):
    """Every PersonnelService RPC. Requests are decoded here; rules and refusals live in the use cases
    (application) and the domain."""

    def __init__(
        self,
        *,
        officers: OfficerApplication,
        postings: PostingApplication,
        villages: VillageApplication,
        logs: WorkLogApplication,
        staffing: StaffingApplication,
        conduct: ConductApplication,
        ratings: RatingApplication,
        assessment: AssessmentApplication,
    ) -> None:
        self._officers = officers
        self._postings = postings
        self._villages = villages
        self._logs = logs
        self._staffing = staffing
        self._conduct = conduct
        self._ratings = ratings
        self._assessment = assessment

    # --- officers -----------------------------------------------------------------------------------

    async def RegisterOfficer(  # noqa: N802 - gRPC method names are PascalCase
        self, request: pb.RegisterOfficerRequest, context: Context
    ) -> pb.RegisterOfficerResponse:
        caller = current_caller()
        officer = await self._officers.register(
            m.officer_draft(request), caller=caller, request_id=request.request_id
        )
        shown = await self._officers.present(
            [officer], caller=caller, method=f"{SERVICE_NAME}/RegisterOfficer"
        )
        return pb.RegisterOfficerResponse(officer=m.officer_to_proto(shown[0]))

    async def GetOfficer(  # noqa: N802
        self, request: pb.GetOfficerRequest, context: Context
    ) -> pb.GetOfficerResponse:
        officer, postings = await self._officers.get(
            request.officer_id, caller=current_caller(), method=f"{SERVICE_NAME}/GetOfficer"
        )
        return pb.GetOfficerResponse(officer=m.officer_to_proto(officer, postings))

    async def ListOfficers(  # noqa: N802
        self, request: pb.ListOfficersRequest, context: Context
    ) -> pb.ListOfficersResponse:
        officers, token = await self._officers.list_officers(
            station_id=request.station_id,
            role=m.ROLE.from_proto(request.role),
            branch=m.BRANCH.from_proto(request.branch),
            room_id=request.room_id,
            village_id=request.village_id,
            status=m.OFFICER_STATUS.from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
            caller=current_caller(),
            method=f"{SERVICE_NAME}/ListOfficers",
        )
        response = pb.ListOfficersResponse(officers=[m.officer_to_proto(o) for o in officers])
        response.page.next_page_token = token
        return response

    async def UpdateOfficer(  # noqa: N802
        self, request: pb.UpdateOfficerRequest, context: Context
    ) -> pb.UpdateOfficerResponse:
        caller = current_caller()
        officer = await self._officers.update(
            request.officer.officer_id,
            m.officer_draft(request.officer),
            list(request.update_mask.paths),
            caller=caller,
        )
        shown = await self._officers.present([officer], caller=caller, method=f"{SERVICE_NAME}/UpdateOfficer")
        return pb.UpdateOfficerResponse(officer=m.officer_to_proto(shown[0]))

    async def DeactivateOfficer(  # noqa: N802
        self, request: pb.DeactivateOfficerRequest, context: Context
    ) -> pb.DeactivateOfficerResponse:
        caller = current_caller()
        effective, invalid = m.from_local_date(request, "effective_date")
        officer, ended = await self._officers.deactivate(
            request.officer_id,
            effective=effective,
            effective_invalid=invalid,
            reason=request.reason,
            caller=caller,
        )
        shown = await self._officers.present(
            [officer], caller=caller, method=f"{SERVICE_NAME}/DeactivateOfficer"
        )
        return pb.DeactivateOfficerResponse(
            officer=m.officer_to_proto(shown[0]), ended_postings=[m.posting_to_proto(p) for p in ended]
        )

    # --- postings -----------------------------------------------------------------------------------

    async def PostOfficer(  # noqa: N802
        self, request: pb.PostOfficerRequest, context: Context
    ) -> pb.PostOfficerResponse:
        posting = await self._postings.post(
            m.posting_draft(request), caller=current_caller(), request_id=request.request_id
        )
        return pb.PostOfficerResponse(posting=m.posting_to_proto(posting))

    async def EndPosting(  # noqa: N802
        self, request: pb.EndPostingRequest, context: Context
    ) -> pb.EndPostingResponse:
        end_date, invalid = m.from_local_date(request, "end_date")
        ended, successor = await self._postings.end(
            request.posting_id,
            end_date=end_date,
            end_date_invalid=invalid,
            reason=request.reason,
            approval_reference=request.approval_reference,
            successor_officer_id=request.successor_officer_id,
            caller=current_caller(),
        )
        return pb.EndPostingResponse(
            posting=m.posting_to_proto(ended),
            successor_posting=m.posting_to_proto(successor) if successor else None,
        )

    async def ListPostings(  # noqa: N802
        self, request: pb.ListPostingsRequest, context: Context
    ) -> pb.ListPostingsResponse:
        postings, token = await self._postings.list_postings(
            station_id=request.station_id,
            room_id=request.room_id,
            zone_code=request.zone_code,
            village_id=request.village_id,
            role=m.ROLE.from_proto(request.role),
            current_only=request.current_only,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = pb.ListPostingsResponse(postings=[m.posting_to_proto(p) for p in postings])
        response.page.next_page_token = token
        return response

    async def GetPostingHistory(  # noqa: N802
        self, request: pb.GetPostingHistoryRequest, context: Context
    ) -> pb.GetPostingHistoryResponse:
        postings, tenure = await self._postings.history(request.officer_id)
        return pb.GetPostingHistoryResponse(
            postings=[m.posting_to_proto(p) for p in postings], tenure=m.tenure_to_proto(tenure)
        )

    # --- villages -----------------------------------------------------------------------------------

    async def AssignLiaisonOfficer(  # noqa: N802
        self, request: pb.AssignLiaisonOfficerRequest, context: Context
    ) -> pb.AssignLiaisonOfficerResponse:
        start, invalid = m.from_local_date(request, "start_date")
        assignment, _ = await self._villages.assign_liaison(
            request.village_id,
            request.officer_id,
            start,
            caller=current_caller(),
            start_invalid=invalid,
            reason=request.reason,
        )
        return pb.AssignLiaisonOfficerResponse(village_assignment=m.assignment_to_proto(assignment))

    async def AssignResidentAuxiliary(  # noqa: N802
        self, request: pb.AssignResidentAuxiliaryRequest, context: Context
    ) -> pb.AssignResidentAuxiliaryResponse:
        start, start_invalid = m.from_local_date(request, "start_date")
        due, due_invalid = m.from_local_date(request, "rotation_due")
        assignment, _ = await self._villages.assign_auxiliary(
            request.village_id,
            request.officer_id,
            start,
            due,
            caller=current_caller(),
            start_invalid=start_invalid,
            due_invalid=due_invalid,
            reason=request.reason,
        )
        return pb.AssignResidentAuxiliaryResponse(village_assignment=m.assignment_to_proto(assignment))

    async def GetVillageAssignment(  # noqa: N802
        self, request: pb.GetVillageAssignmentRequest, context: Context
    ) -> pb.GetVillageAssignmentResponse:
        assignment = await self._villages.get(request.village_id)
        return pb.GetVillageAssignmentResponse(village_assignment=m.assignment_to_proto(assignment))

    async def ListVillageAssignments(  # noqa: N802
        self, request: pb.ListVillageAssignmentsRequest, context: Context
    ) -> pb.ListVillageAssignmentsResponse:
        due_by, invalid = m.from_local_date(request, "rotation_due_by")
        v = Validator()
        v.check(not invalid, "rotation_due_by", "must be a valid calendar date")
        v.raise_if_any()
        found, token = await self._villages.list_assignments(
            station_id=request.station_id,
            zone_code=request.zone_code,
            incomplete_only=request.incomplete_only,
            rotation_due_by=due_by,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = pb.ListVillageAssignmentsResponse(
            village_assignments=[m.assignment_to_proto(a) for a in found]
        )
        response.page.next_page_token = token
        return response

    async def RankAssignmentCandidates(  # noqa: N802
        self, request: pb.RankAssignmentCandidatesRequest, context: Context
    ) -> pb.RankAssignmentCandidatesResponse:
        candidates = await self._villages.rank(
            request.village_id, m.ROLE.from_proto(request.role), request.max_candidates
        )
        return pb.RankAssignmentCandidatesResponse(candidates=[m.candidate_to_proto(c) for c in candidates])

    async def SetVillageProfile(  # noqa: N802
        self, request: pb.SetVillageProfileRequest, context: Context
    ) -> pb.SetVillageProfileResponse:
        profile = await self._villages.set_profile(
            m.profile_from_proto(request.village_profile), caller=current_caller()
        )
        return pb.SetVillageProfileResponse(village_profile=m.profile_to_proto(profile))

    # --- logs ---------------------------------------------------------------------------------------

    async def LogVisit(  # noqa: N802
        self, request: pb.LogVisitRequest, context: Context
    ) -> pb.LogVisitResponse:
        log = await self._logs.log(
            m.log_draft(request), caller=current_caller(), request_id=request.request_id
        )
        return pb.LogVisitResponse(visit_log=m.log_to_proto(log))

    async def ListVisitLogs(  # noqa: N802
        self, request: pb.ListVisitLogsRequest, context: Context
    ) -> pb.ListVisitLogsResponse:
        logs, token = await self._logs.list_logs(
            officer_id=request.officer_id,
            village_id=request.village_id,
            kind=m.LOG_KIND.from_proto(request.kind),
            period=_period_range(request, "period", required=False),
            review_result=m.REVIEW.from_proto(request.review_result),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = pb.ListVisitLogsResponse(visit_logs=[m.log_to_proto(log) for log in logs])
        response.page.next_page_token = token
        return response

    async def ReviewVisitLog(  # noqa: N802
        self, request: pb.ReviewVisitLogRequest, context: Context
    ) -> pb.ReviewVisitLogResponse:
        log = await self._logs.review(
            request.log_id, m.REVIEW.from_proto(request.result), request.note, caller=current_caller()
        )
        return pb.ReviewVisitLogResponse(visit_log=m.log_to_proto(log))

    async def GetWorkSummary(  # noqa: N802
        self, request: pb.GetWorkSummaryRequest, context: Context
    ) -> pb.GetWorkSummaryResponse:
        period = _period_range(request, "period", required=True)
        assert period is not None
        summary = await self._logs.summary(request.officer_id, period)
        return pb.GetWorkSummaryResponse(work_summary=m.work_summary_to_proto(summary))

    # --- staffing findings --------------------------------------------------------------------------

    async def EvaluateStaffing(  # noqa: N802
        self, request: pb.EvaluateStaffingRequest, context: Context
    ) -> pb.EvaluateStaffingResponse:
        as_of, invalid = m.from_local_date(request, "as_of")
        v = Validator()
        v.check(not invalid, "as_of", "must be a valid calendar date")
        v.raise_if_any()
        raised, resolved, open_count = await self._staffing.evaluate(
            station_id=request.station_id, as_of=as_of
        )
        return pb.EvaluateStaffingResponse(
            raised=[m.finding_to_proto(f) for f in raised],
            resolved=[m.finding_to_proto(f) for f in resolved],
            open_count=open_count,
        )

    async def GetStaffingFinding(  # noqa: N802
        self, request: pb.GetStaffingFindingRequest, context: Context
    ) -> pb.GetStaffingFindingResponse:
        finding = await self._staffing.get(request.finding_id)
        return pb.GetStaffingFindingResponse(staffing_finding=m.finding_to_proto(finding))

    async def ListStaffingFindings(  # noqa: N802
        self, request: pb.ListStaffingFindingsRequest, context: Context
    ) -> pb.ListStaffingFindingsResponse:
        findings, token = await self._staffing.list_findings(
            kind=m.FINDING_KIND.from_proto(request.kind),
            status=m.FINDING_STATUS.from_proto(request.status),
            station_id=request.station_id,
            room_id=request.room_id,
            village_id=request.village_id,
            officer_id=request.officer_id,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = pb.ListStaffingFindingsResponse(
            staffing_findings=[m.finding_to_proto(f) for f in findings]
        )
        response.page.next_page_token = token
        return response

    # --- conduct and assessment ---------------------------------------------------------------------

    async def RecordConduct(  # noqa: N802
        self, request: pb.RecordConductRequest, context: Context
    ) -> pb.RecordConductResponse:
        occur, invalid = m.from_local_date(request, "occur_date")
        record = await self._conduct.record(
            officer_id=request.officer_id,
            rule=m.CONDUCT_RULE.from_proto(request.rule),
            occur_date=occur,
            occur_date_invalid=invalid,
            description=request.description,
            score_deduction=request.score_deduction,
            evidence_reference=request.evidence_reference,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return pb.RecordConductResponse(conduct_record=m.conduct_to_proto(record))

    async def ListConductRecords(  # noqa: N802
        self, request: pb.ListConductRecordsRequest, context: Context
    ) -> pb.ListConductRecordsResponse:
        records, token = await self._conduct.list_records(
            officer_id=request.officer_id,
            station_id=request.station_id,
            period=_period_range(request, "period", required=False),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = pb.ListConductRecordsResponse(conduct_records=[m.conduct_to_proto(r) for r in records])
        response.page.next_page_token = token
        return response

    async def SubmitRating(  # noqa: N802
        self, request: pb.SubmitRatingRequest, context: Context
    ) -> pb.SubmitRatingResponse:
        rating = await self._ratings.submit(
            officer_id=request.officer_id,
            period=m.period_parts(request.period),
            source=m.RATING_SOURCE.from_proto(request.source),
            score=request.score,
            comment=request.comment,
            resident_reference=request.resident_reference,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return pb.SubmitRatingResponse(rating=m.rating_to_proto(rating))

    async def ComputeAssessments(  # noqa: N802
        self, request: pb.ComputeAssessmentsRequest, context: Context
    ) -> pb.ComputeAssessmentsResponse:
        assessments = await self._assessment.compute(m.period_parts(request.period), request.station_id)
        return pb.ComputeAssessmentsResponse(assessments=[m.assessment_to_proto(a) for a in assessments])

    async def PublishAssessments(  # noqa: N802
        self, request: pb.PublishAssessmentsRequest, context: Context
    ) -> pb.PublishAssessmentsResponse:
        count = await self._assessment.publish(m.period_parts(request.period), request.station_id)
        return pb.PublishAssessmentsResponse(published_count=count)

    async def GetAssessment(  # noqa: N802
        self, request: pb.GetAssessmentRequest, context: Context
    ) -> pb.GetAssessmentResponse:
        assessment = await self._assessment.get(request.officer_id, m.period_parts(request.period))
        return pb.GetAssessmentResponse(assessment=m.assessment_to_proto(assessment))

    async def ListRankings(  # noqa: N802
        self, request: pb.ListRankingsRequest, context: Context
    ) -> pb.ListRankingsResponse:
        assessments, token = await self._assessment.rankings(
            m.period_parts(request.period),
            station_id=request.station_id,
            role=m.ROLE.from_proto(request.role),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        station_scope = bool(request.station_id)
        response = pb.ListRankingsResponse(
            entries=[m.ranking_entry(a, station_scope=station_scope) for a in assessments]
        )
        response.page.next_page_token = token
        return response

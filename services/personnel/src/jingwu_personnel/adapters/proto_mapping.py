"""Translation between the personnel domain and its contract, jingwu.personnel.v1, written by hand (it is
the public contract). Pure functions. Domain enum members are named like the proto values without their
prefix. (The room registry's events are read in adapters/registry_mapping.py.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu_platform.calendar import DateRange
from jingwu_platform.proto_values import EnumMap, local_date_to_proto, timestamp

from jingwu_personnel.domain.assessment import Assessment, AssessmentStatus, Grade
from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.candidates import Candidate, CandidateReason
from jingwu_personnel.domain.conduct import ConductRecord, ConductRule
from jingwu_personnel.domain.findings import Finding, FindingKind, FindingStatus
from jingwu_personnel.domain.officers import Branch, Officer, OfficerDraft, OfficerRole, OfficerStatus
from jingwu_personnel.domain.periods import Period, PeriodKind
from jingwu_personnel.domain.postings import Posting, PostingDraft, Tenure
from jingwu_personnel.domain.ratings import Rating, RatingSource
from jingwu_personnel.domain.territory import Setting
from jingwu_personnel.domain.villages import VillageAssignment, VillageProfile
from jingwu_personnel.domain.worklogs import (
    LogDraft,
    ReviewResult,
    SixAsk,
    SixDo,
    SixRole,
    VisitLog,
    VisitLogKind,
    WorkSummary,
)

ROLE = EnumMap(OfficerRole, pb.OfficerRole, "OFFICER_ROLE")
BRANCH = EnumMap(Branch, pb.Branch, "BRANCH")
OFFICER_STATUS = EnumMap(OfficerStatus, pb.OfficerStatus, "OFFICER_STATUS")
SETTING = EnumMap(Setting, pb.PostingSetting, "POSTING_SETTING")
REASON = EnumMap(CandidateReason, pb.CandidateReason, "CANDIDATE_REASON")
LOG_KIND = EnumMap(VisitLogKind, pb.VisitLogKind, "VISIT_LOG_KIND")
SIX_ROLE = EnumMap(SixRole, pb.SixRole, "SIX_ROLE")
SIX_DO = EnumMap(SixDo, pb.SixDo, "SIX_DO")
SIX_ASK = EnumMap(SixAsk, pb.SixAsk, "SIX_ASK")
REVIEW = EnumMap(ReviewResult, pb.LogReviewResult, "LOG_REVIEW_RESULT")
FINDING_KIND = EnumMap(FindingKind, pb.StaffingFindingKind, "STAFFING_FINDING_KIND")
FINDING_STATUS = EnumMap(FindingStatus, pb.StaffingFindingStatus, "STAFFING_FINDING_STATUS")
CONDUCT_RULE = EnumMap(ConductRule, pb.ConductRule, "CONDUCT_RULE")
RATING_SOURCE = EnumMap(RatingSource, pb.RatingSource, "RATING_SOURCE")
PERIOD_KIND = EnumMap(PeriodKind, pb.PeriodKind, "PERIOD_KIND")
ASSESSMENT_STATUS = EnumMap(AssessmentStatus, pb.AssessmentStatus, "ASSESSMENT_STATUS")
GRADE = EnumMap(Grade, pb.AssessmentGrade, "ASSESSMENT_GRADE")


# --- scalars ----------------------------------------------------------------------------------------


def from_timestamp(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def from_local_date(message: Any, field: str) -> tuple[date | None, bool]:
    """(date, invalid): unset (or all zero) is (None, False); an impossible date is (None, True)."""
    if not message.HasField(field):
        return None, False
    value: common_pb2.LocalDate = getattr(message, field)
    if (value.year, value.month, value.day) == (0, 0, 0):
        return None, False
    try:
        return date(value.year, value.month, value.day), False
    except ValueError:
        return None, True


def date_range(period: DateRange | None) -> common_pb2.DateRange | None:
    if period is None:
        return None
    return common_pb2.DateRange(start=local_date_to_proto(period.start), end=local_date_to_proto(period.end))


def audit_to_proto(audit: Audit) -> common_pb2.AuditInfo:
    return common_pb2.AuditInfo(
        created_by=audit.created_by,
        create_time=timestamp(audit.created_at),
        updated_by=audit.updated_by,
        update_time=timestamp(audit.updated_at),
    )


# --- officers and postings --------------------------------------------------------------------------


def officer_draft(message: pb.RegisterOfficerRequest | pb.Officer) -> OfficerDraft:
    join_date, invalid = from_local_date(message, "join_date")
    return OfficerDraft(
        name=message.name,
        roles=tuple(ROLE.from_proto(r) for r in message.roles),
        branch=BRANCH.from_proto(message.branch),
        station_id=message.station_id,
        badge_number=message.badge_number,
        id_number=message.id_number,
        phone=message.phone,
        home_village_id=message.home_village_id,
        home_township=message.home_township,
        former_workplace_village_ids=tuple(message.former_workplace_village_ids),
        previous_workplace=message.previous_workplace,
        join_date=join_date,
        join_date_invalid=invalid,
    )


def officer_to_proto(officer: Officer, current_postings: Iterable[Posting] = ()) -> pb.Officer:
    return pb.Officer(
        officer_id=officer.officer_id,
        name=officer.name,
        roles=sorted(ROLE.to_proto(r) for r in officer.roles),
        branch=BRANCH.to_proto(officer.branch),
        station_id=officer.station_id,
        badge_number=officer.badge_number,
        id_number=officer.id_number,
        phone=officer.phone,
        home_village_id=officer.home_village_id,
        home_township=officer.home_township,
        former_workplace_village_ids=list(officer.former_workplace_village_ids),
        previous_workplace=officer.previous_workplace,
        status=OFFICER_STATUS.to_proto(officer.status),
        current_postings=[posting_to_proto(p) for p in current_postings],
        join_date=local_date_to_proto(officer.join_date),
        audit=audit_to_proto(officer.audit),
    )


def event_officer(officer: Officer) -> pb.Officer:
    """Events never carry identity or phone numbers (R-POP-6): consumers call GetOfficer."""
    message = officer_to_proto(officer)
    message.ClearField("id_number")
    message.ClearField("phone")
    return message


def posting_draft(request: pb.PostOfficerRequest) -> PostingDraft:
    start, invalid = from_local_date(request, "start_date")
    return PostingDraft(
        officer_id=request.officer_id,
        role=ROLE.from_proto(request.role),
        station_id=request.station_id,
        room_id=request.room_id,
        zone_code=request.zone_code,
        village_id=request.village_id,
        full_time=request.full_time,
        start_date=start,
        start_date_invalid=invalid,
        approval_reference=request.approval_reference,
    )


def posting_to_proto(posting: Posting) -> pb.Posting:
    return pb.Posting(
        posting_id=posting.posting_id,
        officer_id=posting.officer_id,
        role=ROLE.to_proto(posting.role),
        station_id=posting.station_id,
        room_id=posting.room_id,
        zone_code=posting.zone_code,
        village_id=posting.village_id,
        setting=SETTING.to_proto(posting.setting),
        full_time=posting.full_time,
        start_date=local_date_to_proto(posting.start_date),
        end_date=local_date_to_proto(posting.end_date),
        end_reason=posting.end_reason,
        approval_reference=posting.approval_reference,
        successor_officer_id=posting.successor_officer_id,
        audit=audit_to_proto(posting.audit),
    )


def tenure_to_proto(tenure: Tenure) -> pb.TenureSummary:
    return pb.TenureSummary(
        rural_days=tenure.rural_days,
        urban_days=tenure.urban_days,
        eligible_for_station_leadership=tenure.eligible_for_station_leadership,
    )


# --- villages ---------------------------------------------------------------------------------------


def assignment_to_proto(a: VillageAssignment) -> pb.VillageAssignment:
    return pb.VillageAssignment(
        village_id=a.village_id,
        zone_code=a.village.zone_code,
        station_id=a.village.station_id,
        liaison_officer_id=a.liaison_officer_id,
        liaison_posting_id=a.liaison_posting_id,
        liaison_since=local_date_to_proto(a.liaison_since),
        resident_auxiliary_id=a.auxiliary_id,
        auxiliary_posting_id=a.auxiliary_posting_id,
        auxiliary_since=local_date_to_proto(a.auxiliary_since),
        auxiliary_rotation_due=local_date_to_proto(a.auxiliary_rotation_due),
    )


def profile_from_proto(message: pb.VillageProfile) -> VillageProfile:
    return VillageProfile(
        village_id=message.village_id,
        township=message.township,
        neighbouring_townships=tuple(message.neighbouring_townships),
        along_traffic_line=message.along_traffic_line,
        high_crime=message.high_crime,
        security_complex=message.security_complex,
        key_village=message.key_village,
    )


def profile_to_proto(profile: VillageProfile) -> pb.VillageProfile:
    return pb.VillageProfile(
        village_id=profile.village_id,
        township=profile.township,
        neighbouring_townships=list(profile.neighbouring_townships),
        along_traffic_line=profile.along_traffic_line,
        high_crime=profile.high_crime,
        security_complex=profile.security_complex,
        key_village=profile.key_village,
        audit=common_pb2.AuditInfo(updated_by=profile.updated_by, update_time=timestamp(profile.updated_at)),
    )


def candidate_to_proto(candidate: Candidate) -> pb.AssignmentCandidate:
    return pb.AssignmentCandidate(
        officer_id=candidate.officer.officer_id,
        name=candidate.officer.name,
        branch=BRANCH.to_proto(candidate.officer.branch),
        score=candidate.score,
        reasons=[REASON.to_proto(r) for r in candidate.reasons],
        current_village_count=candidate.current_village_count,
        score_terms=[pb.ScoreTerm(reason=REASON.to_proto(r), points=p) for r, p in candidate.terms],
    )


# --- logs -------------------------------------------------------------------------------------------


def log_draft(request: pb.LogVisitRequest) -> LogDraft:
    location = None
    if request.HasField("location"):
        location = (request.location.longitude, request.location.latitude)
    return LogDraft(
        kind=LOG_KIND.from_proto(request.kind),
        start_time=from_timestamp(request, "start_time"),
        end_time=from_timestamp(request, "end_time"),
        village_id=request.village_id,
        zone_code=request.zone_code,
        room_id=request.room_id,
        location=location,
        six_roles=tuple(SIX_ROLE.from_proto(r) for r in request.six_roles),
        six_does=tuple(SIX_DO.from_proto(d) for d in request.six_does),
        household_visits=tuple(
            (h.house_id, tuple(SIX_ASK.from_proto(a) for a in h.asks), h.note)
            for h in request.household_visits
        ),
        information_record_ids=tuple(request.information_record_ids),
        summary=request.summary,
    )


def log_to_proto(log: VisitLog) -> pb.VisitLog:
    return pb.VisitLog(
        log_id=log.log_id,
        officer_id=log.officer_id,
        kind=LOG_KIND.to_proto(log.kind),
        village_id=log.village_id,
        zone_code=log.zone_code,
        room_id=log.room_id,
        start_time=timestamp(log.start_time),
        end_time=timestamp(log.end_time),
        location=common_pb2.GeoPoint(longitude=log.location[0], latitude=log.location[1])
        if log.location
        else None,
        six_roles=[SIX_ROLE.to_proto(r) for r in log.six_roles],
        six_does=[SIX_DO.to_proto(d) for d in log.six_does],
        household_visits=[
            pb.HouseholdVisit(house_id=h.house_id, asks=[SIX_ASK.to_proto(a) for a in h.asks], note=h.note)
            for h in log.household_visits
        ],
        information_record_ids=list(log.information_record_ids),
        summary=log.summary,
        review_result=REVIEW.to_proto(log.review_result),
        reviewed_by=log.reviewed_by,
        review_note=log.review_note,
        audit=audit_to_proto(log.audit),
    )


def work_summary_to_proto(summary: WorkSummary) -> pb.WorkSummary:
    return pb.WorkSummary(
        officer_id=summary.officer_id,
        period=date_range(summary.period),
        log_count=summary.log_count,
        household_count=summary.household_count,
        village_days=[
            pb.VillageDays(
                village_id=m.village_id,
                month_start=local_date_to_proto(m.month.start),
                days_present=m.days_present,
                required_days=m.required_days,
            )
            for m in summary.village_days
        ],
        week_hours=[
            pb.WeekHours(
                week_start=local_date_to_proto(w.week.start),
                hours=round(w.hours, 2),
                required_hours=w.required_hours,
            )
            for w in summary.week_hours
        ],
    )


# --- findings ---------------------------------------------------------------------------------------


def finding_to_proto(finding: Finding) -> pb.StaffingFinding:
    c = finding.condition
    return pb.StaffingFinding(
        finding_id=finding.finding_id,
        kind=FINDING_KIND.to_proto(c.kind),
        status=FINDING_STATUS.to_proto(finding.status),
        rule_id=c.rule_id,
        station_id=c.station_id,
        room_id=c.room_id,
        zone_code=c.zone_code,
        village_id=c.village_id,
        officer_id=c.officer_id,
        period=date_range(c.period),
        actual_value=c.actual_value,
        required_value=c.required_value,
        detail=c.detail,
        raise_time=timestamp(finding.raise_time),
        resolve_time=timestamp(finding.resolve_time),
        resolution=finding.resolution,
    )


# --- conduct and assessment -------------------------------------------------------------------------


def conduct_to_proto(record: ConductRecord) -> pb.ConductRecord:
    return pb.ConductRecord(
        record_id=record.record_id,
        officer_id=record.officer_id,
        rule=CONDUCT_RULE.to_proto(record.rule),
        occur_date=local_date_to_proto(record.occur_date),
        description=record.description,
        score_deduction=record.score_deduction,
        evidence_reference=record.evidence_reference,
        audit=audit_to_proto(record.audit),
    )


def period_parts(message: pb.AssessmentPeriod) -> tuple[PeriodKind | None, int, int]:
    return PERIOD_KIND.from_proto(message.kind), message.year, message.index


def period_to_proto(period: Period) -> pb.AssessmentPeriod:
    return pb.AssessmentPeriod(kind=PERIOD_KIND.to_proto(period.kind), year=period.year, index=period.index)


def rating_to_proto(rating: Rating) -> pb.Rating:
    return pb.Rating(
        rating_id=rating.rating_id,
        officer_id=rating.officer_id,
        period=period_to_proto(rating.period),
        source=RATING_SOURCE.to_proto(rating.source),
        score=rating.score,
        comment=rating.comment,
        rater_id=rating.rater_id,
        resident_reference=rating.resident_reference,
        submit_time=timestamp(rating.submit_time),
    )


def assessment_to_proto(a: Assessment) -> pb.Assessment:
    return pb.Assessment(
        assessment_id=a.assessment_id,
        officer_id=a.officer_id,
        period=period_to_proto(a.period),
        status=ASSESSMENT_STATUS.to_proto(a.status),
        indicators=[
            pb.AssessmentIndicator(code=i.code, raw_value=i.raw_value, score=i.score, weight=i.weight)
            for i in a.indicators
        ],
        ratings=[
            pb.RatingSummary(
                source=RATING_SOURCE.to_proto(r.source),
                count=r.count,
                average_score=r.average,
                weight=r.weight,
            )
            for r in a.ratings
        ],
        conduct_deduction=a.conduct_deduction,
        total_score=a.total_score,
        grade=GRADE.to_proto(a.grade),
        station_rank=a.station_rank,
        district_rank=a.district_rank,
        compute_time=timestamp(a.compute_time),
        publish_time=timestamp(a.publish_time),
    )


def ranking_entry(a: Assessment, *, station_scope: bool) -> pb.RankingEntry:
    return pb.RankingEntry(
        rank=a.station_rank if station_scope else a.district_rank,
        officer_id=a.officer_id,
        name=a.name,
        station_id=a.station_id,
        total_score=a.total_score,
        grade=GRADE.to_proto(a.grade),
    )

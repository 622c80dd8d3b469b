"""Domain objects ⇄ MongoDB documents. Local dates are ISO strings ("2026-11-01"), so they sort and
compare as dates; times are BSON dates (the client is tz-aware)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from jingwu_platform.calendar import DateRange
from jingwu_platform.mongo import Document

from jingwu_personnel.domain.assessment import (
    Assessment,
    AssessmentStatus,
    ConductRecord,
    ConductRule,
    Grade,
    Indicator,
    Period,
    Rating,
    RatingSource,
    RatingSummary,
)
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole, OfficerStatus
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.staffing import Condition, Finding, FindingKind, FindingStatus
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    Setting,
    StationKind,
    StationView,
    VillageView,
    ZoneView,
)
from jingwu_personnel.domain.villages import VillageAssignment, VillageProfile
from jingwu_personnel.domain.worklogs import (
    HouseholdVisit,
    ReviewResult,
    SixAsk,
    SixDo,
    SixRole,
    VisitLog,
    VisitLogKind,
)


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _audit(
    created_by: str, created_at: datetime | None, updated_by: str, updated_at: datetime | None
) -> Document:
    return {
        "created_by": created_by,
        "created_at": created_at,
        "updated_by": updated_by,
        "updated_at": updated_at,
    }


# --- officers ---------------------------------------------------------------------------------------


def officer_to_document(o: Officer) -> Document:
    return {
        "_id": o.officer_id,
        "name": o.name,
        "roles": sorted(r.value for r in o.roles),
        "branch": o.branch.value if o.branch else None,
        "station_id": o.station_id,
        "badge_number": o.badge_number,
        "id_number": o.id_number,
        "phone": o.phone,
        "home_village_id": o.home_village_id,
        "home_township": o.home_township,
        "former_workplace_village_ids": list(o.former_workplace_village_ids),
        "previous_workplace": o.previous_workplace,
        "status": o.status.value,
        "join_date": day(o.join_date),
        "audit": _audit(o.created_by, o.created_at, o.updated_by, o.updated_at),
    }


def document_to_officer(d: Document) -> Officer:
    audit: Mapping[str, Any] = d.get("audit") or {}
    return Officer(
        officer_id=d["_id"],
        name=d["name"],
        roles=frozenset(OfficerRole(r) for r in d.get("roles", [])),
        branch=Branch(d["branch"]) if d.get("branch") else None,
        station_id=d.get("station_id", ""),
        badge_number=d.get("badge_number", ""),
        id_number=d.get("id_number", ""),
        phone=d.get("phone", ""),
        home_village_id=d.get("home_village_id", ""),
        home_township=d.get("home_township", ""),
        former_workplace_village_ids=tuple(d.get("former_workplace_village_ids", [])),
        previous_workplace=d.get("previous_workplace", ""),
        status=OfficerStatus(d.get("status", OfficerStatus.ACTIVE.value)),
        join_date=parse_day(d.get("join_date")),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
        updated_by=audit.get("updated_by", ""),
        updated_at=audit.get("updated_at"),
    )


# --- postings ---------------------------------------------------------------------------------------


def posting_to_document(p: Posting) -> Document:
    return {
        "_id": p.posting_id,
        "officer_id": p.officer_id,
        "role": p.role.value,
        "station_id": p.station_id,
        "room_id": p.room_id,
        "zone_code": p.zone_code,
        "village_id": p.village_id,
        "setting": p.setting.value if p.setting else None,
        "full_time": p.full_time,
        "start_date": day(p.start_date),
        "end_date": day(p.end_date),
        "end_reason": p.end_reason,
        "approval_reference": p.approval_reference,
        "successor_officer_id": p.successor_officer_id,
        "audit": _audit(p.created_by, p.created_at, p.updated_by, p.updated_at),
    }


def document_to_posting(d: Document) -> Posting:
    audit: Mapping[str, Any] = d.get("audit") or {}
    start = parse_day(d["start_date"])
    assert start is not None
    return Posting(
        posting_id=d["_id"],
        officer_id=d["officer_id"],
        role=OfficerRole(d["role"]),
        start_date=start,
        station_id=d.get("station_id", ""),
        room_id=d.get("room_id", ""),
        zone_code=d.get("zone_code", ""),
        village_id=d.get("village_id", ""),
        setting=Setting(d["setting"]) if d.get("setting") else None,
        full_time=bool(d.get("full_time")),
        end_date=parse_day(d.get("end_date")),
        end_reason=d.get("end_reason", ""),
        approval_reference=d.get("approval_reference", ""),
        successor_officer_id=d.get("successor_officer_id", ""),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
        updated_by=audit.get("updated_by", ""),
        updated_at=audit.get("updated_at"),
    )


# --- territory read model ---------------------------------------------------------------------------


def room_view_to_document(r: RoomView) -> Document:
    return {
        "kind": r.kind.value if r.kind else None,
        "status": r.status.value,
        "station_id": r.station_id,
        "zone_codes": list(r.zone_codes),
        "village_id": r.village_id,
        "name": r.name,
        "merged_into_room_id": r.merged_into_room_id,
    }


def document_to_room_view(d: Document) -> RoomView:
    return RoomView(
        room_id=d["_id"],
        kind=RoomKind(d["kind"]) if d.get("kind") else None,
        status=RoomStatus(d["status"]),
        station_id=d.get("station_id", ""),
        zone_codes=tuple(d.get("zone_codes", [])),
        village_id=d.get("village_id", ""),
        name=d.get("name", ""),
        merged_into_room_id=d.get("merged_into_room_id", ""),
    )


def document_to_zone_view(d: Document) -> ZoneView:
    return ZoneView(
        zone_code=d["_id"],
        station_id=d.get("station_id", ""),
        community_ids=tuple(d.get("community_ids", [])),
        workload_population=int(d.get("workload_population", 0)),
        measured_population=d.get("measured_population"),
        measured_at=d.get("measured_at"),
        retired=bool(d.get("retired")),
    )


def document_to_station_view(d: Document) -> StationView:
    return StationView(
        station_id=d["_id"], name=d.get("name", ""), kind=StationKind(d["kind"]) if d.get("kind") else None
    )


def village_view_fields(v: VillageView) -> Document:
    return {
        "name": v.name,
        "administrative": v.administrative,
        "parent_village_id": v.parent_village_id,
        "zone_code": v.zone_code,
        "station_id": v.station_id,
        "township": v.township,
        "urban_community": v.urban_community,
    }


def document_to_village_view(d: Document) -> VillageView:
    return VillageView(
        village_id=d["_id"],
        name=d.get("name", ""),
        administrative=bool(d.get("administrative", True)),
        parent_village_id=d.get("parent_village_id", ""),
        zone_code=d.get("zone_code", ""),
        station_id=d.get("station_id", ""),
        township=d.get("township", ""),
        urban_community=bool(d.get("urban_community")),
    )


def profile_to_document(p: VillageProfile) -> Document:
    return {
        "township": p.township,
        "neighbouring_townships": list(p.neighbouring_townships),
        "along_traffic_line": p.along_traffic_line,
        "high_crime": p.high_crime,
        "security_complex": p.security_complex,
        "key_village": p.key_village,
        "updated_by": p.updated_by,
        "updated_at": p.updated_at,
    }


def document_to_assignment(d: Document) -> VillageAssignment:
    profile_doc: Mapping[str, Any] | None = d.get("profile")
    profile = (
        VillageProfile(
            village_id=d["_id"],
            township=profile_doc.get("township", ""),
            neighbouring_townships=tuple(profile_doc.get("neighbouring_townships", [])),
            along_traffic_line=bool(profile_doc.get("along_traffic_line")),
            high_crime=bool(profile_doc.get("high_crime")),
            security_complex=bool(profile_doc.get("security_complex")),
            key_village=bool(profile_doc.get("key_village")),
            updated_by=profile_doc.get("updated_by", ""),
            updated_at=profile_doc.get("updated_at"),
        )
        if profile_doc
        else None
    )
    liaison: Mapping[str, Any] = d.get("liaison") or {}
    auxiliary: Mapping[str, Any] = d.get("auxiliary") or {}
    return VillageAssignment(
        village=document_to_village_view(d),
        profile=profile,
        liaison_officer_id=liaison.get("officer_id", ""),
        liaison_posting_id=liaison.get("posting_id", ""),
        liaison_since=parse_day(liaison.get("since")),
        auxiliary_id=auxiliary.get("officer_id", ""),
        auxiliary_posting_id=auxiliary.get("posting_id", ""),
        auxiliary_since=parse_day(auxiliary.get("since")),
        auxiliary_rotation_due=parse_day(auxiliary.get("rotation_due")),
    )


# --- logs -------------------------------------------------------------------------------------------


def log_to_document(log: VisitLog) -> Document:
    return {
        "_id": log.log_id,
        "officer_id": log.officer_id,
        "kind": log.kind.value,
        "start_time": log.start_time,
        "end_time": log.end_time,
        "village_id": log.village_id,
        "zone_code": log.zone_code,
        "room_id": log.room_id,
        "location": list(log.location) if log.location else None,
        "six_roles": [r.value for r in log.six_roles],
        "six_does": [d.value for d in log.six_does],
        "household_visits": [
            {"house_id": h.house_id, "asks": [a.value for a in h.asks], "note": h.note}
            for h in log.household_visits
        ],
        "information_record_ids": list(log.information_record_ids),
        "summary": log.summary,
        "review_result": log.review_result.value,
        "reviewed_by": log.reviewed_by,
        "review_note": log.review_note,
        "audit": _audit(log.created_by, log.created_at, log.updated_by, log.updated_at),
    }


def document_to_log(d: Document) -> VisitLog:
    audit: Mapping[str, Any] = d.get("audit") or {}
    location = d.get("location")
    return VisitLog(
        log_id=d["_id"],
        officer_id=d["officer_id"],
        kind=VisitLogKind(d["kind"]),
        start_time=d["start_time"],
        end_time=d["end_time"],
        village_id=d.get("village_id", ""),
        zone_code=d.get("zone_code", ""),
        room_id=d.get("room_id", ""),
        location=(float(location[0]), float(location[1])) if location else None,
        six_roles=tuple(SixRole(r) for r in d.get("six_roles", [])),
        six_does=tuple(SixDo(x) for x in d.get("six_does", [])),
        household_visits=tuple(
            HouseholdVisit(h["house_id"], tuple(SixAsk(a) for a in h.get("asks", [])), h.get("note", ""))
            for h in d.get("household_visits", [])
        ),
        information_record_ids=tuple(d.get("information_record_ids", [])),
        summary=d.get("summary", ""),
        review_result=ReviewResult(d.get("review_result", ReviewResult.PENDING.value)),
        reviewed_by=d.get("reviewed_by", ""),
        review_note=d.get("review_note", ""),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
        updated_by=audit.get("updated_by", ""),
        updated_at=audit.get("updated_at"),
    )


# --- findings ---------------------------------------------------------------------------------------


def _range_to_document(period: DateRange | None) -> Document | None:
    return {"start": day(period.start), "end": day(period.end)} if period else None


def _document_to_range(d: Mapping[str, Any] | None) -> DateRange | None:
    if not d:
        return None
    start, end = parse_day(d["start"]), parse_day(d["end"])
    assert start is not None and end is not None
    return DateRange(start, end)


def finding_to_document(f: Finding) -> Document:
    c = f.condition
    return {
        "_id": f.finding_id,
        # Unique index: one open finding per breach. A resolved finding frees the key.
        "open_key": c.key if f.status is FindingStatus.OPEN else f"resolved/{f.finding_id}",
        "key": c.key,
        "kind": c.kind.value,
        "status": f.status.value,
        "rule_id": c.rule_id,
        "station_id": c.station_id,
        "room_id": c.room_id,
        "zone_code": c.zone_code,
        "village_id": c.village_id,
        "officer_id": c.officer_id,
        "period": _range_to_document(c.period),
        "actual_value": c.actual_value,
        "required_value": c.required_value,
        "detail": c.detail,
        "raise_time": f.raise_time,
        "resolve_time": f.resolve_time,
        "resolution": f.resolution,
    }


def document_to_finding(d: Document) -> Finding:
    return Finding(
        finding_id=d["_id"],
        condition=Condition(
            kind=FindingKind(d["kind"]),
            key=d["key"],
            station_id=d.get("station_id", ""),
            room_id=d.get("room_id", ""),
            zone_code=d.get("zone_code", ""),
            village_id=d.get("village_id", ""),
            officer_id=d.get("officer_id", ""),
            period=_document_to_range(d.get("period")),
            actual_value=float(d.get("actual_value", 0.0)),
            required_value=float(d.get("required_value", 0.0)),
            detail=d.get("detail", ""),
        ),
        status=FindingStatus(d["status"]),
        raise_time=d["raise_time"],
        resolve_time=d.get("resolve_time"),
        resolution=d.get("resolution", ""),
    )


# --- conduct, ratings, assessments ------------------------------------------------------------------


def conduct_to_document(c: ConductRecord, station_id: str) -> Document:
    return {
        "_id": c.record_id,
        "officer_id": c.officer_id,
        "station_id": station_id,
        "rule": c.rule.value,
        "occur_date": day(c.occur_date),
        "description": c.description,
        "score_deduction": c.score_deduction,
        "evidence_reference": c.evidence_reference,
        "audit": _audit(c.created_by, c.created_at, c.created_by, c.created_at),
    }


def document_to_conduct(d: Document) -> ConductRecord:
    audit: Mapping[str, Any] = d.get("audit") or {}
    occur = parse_day(d["occur_date"])
    assert occur is not None
    return ConductRecord(
        record_id=d["_id"],
        officer_id=d["officer_id"],
        rule=ConductRule(d["rule"]),
        occur_date=occur,
        description=d.get("description", ""),
        score_deduction=float(d.get("score_deduction", 0.0)),
        evidence_reference=d.get("evidence_reference", ""),
        created_by=audit.get("created_by", ""),
        created_at=audit.get("created_at"),
    )


def rating_to_document(r: Rating) -> Document:
    return {
        "officer_id": r.officer_id,
        "period": r.period.key,
        "source": r.source.value,
        "score": r.score,
        "rater_id": r.rater_id,
        "comment": r.comment,
        "resident_reference": r.resident_reference,
        "submit_time": r.submit_time,
    }


def document_to_rating(d: Document) -> Rating:
    return Rating(
        rating_id=d["_id"],
        officer_id=d["officer_id"],
        period=Period.from_key(d["period"]),
        source=RatingSource(d["source"]),
        score=float(d["score"]),
        rater_id=d.get("rater_id", ""),
        comment=d.get("comment", ""),
        resident_reference=d.get("resident_reference", ""),
        submit_time=d.get("submit_time"),
    )


def assessment_to_document(a: Assessment) -> Document:
    return {
        "officer_id": a.officer_id,
        "name": a.name,
        "station_id": a.station_id,
        "group": a.group,
        "period": a.period.key,
        "status": a.status.value,
        "indicators": [
            {"code": i.code, "raw_value": i.raw_value, "score": i.score, "weight": i.weight}
            for i in a.indicators
        ],
        "ratings": [
            {"source": r.source.value, "count": r.count, "average": r.average, "weight": r.weight}
            for r in a.ratings
        ],
        "conduct_deduction": a.conduct_deduction,
        "total_score": a.total_score,
        "grade": a.grade.value,
        "station_rank": a.station_rank,
        "district_rank": a.district_rank,
        "compute_time": a.compute_time,
        "publish_time": a.publish_time,
    }


def document_to_assessment(d: Document) -> Assessment:
    return Assessment(
        assessment_id=d["_id"],
        officer_id=d["officer_id"],
        name=d.get("name", ""),
        station_id=d.get("station_id", ""),
        group=d.get("group", "police"),
        period=Period.from_key(d["period"]),
        status=AssessmentStatus(d["status"]),
        indicators=tuple(
            Indicator(i["code"], float(i["raw_value"]), float(i["score"]), float(i["weight"]))
            for i in d.get("indicators", [])
        ),
        ratings=tuple(
            RatingSummary(RatingSource(r["source"]), int(r["count"]), float(r["average"]), float(r["weight"]))
            for r in d.get("ratings", [])
        ),
        conduct_deduction=float(d.get("conduct_deduction", 0.0)),
        total_score=float(d.get("total_score", 0.0)),
        grade=Grade(d["grade"]),
        station_rank=int(d.get("station_rank", 0)),
        district_rank=int(d.get("district_rank", 0)),
        compute_time=d.get("compute_time"),
        publish_time=d.get("publish_time"),
    )

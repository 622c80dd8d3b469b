"""Domain objects to store and query in tests: officers, postings, villages, logs, findings, assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from jingwu_personnel.domain.assessment import Assessment, AssessmentStatus, Grade, Indicator
from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.conduct import ConductRecord, ConductRule
from jingwu_personnel.domain.findings import Condition, Finding, FindingKind, raise_finding
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole
from jingwu_personnel.domain.periods import Period, PeriodKind
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.ratings import Rating, RatingSource, RatingSummary
from jingwu_personnel.domain.territory import Setting, VillageView
from jingwu_personnel.domain.villages import Holder, VillageAssignment, VillageProfile
from jingwu_personnel.domain.worklogs import HouseholdVisit, SixAsk, SixRole, VisitLog, VisitLogKind
from jingwu_platform.calendar import DISTRICT_ZONE, DateRange

DISTRICT = "01"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 March in the district
MARCH = Period(PeriodKind.MONTHLY, 2026, 3)
STATION = "st-fuli"
ZONE = "01050101"


def officer(n: int, *roles: OfficerRole, station_id: str = STATION, **changes: object) -> Officer:
    base = Officer(
        officer_id=f"o-{n:03d}",
        name=f"民警{n}𠀋",  # a character outside the BMP round-trips unchanged
        roles=frozenset(roles or (OfficerRole.POLICE, OfficerRole.COMMUNITY_OFFICER)),
        branch=Branch.STATION,
        station_id=station_id,
        id_number="341302198803150417",
        phone="13905571234",
        former_workplace_village_ids=("v-old",),
        join_date=date(2015, 7, 1),
        audit=Audit.created("lead-1", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def posting(n: int, officer_id: str = "o-001", **changes: object) -> Posting:
    start = changes.pop("start_date", date(2026, 1, 1))
    assert isinstance(start, date)
    base = Posting(
        posting_id=f"{start:%Y%m%d}-p{n:03d}",
        officer_id=officer_id,
        role=OfficerRole.COMMUNITY_OFFICER,
        start_date=start,
        station_id=STATION,
        room_id="room-1",
        zone_code=ZONE,
        setting=Setting.URBAN,
        full_time=True,
        audit=Audit.created("lead-1", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def village(n: int, **changes: object) -> VillageAssignment:
    view = VillageView(
        village_id=f"v-{n:03d}",
        name=f"张庄{n}村",
        zone_code=ZONE,
        station_id=STATION,
        township="符离镇",
    )
    base = replace(
        VillageAssignment.of(view),
        profile=VillageProfile(view.village_id, township="符离镇", neighbouring_townships=("朱仙庄镇",)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def staffed(
    assignment: VillageAssignment, liaison: str = "o-001", auxiliary: str = "o-002"
) -> VillageAssignment:
    return replace(
        assignment,
        liaison=Holder(liaison, f"p-{liaison}", since=date(2026, 1, 1)),
        auxiliary=Holder(auxiliary, f"p-{auxiliary}", since=date(2026, 1, 1), rotation_due=date(2028, 1, 1)),
    )


def visit_log(n: int, officer_id: str = "o-001", day: date = date(2026, 3, 2), **changes: object) -> VisitLog:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=DISTRICT_ZONE) + timedelta(minutes=n)
    base = VisitLog(
        log_id=f"{start.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-l{n:03d}",
        officer_id=officer_id,
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=start.astimezone(UTC),
        end_time=(start + timedelta(hours=2)).astimezone(UTC),
        village_id="v-001",
        location=(116.96, 33.64),
        six_roles=(SixRole.MEDIATOR,),
        household_visits=(HouseholdVisit("h-1", (SixAsk.SECURITY, SixAsk.DISPUTES), "调解邻里纠纷"),),
        information_record_ids=("info-1",),
        audit=Audit.created(officer_id, AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def finding(
    n: int, kind: FindingKind = FindingKind.ROOM_UNDERSTAFFED, key: str = "", **condition: object
) -> Finding:
    values: dict[str, object] = {
        "station_id": STATION,
        "room_id": "room-1",
        "actual_value": 0.0,
        "required_value": 1.0,
        "detail": "room has 0 full-time officers, needs 1",
        **condition,
    }
    found = Condition(kind, key=key or f"{kind.value}/{n}", **values)  # type: ignore[arg-type]
    at = AT + timedelta(minutes=n)
    return raise_finding(found, finding_id=f"{at:%Y%m%dT%H%M%S%fZ}-f{n:03d}", at=at)


def compliance_finding(n: int, officer_id: str, week: DateRange) -> Finding:
    return finding(
        n,
        FindingKind.COMMUNITY_HOURS_SHORT,
        key=f"community_hours/{officer_id}/{week.start}",
        officer_id=officer_id,
        room_id="",
        period=week,
        actual_value=12.5,
        required_value=20.0,
    )


def assessment(officer_id: str, period: Period = MARCH, **changes: object) -> Assessment:
    base = Assessment(
        assessment_id=f"{officer_id}/{period.key}",
        officer_id=officer_id,
        name="王建国",
        station_id=STATION,
        group="police",
        period=period,
        status=AssessmentStatus.DRAFT,
        indicators=(Indicator("village_entries", 2.0, 100.0, 0.5), Indicator("log_audit", 1.0, 50.0, 0.5)),
        ratings=(RatingSummary(RatingSource.LEADER, 1, 80.0, 1.0),),
        conduct_deduction=10.0,
        total_score=67.5,
        grade=Grade.BASICALLY_COMPETENT,
        compute_time=AT,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rating(n: int, officer_id: str = "o-001", period: Period = MARCH, **changes: object) -> Rating:
    base = Rating(
        rating_id=f"r-{n:03d}",
        officer_id=officer_id,
        period=period,
        source=RatingSource.LEADER,
        score=80.0,
        rater_id="lead-1",
        comment="工作扎实",
        submit_time=AT + timedelta(minutes=n),
        submitted_by="lead-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def conduct(
    n: int, officer_id: str = "o-001", day: date = date(2026, 3, 1), **changes: object
) -> ConductRecord:
    base = ConductRecord(
        record_id=f"{day:%Y%m%d}-c{n:03d}",
        officer_id=officer_id,
        rule=ConductRule.FOUR_NOS,
        occur_date=day,
        description="工作日饮酒",
        score_deduction=10.0,
        station_id=STATION,
        audit=Audit.created("lead-1", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]

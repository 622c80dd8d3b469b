"""Work logs and compliance on the fakes (R-PER-8..11): logging a visit (idempotent per handheld
request), village days a month and community hours a week judged as findings, a late log resolving them,
leaders' audits of logs, work summaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from jingwu.personnel.v1 import events_pb2
from jingwu_personnel.domain.findings import FindingKind
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import PostingDraft
from jingwu_personnel.domain.worklogs import LogDraft, ReviewResult, SixDo, SixRole, VisitLog, VisitLogKind
from jingwu_platform.auth import Caller, Role
from jingwu_platform.calendar import DISTRICT_ZONE, DateRange
from jingwu_platform.errors import NotFound, RuleViolation, ValidationFailed

from .fakes import LEADER, FakePersonnel, fake_personnel, officer_caller
from .samples import DISTRICT, ZONE

# 2 April 2026 in the district: March is the last complete month, 23–29 March the last complete week.
TODAY = datetime(2026, 4, 2, 2, 0, tzinfo=DISTRICT_ZONE)


def visit(day: int, village_id: str = "v-1", month: int = 3) -> LogDraft:
    start = datetime(2026, month, day, 9, tzinfo=DISTRICT_ZONE)
    return LogDraft(
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=start,
        end_time=start + timedelta(hours=3),
        village_id=village_id,
        six_roles=(SixRole.MEDIATOR,),
        six_does=(SixDo.DISPUTE_RESOLUTION,),
        household_visits=(("h-1", (), ""),),
    )


async def liaison(personnel: FakePersonnel) -> str:
    await personnel.village("v-1")
    cop = await personnel.police("吴警官")
    draft = PostingDraft(
        cop.officer_id, OfficerRole.VILLAGE_LIAISON_OFFICER, village_id="v-1", start_date=date(2026, 2, 1)
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    return cop.officer_id


async def log(personnel: FakePersonnel, officer_id: str, draft: LogDraft, request_id: str = "") -> VisitLog:
    return await personnel.apps.logs.log(draft, caller=officer_caller(officer_id), request_id=request_id)


async def test_a_handheld_retrying_its_upload_gets_the_same_log_and_publishes_once() -> None:
    personnel = fake_personnel(at=TODAY)
    officer_id = await liaison(personnel)
    first = await log(personnel, officer_id, visit(3), request_id="visit-3")
    again = await log(personnel, officer_id, visit(3), request_id="visit-3")
    assert again == first and first.officer_id == officer_id and first.day == date(2026, 3, 3)
    assert len(personnel.outbox.of_type(events_pb2.VisitLogged)) == 1
    # Another officer's handheld choosing the same request id logs a visit of its own.
    other = await personnel.police("郑警官")
    assert (await log(personnel, other.officer_id, visit(3), request_id="visit-3")).log_id != first.log_id


async def test_a_month_with_one_village_day_is_a_finding_until_a_late_log_completes_it() -> None:
    # R-PER-8: ≥ 2 days a month in each of his villages (policy); the late log resolves the finding.
    personnel = fake_personnel(at=TODAY)
    officer_id = await liaison(personnel)
    await log(personnel, officer_id, visit(3))
    raised, _, open_count = await personnel.apps.staffing.evaluate(station_id="", as_of=None)
    short = [f for f in raised if f.condition.kind is FindingKind.VILLAGE_DAYS_SHORT]
    required = personnel.kit.policy.work.liaison_village_days_per_month
    assert [
        (f.condition.officer_id, f.condition.rule_id, f.condition.actual_value, f.condition.required_value)
        for f in short
    ] == [(officer_id, "R-PER-8", 1, required)]
    assert short[0].condition.period == DateRange(date(2026, 3, 1), date(2026, 3, 31))
    again, _, _ = await personnel.apps.staffing.evaluate(station_id="", as_of=None)
    assert not [f for f in again if f.condition.kind is FindingKind.VILLAGE_DAYS_SHORT]
    await log(personnel, officer_id, visit(17))
    resolved = await personnel.apps.staffing.get(short[0].finding_id)
    assert not resolved.open and resolved.resolution == "condition cleared (VisitLogged)"
    summary = await personnel.apps.logs.summary(officer_id, DateRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert [(m.days_present, m.required_days) for m in summary.village_days] == [(2, required)]
    assert summary.log_count == 2 and summary.household_count == 2
    assert open_count >= 1


async def test_a_community_week_under_twenty_hours_is_a_finding() -> None:
    # R-PER-9: ≥ 20 hours a week in the community (policy); overlapping logs count once.
    personnel = fake_personnel(at=TODAY)
    await personnel.room("room-1")
    cop = await personnel.police("蒋警官")
    draft = PostingDraft(
        cop.officer_id, OfficerRole.COMMUNITY_OFFICER, zone_code=ZONE, start_date=date(2026, 3, 1)
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    start = datetime(2026, 3, 23, 8, tzinfo=DISTRICT_ZONE)
    for offset, hours in ((0, 8), (1, 8), (1, 8)):  # the second day's log uploaded twice
        begin = start + timedelta(days=offset)
        work = LogDraft(VisitLogKind.COMMUNITY_WORK, begin, begin + timedelta(hours=hours), zone_code=ZONE)
        await log(personnel, cop.officer_id, work)
    raised, _, _ = await personnel.apps.staffing.evaluate(station_id="", as_of=None)
    (week,) = [f for f in raised if f.condition.kind is FindingKind.COMMUNITY_HOURS_SHORT]
    assert (week.condition.actual_value, week.condition.required_value, week.condition.rule_id) == (
        16,
        20,
        "R-PER-9",
    )


async def test_bad_logs_name_their_fields_and_unknown_officers_or_villages_are_not_found() -> None:
    personnel = fake_personnel(at=TODAY)
    cop = await personnel.police("郑警官")
    start = TODAY - timedelta(hours=2)
    bad = LogDraft(VisitLogKind.COMMUNITY_WORK, start, start - timedelta(hours=1), six_does=(None,))
    with pytest.raises(ValidationFailed) as refused:
        await log(personnel, cop.officer_id, bad)
    assert {v.field for v in refused.value.violations} == {"end_time", "zone_code", "six_does[0]"}
    with pytest.raises(NotFound):
        await log(personnel, cop.officer_id, visit(3, village_id="v-404"))
    with pytest.raises(NotFound):
        await log(personnel, "stranger", visit(3))
    assert personnel.outbox.of_type(events_pb2.VisitLogged) == []


async def test_a_leader_audits_a_log_but_nobody_his_own() -> None:
    # R-PER-11 log audits.
    personnel = fake_personnel(at=TODAY)
    officer_id = await liaison(personnel)
    logged = await log(personnel, officer_id, visit(3))
    own = Caller(officer_id, DISTRICT, frozenset({Role.SUPERVISOR}))
    with pytest.raises(RuleViolation) as refused:
        await personnel.apps.logs.review(logged.log_id, ReviewResult.APPROVED, "", caller=own)
    assert refused.value.rule_id == "R-PER-11"
    with pytest.raises(ValidationFailed):
        await personnel.apps.logs.review(logged.log_id, ReviewResult.PENDING, "", caller=LEADER)
    reviewed = await personnel.apps.logs.review(
        logged.log_id, ReviewResult.APPROVED, "内容翔实", caller=LEADER
    )
    assert (reviewed.review_result, reviewed.reviewed_by, reviewed.version) == (
        ReviewResult.APPROVED,
        "lead-1",
        1,
    )
    (event,) = personnel.outbox.of_type(events_pb2.VisitLogReviewed)
    assert event.log_id == logged.log_id and event.officer_id == officer_id
    approved, _ = await personnel.apps.logs.list_logs(
        officer_id=officer_id,
        village_id="",
        kind=None,
        period=None,
        review_result=ReviewResult.APPROVED,
        page_size=0,
        page_token="",
    )
    assert [entry.log_id for entry in approved] == [logged.log_id]
    with pytest.raises(NotFound):
        await personnel.apps.logs.review("log-404", ReviewResult.APPROVED, "", caller=LEADER)

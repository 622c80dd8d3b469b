"""Personnel's calendar rules on a FakeClock (entrypoints/schedules.py, issue 7 item 6): each fires when
its day, week, month or quarter has come or ended — not before, whether or not anything else happened
— does what its rule says for that period, and a second run of the period changes nothing. The rules
are bound as the process binds them (``Applications.schedules``) and run by the platform's scheduler
over its in-memory run store."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from jingwu_personnel.application.ports import AssessmentQuery
from jingwu_personnel.domain.assessment import AssessmentStatus
from jingwu_personnel.domain.findings import Finding, FindingKind, FindingStatus
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.periods import Period, PeriodKind
from jingwu_personnel.domain.postings import PostingDraft
from jingwu_personnel.domain.territory import VillageView
from jingwu_personnel.domain.villages import VillageAssignment
from jingwu_personnel.domain.worklogs import LogDraft, SixDo, SixRole, VisitLogKind
from jingwu_platform.calendar import DISTRICT_ZONE, DateRange
from jingwu_platform.schedule_runs import InMemoryScheduleRuns, Outcome
from jingwu_platform.scheduler import Scheduler

from .fakes import LEADER, FakePersonnel, fake_personnel, officer_caller
from .samples import STATION, ZONE


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DISTRICT_ZONE)


async def started(personnel: FakePersonnel) -> Scheduler:
    """The service's scheduler on the fake clock, having seen its schedules once (a running service:
    periods due from now on are run; history before it is not)."""
    scheduler = Scheduler(personnel.apps.schedules(), InMemoryScheduleRuns(), personnel.clock, holder="test")
    assert await scheduler.run_pending() == []
    return scheduler


async def run_at(personnel: FakePersonnel, scheduler: Scheduler, at: datetime) -> list[tuple[str, str]]:
    """Move the clock to ``at`` and run what is due: (schedule, period) of each run, all succeeded."""
    personnel.clock.set(at)
    records = await scheduler.run_pending()
    assert all(r.outcome is Outcome.SUCCEEDED for r in records), [r.error for r in records]
    return [(r.schedule, r.period) for r in records]


async def findings(personnel: FakePersonnel, kind: FindingKind) -> list[Finding]:
    found, _ = await personnel.apps.staffing.list_findings(
        kind=kind,
        status=FindingStatus.OPEN,
        station_id="",
        room_id="",
        village_id="",
        officer_id="",
        page_size=0,
        page_token="",
    )
    return found


async def test_blank_villages_are_found_every_day_even_when_no_evaluation_ran() -> None:
    # R-PER-5: a village stored without the evaluation that should have followed (the process died
    # in between) is caught by the next day's run.
    personnel = fake_personnel(at=local(2026, 3, 2, 9))
    scheduler = await started(personnel)
    await personnel.village("v-1")
    unevaluated = VillageView("v-2", "李庄村", zone_code=ZONE, station_id=STATION, township="符离镇")
    await personnel.repositories.villages.add(VillageAssignment.of(unevaluated))
    assert [f.condition.village_id for f in await findings(personnel, FindingKind.BLANK_VILLAGE)] == ["v-1"]
    assert await run_at(personnel, scheduler, local(2026, 3, 3, 0, 59)) == []  # not yet due
    ran = await run_at(personnel, scheduler, local(2026, 3, 3, 1, 0))
    assert ran == [("blank-villages", "2026-03-03")]
    blank = sorted(f.condition.village_id for f in await findings(personnel, FindingKind.BLANK_VILLAGE))
    without = await findings(personnel, FindingKind.VILLAGE_WITHOUT_AUXILIARY)
    assert blank == ["v-1", "v-2"] and sorted(f.condition.village_id for f in without) == ["v-1", "v-2"]
    events = len(personnel.outbox.events)
    later = await run_at(personnel, scheduler, local(2026, 3, 3, 12))
    assert later == [("auxiliary-rotation", "2026-03-03")]  # the day's blank-villages period has run
    assert await run_at(personnel, scheduler, local(2026, 3, 4, 1, 5)) == [("blank-villages", "2026-03-04")]
    assert len(personnel.outbox.events) == events  # the next day's run: the same breaches, nothing new


async def test_an_auxiliary_is_due_to_rotate_on_the_day_the_calendar_says() -> None:
    # R-PER-7: no command or event marks the day a resident auxiliary is due to rotate; the daily run does.
    personnel = fake_personnel(at=local(2026, 3, 2, 9))
    await personnel.village("v-1", township="符离镇")
    aux = await personnel.auxiliary("刘辅警", home_township="符离镇")
    await personnel.apps.villages.assign_auxiliary(
        "v-1",
        aux.officer_id,
        date(2026, 3, 2),
        date(2026, 3, 4),
        caller=LEADER,
        start_invalid=False,
        due_invalid=False,
        reason="驻村辅警派驻",
    )
    scheduler = await started(personnel)
    assert await run_at(personnel, scheduler, local(2026, 3, 3, 1, 20)) == [
        ("blank-villages", "2026-03-03"),
        ("auxiliary-rotation", "2026-03-03"),
    ]
    assert await findings(personnel, FindingKind.AUXILIARY_ROTATION_DUE) == []
    assert await run_at(personnel, scheduler, local(2026, 3, 4, 1, 14)) == [("blank-villages", "2026-03-04")]
    assert await findings(personnel, FindingKind.AUXILIARY_ROTATION_DUE) == []  # 01:15 is not yet
    assert await run_at(personnel, scheduler, local(2026, 3, 4, 1, 15)) == [
        ("auxiliary-rotation", "2026-03-04")
    ]
    (due,) = await findings(personnel, FindingKind.AUXILIARY_ROTATION_DUE)
    assert (due.condition.officer_id, due.condition.rule_id) == (aux.officer_id, "R-PER-7")


def visit(day: datetime, village_id: str = "v-1") -> LogDraft:
    return LogDraft(
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=day,
        end_time=day + timedelta(hours=3),
        village_id=village_id,
        six_roles=(SixRole.MEDIATOR,),
        six_does=(SixDo.DISPUTE_RESOLUTION,),
        household_visits=(("h-1", (), ""),),
    )


async def test_village_days_are_judged_once_the_month_has_ended() -> None:
    # R-PER-8: ≥ 2 village days a month (policy), judged on the 1st for the month before.
    personnel = fake_personnel(at=local(2026, 2, 20, 9))
    await personnel.village("v-1")
    cop = await personnel.police("吴警官")
    draft = PostingDraft(
        cop.officer_id, OfficerRole.VILLAGE_LIAISON_OFFICER, village_id="v-1", start_date=date(2026, 2, 1)
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    await personnel.apps.logs.log(
        visit(local(2026, 2, 3, 9)), caller=officer_caller(cop.officer_id), request_id=""
    )
    scheduler = await started(personnel)
    assert ("village-days", "2026-02") not in await run_at(personnel, scheduler, local(2026, 3, 1, 1, 59))
    assert await findings(personnel, FindingKind.VILLAGE_DAYS_SHORT) == []
    assert ("village-days", "2026-02") in await run_at(personnel, scheduler, local(2026, 3, 1, 2, 0))
    (short,) = await findings(personnel, FindingKind.VILLAGE_DAYS_SHORT)
    assert short.condition.period == DateRange(date(2026, 2, 1), date(2026, 2, 28))
    assert (short.condition.actual_value, short.condition.required_value) == (
        1,
        personnel.kit.policy.work.liaison_village_days_per_month,
    )
    # The same month judged again (an attempt taken over after a crash) raises nothing more.
    events = len(personnel.outbox.events)
    await personnel.apps.calendar.village_days(
        scheduler.schedule("village-days").spec.cadence.latest_due(personnel.clock.now())
    )
    assert len(personnel.outbox.events) == events


async def test_community_hours_are_judged_once_the_week_has_ended() -> None:
    # R-PER-9: ≥ 20 hours a week in the community (policy), judged on Monday for the week before.
    personnel = fake_personnel(at=local(2026, 3, 23, 7))
    cop = await personnel.police("蒋警官")
    draft = PostingDraft(
        cop.officer_id, OfficerRole.COMMUNITY_OFFICER, zone_code=ZONE, start_date=date(2026, 3, 1)
    )
    await personnel.apps.postings.post(draft, caller=LEADER, request_id="")
    begin = local(2026, 3, 23, 8)
    work = LogDraft(VisitLogKind.COMMUNITY_WORK, begin, begin + timedelta(hours=12), zone_code=ZONE)
    scheduler = await started(personnel)
    personnel.clock.set(local(2026, 3, 24, 9))  # the log is uploaded the next morning
    await personnel.apps.logs.log(work, caller=officer_caller(cop.officer_id), request_id="")
    ran = await run_at(personnel, scheduler, local(2026, 3, 30, 2, 30))  # Monday after the week
    assert ("community-hours", "2026-W13") in ran
    (week,) = await findings(personnel, FindingKind.COMMUNITY_HOURS_SHORT)
    assert (week.condition.period, week.condition.actual_value) == (
        DateRange(date(2026, 3, 23), date(2026, 3, 29)),
        12,
    )


async def test_monthly_and_quarterly_assessments_are_drafted_after_their_period() -> None:
    # R-PER-11: monthly evaluation (月评) and quarterly assessment (季考) drafts from platform data.
    personnel = fake_personnel(at=local(2026, 3, 20, 9))
    good = await personnel.police("优秀民警")
    aux = await personnel.auxiliary("辅警")
    scheduler = await started(personnel)
    ran = await run_at(personnel, scheduler, local(2026, 4, 1, 3, 45))
    assert {("monthly-evaluation", "2026-03"), ("quarterly-assessment", "2026-Q1")} <= set(ran)
    march = await personnel.repositories.assessments.select(
        AssessmentQuery(Period(PeriodKind.MONTHLY, 2026, 3))
    )
    quarter = await personnel.repositories.assessments.select(
        AssessmentQuery(Period(PeriodKind.QUARTERLY, 2026, 1))
    )
    assert (
        {a.officer_id for a in march} == {a.officer_id for a in quarter} == {good.officer_id, aux.officer_id}
    )
    assert {a.status for a in march} == {AssessmentStatus.DRAFT}
    # Published (final): the next attempt for the period has nothing to draft, and does not fail.
    assert await personnel.apps.assessment.publish((PeriodKind.MONTHLY, 2026, 3), "") == 2
    await personnel.apps.calendar.monthly_evaluation(
        scheduler.schedule("monthly-evaluation").spec.cadence.latest_due(personnel.clock.now())
    )

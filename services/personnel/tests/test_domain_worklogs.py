"""Logs (R-PER-8..10): village days per month, community hours per week, the visit checklists. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.worklogs import (
    LogDraft,
    SixAsk,
    SixDo,
    SixRole,
    VisitLog,
    VisitLogKind,
    community_hours,
    community_weeks,
    record_log,
    village_days,
    village_months,
    work_summary,
)
from jingwu_platform.calendar import DISTRICT_ZONE, DateRange, month_of, week_of
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.policy import DistrictPolicy

WORK = DistrictPolicy().work
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OCTOBER = month_of(date(2026, 10, 1))


def local(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=DISTRICT_ZONE) + timedelta(hours=hour)


def visit(
    day: date, village: str = "v1", officer: str = "o1", hours: float = 2, start: float = 9
) -> VisitLog:
    return VisitLog(
        log_id=f"{officer}-{village}-{day}-{start}",
        officer_id=officer,
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=local(day, start),
        end_time=local(day, start + hours),
        village_id=village,
    )


def work(day: date, hours: float, start: float = 8, officer: str = "o1") -> VisitLog:
    return VisitLog(
        log_id=f"{officer}-{day}-{start}-{hours}",
        officer_id=officer,
        kind=VisitLogKind.COMMUNITY_WORK,
        start_time=local(day, start),
        end_time=local(day, start + hours),
        zone_code="01020301",
    )


def liaison(start: date = date(2026, 1, 1), end: date | None = None) -> Posting:
    return Posting("p1", "o1", OfficerRole.VILLAGE_LIAISON_OFFICER, start, village_id="v1", end_date=end)


def test_a_month_with_one_village_day_is_short_and_with_two_is_not() -> None:
    # R-PER-8: ≥ 2 days a month (policy.work.liaison_village_days_per_month).
    one = village_months([liaison()], [visit(date(2026, 10, 3))], OCTOBER, WORK)
    assert [(m.days_present, m.required_days, m.short) for m in one] == [
        (1, WORK.liaison_village_days_per_month, True)
    ]
    two = village_months([liaison()], [visit(date(2026, 10, 3)), visit(date(2026, 10, 17))], OCTOBER, WORK)
    assert not two[0].short


def test_two_visits_on_one_day_are_one_village_day() -> None:
    logs = [
        visit(date(2026, 10, 3)),
        visit(date(2026, 10, 3), start=15),
        visit(date(2026, 10, 3), village="v2"),
    ]
    assert village_days(logs, "o1", "v1", OCTOBER) == 1


def test_the_day_is_the_districts_local_day() -> None:
    # 30 Sep 17:00 UTC is 1 Oct 01:00 in the district: an October day.
    late = VisitLog(
        log_id="l",
        officer_id="o1",
        kind=VisitLogKind.VILLAGE_VISIT,
        start_time=datetime(2026, 9, 30, 17, 0, tzinfo=UTC),
        end_time=datetime(2026, 9, 30, 18, 0, tzinfo=UTC),
        village_id="v1",
    )
    assert village_days([late], "o1", "v1", OCTOBER) == 1


def test_a_month_held_only_in_part_is_not_judged() -> None:
    assert village_months([liaison(start=date(2026, 10, 10))], [], OCTOBER, WORK) == []
    assert village_months([liaison(end=date(2026, 10, 20))], [], OCTOBER, WORK) == []
    assert len(village_months([liaison(end=date(2026, 11, 1))], [], OCTOBER, WORK)) == 1


def test_19_5_community_hours_are_short_and_20_are_not() -> None:
    # R-PER-9: ≥ 20 hours a week (policy.work.community_hours_per_week).
    week = week_of(date(2026, 10, 5))
    posting = Posting("p", "o1", OfficerRole.COMMUNITY_OFFICER, date(2026, 1, 1), zone_code="01020301")
    days = [week.start + timedelta(days=i) for i in range(4)]
    short = [work(d, 5) for d in days[:3]] + [work(days[3], 4.5)]
    assert community_hours(short, "o1", week) == pytest.approx(19.5)
    assert community_weeks([posting], short, week, WORK)[0].short
    enough = [work(d, 5) for d in days]
    assert not community_weeks([posting], enough, week, WORK)[0].short


def test_overlapping_logs_count_once_and_weeks_are_clipped() -> None:
    week = week_of(date(2026, 10, 5))  # Monday 5 Oct .. Sunday 11 Oct
    duplicate = [work(week.start, 4), work(week.start, 4), work(week.start, 4, start=10)]
    assert community_hours(duplicate, "o1", week) == pytest.approx(6)
    sunday_night = work(week.end, 6, start=21)  # 21:00 Sunday to 03:00 Monday
    assert community_hours([sunday_night], "o1", week) == pytest.approx(3)
    assert community_hours([work(week.start, 5, officer="o2")], "o1", week) == 0


def test_a_log_records_the_six_roles_does_and_asks() -> None:
    # R-PER-10
    log = record_log(
        LogDraft(
            kind=VisitLogKind.VILLAGE_VISIT,
            start_time=NOW - timedelta(hours=3),
            end_time=NOW - timedelta(hours=1),
            village_id="v1",
            six_roles=(SixRole.MEDIATOR, SixRole.MEDIATOR, SixRole.LAW_PUBLICIST),
            six_does=(SixDo.DISPUTE_RESOLUTION,),
            household_visits=(("h1", (SixAsk.SECURITY, SixAsk.OPINIONS), "独居老人"),),
        ),
        log_id="l1",
        officer_id="o1",
        district="01",
        now=NOW,
    )
    assert log.six_roles == (SixRole.MEDIATOR, SixRole.LAW_PUBLICIST)
    assert log.household_visits[0].asks == (SixAsk.SECURITY, SixAsk.OPINIONS)


def test_bad_logs_name_every_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        record_log(
            LogDraft(
                kind=VisitLogKind.VILLAGE_VISIT,
                start_time=NOW,
                end_time=NOW - timedelta(hours=1),
                six_roles=(None,),
                household_visits=(("", (None,), ""),),
            ),
            log_id="l",
            officer_id="o1",
            district="01",
            now=NOW,
        )
    assert {v.field for v in exc.value.violations} == {
        "end_time",
        "village_id",
        "six_roles[0]",
        "household_visits[0].house_id",
        "household_visits[0].asks[0]",
    }
    with pytest.raises(ValidationFailed) as exc:
        record_log(
            LogDraft(kind=VisitLogKind.COMMUNITY_WORK, start_time=NOW, end_time=NOW + timedelta(days=1)),
            log_id="l",
            officer_id="o1",
            district="01",
            now=NOW,
        )
    assert {v.field for v in exc.value.violations} == {"end_time", "zone_code"}


def test_work_summary_lists_obligations_and_unobliged_work() -> None:
    period = DateRange(date(2026, 10, 1), date(2026, 10, 31))
    logs = [visit(date(2026, 10, 3)), visit(date(2026, 10, 9), village="v9")]
    summary = work_summary("o1", [liaison()], logs, period, WORK)
    assert summary.log_count == 2
    assert [(m.village_id, m.days_present, m.required_days) for m in summary.village_days] == [
        ("v1", 1, WORK.liaison_village_days_per_month),
        ("v9", 1, 0),
    ]

"""Cadences of calendar rules (jingwu_platform.schedule): period keys and dates, when each period is due
in the district calendar (UTC+8), and the cron line of its CronJob, checked against the due moments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.schedule import (
    FRIDAY,
    MONDAY,
    SUNDAY,
    Cadence,
    Period,
    ScheduleSpec,
    daily,
    every_months,
    monthly,
    quarterly,
    weekly,
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=DISTRICT_ZONE)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# The calendar rules the services will declare (domain.md), as cadences.
RULES = {
    "R-PER-5 daily": daily(at=time(1, 0)),
    "R-PER-8 month end": monthly(day=1, at=time(1, 30), covers="previous"),
    "R-PER-11 monthly": monthly(day=1, at=time(2, 0), covers="previous"),
    "R-PER-11 quarterly": quarterly(day=1, at=time(3, 0), covers="previous"),
    "R-POP-3 monthly": monthly(day=1, at=time(0, 30)),
    "R-NOT-1 weekly": weekly(weekday=MONDAY, at=time(8, 0)),
    "R-NOT-2 two months": every_months(2, day=1, at=time(9, 0)),
    "late evening, previous day": daily(at=time(23, 45), covers="previous"),
    "Sunday night": weekly(weekday=SUNDAY, at=time(22, 0), covers="previous"),
    "mid-month": monthly(day=15, at=time(7, 59)),
    "half-year": every_months(6, day=28, at=time(12, 0)),
    "yearly": every_months(12, at=time(0, 0), covers="previous"),
}


# ------------------------------------------------------------------------------------------------
# periods and their keys


def test_daily_at_one_in_the_morning_is_due_at_17_utc_the_day_before() -> None:
    cadence = daily(at=time(1, 0))  # R-PER-5
    just_before = utc(2026, 2, 28, 16, 59)  # 00:59 on 1 March in China
    assert cadence.latest_due(just_before) == Period(
        "2026-02-28", date(2026, 2, 28), date(2026, 2, 28), utc(2026, 2, 27, 17, 0)
    )
    assert cadence.next_due(just_before) == Period(
        "2026-03-01", date(2026, 3, 1), date(2026, 3, 1), utc(2026, 2, 28, 17, 0)
    )
    assert cadence.latest_due(utc(2026, 2, 28, 17, 0)).key == "2026-03-01"  # due at the minute itself


def test_local_midnight_is_16_utc_of_the_previous_day() -> None:
    cadence = daily()
    assert cadence.latest_due(utc(2026, 3, 1, 15, 59, 59)).key == "2026-03-01"
    assert cadence.latest_due(utc(2026, 3, 1, 16, 0)).key == "2026-03-02"  # 00:00 on 2 March in China


def test_weekly_keys_are_iso_weeks_monday_to_sunday() -> None:
    cadence = weekly(weekday=MONDAY, at=time(8, 0))  # R-NOT-1
    period = cadence.latest_due(local(2026, 3, 1, 12, 0))  # a Sunday: the week began on 23 Feb
    assert (period.key, period.start, period.end) == ("2026-W09", date(2026, 2, 23), date(2026, 3, 1))
    assert period.due == local(2026, 2, 23, 8, 0)
    # Across a year end the ISO year is the week's: 29 Dec 2025 starts 2026-W01.
    assert cadence.latest_due(local(2025, 12, 31, 9, 0)).key == "2026-W01"
    assert cadence.latest_due(local(2026, 12, 28, 9, 0)).key == "2026-W53"


def test_a_weekday_later_in_the_week() -> None:
    cadence = weekly(weekday=FRIDAY, at=time(17, 0))
    assert cadence.latest_due(local(2026, 3, 5, 23, 0)).key == "2026-W09"  # Thursday: last Friday's
    assert cadence.latest_due(local(2026, 3, 6, 17, 0)).key == "2026-W10"
    assert cadence.cron() == "0 17 * * 5"


def test_month_judged_after_its_end_covers_the_whole_previous_month() -> None:
    cadence = monthly(day=1, at=time(1, 30), covers="previous")  # R-PER-8
    march = cadence.latest_due(local(2026, 4, 1, 1, 30))
    assert (march.key, march.start, march.end) == ("2026-03", date(2026, 3, 1), date(2026, 3, 31))
    assert march.due == local(2026, 4, 1, 1, 30) == utc(2026, 3, 31, 17, 30)
    february = cadence.latest_due(local(2026, 4, 1, 1, 29))
    assert (february.key, february.end) == ("2026-02", date(2026, 2, 28))
    leap = cadence.latest_due(local(2028, 3, 2))
    assert (leap.key, leap.end, leap.dates.days()) == ("2028-02", date(2028, 2, 29), 29)
    december = cadence.latest_due(local(2027, 1, 1, 2, 0))
    assert (december.key, december.start, december.end) == ("2026-12", date(2026, 12, 1), date(2026, 12, 31))


def test_monthly_on_a_later_day_for_the_current_month() -> None:
    cadence = monthly(day=15, at=time(7, 59))
    assert cadence.latest_due(local(2026, 3, 15, 7, 58)).key == "2026-02"
    assert cadence.latest_due(local(2026, 3, 15, 7, 59)).key == "2026-03"
    assert cadence.next_due(local(2026, 3, 20)).due == local(2026, 4, 15, 7, 59)


def test_quarters() -> None:
    assessment = quarterly(day=1, at=time(3, 0), covers="previous")  # R-PER-11
    q4 = assessment.latest_due(local(2027, 1, 10))
    assert (q4.key, q4.start, q4.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    q1 = assessment.latest_due(local(2026, 4, 1, 3, 0))
    assert (q1.key, q1.start, q1.end, q1.due) == (
        "2026-Q1",
        date(2026, 1, 1),
        date(2026, 3, 31),
        local(2026, 4, 1, 3, 0),
    )
    assert assessment.cron() == "0 3 1 1,4,7,10 *"
    current = quarterly(day=5)
    assert current.latest_due(local(2026, 7, 4)).key == "2026-Q2"  # 5th of the first month
    assert current.latest_due(local(2026, 7, 5)).key == "2026-Q3"


def test_every_two_months_from_january() -> None:
    meetings = every_months(2, day=1, at=time(9, 0))  # R-NOT-2
    period = meetings.latest_due(local(2026, 4, 20))
    assert (period.key, period.start, period.end) == ("2026-03..04", date(2026, 3, 1), date(2026, 4, 30))
    assert period.due == local(2026, 3, 1, 9, 0)
    assert meetings.next_due(local(2026, 4, 20)).key == "2026-05..06"
    assert meetings.latest_due(local(2026, 1, 1, 8, 59)).key == "2025-11..12"
    assert meetings.latest_due(local(2026, 12, 31)).end == date(2026, 12, 31)
    assert meetings.cron() == "0 9 1 1,3,5,7,9,11 *"
    previous = every_months(2, covers="previous")
    assert previous.latest_due(local(2026, 1, 1)).key == "2025-11..12"


def test_half_years_and_years() -> None:
    assert every_months(6, day=28, at=time(12, 0)).latest_due(local(2026, 7, 28, 12)).key == "2026-07..12"
    assert every_months(12, covers="previous").latest_due(local(2026, 1, 1)).key == "2025"
    assert every_months(12).cron() == "0 0 1 1 *"


def test_cron_lines() -> None:
    assert daily(at=time(1, 0)).cron() == "0 1 * * *"
    assert weekly(weekday=MONDAY, at=time(8, 5)).cron() == "5 8 * * 1"
    assert weekly(weekday=SUNDAY).cron() == "0 0 * * 0"
    assert monthly(day=1, at=time(1, 30), covers="previous").cron() == "30 1 1 * *"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: monthly(day=31), "day must be 1–28"),
        (lambda: monthly(day=0), "day must be 1–28"),
        (lambda: weekly(weekday=7), "weekday must be"),
        (lambda: every_months(5), "every must divide a year"),
        (lambda: daily(at=time(1, 0, 30)), "whole minutes"),
        (lambda: daily(at=time(1, 0, tzinfo=UTC)), "no tzinfo"),
        (lambda: Cadence("day", every=2), "month cadences only"),
        (lambda: daily(covers="next"), "covers must be"),  # type: ignore[arg-type]
    ],
)
def test_bad_cadences_are_refused_clearly(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


# ------------------------------------------------------------------------------------------------
# the cron line fires exactly at the due moments (a small cron evaluator of the fields we emit)


def _field_matches(field: str, value: int) -> bool:
    return field == "*" or value in {int(part) for part in field.split(",")}


def _cron_fires_on(expression: str, day: date) -> datetime | None:
    """Where a cron line of the shape we emit (one minute a day at most) fires on a local day."""
    minute, hour, dom, month, dow = expression.split()
    if not (_field_matches(dom, day.day) and _field_matches(month, day.month)):
        return None
    if not _field_matches(dow, (day.weekday() + 1) % 7):
        return None
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=DISTRICT_ZONE)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_cron_line_fires_exactly_when_each_period_becomes_due(rule: str) -> None:
    cadence = RULES[rule]
    first, last = date(2025, 1, 1), date(2028, 12, 31)
    fires = []
    day = first
    while day <= last:
        at = _cron_fires_on(cadence.cron(), day)
        if at is not None:
            fires.append(at.astimezone(UTC))
        day += timedelta(days=1)
    dues = []
    start = datetime.combine(first, time(0, 0), tzinfo=DISTRICT_ZONE)
    period = cadence.next_due(start - timedelta(minutes=1))
    while local_day(period.due) <= last:
        dues.append(period.due)
        period = cadence.next_due(period.due)
    assert fires == dues
    assert len(fires) >= 4


def local_day(at: datetime) -> date:
    return at.astimezone(DISTRICT_ZONE).date()


# ------------------------------------------------------------------------------------------------
# properties over any moment


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@given(now=moments, rule=st.sampled_from(sorted(RULES)))
def test_latest_and_next_due_bracket_now(now: datetime, rule: str) -> None:
    cadence = RULES[rule]
    latest, following = cadence.latest_due(now), cadence.next_due(now)
    assert latest.due <= now < following.due
    assert cadence.latest_due(following.due) == following  # due at its own moment
    assert cadence.next_due(latest.due) == following  # nothing in between
    assert following.start == latest.end + timedelta(days=1)  # periods tile the calendar
    assert latest.start <= latest.end and latest.key != following.key
    if cadence.covers == "current":
        assert latest.dates.contains(local_day(latest.due))
    else:
        assert local_day(latest.due) == latest.end + timedelta(days=1) + _offset(cadence)


def _offset(cadence: Cadence) -> timedelta:
    return timedelta(days={"day": 0, "week": cadence.weekday, "month": cadence.day - 1}[cadence.unit])


# ------------------------------------------------------------------------------------------------
# specs


def test_spec_carries_the_rule_and_its_chart_entry() -> None:
    spec = ScheduleSpec(name="blank-villages", rule_id="R-PER-5", cadence=daily(at=time(1, 0)))
    assert spec.chart_entry() == {"name": "blank-villages", "cron": "0 1 * * *", "ruleId": "R-PER-5"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Blank_Villages"}, "DNS label"),
        ({"name": "x" * 33}, "DNS label"),
        ({"name": "ends-"}, "DNS label"),
        ({"rule_id": "PER-5"}, "rule_id"),
        ({"lease": timedelta(milliseconds=10)}, "lease"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_bad_specs_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"name": "blank-villages", "rule_id": "R-PER-5", "cadence": daily(), **fields}
    with pytest.raises(ValueError, match=message):
        ScheduleSpec(**values)  # type: ignore[arg-type]

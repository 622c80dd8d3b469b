"""The district's local calendar: months, quarters and Monday-based weeks. Pure.

Dates on the contract are local dates (jingwu.common.v1.LocalDate). Every district of the platform is in
China, whose civil time is UTC+8 all year, so "which day was this visit" is decided in that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")


def local_date(at: datetime) -> date:
    return at.astimezone(DISTRICT_ZONE).date()


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=DISTRICT_ZONE)


@dataclass(frozen=True, order=True)
class DateRange:
    """Closed range of local dates."""

    start: date
    end: date

    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def month_of(day: date) -> DateRange:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return DateRange(first, following - timedelta(days=1))


def quarter_range(year: int, quarter: int) -> DateRange:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    return DateRange(first, month_of(date(year, 3 * quarter, 1)).end)


def months_in(period: DateRange) -> list[DateRange]:
    """Calendar months overlapping ``period``, whole."""
    months = []
    cursor = period.start.replace(day=1)
    while cursor <= period.end:
        month = month_of(cursor)
        months.append(month)
        cursor = month.end + timedelta(days=1)
    return months


def week_of(day: date) -> DateRange:
    monday = day - timedelta(days=day.weekday())
    return DateRange(monday, monday + timedelta(days=6))


def weeks_in(period: DateRange) -> list[DateRange]:
    """Monday-based weeks overlapping ``period``, whole."""
    weeks = []
    cursor = week_of(period.start)
    while cursor.start <= period.end:
        weeks.append(cursor)
        cursor = week_of(cursor.end + timedelta(days=1))
    return weeks


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = month_of(date(year, month, 1)).end
    return date(year, month, min(day.day, last.day))

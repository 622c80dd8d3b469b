"""Golden-hour visit slots (R-PAT-5): door-to-door visits go when residents are at home — 12:00–13:00
and 17:00–19:00 on working days, and weekends and holidays (policy values; holidays from the
district's calendar). Served to community officers as a schedule helper. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum


class GoldenReason(StrEnum):
    NOON = "noon"
    EVENING = "evening"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True)
class GoldenSlot:
    day: date
    start_minute: int
    end_minute: int
    reason: GoldenReason


def _minute(at: time) -> int:
    return at.hour * 60 + at.minute


def golden_slots(
    first: date,
    last: date,
    *,
    working_day_hours: Iterable[tuple[time, time]],
    rest_day_hours: tuple[time, time],
    holidays: Iterable[date],
) -> list[GoldenSlot]:
    """Slots in [first, last], in date order. A working day gets the policy's golden hours (the first
    pair is noon, the others evening); a weekend day or holiday gets one slot over the rest-day hours
    (holiday wins when a holiday falls on a weekend)."""
    hours = list(working_day_hours)
    rest = set(holidays)
    slots: list[GoldenSlot] = []
    day = first
    while day <= last:
        if day in rest or day.isoweekday() >= 6:
            reason = GoldenReason.HOLIDAY if day in rest else GoldenReason.WEEKEND
            slots.append(GoldenSlot(day, _minute(rest_day_hours[0]), _minute(rest_day_hours[1]), reason))
        else:
            for index, (start, end) in enumerate(hours):
                reason = GoldenReason.NOON if index == 0 else GoldenReason.EVENING
                slots.append(GoldenSlot(day, _minute(start), _minute(end), reason))
        day += timedelta(days=1)
    return slots

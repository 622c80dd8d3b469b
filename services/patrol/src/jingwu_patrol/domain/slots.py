"""Weekly time slots in the district's local time (R-PAT-2): when cases cluster, when a hot spot is to
be covered, a plan's shift. Pure.

A slot is a set of ISO weekdays (1 = Monday … 7 = Sunday; empty = every day) and minutes after local
midnight ``[start_minute, end_minute)``; ``end_minute`` may pass 1440 for a slot that crosses midnight
(22:00–02:00 is 1320–1560), so a slot is at most 24 hours long. The "hour of week" of the hot-spot
ranking is 0 (Monday 00:00–01:00) … 167 (Sunday 23:00–24:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from jingwu_platform.calendar import DISTRICT_ZONE, local_midnight
from jingwu_platform.errors import Validator

MINUTES_PER_DAY = 1440
HOURS_PER_WEEK = 168
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class TimeSlot:
    weekdays: tuple[int, ...] = ()
    start_minute: int = 0
    end_minute: int = MINUTES_PER_DAY

    @property
    def minutes(self) -> int:
        return self.end_minute - self.start_minute

    def applies_on(self, day: date) -> bool:
        """The slot starts on ``day`` (a slot crossing midnight belongs to the day it starts)."""
        return not self.weekdays or day.isoweekday() in self.weekdays

    def window_on(self, day: date) -> tuple[datetime, datetime]:
        """The slot's UTC window on a day it applies to."""
        midnight = local_midnight(day)
        start = midnight + timedelta(minutes=self.start_minute)
        end = midnight + timedelta(minutes=self.end_minute)
        return start.astimezone(UTC), end.astimezone(UTC)

    def label(self) -> str:
        days = "每天" if not self.weekdays else "、".join(WEEKDAY_NAMES[d - 1] for d in sorted(self.weekdays))
        return f"{days} {clock(self.start_minute)}–{clock(self.end_minute)}"


def clock(minute: int) -> str:
    """``HH:MM`` of a minute after midnight (24:00 and beyond for slots crossing midnight)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


WHOLE_DAY = TimeSlot()


def check_slot(v: Validator, field: str, slot: TimeSlot) -> bool:
    """Weekdays 1..7 without repeats; start in [0, 1440); end after start, at most 24 hours later."""
    ok = True
    for index, weekday in enumerate(slot.weekdays):
        ok &= v.check(
            1 <= weekday <= 7, f"{field}.weekdays[{index}]", f"must be 1 (Monday) … 7 (Sunday), got {weekday}"
        )
    ok &= v.check(
        len(set(slot.weekdays)) == len(slot.weekdays), f"{field}.weekdays", "a weekday is listed twice"
    )
    if v.check(
        0 <= slot.start_minute < MINUTES_PER_DAY,
        f"{field}.start_minute",
        f"must be in [0, 1440) (minutes after local midnight), got {slot.start_minute}",
    ):
        ok &= v.check(
            slot.start_minute < slot.end_minute <= slot.start_minute + MINUTES_PER_DAY,
            f"{field}.end_minute",
            f"must be after start_minute and at most 24 hours later "
            f"(≤ {slot.start_minute + MINUTES_PER_DAY}), got {slot.end_minute}",
        )
    else:
        ok = False
    return ok


def hour_of_week(at: datetime) -> int:
    """0 = Monday 00:00–01:00 local … 167 = Sunday 23:00–24:00."""
    local = at.astimezone(DISTRICT_ZONE)
    return local.weekday() * 24 + local.hour


def slot_of_hour(hour: int) -> TimeSlot:
    """The weekly slot of an hour of the week."""
    if not 0 <= hour < HOURS_PER_WEEK:
        raise ValueError(f"hour of week must be 0..167, got {hour}")
    weekday, start = divmod(hour, 24)
    return TimeSlot((weekday + 1,), start * 60, start * 60 + 60)


def local_minute(at: datetime) -> int:
    local = at.astimezone(DISTRICT_ZONE)
    return local.hour * 60 + local.minute


def day_window(day: date) -> tuple[datetime, datetime]:
    """A local day as a UTC window [start, end)."""
    start = local_midnight(day)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)

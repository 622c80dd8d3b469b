"""Street visibility (见警率, R-PAT-2, R-PAT-6): per zone and hour of the day, the share of the period's
hourly slots in which patrols — vehicles and officers' handhelds alike — were present in the zone for
at least the district's minimum minutes. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from jingwu_patrol.domain.slots import day_window
from jingwu_patrol.domain.territory import Interval
from jingwu_patrol.domain.tracks import merged, overlap_s


@dataclass(frozen=True)
class HourVisibility:
    hour: int
    slot_count: int
    present_count: int

    @property
    def share(self) -> float:
        return round(self.present_count / self.slot_count, 4) if self.slot_count else 0.0


@dataclass(frozen=True)
class ZoneVisibility:
    zone_code: str
    first: date
    last: date
    hours: tuple[HourVisibility, ...]

    @property
    def slot_count(self) -> int:
        return sum(h.slot_count for h in self.hours)

    @property
    def present_count(self) -> int:
        return sum(h.present_count for h in self.hours)

    @property
    def share(self) -> float:
        return round(self.present_count / self.slot_count, 4) if self.slot_count else 0.0


def visibility(
    zone_code: str, stays: Sequence[Interval], first: date, last: date, min_minutes: float
) -> ZoneVisibility:
    """``stays``: every patrol device's stays in the zone (seconds), in any order, overlapping allowed
    (two vehicles at once count once)."""
    union = merged(stays)
    present = [0] * 24
    days = (last - first).days + 1
    needed = min_minutes * 60
    for offset in range(days):
        start, _ = day_window(first + timedelta(days=offset))
        base = start.timestamp()
        for hour in range(24):
            if overlap_s(union, base + hour * 3600, base + (hour + 1) * 3600) >= needed:
                present[hour] += 1
    return ZoneVisibility(
        zone_code, first, last, tuple(HourVisibility(h, days, present[h]) for h in range(24))
    )

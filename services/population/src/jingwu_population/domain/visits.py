"""Familiarisation visits (R-POP-5): a community officer gets to know 30 permanent households a week (a
district policy value). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from jingwu_platform.calendar import DISTRICT_ZONE, local_date, week_of


@dataclass(frozen=True, slots=True)
class Visit:
    visit_id: str
    officer_id: str
    house_id: str
    zone_code: str
    visited_at: datetime
    week_start: date
    met_resident_ids: tuple[str, ...]
    golden_hour: bool
    # The house had a permanent household (常住户) at the time (R-POP-5 counts only those).
    permanent: bool
    notes: str = ""
    version: int = 0


@dataclass(frozen=True)
class WeekProgress:
    officer_id: str
    week_start: date
    households_visited: int
    target: int

    @property
    def met(self) -> bool:
        return self.households_visited >= self.target


def in_golden_hours(
    at: datetime, windows: Sequence[tuple[time, time]], holidays: Iterable[date] = ()
) -> bool:
    """R-PAT-5: visits at noon or in the evening, or any time on weekends and holidays, find people in."""
    local = at.astimezone(DISTRICT_ZONE)
    if local.weekday() >= 5 or local.date() in set(holidays):
        return True
    clock = local.time().replace(tzinfo=None)
    return any(start <= clock < end for start, end in windows)


def week_start_of(at: datetime) -> date:
    return week_of(local_date(at)).start


def progress(officer_id: str, week_start: date, visits: Iterable[Visit], target: int) -> WeekProgress:
    """R-POP-5: distinct permanent households the officer got to know in the week."""
    houses = {
        v.house_id
        for v in visits
        if v.officer_id == officer_id and v.week_start == week_start and v.permanent
    }
    return WeekProgress(officer_id, week_start, len(houses), target)

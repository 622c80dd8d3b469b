"""R-ROOM-6 duty rota: a room is staffed every day, weekends and holidays included; where the room has
two or more police officers one of them is on duty in the room each working day. Pure.

A room's rota is a calendar (date → officer on duty). Setting a rota for a period replaces that period
and keeps the days outside it, so months can be planned one at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from jingwu_platform.errors import Validator

# An input guard, not a policy: one request plans at most a year (plus a leap day).
MAX_PERIOD_DAYS = 366


class GapKind(StrEnum):
    UNCOVERED = "uncovered"
    NO_COMMUNITY_OFFICER = "no_community_officer"


@dataclass(frozen=True)
class RotaGap:
    day: date
    kind: GapKind
    detail: str = ""


@dataclass(frozen=True)
class Rota:
    room_id: str
    days: Mapping[date, str] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    version: int = 0

    def replace_period(
        self, start: date, end: date, days: Mapping[date, str], holidays: Collection[date]
    ) -> Rota:
        """The rota with ``[start, end]`` replaced by ``days`` and ``holidays``; other days kept."""
        kept = {d: officer for d, officer in self.days.items() if not start <= d <= end}
        kept_holidays = {d for d in self.holidays if not start <= d <= end}
        return Rota(
            self.room_id,
            {**kept, **days},
            frozenset(kept_holidays | set(holidays)),
            self.version,
        )

    def days_in(self, start: date, end: date) -> dict[date, str]:
        return {d: officer for d, officer in sorted(self.days.items()) if start <= d <= end}

    def holidays_in(self, start: date, end: date) -> list[date]:
        return sorted(d for d in self.holidays if start <= d <= end)


def each_day(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def check_period(v: Validator, field_name: str, start: date | None, end: date | None) -> bool:
    """Both ends are real dates, start <= end, at most MAX_PERIOD_DAYS long."""
    v.check(start is not None, f"{field_name}.start", "must be a valid date")
    v.check(end is not None, f"{field_name}.end", "must be a valid date")
    if start is None or end is None:
        return False
    if not v.check(start <= end, f"{field_name}.end", "must not be before the start"):
        return False
    return v.check(
        (end - start).days < MAX_PERIOD_DAYS, field_name, f"a period spans at most {MAX_PERIOD_DAYS} days"
    )


def validate_rota(
    start: date | None,
    end: date | None,
    days: Sequence[tuple[date | None, str]],
    holidays: Sequence[date | None],
) -> None:
    v = Validator()
    period_ok = check_period(v, "period", start, end)
    seen: set[date] = set()
    for index, (day, officer_id) in enumerate(days):
        field_name = f"days[{index}]"
        if v.check(day is not None, f"{field_name}.date", "must be a valid date") and day is not None:
            if period_ok and start is not None and end is not None:
                v.check(start <= day <= end, f"{field_name}.date", f"{day} is outside the period")
            # R-ROOM-6: one person is on duty in the room each day.
            v.check(
                day not in seen,
                f"{field_name}.date",
                f"{day} is listed twice; one officer is on duty per day",
            )
            seen.add(day)
        v.check(bool(officer_id.strip()), f"{field_name}.officer_id", "is required")
    for index, holiday in enumerate(holidays):
        valid = v.check(holiday is not None, f"holidays[{index}]", "must be a valid date")
        if valid and holiday is not None and period_ok and start is not None and end is not None:
            v.check(start <= holiday <= end, f"holidays[{index}]", f"{holiday} is outside the period")
    v.raise_if_any()


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def rota_gaps(
    rota: Rota, start: date, end: date, police_officer_ids: Collection[str], min_officers_for_rule: int
) -> list[RotaGap]:
    """R-ROOM-6: every day of ``[start, end]`` without anyone on duty (weekends and holidays too), and,
    when the room has at least ``min_officers_for_rule`` police officers, every working day on which none
    of them is on duty."""
    gaps: list[RotaGap] = []
    officers_rule = len(police_officer_ids) >= min_officers_for_rule
    for day in each_day(start, end):
        on_duty = rota.days.get(day)
        if not on_duty:
            what = "holiday" if day in rota.holidays else ("weekend" if day.weekday() >= 5 else "working day")
            gaps.append(RotaGap(day, GapKind.UNCOVERED, f"nobody on duty ({what})"))
        elif officers_rule and is_working_day(day, rota.holidays) and on_duty not in police_officer_ids:
            gaps.append(
                RotaGap(
                    day,
                    GapKind.NO_COMMUNITY_OFFICER,
                    f"{on_duty} is not one of the room's {len(police_officer_ids)} officers",
                )
            )
    return gaps

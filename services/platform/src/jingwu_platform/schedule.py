"""Calendar rules: when a schedule is due, for which period, and its cron expression. Pure.

A service declares its calendar rules as static ``ScheduleSpec``s at module level (so the charts can be
checked against them without connecting anything) and binds each to an async callable at wiring time:

    BLANK_VILLAGES = ScheduleSpec(name="blank-villages", rule_id="R-PER-5", cadence=daily(at=time(1, 0)))
    SCHEDULES = (BLANK_VILLAGES,)                       # in the module of the jingwu-<service> command
    ...
    connections.runtime(..., schedules=[BLANK_VILLAGES.bind(staffing.check_blank_villages)],
                        clock=kit.clock)

The callable gets the ``Period`` it runs for: a stable ``key`` (``2026-03-01``, ``2026-W09``, ``2026-03``,
``2026-Q1``, ``2026-01..02``), its local ``start``/``end`` dates and the moment it became ``due``.

Cadences are in the district calendar (jingwu_platform.calendar: China civil time, UTC+8, no DST):
``daily``, ``weekly`` (a weekday), ``monthly`` (a day of the month), ``quarterly`` and ``every_months(n)``
(n dividing 12, periods anchored on January), each at a local time. ``covers`` says which period a run
is for: ``"current"`` (the day/week/month the run falls in: a weekly notice for this week) or
``"previous"`` (the one that just ended: a month judged after its end, R-PER-8).

The CronJob of a schedule uses ``cron()`` with ``timeZone: Asia/Shanghai`` (docs/adr/0020): in local
time every cadence is one cron line; in UTC a local 01:00 on the 1st is 17:00 on the last day of the
previous month, which no cron field can say.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from jingwu_platform.calendar import DISTRICT_ZONE, DateRange, add_months, local_date, month_of

Covers = Literal["current", "previous"]
Unit = Literal["day", "week", "month"]

# The time zone the charts put on every CronJob (spec.timeZone); the cron lines are in it.
CRON_TIME_ZONE = "Asia/Shanghai"

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Months per period that tile a year (so one cron month list repeats every year).
_MONTH_STEPS = (1, 2, 3, 4, 6, 12)

# Names become CronJob names "<service>-<name>" (at most 52 characters) and run-record ids.
SCHEDULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
RULE_ID = re.compile(r"^R-[A-Z]+-\d+$")


@dataclass(frozen=True, order=True)
class Period:
    """One period a schedule runs for."""

    key: str
    start: date
    end: date
    due: datetime  # when it became due, UTC

    @property
    def dates(self) -> DateRange:
        return DateRange(self.start, self.end)


@dataclass(frozen=True)
class Cadence:
    """When a schedule is due, in the district calendar. Build with ``daily`` / ``weekly`` /
    ``monthly`` / ``quarterly`` / ``every_months``."""

    unit: Unit
    every: int = 1  # months per period (unit "month")
    weekday: int = MONDAY  # unit "week": 0 = Monday … 6 = Sunday
    day: int = 1  # unit "month": day of the period's first month
    at: time = time(0, 0)  # local time (China civil time)
    covers: Covers = "current"

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("a cadence's time is a local time in the district calendar: no tzinfo")
        if self.at.second or self.at.microsecond:
            raise ValueError(f"a cadence's time is whole minutes (cron), got {self.at.isoformat()}")
        if self.covers not in ("current", "previous"):
            raise ValueError(f"covers must be 'current' or 'previous', got {self.covers!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday), got {self.weekday}")
        if not 1 <= self.day <= 28:
            raise ValueError(
                f"day must be 1–28 (a day every month has, so cron can say it), got {self.day}; "
                "to judge a month after its end use day=1 with covers='previous'"
            )
        if self.unit == "month" and self.every not in _MONTH_STEPS:
            raise ValueError(f"every must divide a year into whole periods {_MONTH_STEPS}, got {self.every}")
        if self.unit != "month" and self.every != 1:
            raise ValueError("every applies to month cadences only")

    # -- units: the calendar span each firing falls in ---------------------------------------------

    def _unit_start(self, day: date) -> date:
        if self.unit == "day":
            return day
        if self.unit == "week":
            return day - timedelta(days=day.weekday())
        first_month = (day.month - 1) // self.every * self.every + 1
        return date(day.year, first_month, 1)

    def _unit_end(self, start: date) -> date:
        if self.unit == "day":
            return start
        if self.unit == "week":
            return start + timedelta(days=6)
        return month_of(add_months(start, self.every - 1)).end

    def _shift(self, start: date, units: int) -> date:
        if self.unit == "day":
            return start + timedelta(days=units)
        if self.unit == "week":
            return start + timedelta(weeks=units)
        return add_months(start, units * self.every)

    def _fires_at(self, start: date) -> datetime:
        """The moment the firing inside the unit starting at ``start`` happens, UTC."""
        offset = {"day": 0, "week": self.weekday, "month": self.day - 1}[self.unit]
        day = start + timedelta(days=offset)
        local = datetime.combine(day, self.at, tzinfo=DISTRICT_ZONE)
        return local.astimezone(UTC)

    def _key(self, start: date) -> str:
        if self.unit == "day":
            return start.isoformat()
        if self.unit == "week":
            year, week, _ = start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.every == 1:
            return f"{start.year}-{start.month:02d}"
        if self.every == 3:
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if self.every == 12:
            return f"{start.year}"
        return f"{start.year}-{start.month:02d}..{start.month + self.every - 1:02d}"

    def _period(self, unit_start: date) -> Period:
        due = self._fires_at(unit_start)
        start = unit_start if self.covers == "current" else self._shift(unit_start, -1)
        return Period(self._key(start), start, self._unit_end(start), due)

    # -- what the scheduler asks -------------------------------------------------------------------

    def latest_due(self, now: datetime) -> Period:
        """The latest period due at ``now`` (due ≤ now)."""
        start = self._unit_start(local_date(now))
        if self._fires_at(start) > now:
            start = self._shift(start, -1)
        return self._period(start)

    def next_due(self, now: datetime) -> Period:
        """The first period that becomes due after ``now`` (due > now)."""
        start = self._unit_start(local_date(now))
        if self._fires_at(start) <= now:
            start = self._shift(start, 1)
        return self._period(start)

    def cron(self) -> str:
        """The CronJob's schedule, in the district's time zone (``CRON_TIME_ZONE``)."""
        minute, hour = self.at.minute, self.at.hour
        if self.unit == "day":
            return f"{minute} {hour} * * *"
        if self.unit == "week":
            return f"{minute} {hour} * * {(self.weekday + 1) % 7}"  # cron: 0 = Sunday
        months = "*" if self.every == 1 else ",".join(str(m) for m in range(1, 13, self.every))
        return f"{minute} {hour} {self.day} {months} *"

    def describe(self) -> str:
        when = f"at {self.at:%H:%M} ({CRON_TIME_ZONE})"
        if self.unit == "day":
            what, span = f"daily {when}", "day"
        elif self.unit == "week":
            what, span = f"every {_WEEKDAYS[self.weekday]} {when}", "week"
        else:
            name = {1: "monthly", 3: "quarterly", 12: "yearly"}.get(self.every, f"every {self.every} months")
            span = {1: "month", 3: "quarter", 12: "year"}.get(self.every, f"{self.every} months")
            what = f"{name} on day {self.day} {when}"
        return f"{what}, for the {'current' if self.covers == 'current' else 'previous'} {span}"


def daily(*, at: time = time(0, 0), covers: Covers = "current") -> Cadence:
    return Cadence("day", at=at, covers=covers)


def weekly(*, weekday: int = MONDAY, at: time = time(0, 0), covers: Covers = "current") -> Cadence:
    return Cadence("week", weekday=weekday, at=at, covers=covers)


def monthly(*, day: int = 1, at: time = time(0, 0), covers: Covers = "current") -> Cadence:
    return Cadence("month", every=1, day=day, at=at, covers=covers)


def quarterly(*, day: int = 1, at: time = time(0, 0), covers: Covers = "current") -> Cadence:
    return Cadence("month", every=3, day=day, at=at, covers=covers)


def every_months(months: int, *, day: int = 1, at: time = time(0, 0), covers: Covers = "current") -> Cadence:
    """Periods of ``months`` months from January (2: Jan–Feb, Mar–Apr, …; R-NOT-2)."""
    return Cadence("month", every=months, day=day, at=at, covers=covers)


# What a bound schedule runs: an async callable given the period (its result is ignored).
ScheduledRun = Callable[[Period], Awaitable[object]]


@dataclass(frozen=True)
class ScheduleSpec:
    """A calendar rule of one service: static, declared at module level.

    ``lease``: a run not heard from for this long (the runner renews it while it works) is taken to
    have crashed, and another replica or CronJob pod takes the period over. ``max_attempts``: how many
    attempts (failed or crashed) one period gets before it is given up.
    """

    name: str
    rule_id: str
    cadence: Cadence
    lease: timedelta = timedelta(minutes=10)
    max_attempts: int = 3
    description: str = ""

    def __post_init__(self) -> None:
        if not SCHEDULE_NAME.match(self.name):
            raise ValueError(
                f"schedule name {self.name!r} must be a DNS label of 2–32 characters "
                "(lowercase letters, digits, '-'): it names the CronJob"
            )
        if not RULE_ID.match(self.rule_id):
            raise ValueError(f"rule_id must look like 'R-PER-5', got {self.rule_id!r}")
        if self.lease < timedelta(seconds=1):
            raise ValueError(f"lease must be at least a second, got {self.lease}")
        if not 1 <= self.max_attempts <= 20:
            raise ValueError(f"max_attempts must be 1–20, got {self.max_attempts}")

    def bind(self, run: ScheduledRun) -> Schedule:
        return Schedule(self, run)

    def cron(self) -> str:
        return self.cadence.cron()

    def chart_entry(self) -> dict[str, str]:
        """The entry of ``services.<service>.schedules`` in the charts' values."""
        return {"name": self.name, "cron": self.cron(), "ruleId": self.rule_id}


@dataclass(frozen=True)
class Schedule:
    """A spec bound to what it runs."""

    spec: ScheduleSpec
    run: ScheduledRun = field(compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

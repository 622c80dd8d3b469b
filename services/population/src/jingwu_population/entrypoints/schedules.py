"""The population service's calendar rules (jingwu_platform.schedule), declared for the charts and bound
in main.py."""

from __future__ import annotations

from datetime import time

from jingwu_platform.schedule import ScheduleSpec, daily, monthly

INSPECTIONS_OVERDUE = ScheduleSpec(
    name="inspections-overdue",
    rule_id="R-POP-3",
    cadence=monthly(day=1, at=time(1, 0), covers="previous"),
    description="a place not inspected in the month that just ended is overdue: a finding and an event",
)
KEY_GROUP_REVIEWS = ScheduleSpec(
    name="key-group-reviews",
    rule_id="R-POP-2",
    cadence=daily(at=time(2, 0)),
    description="a key-group tag whose review date passed is a finding and an event",
)
SCHEDULES = (INSPECTIONS_OVERDUE, KEY_GROUP_REVIEWS)

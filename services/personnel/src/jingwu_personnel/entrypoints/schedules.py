"""Personnel's calendar rules (jingwu_platform.schedule, docs/adr/0020): declared here with their rule
ids, bound to ``CalendarRules`` (application/calendar_rules.py) in main.py. Run by the service's own
timer locally and by one Kubernetes CronJob each in clusters (the charts' ``schedules:`` values, printed
by ``python -m jingwu_platform.schedule_cli values personnel``, kept equal to these by a test).

A light module: specs only, so the charts are checked without importing the service. Times are local
(China civil time) and staggered, so the runs of one night do not compete for the store.
"""

from __future__ import annotations

from datetime import time

from jingwu_platform.schedule import MONDAY, ScheduleSpec, daily, monthly, quarterly, weekly

BLANK_VILLAGES = ScheduleSpec(
    name="blank-villages",
    rule_id="R-PER-5",
    cadence=daily(at=time(1, 0)),
    description="no blank village: every administrative village has a liaison officer and an auxiliary",
)
AUXILIARY_ROTATION = ScheduleSpec(
    name="auxiliary-rotation",
    rule_id="R-PER-7",
    cadence=daily(at=time(1, 15)),
    description="resident auxiliaries whose rotation date has come",
)
VILLAGE_DAYS = ScheduleSpec(
    name="village-days",
    rule_id="R-PER-8",
    cadence=monthly(day=1, at=time(2, 0), covers="previous"),
    description="the month that just ended: each liaison officer's days in his village",
)
COMMUNITY_HOURS = ScheduleSpec(
    name="community-hours",
    rule_id="R-PER-9",
    cadence=weekly(weekday=MONDAY, at=time(2, 30), covers="previous"),
    description="the week that just ended: each community officer's hours in the community",
)
MONTHLY_EVALUATION = ScheduleSpec(
    name="monthly-evaluation",
    rule_id="R-PER-11",
    cadence=monthly(day=1, at=time(3, 0), covers="previous"),
    description="draft monthly evaluations (月评) of the month that just ended",
)
QUARTERLY_ASSESSMENT = ScheduleSpec(
    name="quarterly-assessment",
    rule_id="R-PER-11",
    cadence=quarterly(day=1, at=time(3, 30), covers="previous"),
    description="draft quarterly assessments (季考) of the quarter that just ended",
)

SCHEDULES = (
    BLANK_VILLAGES,
    AUXILIARY_ROTATION,
    VILLAGE_DAYS,
    COMMUNITY_HOURS,
    MONTHLY_EVALUATION,
    QUARTERLY_ASSESSMENT,
)

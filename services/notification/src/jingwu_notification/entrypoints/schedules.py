"""The calendar rules of the notification service (jingwu_platform.schedule): static specs, so the
charts' CronJobs are checked against them without importing the service (jingwu_platform.schedule_cli
``values notification``); main.py binds each to its use case.

- R-NOT-1: Friday 16:00, draft every active room's weekly notice for its officer to review;
  Monday 01:00, judge the week that ended (no published notice or bulletin: a finding);
- R-NOT-2: on the 1st of every odd month, judge the two months that ended (no meeting held: a finding);
- R-NOT-3: daily 08:00, escalate overdue callbacks to the station, remind owners of callbacks and
  meeting follow-ups due.
"""

from __future__ import annotations

from datetime import time

from jingwu_platform.schedule import FRIDAY, MONDAY, ScheduleSpec, daily, every_months, weekly

WEEKLY_NOTICE_DRAFT = ScheduleSpec(
    name="weekly-notice-draft",
    rule_id="R-NOT-1",
    cadence=weekly(weekday=FRIDAY, at=time(16, 0)),
    description="draft every active room's weekly police-situation notice for its officer to review",
)
WEEKLY_NOTICE_CHECK = ScheduleSpec(
    name="weekly-notice-check",
    rule_id="R-NOT-1",
    cadence=weekly(weekday=MONDAY, at=time(1, 0), covers="previous"),
    description="a room that published no weekly notice or bulletin last week is a finding",
)
MEETING_CHECK = ScheduleSpec(
    name="meeting-check",
    rule_id="R-NOT-2",
    cadence=every_months(2, day=1, at=time(1, 30), covers="previous"),
    description="a room that held no resident representatives' meeting in the two months is a finding",
)
CALLBACK_ESCALATION = ScheduleSpec(
    name="callback-escalation",
    rule_id="R-NOT-3",
    cadence=daily(at=time(8, 0)),
    description="escalate overdue callbacks to the station; remind owners of callbacks and follow-ups due",
)
SCHEDULES = (WEEKLY_NOTICE_DRAFT, WEEKLY_NOTICE_CHECK, MEETING_CHECK, CALLBACK_ESCALATION)

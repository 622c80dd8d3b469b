"""The calendar rules of the patrol service (jingwu_platform.schedule): static specs, so the charts'
CronJobs are checked against them without importing the service (``python -m
jingwu_platform.schedule_cli values patrol``); main.py binds each to its use case.

- R-PAT-1: daily 07:00, every zone without an in-service GPS patrol vehicle that day is a finding;
- R-PAT-4: daily 00:30, every community's or village's team without a joint patrol the day before is a
  finding (and JointPatrolMissed);
- R-PAT-6: daily 02:00, the day before's evidence of every vehicle and officer handheld, published for
  assessment (R-PER-11).
"""

from __future__ import annotations

from datetime import time, timedelta

from jingwu_platform.schedule import ScheduleSpec, daily

VEHICLE_COVERAGE = ScheduleSpec(
    name="vehicle-coverage",
    rule_id="R-PAT-1",
    cadence=daily(at=time(7, 0)),
    description="a zone without an in-service patrol vehicle bound to a GPS device is a finding",
)
JOINT_PATROL_CHECK = ScheduleSpec(
    name="joint-patrol-check",
    rule_id="R-PAT-4",
    cadence=daily(at=time(0, 30), covers="previous"),
    description="a community's or village's team without a joint patrol on the day is a finding",
)
PATROL_EVIDENCE = ScheduleSpec(
    name="patrol-evidence",
    rule_id="R-PAT-6",
    cadence=daily(at=time(2, 0), covers="previous"),
    # A district's fleet for a day takes minutes (docs/benchmarks.md, patrol): a longer lease.
    lease=timedelta(minutes=30),
    description="the day's evidence of every vehicle and officer handheld, for assessment (R-PER-11)",
)
SCHEDULES = (VEHICLE_COVERAGE, JOINT_PATROL_CHECK, PATROL_EVIDENCE)

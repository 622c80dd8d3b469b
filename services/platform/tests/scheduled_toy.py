"""A toy service with calendar rules, for test_schedule_runtime.py: wired like a real service (connect,
``SPEC.bind``, ``connections.runtime(..., schedules=...)``) and run either in-process or as the real OS
process a CronJob pod runs: ``python scheduled_toy.py schedule run <name>``."""

from __future__ import annotations

import asyncio
import os
from datetime import time, timedelta

from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.schedule import Period, ScheduleSpec, daily
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import Clock

FIRED = "toy.fired"
HANG_ENV = "TOY_HANG"

TICK = ScheduleSpec(name="tick", rule_id="R-TOY-1", cadence=daily(at=time(0, 0)))
BROKEN = ScheduleSpec(name="broken", rule_id="R-TOY-2", cadence=daily(at=time(0, 0)), max_attempts=1)
HANG = ScheduleSpec(name="hang", rule_id="R-TOY-3", cadence=daily(at=time(0, 0)), lease=timedelta(seconds=2))
SCHEDULES = (TICK, BROKEN, HANG)


def build(settings: ServiceSettings, clock: Clock | None = None) -> ServiceRuntime:
    connections = connect(settings)
    fired = connections.database[FIRED]

    async def tick(period: Period) -> None:
        await fired.insert_one({"schedule": TICK.name, "period": period.key, "pid": os.getpid()})

    async def broken(period: Period) -> None:
        raise RuntimeError(f"toy failure for {period.key}")

    async def hang(period: Period) -> None:
        await fired.insert_one({"schedule": HANG.name, "period": period.key, "pid": os.getpid()})
        if os.environ.get(HANG_ENV) == "1":
            await asyncio.Event().wait()  # until the process is killed

    return connections.runtime(
        [],
        topics=[],
        schedules=[TICK.bind(tick), BROKEN.bind(broken), HANG.bind(hang)],
        clock=clock,
    )


if __name__ == "__main__":
    run_service("toy", build)

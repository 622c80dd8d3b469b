"""Schedules on a real service runtime (the toy service in scheduled_toy.py, wired like a real one):
in-process, its own timer fires a toy schedule when the (fake) clock reaches the due moment; as a real
OS process, ``schedule run <name>`` runs the due period once with the same claim, exits non-zero when
it fails, refuses while the service itself runs on the local FerretDB, and a run killed mid-way is
taken over once its lease expires."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time as wall
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.mongo import Document, create_client, district_database
from jingwu_platform.runtime import ServiceRuntime
from jingwu_platform.schedule_runs import RUNS, Outcome
from jingwu_platform.scheduler import CLOCK_SKEW
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import wait_until
from jingwu_platform.usecase import FakeClock
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

TOY_PATH = Path(__file__).with_name("scheduled_toy.py")


def _load_toy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scheduled_toy", TOY_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toy = _load_toy()


@asynccontextmanager
async def started(runtime: ServiceRuntime) -> AsyncIterator[int]:
    """The service in-process for the block (as the root conftest's ``started``, which a module of
    this name cannot import when another ``conftest`` is loaded in the same session)."""
    port = await runtime.start()
    try:
        yield port
    finally:
        await runtime.stop()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=DISTRICT_ZONE)


def database_of(settings: ServiceSettings) -> AsyncDatabase[Document]:
    return district_database(create_client(settings.mongo_url, "jingwu-tests-reader"), settings.district)


async def fired(database: AsyncDatabase[Document], schedule: str) -> list[str]:
    return [d["period"] async for d in database[toy.FIRED].find({"schedule": schedule})]


async def attempts(database: AsyncDatabase[Document], schedule: str) -> list[dict[str, Any]]:
    return await database[RUNS].find({"schedule": schedule}).sort("attempt", 1).to_list()


async def test_a_toy_schedule_fires_on_the_runtimes_own_timer(
    settings_for: Callable[..., ServiceSettings], district: str
) -> None:
    clock = FakeClock(local(2030, 1, 1, 23, 59))  # far from today: the process tests below use the real clock
    settings = settings_for("toy", district, schedule_poll_interval_s=0.05)
    runtime = toy.build(settings, clock)
    database = database_of(settings)
    async with started(runtime):
        assert runtime.scheduler in runtime.components
        await asyncio.sleep(0.3)
        assert await fired(database, "tick") == []  # 1 January's was due before the service existed
        clock.set(local(2030, 1, 2, 0, 0))

        async def ticked() -> bool:
            return await fired(database, "tick") == ["2030-01-02"]

        await wait_until(ticked, timeout_s=10, what="the toy schedule's 2 January run")
        await asyncio.sleep(0.3)  # and no second run of the same period
        assert await fired(database, "tick") == ["2030-01-02"]
        (tick,) = await attempts(database, "tick")
        assert (tick["_id"], tick["outcome"]) == ("tick/2030-01-02/1", "succeeded")
        assert tick["rule_id"] == "R-TOY-1"
        assert tick["started"] == clock.now() and tick["ended"] == clock.now()
        (broken,) = await attempts(database, "broken")
        assert broken["outcome"] == "failed" and broken["error"] == "RuntimeError: toy failure for 2030-01-02"
    await database.client.close()


async def test_with_cronjobs_the_runtime_leaves_its_timer_idle(
    settings_for: Callable[..., ServiceSettings], district: str
) -> None:
    clock = FakeClock(local(2030, 1, 1, 23, 59))
    settings = settings_for("toy", district, schedule_poll_interval_s=0.05, schedules="cronjob")
    database = database_of(settings)
    async with started(toy.build(settings, clock)):
        clock.set(local(2030, 1, 2, 0, 0))
        await asyncio.sleep(0.5)
        assert await database[RUNS].count_documents({}) == 0
    await database.client.close()


# ------------------------------------------------------------------------------------------------
# `schedule run <name>` as the OS process a CronJob pod runs


def process_env(settings: ServiceSettings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "JINGWU_DISTRICT": settings.district,
        "JINGWU_MONGO_URL": settings.mongo_url,
        "JINGWU_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "JINGWU_AUTH_SECRET": settings.auth_secret.get_secret_value(),
        "JINGWU_TRACE_EXPORTER": "none",
        "JINGWU_SCHEDULES": "cronjob",
        **extra,
    }


def schedule_run(settings: ServiceSettings, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOY_PATH), "schedule", "run", name],
        env=process_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def todays_keys() -> set[str]:
    """The key of the daily period due now (or within the skew `schedule run` allows), either side of
    local midnight should the test straddle it."""
    now = datetime.now(UTC)
    return {toy.TICK.cadence.latest_due(now).key, toy.TICK.cadence.latest_due(now + CLOCK_SKEW * 3).key}


async def test_schedule_run_runs_the_due_period_once(
    settings_for: Callable[..., ServiceSettings], district: str
) -> None:
    settings = settings_for("toy", district)
    database = database_of(settings)
    first = await asyncio.to_thread(schedule_run, settings, "tick")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["period"] in todays_keys()
    assert (summary["outcome"], summary["attempt"], summary["rule_id"]) == ("succeeded", 1, "R-TOY-1")
    again = await asyncio.to_thread(schedule_run, settings, "tick")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == summary  # the period had run: reported, not run again
    assert await fired(database, "tick") == [summary["period"]]

    failed = await asyncio.to_thread(schedule_run, settings, "broken")
    assert failed.returncode == 1, failed.stderr
    report = json.loads(failed.stdout)
    assert report["outcome"] == "failed" and report["error"].startswith("RuntimeError: toy failure for ")
    (record,) = await attempts(database, "broken")
    assert record["outcome"] == "failed" and record["ended"] is not None

    unknown = await asyncio.to_thread(schedule_run, settings, "nope")
    assert unknown.returncode == 2
    assert "no schedule named 'nope'; this service has: tick, broken, hang" in unknown.stderr
    await database.client.close()


async def test_schedule_run_refuses_while_the_service_runs_on_the_local_ferretdb(
    settings_for: Callable[..., ServiceSettings], district: str
) -> None:
    settings = settings_for("toy", district, schedules="cronjob")
    async with started(toy.build(settings)):
        refused = await asyncio.to_thread(schedule_run, settings, "tick")
    assert refused.returncode == 1
    assert "refusing to run" in refused.stderr and "one replica" in refused.stderr


async def test_a_killed_run_is_taken_over_once_its_lease_expires(
    settings_for: Callable[..., ServiceSettings], district: str
) -> None:
    settings = settings_for("toy", district)
    database = database_of(settings)
    hanging = await asyncio.create_subprocess_exec(
        sys.executable,
        str(TOY_PATH),
        "schedule",
        "run",
        "hang",
        env=process_env(settings, **{toy.HANG_ENV: "1"}),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:

        async def claimed() -> bool:
            return len(await fired(database, "hang")) == 1

        await wait_until(claimed, timeout_s=60, what="the hanging run to start")
        await asyncio.sleep(1.5)  # a renewal or two (every third of the 2 s lease) while it hangs
        (running,) = await attempts(database, "hang")
        assert running["outcome"] == "running" and running["lease_until"] > running["started"]
    finally:
        hanging.send_signal(signal.SIGKILL)
        await asyncio.wait_for(hanging.wait(), 30)
    killed_at = wall.monotonic()
    taken = await asyncio.to_thread(schedule_run, settings, "hang")
    assert taken.returncode == 0, taken.stderr
    summary = json.loads(taken.stdout)
    assert (summary["attempt"], summary["outcome"]) == (2, "succeeded")
    first, second = await attempts(database, "hang")
    assert first["outcome"] == Outcome.RUNNING.value  # the dead claimant's record, never ended
    assert second["holder"] != first["holder"]
    assert second["started"] >= first["lease_until"]  # not before the lease expired
    assert wall.monotonic() - killed_at < 60
    await database.client.close()

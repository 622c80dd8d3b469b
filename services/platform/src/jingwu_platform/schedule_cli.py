"""``jingwu-<service> schedule …``: what a CronJob pod runs, and the declared schedules for the charts.

    jingwu-<service> schedule run <name>   run the due period of one schedule once, with the same claim
                                           as the service's own timer; exit 0 when the period has run
                                           (now or before), 1 when it failed or was given up, 2 for an
                                           unknown schedule
    jingwu-<service> schedule list         the schedules the service binds, one JSON object a line

    python -m jingwu_platform.schedule_cli values <service>
                                           the ``schedules:`` block of the service's chart values, from
                                           the specs it declares (``SCHEDULES`` in
                                           ``jingwu_<service>/entrypoints/schedules.py``)

``run`` connects only to the store: a run writes its events into the outbox of the documents it
changes, and the service's Deployment relays them to Kafka. On a local FerretDB it takes the replica
lock like the service does (docs/adr/0003): it refuses while the service itself runs there.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from jingwu_platform.schedule import ScheduleSpec
from jingwu_platform.schedule_runs import Outcome, RunRecord
from jingwu_platform.scheduler import UnknownSchedule
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.store_guard import ReplicaConflict, guard_replica

if TYPE_CHECKING:
    from jingwu_platform.runtime import ServiceRuntime

log = logging.getLogger(__name__)

EXIT_RAN, EXIT_FAILED, EXIT_UNKNOWN = 0, 1, 2


def schedule_command(
    settings: ServiceSettings, build: Callable[[ServiceSettings], ServiceRuntime], args: Sequence[str]
) -> int:
    parser = argparse.ArgumentParser(prog=f"jingwu-{settings.service_name} schedule")
    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="run the due period of one schedule once")
    run.add_argument("name")
    actions.add_parser("list", help="the schedules this service binds, as JSON lines")
    parsed = parser.parse_args(list(args))
    runtime = build(settings)
    if parsed.action == "list":
        return asyncio.run(_list(runtime))
    return asyncio.run(run_once(runtime, parsed.name))


async def _list(runtime: ServiceRuntime) -> int:
    try:
        for spec in runtime.scheduler.specs if runtime.scheduler else ():
            line = {**spec.chart_entry(), "cadence": spec.cadence.describe()}
            print(json.dumps(line, ensure_ascii=False))  # noqa: T201 - the command's output
    finally:
        await runtime.mongo.close()
    return EXIT_RAN


async def run_once(runtime: ServiceRuntime, name: str) -> int:
    """``schedule run <name>``: the due period, claimed like the timer claims it."""
    settings = runtime.settings
    try:
        if runtime.scheduler is None:
            raise UnknownSchedule(name, [])
        scheduler = runtime.scheduler
        scheduler.schedule(name)  # an unknown name fails before anything connects
        await runtime.mongo.admin.command("ping")
        lock = await guard_replica(
            runtime.mongo, settings.mongo_url, settings.service_name, settings.district
        )
        try:
            record = await scheduler.run_due(name)
        finally:
            if lock is not None:
                lock.release()
    except UnknownSchedule as unknown:
        log.error("%s", unknown)
        return EXIT_UNKNOWN
    except ReplicaConflict as conflict:
        log.critical("refusing to run: %s", conflict)
        return EXIT_FAILED
    finally:
        await runtime.mongo.close()
    print(json.dumps(_summary(record), ensure_ascii=False))  # noqa: T201 - the command's output
    return EXIT_RAN if record.outcome is Outcome.SUCCEEDED else EXIT_FAILED


def _summary(record: RunRecord) -> dict[str, object]:
    return {
        "schedule": record.schedule,
        "rule_id": record.rule_id,
        "period": record.period,
        "attempt": record.attempt,
        "holder": record.holder,
        "outcome": record.outcome.value,
        "started": record.started.isoformat(),
        "ended": record.ended.isoformat() if record.ended else None,
        "error": record.error,
    }


# -- the declared schedules, without connecting ------------------------------------------------------


def declared(service: str) -> tuple[ScheduleSpec, ...]:
    """The specs service ``service`` declares: ``SCHEDULES`` in ``<package>.entrypoints.schedules``, the
    package being that of its ``jingwu-<service>`` command (none when the service is not installed or
    has no such module). A light module (specs only), so the charts are checked without importing the
    whole service."""
    scripts = [ep for ep in entry_points(group="console_scripts") if ep.name == f"jingwu-{service}"]
    if not scripts:
        return ()
    module_name = f"{scripts[0].module.split('.')[0]}.entrypoints.schedules"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name is None or not f"{module_name}.".startswith(f"{missing.name}."):
            raise  # the module exists but imports something missing
        return ()
    specs = tuple(getattr(module, "SCHEDULES", ()))
    for spec in specs:
        if not isinstance(spec, ScheduleSpec):
            raise TypeError(f"{module_name}.SCHEDULES holds {spec!r}, not a ScheduleSpec")
    return specs


def chart_entries(specs: Sequence[ScheduleSpec]) -> list[dict[str, str]]:
    return [spec.chart_entry() for spec in specs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jingwu_platform.schedule_cli")
    actions = parser.add_subparsers(dest="action", required=True)
    values = actions.add_parser("values", help="the schedules: block of a service's chart values")
    values.add_argument("service")
    parsed = parser.parse_args(argv)
    entries = chart_entries(declared(parsed.service))
    print("schedules:" + (" []" if not entries else ""))  # noqa: T201 - the command's output
    for entry in entries:
        print(f'  - {{name: {entry["name"]}, cron: "{entry["cron"]}", ruleId: {entry["ruleId"]}}}')  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

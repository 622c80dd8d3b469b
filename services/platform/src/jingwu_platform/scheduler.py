"""The scheduler: runs a service's schedules, each period once (jingwu_platform.schedule_runs).

Two ways, one claim:
- **Locally** (``JINGWU_SCHEDULES=local``, the default) it is a runtime ``Component``: a timer on the
  injected ``Clock`` that wakes when the next period becomes due (and at least every
  ``poll_interval_s``, so a changed clock is noticed) and runs what is due.
- **In clusters** (``JINGWU_SCHEDULES=cronjob``) the component stays idle and the chart's CronJobs run
  ``jingwu-<service> schedule run <name>``, which calls ``run_due`` once.

A period missed while nothing ran (downtime) runs once at start: each pass runs only the *latest* due
period of each schedule, so after a long outage the periods before it are not run. Periods due before
the schedule was first seen in this district's database are not "missed": a fresh service does not
catch up on history.

While a handler runs, its attempt's lease is renewed every third of the lease; a run that stops being
renewed (the process died) is taken over once the lease expires. A failed attempt is retried after
``retry_after_s`` locally (by the Job's backoff in clusters), up to the spec's ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jingwu_platform.schedule import Period, Schedule, ScheduleSpec
from jingwu_platform.schedule_runs import (
    Busy,
    Done,
    GaveUp,
    Next,
    Outcome,
    RunRecord,
    ScheduleRuns,
    decide,
    run_id,
    to_millis,
)
from jingwu_platform.tracing import tracer
from jingwu_platform.usecase import Clock

log = logging.getLogger(__name__)

# `schedule run` treats a period due this soon as due: the CronJob controller's clock and the pod's may
# differ by a little, and a pod that starts a hair before the minute must still run that minute's period.
CLOCK_SKEW = timedelta(seconds=60)
# How long ``stop`` lets a running handler finish before cancelling it (the pod gets 30 s in all).
STOP_GRACE_S = 10.0


class UnknownSchedule(LookupError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"no schedule named {name!r}; this service has: {listed}")


@dataclass(frozen=True)
class Ran:
    """This process ran the period (``record`` says how it ended)."""

    record: RunRecord


Attempt = Ran | Done | Busy | GaveUp


def default_holder() -> str:
    """The pod name in Kubernetes (the host name), and the process."""
    return f"{socket.gethostname()}/{os.getpid()}"


class Scheduler:
    name = "scheduler"

    def __init__(
        self,
        schedules: Sequence[Schedule],
        runs: ScheduleRuns,
        clock: Clock,
        *,
        run_locally: bool = True,
        holder: str | None = None,
        poll_interval_s: float = 30.0,
        retry_after_s: float = 60.0,
        stop_grace_s: float = STOP_GRACE_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        names = [s.name for s in schedules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"schedule names must be unique in a service: {', '.join(duplicates)}")
        if poll_interval_s <= 0:
            raise ValueError("the scheduler needs a positive poll interval")
        self.schedules = list(schedules)
        self.runs = runs
        self.clock = clock
        self.run_locally = run_locally
        self.holder = holder or default_holder()
        self._poll_s = poll_interval_s
        self._retry_after = timedelta(seconds=retry_after_s)
        self._stop_grace_s = stop_grace_s
        self._sleep = sleep
        self._since: dict[str, datetime] = {}  # first seen, per schedule
        self._settled: dict[str, str] = {}  # the period key each schedule has nothing left to do for
        self._not_before: dict[str, datetime] = {}  # busy elsewhere or backing off after a failure
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def specs(self) -> list[ScheduleSpec]:
        return [s.spec for s in self.schedules]

    def schedule(self, name: str) -> Schedule:
        for schedule in self.schedules:
            if schedule.name == name:
                return schedule
        raise UnknownSchedule(name, [s.name for s in self.schedules])

    # -- the component -----------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.run_locally:
            log.info("schedules run as CronJobs (JINGWU_SCHEDULES=cronjob): no local timer")
            return
        if not self.schedules:
            return
        await self.runs.ensure_indexes()
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="scheduler")
        log.info(
            "scheduler started",
            extra={"schedules": {s.name: s.spec.cadence.describe() for s in self.schedules}},
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait([task], timeout=self._stop_grace_s)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pending()
            except Exception:  # the store was unreachable, ...: log and try again at the next wake
                log.exception("scheduler pass failed")
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._delay(self.clock.now()))

    def _delay(self, now: datetime) -> float:
        """Seconds until something may be due: the next period, a lease expiring, a retry."""
        wake = [self._poll_s]
        for schedule in self.schedules:
            blocked = self._not_before.get(schedule.name)
            at = blocked if blocked and blocked > now else schedule.spec.cadence.next_due(now).due
            wake.append((at - now).total_seconds())
        return max(0.0, min(wake))

    async def run_pending(self) -> list[RunRecord]:
        """One pass: run the latest due period of every schedule that has not run yet (what the timer
        does each time it wakes). Returns the attempts this pass ran."""
        ran: list[RunRecord] = []
        for schedule in self.schedules:
            if self._stopping:
                break
            name = schedule.name
            now = self.clock.now()
            if name not in self._since:
                self._since[name] = await self.runs.first_seen(name, now)
            blocked = self._not_before.get(name)
            if blocked is not None and now < blocked:
                continue
            period = schedule.spec.cadence.latest_due(now)
            if period.due < self._since[name] or self._settled.get(name) == period.key:
                continue
            attempt = await self._attempt(schedule, period)
            if isinstance(attempt, Ran):
                ran.append(attempt.record)
                if attempt.record.outcome is Outcome.SUCCEEDED:
                    self._settled[name] = period.key
                else:
                    self._not_before[name] = self.clock.now() + self._retry_after
            elif isinstance(attempt, Busy):
                self._not_before[name] = attempt.record.lease_until
            else:
                self._settled[name] = period.key
                if isinstance(attempt, GaveUp):
                    log.error(
                        "schedule period given up",
                        extra=_fields(schedule.spec, period, attempt.record),
                    )
        return ran

    # -- one period, on demand (``schedule run <name>``) -------------------------------------------

    async def run_due(self, name: str) -> RunRecord:
        """Run the due period of one schedule once, with the same claim as the timer: the record of the
        attempt that ran it (now or before). Waits while another claimant's lease holds."""
        schedule = self.schedule(name)
        now = self.clock.now()
        period = schedule.spec.cadence.latest_due(now + CLOCK_SKEW)
        if period.due > now:
            await self._sleep((period.due - now).total_seconds())
        while True:
            attempt = await self._attempt(schedule, period)
            if not isinstance(attempt, Busy):
                return attempt.record
            left = (attempt.record.lease_until - self.clock.now()).total_seconds()
            fields = _fields(schedule.spec, period, attempt.record)
            log.info("period is being run elsewhere; waiting", extra=fields)
            await self._sleep(min(5.0, max(0.2, left)))

    # -- claiming and running ----------------------------------------------------------------------

    async def _attempt(self, schedule: Schedule, period: Period) -> Attempt:
        spec = schedule.spec
        while True:  # each lost insert means another claimant took that attempt: read again
            now = self.clock.now()
            attempts = await self.runs.attempts(spec.name, period.key, spec.max_attempts)
            decision = decide(attempts, now, spec.max_attempts)
            if not isinstance(decision, Next):
                return decision
            record = RunRecord(
                run_id=run_id(spec.name, period.key, decision.attempt),
                schedule=spec.name,
                period=period.key,
                rule_id=spec.rule_id,
                attempt=decision.attempt,
                holder=self.holder,
                due=to_millis(period.due),
                started=to_millis(now),
                lease_until=to_millis(now + spec.lease),
            )
            if await self.runs.claim(record):
                return Ran(await self._execute(schedule, period, record))

    async def _execute(self, schedule: Schedule, period: Period, record: RunRecord) -> RunRecord:
        spec = schedule.spec
        fields = _fields(spec, period, record)
        if record.attempt > 1:
            log.warning("schedule period taken over", extra=fields)
        log.info("schedule run started", extra=fields)
        renewal = asyncio.create_task(self._renew(spec, record), name=f"lease {record.run_id}")
        attributes = {
            "jingwu.schedule": spec.name,
            "jingwu.rule_id": spec.rule_id,
            "jingwu.period": period.key,
        }
        try:
            with tracer(__name__).start_as_current_span(f"schedule {spec.name}", attributes=attributes):
                await schedule.run(period)
        except asyncio.CancelledError:
            await _stop(renewal)
            await self.runs.write(
                record.finished(Outcome.FAILED, self.clock.now(), "interrupted: the process stopped mid-run")
            )
            raise
        except Exception as exc:
            await _stop(renewal)
            log.exception("schedule run failed", extra=fields)
            finished = record.finished(Outcome.FAILED, self.clock.now(), f"{type(exc).__name__}: {exc}")
        else:
            await _stop(renewal)
            finished = record.finished(Outcome.SUCCEEDED, self.clock.now())
            log.info("schedule run succeeded", extra=fields)
        await self.runs.write(finished)
        return finished

    async def _renew(self, spec: ScheduleSpec, record: RunRecord) -> None:
        """Keep the claim alive while the handler works (a third of the lease between renewals)."""
        interval = spec.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            record = record.renewed(self.clock.now() + spec.lease)
            try:
                await self.runs.write(record)
            except Exception:
                log.warning("could not renew the lease of %s", record.run_id, exc_info=True)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _fields(spec: ScheduleSpec, period: Period, record: RunRecord) -> dict[str, object]:
    return {
        "schedule": spec.name,
        "rule_id": spec.rule_id,
        "period": period.key,
        "attempt": record.attempt,
        "holder": record.holder,
        "outcome": record.outcome.value,
    }

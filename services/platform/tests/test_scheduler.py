"""The scheduler on a FakeClock and the in-memory run store: a period runs once when it becomes due and
not before, a period missed during downtime runs once at start (only the latest), failures are retried
up to the spec's attempts, a live claim elsewhere is left alone until its lease expires, and
``run_due`` (what a CronJob pod runs) claims the same way. The Mongo store and real races:
test_schedule_runs.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

import pytest
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.schedule import Period, ScheduleSpec, daily, monthly
from jingwu_platform.schedule_runs import InMemoryScheduleRuns, Outcome, RunRecord, run_id
from jingwu_platform.scheduler import Scheduler, UnknownSchedule
from jingwu_platform.testing import wait_until
from jingwu_platform.usecase import FakeClock

BLANK_VILLAGES = ScheduleSpec(name="blank-villages", rule_id="R-PER-5", cadence=daily(at=time(1, 0)))
VILLAGE_DAYS = ScheduleSpec(
    name="village-days",
    rule_id="R-PER-8",
    cadence=monthly(day=1, at=time(1, 30), covers="previous"),
    max_attempts=2,
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=DISTRICT_ZONE)


class Recorder:
    """A handler that records the periods it was given; fails while ``failures`` is positive."""

    def __init__(self, failures: int = 0) -> None:
        self.periods: list[Period] = []
        self.failures = failures

    async def __call__(self, period: Period) -> None:
        self.periods.append(period)
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError(f"store unreachable for {period.key}")

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.periods]


def scheduler(
    clock: FakeClock, runs: InMemoryScheduleRuns, *bound: tuple[ScheduleSpec, Recorder], **options: object
) -> Scheduler:
    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    schedules = [spec.bind(handler) for spec, handler in bound]
    return Scheduler(schedules, runs, clock, holder="replica-a", sleep=fake_sleep, **options)  # type: ignore[arg-type]


async def test_a_period_runs_once_when_it_becomes_due_and_not_before() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 1, 0, 0)), InMemoryScheduleRuns(), Recorder()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, handler))
    assert await rules.run_pending() == []  # yesterday's was due before the schedule existed
    clock.set(local(2026, 3, 1, 0, 59, 59))
    assert await rules.run_pending() == []
    clock.set(local(2026, 3, 1, 1, 0))
    (ran,) = await rules.run_pending()
    assert handler.periods == [
        Period("2026-03-01", date(2026, 3, 1), date(2026, 3, 1), datetime(2026, 2, 28, 17, 0, tzinfo=UTC))
    ]
    assert (ran.run_id, ran.outcome, ran.rule_id, ran.attempt) == (
        "blank-villages/2026-03-01/1",
        Outcome.SUCCEEDED,
        "R-PER-5",
        1,
    )
    assert ran.started == clock.now() and ran.ended == clock.now() and ran.error == ""
    clock.set(local(2026, 3, 1, 23, 59))
    assert await rules.run_pending() == []
    assert handler.keys == ["2026-03-01"]
    clock.set(local(2026, 3, 2, 1, 0))
    await rules.run_pending()
    assert handler.keys == ["2026-03-01", "2026-03-02"]


async def test_a_missed_period_runs_once_at_start_and_only_the_latest() -> None:
    clock, runs = FakeClock(local(2026, 3, 1, 1, 0)), InMemoryScheduleRuns()
    before = Recorder()
    await scheduler(clock, runs, (BLANK_VILLAGES, before)).run_pending()
    assert before.keys == ["2026-03-01"]
    # Down from 3 March 00:00 to 5 March 12:00: 3, 4 and 5 March were due meanwhile.
    clock.set(local(2026, 3, 5, 12, 0))
    after = Recorder()
    restarted = scheduler(clock, runs, (BLANK_VILLAGES, after))
    await restarted.run_pending()
    await restarted.run_pending()
    assert after.keys == ["2026-03-05"]
    assert [r.period for r in await runs.history("blank-villages")] == ["2026-03-05", "2026-03-01"]


async def test_a_fresh_service_does_not_catch_up_on_history() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 15, 12, 0)), InMemoryScheduleRuns(), Recorder()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, handler), (VILLAGE_DAYS, handler))
    assert await rules.run_pending() == []
    clock.set(local(2026, 4, 1, 1, 30))
    await rules.run_pending()
    assert handler.keys == ["2026-04-01", "2026-03"]  # R-PER-8: March judged on 1 April


async def test_another_replica_never_runs_a_period_that_ran() -> None:
    clock, runs = FakeClock(local(2026, 3, 1, 0, 0)), InMemoryScheduleRuns()
    one, two = Recorder(), Recorder()
    first = scheduler(clock, runs, (BLANK_VILLAGES, one))
    second = scheduler(clock, runs, (BLANK_VILLAGES, two))
    await first.run_pending()
    await second.run_pending()
    clock.set(local(2026, 3, 1, 1, 0))
    await asyncio.gather(first.run_pending(), second.run_pending())
    assert sorted(one.keys + two.keys) == ["2026-03-01"]


async def test_a_failed_run_keeps_its_error_and_is_retried_later_up_to_its_attempts() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 31, 12, 0)), InMemoryScheduleRuns(), Recorder(failures=5)
    rules = scheduler(clock, runs, (VILLAGE_DAYS, handler), retry_after_s=60)
    await rules.run_pending()
    clock.set(local(2026, 4, 1, 1, 30))
    (failed,) = await rules.run_pending()
    assert failed.outcome is Outcome.FAILED
    assert failed.error == "RuntimeError: store unreachable for 2026-03"
    assert failed.ended == clock.now()
    clock.advance(seconds=59)
    assert await rules.run_pending() == []  # backing off
    clock.advance(seconds=1)
    (retried,) = await rules.run_pending()
    assert (retried.attempt, retried.outcome) == (2, Outcome.FAILED)
    clock.advance(minutes=5)
    assert await rules.run_pending() == []  # max_attempts=2: given up
    assert handler.keys == ["2026-03", "2026-03"]
    clock.set(local(2026, 5, 1, 1, 30))
    handler.failures = 0
    (april,) = await rules.run_pending()
    assert (april.period, april.outcome) == ("2026-04", Outcome.SUCCEEDED)


def held_elsewhere(spec: ScheduleSpec, period: str, started: datetime) -> RunRecord:
    return RunRecord(
        run_id=run_id(spec.name, period, 1),
        schedule=spec.name,
        period=period,
        rule_id=spec.rule_id,
        attempt=1,
        holder="replica-b",
        due=started,
        started=started,
        lease_until=started + spec.lease,
    )


async def test_a_run_held_elsewhere_is_taken_over_only_after_its_lease_expires() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 1, 0, 0)), InMemoryScheduleRuns(), Recorder()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, handler))
    await rules.run_pending()
    clock.set(local(2026, 3, 1, 1, 0))
    assert await runs.claim(held_elsewhere(BLANK_VILLAGES, "2026-03-01", clock.now()))  # then it crashed
    assert await rules.run_pending() == []
    clock.advance(minutes=9, seconds=59)
    assert await rules.run_pending() == []
    clock.advance(seconds=1)  # the 10-minute lease has expired
    (taken,) = await rules.run_pending()
    assert (taken.attempt, taken.holder, taken.outcome) == (2, "replica-a", Outcome.SUCCEEDED)
    assert handler.keys == ["2026-03-01"]


async def test_run_due_runs_the_due_period_once() -> None:
    clock, runs, handler = FakeClock(local(2026, 4, 2, 9, 0)), InMemoryScheduleRuns(), Recorder()
    job = scheduler(clock, runs, (VILLAGE_DAYS, handler))
    first = await job.run_due("village-days")
    assert (first.period, first.outcome) == ("2026-03", Outcome.SUCCEEDED)
    again = await job.run_due("village-days")
    assert again == first and handler.keys == ["2026-03"]


async def test_run_due_waits_for_a_period_due_within_the_clock_skew() -> None:
    clock, runs, handler = FakeClock(local(2026, 4, 1, 1, 29, 30)), InMemoryScheduleRuns(), Recorder()
    record = await scheduler(clock, runs, (VILLAGE_DAYS, handler)).run_due("village-days")
    assert record.period == "2026-03" and record.started == local(2026, 4, 1, 1, 30)


async def test_run_due_waits_while_another_claim_is_live_then_takes_over() -> None:
    clock, runs, handler = FakeClock(local(2026, 4, 1, 1, 30)), InMemoryScheduleRuns(), Recorder()
    assert await runs.claim(held_elsewhere(VILLAGE_DAYS, "2026-03", clock.now()))
    record = await scheduler(clock, runs, (VILLAGE_DAYS, handler)).run_due("village-days")
    assert record.attempt == 2 and record.started >= local(2026, 4, 1, 1, 40)


async def test_unknown_and_duplicate_schedules_are_refused() -> None:
    clock, runs = FakeClock(local(2026, 4, 1)), InMemoryScheduleRuns()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, Recorder()))
    with pytest.raises(UnknownSchedule, match="no schedule named 'nope'; this service has: blank-villages"):
        await rules.run_due("nope")
    with pytest.raises(ValueError, match="unique in a service: blank-villages"):
        scheduler(clock, runs, (BLANK_VILLAGES, Recorder()), (BLANK_VILLAGES, Recorder()))


async def test_the_timer_fires_on_its_own_when_the_clock_reaches_the_due_moment() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 1, 0, 30)), InMemoryScheduleRuns(), Recorder()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, handler), poll_interval_s=0.01)
    await rules.start()
    try:
        await asyncio.sleep(0.05)
        assert handler.keys == []
        clock.set(local(2026, 3, 1, 1, 0))
        await wait_until(lambda: handler.keys == ["2026-03-01"], timeout_s=5, what="the 01:00 run")
        await asyncio.sleep(0.05)
        assert handler.keys == ["2026-03-01"]
    finally:
        await rules.stop()


async def test_no_local_timer_when_cronjobs_run_the_schedules() -> None:
    clock, runs, handler = FakeClock(local(2026, 3, 1, 0, 30)), InMemoryScheduleRuns(), Recorder()
    rules = scheduler(clock, runs, (BLANK_VILLAGES, handler), poll_interval_s=0.01, run_locally=False)
    await rules.start()
    clock.set(local(2026, 3, 2, 12, 0))
    await asyncio.sleep(0.1)
    await rules.stop()
    assert handler.keys == [] and await runs.history("blank-villages") == []


async def test_stopping_mid_run_records_the_interruption_for_the_next_attempt() -> None:
    clock, runs = FakeClock(local(2026, 3, 1, 0, 30)), InMemoryScheduleRuns()
    started = asyncio.Event()

    async def endless(period: Period) -> None:
        started.set()
        await asyncio.Event().wait()

    rules = Scheduler([BLANK_VILLAGES.bind(endless)], runs, clock, poll_interval_s=0.01, stop_grace_s=0.05)
    await rules.start()
    clock.set(local(2026, 3, 1, 1, 0))
    await asyncio.wait_for(started.wait(), 5)
    await rules.stop()
    (record,) = await runs.history("blank-villages")
    assert record.outcome is Outcome.FAILED and "interrupted" in record.error
    clock.advance(minutes=1)
    handler = Recorder()
    (retried,) = await scheduler(clock, runs, (BLANK_VILLAGES, handler)).run_pending()
    assert retried.attempt == 2 and handler.keys == ["2026-03-01"]

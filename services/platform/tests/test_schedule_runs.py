"""Run records of schedules (jingwu_platform.schedule_runs): one contract over the in-memory twin and the
Mongo store on the real FerretDB, then schedulers racing for the same periods over separate connections
(two replicas, or a replica and a CronJob pod): one run per period; a crashed run is taken over after
its lease expires, by insert only."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.mongo import Document, create_client
from jingwu_platform.schedule import Period, ScheduleSpec, daily
from jingwu_platform.schedule_runs import (
    RUNS,
    Busy,
    Done,
    GaveUp,
    InMemoryScheduleRuns,
    MongoScheduleRuns,
    Next,
    Outcome,
    RunRecord,
    decide,
    run_id,
)
from jingwu_platform.scheduler import Scheduler
from jingwu_platform.testing import scratch_database
from jingwu_platform.usecase import FakeClock
from pymongo.asynchronous.database import AsyncDatabase

Database = AsyncDatabase[Document]
AT = datetime(2026, 3, 1, 1, 0, 0, 123000, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def record(attempt: int = 1, *, period: str = "2026-03-01", schedule: str = "blank-villages") -> RunRecord:
    started = AT + timedelta(minutes=attempt)
    return RunRecord(
        run_id=run_id(schedule, period, attempt),
        schedule=schedule,
        period=period,
        rule_id="R-PER-5",
        attempt=attempt,
        holder=f"pod-{attempt}/1",
        due=AT,
        started=started,
        lease_until=started + LEASE,
    )


@pytest.fixture(params=["memory", "mongo"])
async def runs(request: pytest.FixtureRequest, mongo_url: str) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryScheduleRuns()
        return
    async with scratch_database(mongo_url) as database:
        store = MongoScheduleRuns(database)
        await store.ensure_indexes()
        yield store


# ------------------------------------------------------------------------------------------------
# the contract, both implementations


async def test_an_attempt_is_claimed_once(runs: Any) -> None:
    assert await runs.claim(record(1))
    assert not await runs.claim(replace(record(1), holder="pod-other/2"))
    assert await runs.attempts("blank-villages", "2026-03-01", 3) == [record(1)]


async def test_attempts_are_those_of_the_period_in_order(runs: Any) -> None:
    for claimed in (record(2), record(1), record(1, period="2026-03-02"), record(1, schedule="other")):
        assert await runs.claim(claimed)
    assert await runs.attempts("blank-villages", "2026-03-01", 3) == [record(1), record(2)]
    assert await runs.attempts("blank-villages", "2026-03-01", 1) == [record(1)]
    assert await runs.attempts("blank-villages", "2026-03-03", 3) == []


async def test_the_claimant_renews_and_ends_its_attempt(runs: Any) -> None:
    claimed = record(1)
    await runs.claim(claimed)
    renewed = claimed.renewed(AT + timedelta(minutes=20, microseconds=999))
    await runs.write(renewed)
    assert await runs.attempts("blank-villages", "2026-03-01", 3) == [renewed]
    ended = renewed.finished(Outcome.FAILED, AT + timedelta(minutes=21), "ValueError: " + "x" * 5000)
    await runs.write(ended)
    (stored,) = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert stored == ended
    assert stored.ended == AT + timedelta(minutes=21) and len(stored.error) == 2000


async def test_history_is_newest_first(runs: Any) -> None:
    for day in range(1, 6):
        await runs.claim(record(1, period=f"2026-03-0{day}"))
    await runs.claim(record(1, schedule="other"))
    history = await runs.history("blank-villages", limit=3)
    assert [r.period for r in history] == ["2026-03-05", "2026-03-04", "2026-03-03"]


async def test_first_seen_is_kept_from_the_first_time(runs: Any) -> None:
    assert await runs.first_seen("blank-villages", AT) == AT
    assert await runs.first_seen("blank-villages", AT + timedelta(days=3)) == AT
    assert await runs.first_seen("other", AT + timedelta(days=3)) == AT + timedelta(days=3)


async def test_decisions_over_stored_attempts(runs: Any) -> None:
    def decided(at: datetime) -> object:
        return decide(stored, at, 3)

    stored = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert decided(AT) == Next(1)
    await runs.claim(record(1))
    stored = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert decided(AT + timedelta(minutes=5)) == Busy(record(1))
    assert decided(record(1).lease_until) == Next(2)  # crashed: taken over when the lease ends
    await runs.write(record(1).finished(Outcome.FAILED, AT + timedelta(minutes=2), "boom"))
    stored = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert decided(AT + timedelta(minutes=2)) == Next(2)
    for attempt in (2, 3):
        await runs.claim(record(attempt))
        await runs.write(record(attempt).finished(Outcome.FAILED, AT + timedelta(minutes=30), "boom"))
    stored = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert isinstance(decided(AT + timedelta(hours=1)), GaveUp)
    succeeded = record(2).finished(Outcome.SUCCEEDED, AT + timedelta(minutes=30))
    await runs.write(succeeded)
    stored = await runs.attempts("blank-villages", "2026-03-01", 3)
    assert decided(AT + timedelta(hours=1)) == Done(succeeded)  # finished runs are never repeated


# ------------------------------------------------------------------------------------------------
# racing on the real store


SPEC = ScheduleSpec(name="blank-villages", rule_id="R-PER-5", cadence=daily(at=time(1, 0)), lease=LEASE)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=DISTRICT_ZONE)


@pytest.fixture
async def two_connections(mongo_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """One database seen over two clients (two processes' connections)."""
    async with scratch_database(mongo_url) as first:
        other = create_client(mongo_url, "jingwu-tests-second")
        try:
            yield first, other[first.name]
        finally:
            await other.close()


class CountingRuns(MongoScheduleRuns):
    """The Mongo store, counting the claims the store refused (another claimant had inserted them)."""

    refused = 0

    async def claim(self, record: RunRecord) -> bool:
        claimed = await super().claim(record)
        CountingRuns.refused += not claimed
        return claimed


@pytest.mark.integration
async def test_racing_schedulers_run_each_period_once(
    two_connections: tuple[Database, Database],
) -> None:
    clock = FakeClock(local(2026, 3, 1, 0, 0))
    calls: Counter[str] = Counter()
    CountingRuns.refused = 0

    async def check(period: Period) -> None:
        calls[period.key] += 1
        await asyncio.sleep(0.01)  # long enough for the other claimant to read and try

    replicas = [
        Scheduler([SPEC.bind(check)], CountingRuns(database), clock, holder=f"replica-{n}")
        for n, database in enumerate(two_connections)
    ]

    async def poll_briskly(seconds: float) -> None:  # the pod re-checks a live claim every 5 s in earnest
        await asyncio.sleep(min(seconds, 0.02))

    pod = Scheduler(
        [SPEC.bind(check)],
        CountingRuns(two_connections[1]),
        clock,
        holder="cronjob-pod",
        sleep=poll_briskly,
    )
    await asyncio.gather(*(r.run_pending() for r in replicas))
    days = 12
    for day in range(1, days + 1):
        clock.set(local(2026, 3, day, 1, 0))
        await asyncio.gather(*(r.run_pending() for r in replicas), pod.run_due("blank-villages"))
    assert calls == Counter({f"2026-03-{day:02d}": 1 for day in range(1, days + 1)})
    stored = await two_connections[0][RUNS].find({}).to_list()
    assert len(stored) == days  # one record per period: nobody needed a second attempt
    assert {d["outcome"] for d in stored} == {"succeeded"}
    assert {d["attempt"] for d in stored} == {1}
    assert CountingRuns.refused > 0  # they did race: the store's unique id turned the losers away


@pytest.mark.integration
async def test_a_crashed_run_is_taken_over_after_its_lease_expires(
    two_connections: tuple[Database, Database],
) -> None:
    clock = FakeClock(local(2026, 3, 1, 0, 50))
    crashed_store, survivor_store = (MongoScheduleRuns(d) for d in two_connections)
    calls: list[str] = []

    async def check(period: Period) -> None:
        calls.append(period.key)

    survivors = [
        Scheduler([SPEC.bind(check)], MongoScheduleRuns(database), clock, holder=f"replica-{n}")
        for n, database in enumerate(two_connections)
    ]
    await asyncio.gather(*(s.run_pending() for s in survivors))  # running since before 01:00
    # A third claimant inserted attempt 1 at 01:00 and died before ending it (no renewals since).
    clock.set(local(2026, 3, 1, 1, 0))
    crashed = replace(
        record(1),
        due=clock.now(),
        started=clock.now(),
        lease_until=clock.now() + LEASE,
        holder="pod-that-died/1",
    )
    assert await crashed_store.claim(crashed)
    clock.advance(minutes=9, seconds=59)
    assert await asyncio.gather(*(s.run_pending() for s in survivors)) == [[], []]
    clock.advance(seconds=1)
    results = await asyncio.gather(*(s.run_pending() for s in survivors))
    (taken,) = [r for ran in results for r in ran]
    assert (taken.attempt, taken.outcome) == (2, Outcome.SUCCEEDED)
    assert calls == ["2026-03-01"]
    (first, second) = await survivor_store.attempts("blank-villages", "2026-03-01", 3)
    assert (first.outcome, first.holder) == (Outcome.RUNNING, "pod-that-died/1")  # left as it was
    assert second == taken

"""Run records of schedules: one run per (schedule, period), claimed by insert only.

A run is claimed by inserting its record with the unique ``_id`` ``<schedule>/<period>/<attempt>``
into ``platform.schedule_runs`` of the district database. Two replicas (or a replica and a CronJob
pod) that race for a period both try to insert attempt 1; the store refuses the second insert
(duplicate key), so exactly one runs it. A unique insert is safe on FerretDB v1 too, which loses
concurrent *updates* of one document across connections and lets a compare-and-set succeed twice
(docs/adr/0003): no claim here is a conditional update.

- A record is written by its claimant only: the claim (insert), lease renewals while it runs, and its
  end (outcome, end time, error). One writer per document, so nothing is lost even on FerretDB.
- A succeeded attempt is final: the period never runs again.
- A failed attempt, or one whose lease expired without an end (the process crashed), is taken over by
  inserting the next attempt number, again by insert only; a period gets ``max_attempts`` attempts.
- Expiry is judged by the reader's clock against the claimant's ``lease_until``: clocks must agree far
  better than the lease (NTP does). A claimant that stalls longer than its lease without renewing (a
  frozen VM) may finish after being taken over: a handler must be idempotent per period (stable ids
  derived from ``period.key``), as it must be for a crash mid-way anyway.

``platform.schedules`` keeps when each schedule was first seen (insert once), so a service started on
a fresh database does not "catch up" periods that were due before the schedule existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import InMemoryDocuments, MongoDocuments

RUNS = "platform.schedule_runs"
FIRST_SEEN = "platform.schedules"
ERROR_LIMIT = 2000  # characters of an error kept on the record


class Outcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def to_millis(at: datetime) -> datetime:
    """The store keeps milliseconds: records carry times at that precision, so a read equals a write."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def run_id(schedule: str, period: str, attempt: int) -> str:
    return f"{schedule}/{period}/{attempt}"


@dataclass(frozen=True)
class RunRecord:
    """One attempt at one period of one schedule."""

    run_id: str
    schedule: str
    period: str
    rule_id: str
    attempt: int
    holder: str  # who claimed it: the pod / host name and process id
    due: datetime
    started: datetime
    lease_until: datetime
    outcome: Outcome = Outcome.RUNNING
    ended: datetime | None = None
    error: str = ""

    def expired(self, now: datetime) -> bool:
        return self.outcome is Outcome.RUNNING and self.lease_until <= now

    def renewed(self, lease_until: datetime) -> RunRecord:
        return replace(self, lease_until=to_millis(lease_until))

    def finished(self, outcome: Outcome, at: datetime, error: str = "") -> RunRecord:
        return replace(self, outcome=outcome, ended=to_millis(at), error=error[:ERROR_LIMIT])


@dataclass(frozen=True)
class FirstSeen:
    schedule: str
    since: datetime


# -- deciding what to do with a period, from its attempts (pure) ---------------------------------------


@dataclass(frozen=True)
class Done:
    """The period has run (``record`` succeeded): nothing to do."""

    record: RunRecord


@dataclass(frozen=True)
class Busy:
    """Another claimant is running the period and its lease holds."""

    record: RunRecord


@dataclass(frozen=True)
class GaveUp:
    """Every attempt the period gets failed or crashed."""

    record: RunRecord


@dataclass(frozen=True)
class Next:
    """Claim this attempt number (1 for a period nobody has tried)."""

    attempt: int


Decision = Done | Busy | GaveUp | Next


def decide(attempts: Sequence[RunRecord], now: datetime, max_attempts: int) -> Decision:
    """What a claimant does with a period whose recorded attempts are ``attempts``."""
    for record in attempts:
        if record.outcome is Outcome.SUCCEEDED:
            return Done(record)
    if not attempts:
        return Next(1)
    last = max(attempts, key=lambda r: r.attempt)
    if last.outcome is Outcome.RUNNING and not last.expired(now):
        return Busy(last)
    if last.attempt >= max_attempts:
        return GaveUp(last)
    return Next(last.attempt + 1)


# -- the store ---------------------------------------------------------------------------------------


class ScheduleRuns(Protocol):
    """Where run records live (Mongo in processes, in memory in fake-clock tests)."""

    async def ensure_indexes(self) -> None: ...

    async def attempts(self, schedule: str, period: str, max_attempts: int) -> list[RunRecord]:
        """The recorded attempts at a period, by attempt number."""
        ...

    async def claim(self, record: RunRecord) -> bool:
        """Insert a new attempt; False when that attempt exists already (someone else claimed it)."""
        ...

    async def write(self, record: RunRecord) -> None:
        """The claimant's own update of its attempt (lease renewal, end)."""
        ...

    async def history(self, schedule: str, limit: int = 20) -> list[RunRecord]:
        """The schedule's latest attempts, newest first."""
        ...

    async def first_seen(self, schedule: str, now: datetime) -> datetime:
        """When the schedule was first seen (``now`` if this is the first time), inserted once."""
        ...


_RUN_CODEC = DocumentCodec(RunRecord, id_field="run_id")
_SEEN_CODEC = DocumentCodec(FirstSeen, id_field="schedule")


def _ids(schedule: str, period: str, max_attempts: int) -> list[str]:
    return [run_id(schedule, period, n) for n in range(1, max_attempts + 1)]


class MongoScheduleRuns:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._runs = MongoDocuments(database, RUNS, _RUN_CODEC)
        self._seen = MongoDocuments(database, FIRST_SEEN, _SEEN_CODEC)

    async def ensure_indexes(self) -> None:
        await self._runs.collection.create_index([("schedule", 1), ("started", -1)])

    async def attempts(self, schedule: str, period: str, max_attempts: int) -> list[RunRecord]:
        # Exact ids (attempts are numbered 1..max): primary-key lookups, no secondary index needed.
        found = await self._runs.get_many(_ids(schedule, period, max_attempts))
        return sorted(found.values(), key=lambda r: r.attempt)

    async def claim(self, record: RunRecord) -> bool:
        return await self._runs.insert(record)

    async def write(self, record: RunRecord) -> None:
        await self._runs.put(record)

    async def history(self, schedule: str, limit: int = 20) -> list[RunRecord]:
        return await self._runs.find({"schedule": schedule}, sort=(("started", -1), ("_id", -1)), limit=limit)

    async def first_seen(self, schedule: str, now: datetime) -> datetime:
        seen = FirstSeen(schedule, to_millis(now))
        if await self._seen.insert(seen):
            return seen.since
        stored = await self._seen.get(schedule)
        return stored.since if stored is not None else seen.since


class InMemoryScheduleRuns:
    """The same behaviour as MongoScheduleRuns, in dicts (fake-clock tests)."""

    def __init__(self) -> None:
        self.runs: InMemoryDocuments[RunRecord] = InMemoryDocuments(lambda r: r.run_id)
        self.seen: InMemoryDocuments[FirstSeen] = InMemoryDocuments(lambda s: s.schedule)

    async def ensure_indexes(self) -> None:
        return None

    async def attempts(self, schedule: str, period: str, max_attempts: int) -> list[RunRecord]:
        found = await self.runs.get_many(_ids(schedule, period, max_attempts))
        return sorted(found.values(), key=lambda r: r.attempt)

    async def claim(self, record: RunRecord) -> bool:
        return await self.runs.insert(record)

    async def write(self, record: RunRecord) -> None:
        await self.runs.put(record)

    async def history(self, schedule: str, limit: int = 20) -> list[RunRecord]:
        mine = self.runs.matching(lambda r: r.schedule == schedule)
        mine.sort(key=lambda r: (r.started, r.run_id), reverse=True)
        return mine[:limit]

    async def first_seen(self, schedule: str, now: datetime) -> datetime:
        seen = FirstSeen(schedule, to_millis(now))
        if await self.seen.insert(seen):
            return seen.since
        stored = await self.seen.get(schedule)
        assert stored is not None
        return stored.since

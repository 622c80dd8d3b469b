"""Is this service caught up? The lag of each of its consumer groups and the backlog of its outbox.

Lag is read from Kafka, not from the consumer's memory: end offsets of the group's topics' partitions
minus the offsets the group committed (a partition the group never committed counts from its first
retained record, as the consumers start at ``earliest``). Because consumers commit only after
processing and a handler writes its own events to the outbox before that commit, "every lag 0 and the
outbox empty" means everything this service was sent is processed and everything it said is on Kafka.

``StatusProbe`` answers GetStatus (``jingwu_platform.status_service``) fresh on every call, and keeps
the last lag it saw for the ``jingwu.consumer.lag`` gauge, refreshed every ``refresh_s`` in the
background (the collector never waits on Kafka).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.kafka_metrics import KafkaInstruments, kafka_instruments
from jingwu_platform.outbox import OutboxRelay

log = logging.getLogger(__name__)


def partition_lag(end_offset: int, committed_offset: int | None, first_offset: int) -> int:
    """Records of a partition the group has still to process. ``committed_offset`` None: never committed
    (the group starts at the first retained record)."""
    start = first_offset if committed_offset is None or committed_offset < 0 else committed_offset
    return max(0, end_offset - start)


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    end_offset: int
    committed_offset: int | None
    lag: int


@dataclass(frozen=True)
class GroupLag:
    group: ConsumerGroup
    partitions: tuple[PartitionLag, ...]

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    def by_topic(self) -> dict[str, int]:
        lags = dict.fromkeys(self.group.topics, 0)
        for p in self.partitions:
            lags[p.topic] = lags.get(p.topic, 0) + p.lag
        return lags


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    district: str
    groups: tuple[GroupLag, ...]
    outbox_pending: dict[str, int]  # documents with undelivered events, per collection
    observed_at: datetime

    @property
    def total_outbox_pending(self) -> int:
        return sum(self.outbox_pending.values())

    @property
    def caught_up(self) -> bool:
        return all(g.lag == 0 for g in self.groups) and self.total_outbox_pending == 0


class StatusProbe:
    """Reads a service's lag and outbox backlog. Its Kafka clients start on first use."""

    def __init__(
        self,
        *,
        bootstrap: str,
        service: str,
        district: str,
        groups: Callable[[], Sequence[ConsumerGroup]],
        relay: OutboxRelay | None,
        refresh_s: float = 15.0,
        instruments: KafkaInstruments | None = None,
    ) -> None:
        self.name = "status-probe"
        self._bootstrap = bootstrap
        self._service = service
        self._district = district
        self._groups = groups
        self._relay = relay
        self._refresh_s = refresh_s
        self._instruments = instruments or kafka_instruments()
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._clients_lock = asyncio.Lock()
        self._last: tuple[GroupLag, ...] = ()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._instruments.watch_lag(self)
        if self._refresh_s > 0:
            self._task = asyncio.create_task(self._refresh(), name="status-refresh")

    async def stop(self) -> None:
        self._instruments.unwatch_lag(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    def lag_observations(self) -> list[tuple[int, dict[str, str]]]:
        return [
            (lag, {"consumer": g.group.group_id, "topic": topic})
            for g in self._last
            for topic, lag in g.by_topic().items()
        ]

    async def status(self) -> ServiceStatus:
        """Lag of every consumer group and the outbox backlog, read now."""
        groups = await self.lags()
        pending = await self._relay.pending_documents() if self._relay is not None else {}
        return ServiceStatus(self._service, self._district, groups, pending, datetime.now(UTC))

    async def lags(self) -> tuple[GroupLag, ...]:
        groups = list(dict.fromkeys(self._groups()))
        if not groups:
            return ()
        admin, reader = await self._clients()
        partitions = await self._partitions(admin, {t for g in groups for t in g.topics})
        all_partitions = [tp for tps in partitions.values() for tp in tps]
        ends: dict[TopicPartition, int] = await reader.end_offsets(all_partitions) if all_partitions else {}
        firsts: dict[TopicPartition, int] | None = None
        result = []
        for group in groups:
            tps = [tp for topic in group.topics for tp in partitions.get(topic, ())]
            committed = await admin.list_consumer_group_offsets(group.group_id, partitions=tps) if tps else {}
            offsets = {tp: (committed[tp].offset if tp in committed else -1) for tp in tps}
            if firsts is None and any(offset < 0 for offset in offsets.values()):
                firsts = await reader.beginning_offsets(all_partitions)
            lags = tuple(
                PartitionLag(
                    tp.topic,
                    tp.partition,
                    ends[tp],
                    offsets[tp] if offsets[tp] >= 0 else None,
                    partition_lag(ends[tp], offsets[tp], (firsts or {}).get(tp, 0)),
                )
                for tp in sorted(tps)
            )
            result.append(GroupLag(group, lags))
        self._last = tuple(result)
        return self._last

    async def _partitions(
        self, admin: AIOKafkaAdminClient, topics: set[str]
    ) -> dict[str, list[TopicPartition]]:
        """The partitions of ``topics`` from the cluster's metadata (all topics are asked for: naming
        them could make a broker with auto-creation create them). A topic not created yet: no lag."""
        found: dict[str, list[TopicPartition]] = {topic: [] for topic in topics}
        for described in await admin.describe_topics(None):
            name = described.get("topic")
            if name in found:
                numbers = sorted(p["partition"] for p in described.get("partitions", ()))
                found[name] = [TopicPartition(name, n) for n in numbers]
        return found

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._clients_lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
                await admin.start()
                self._admin = admin
            if self._reader is None:
                reader = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
                await reader.start()
                self._reader = reader
            return self._admin, self._reader

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.lags()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("consumer lag not refreshed; will retry", exc_info=True)

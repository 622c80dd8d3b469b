"""Live positions: the district's fixes topic, read once per console process, pushed to every open map.

Gateways publish each decoded ``LocationFix`` on ``jingwu.<district>.telemetry.fixes.v1`` (keyed by
device). The console reads that topic without a consumer group (every replica sees every fix, nothing
is committed), starting a few minutes back so that a map opened right after a restart already shows
where the vehicles are, and keeps the latest fix of each device. Once per tick it sends the devices
that moved since the last tick to every subscriber: a map gets one small message a second however
many fixes arrive, and nobody polls. Which devices a person may see is decided when the stream is
opened, with their own credential against telemetry (``api/telemetry.py``).

While the topic does not exist yet (telemetry not deployed) the feed waits for it and says so in
``status``; the rest of the console is unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.message import DecodeError
from jingwu.telemetry.v1 import telemetry_pb2

from jingwu_console.geojson import fix_json

log = logging.getLogger(__name__)

# How far back the feed starts reading at start.
REPLAY_S = 300.0
QUEUE_DEPTH = 8
Position = dict[str, Any]


@dataclass(eq=False)  # identity: each open map is its own subscriber
class Subscription:
    """One open map: batches of changed positions, oldest dropped when the reader falls behind."""

    queue: asyncio.Queue[list[Position]] = field(default_factory=lambda: asyncio.Queue(QUEUE_DEPTH))

    def offer(self, batch: list[Position]) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(batch)


class LiveFeed:
    name = "live-feed"

    def __init__(self, bootstrap: str, topic: str, *, tick_s: float = 1.0) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self._tick_s = tick_s
        self.latest: dict[str, Position] = {}
        self._changed: set[str] = set()
        self._subscribers: set[Subscription] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._consumer: AIOKafkaConsumer | None = None
        # "off" (no Kafka configured), "waiting" (no topic yet), "live", "error".
        self.status = "off" if not bootstrap else "waiting"
        self.fixes_seen = 0

    async def start(self) -> None:
        if not self._bootstrap:
            return
        self._tasks = [
            asyncio.create_task(self._consume(), name="live-consume"),
            asyncio.create_task(self._tick(), name="live-tick"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
            self._consumer = None

    # --- subscribers -----------------------------------------------------------------------------

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def snapshot(self, device_ids: Iterable[str] | None = None) -> list[Position]:
        if device_ids is None:
            return list(self.latest.values())
        return [self.latest[d] for d in device_ids if d in self.latest]

    # --- the topic -------------------------------------------------------------------------------

    def apply(self, fix: telemetry_pb2.LocationFix) -> None:
        """Keep the newer of the stored and the given fix of a device (a backfill is older)."""
        position = fix_json(fix)
        current = self.latest.get(fix.device_id)
        if current is not None and (current.get("time") or "") > (position.get("time") or ""):
            return
        self.latest[fix.device_id] = position
        self._changed.add(fix.device_id)
        self.fixes_seen += 1

    async def _consume(self) -> None:
        while True:
            try:
                await self._read_topic()
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker went away: say so, then reconnect
                log.warning("live feed interrupted; reconnecting", exc_info=True)
                self.status = "error"
                if self._consumer is not None:
                    with contextlib.suppress(Exception):
                        await self._consumer.stop()
                    self._consumer = None
                await asyncio.sleep(2.0)

    async def _read_topic(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id="jingwu-console-live",
        )
        self._consumer = consumer
        await consumer.start()
        partitions: set[int] | None = None
        while not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(self.topic)
            if not partitions:
                self.status = "waiting"
                await asyncio.sleep(2.0)
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        since_ms = int((time.time() - REPLAY_S) * 1000)
        offsets = await consumer.offsets_for_times(dict.fromkeys(assigned, since_ms))
        for tp in assigned:
            found = offsets.get(tp)
            if found is None:
                await consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, found.offset)
        self.status = "live"
        log.info("live feed reading", extra={"topic": self.topic, "partitions": len(assigned)})
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    self._decode(record.value)

    def _decode(self, value: bytes | None) -> None:
        if not value:
            return
        fix = telemetry_pb2.LocationFix()
        try:
            fix.ParseFromString(value)
        except DecodeError:
            return
        if fix.device_id and fix.HasField("position"):
            self.apply(fix)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            self.flush()

    def flush(self) -> None:
        """Send what changed since the last tick to every subscriber."""
        if not self._changed:
            return
        batch = [self.latest[d] for d in sorted(self._changed)]
        self._changed.clear()
        for subscription in list(self._subscribers):
            subscription.offer(batch)

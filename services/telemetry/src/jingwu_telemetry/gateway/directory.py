"""The device → district map a city gateway routes by (design.md, Telemetry).

``DeviceDirectory`` is the map itself (pure); ``DirectoryFeed`` fills it from every district's
compacted topic ``jingwu.<district>.telemetry.devices.v1`` (a pattern subscription without a consumer
group, read from the beginning: the compacted topic holds the latest entry of every device), and keeps
it current while the gateway runs. No call per frame: lookups are dictionary reads.

A phone number claimed by devices of two districts is ambiguous: the gateway refuses to guess, and
counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.message import DecodeError
from jingwu.telemetry.v1 import events_pb2, telemetry_pb2

log = logging.getLogger(__name__)
DIRECTORY_TOPICS = re.compile(r"^jingwu\.\d{2}\.telemetry\.devices\.v1$")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    district: str
    device_id: str
    kind: int  # telemetry_pb2.DeviceKind
    status: int  # telemetry_pb2.DeviceStatus
    terminal_phone: str = ""
    terminal_id: str = ""
    credential_sha256: str = ""
    vehicle_id: str = ""
    officer_id: str = ""

    @property
    def enabled(self) -> bool:
        return self.status != telemetry_pb2.DEVICE_STATUS_DISABLED

    @property
    def handheld(self) -> bool:
        return self.kind == telemetry_pb2.DEVICE_KIND_HANDHELD

    @classmethod
    def from_proto(cls, entry: events_pb2.DeviceDirectoryEntry) -> DirectoryEntry:
        return cls(
            district=entry.district_code,
            device_id=entry.device_id,
            kind=entry.kind,
            status=entry.status,
            terminal_phone=entry.terminal_phone,
            terminal_id=entry.terminal_id,
            credential_sha256=entry.credential_sha256,
            vehicle_id=entry.vehicle_id,
            officer_id=entry.officer_id,
        )


class DeviceDirectory:
    """Every district's devices, by id, terminal phone and terminal id."""

    def __init__(self, entries: Iterable[DirectoryEntry] = ()) -> None:
        self._by_id: dict[str, DirectoryEntry] = {}
        self._by_phone: dict[str, dict[str, DirectoryEntry]] = {}
        self._by_terminal_id: dict[str, dict[str, DirectoryEntry]] = {}
        self.ambiguous_lookups = 0
        for entry in entries:
            self.put(entry)

    def __len__(self) -> int:
        return len(self._by_id)

    def put(self, entry: DirectoryEntry) -> None:
        self.remove(entry.device_id)
        self._by_id[entry.device_id] = entry
        if entry.terminal_phone:
            self._by_phone.setdefault(entry.terminal_phone, {})[entry.device_id] = entry
        if entry.terminal_id:
            self._by_terminal_id.setdefault(entry.terminal_id, {})[entry.device_id] = entry

    def remove(self, device_id: str) -> None:
        old = self._by_id.pop(device_id, None)
        if old is None:
            return
        for index, key in ((self._by_phone, old.terminal_phone), (self._by_terminal_id, old.terminal_id)):
            holders = index.get(key)
            if holders is not None:
                holders.pop(device_id, None)
                if not holders:
                    del index[key]

    def device(self, device_id: str) -> DirectoryEntry | None:
        return self._by_id.get(device_id)

    def _only(self, holders: dict[str, DirectoryEntry] | None) -> DirectoryEntry | None:
        if not holders:
            return None
        if len(holders) > 1:
            self.ambiguous_lookups += 1
            return None
        return next(iter(holders.values()))

    def terminal(self, terminal_phone: str) -> DirectoryEntry | None:
        """The terminal with this phone number (without leading zeros), if exactly one district has it."""
        return self._only(self._by_phone.get(terminal_phone))

    def terminal_by_id(self, terminal_id: str) -> DirectoryEntry | None:
        return self._only(self._by_terminal_id.get(terminal_id))


class DirectoryFeed:
    """Keeps a DeviceDirectory current from the directory topics of every district. ``ready`` is set
    once everything on the topics when it started has been read (or after ``ready_timeout_s``)."""

    name = "device-directory"

    def __init__(
        self,
        bootstrap: str,
        directory: DeviceDirectory,
        *,
        ready_timeout_s: float = 30.0,
        metadata_max_age_ms: int = 10_000,
    ) -> None:
        self.directory = directory
        self.ready = asyncio.Event()
        self.applied = 0
        self.rejected = 0
        self._bootstrap = bootstrap
        self._ready_timeout = ready_timeout_s
        self._metadata_max_age_ms = metadata_max_age_ms
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=self._metadata_max_age_ms,
        )
        self._consumer.subscribe(pattern=DIRECTORY_TOPICS.pattern)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=self.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), self._ready_timeout)
        if not self.ready.is_set():
            log.warning(
                "device directory not caught up at start; serving what it has",
                extra={"devices": len(self.directory)},
            )
            self.ready.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        targets: dict[TopicPartition, int] | None = None
        started = time.monotonic()
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            except Exception:
                log.warning("device directory poll failed; retrying", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            for records in batches.values():
                for record in records:
                    self._apply(record.key, record.value)
            if self.ready.is_set():
                continue
            assignment = consumer.assignment()
            if not assignment:
                # No district has a directory topic yet, or metadata has not been fetched: after a short
                # grace there is nothing to catch up with.
                if time.monotonic() - started > 2.0:
                    self.ready.set()
                continue
            if targets is None or set(targets) != assignment:
                targets = await consumer.end_offsets(list(assignment))
            positions = {tp: await consumer.position(tp) for tp in assignment}
            if all(positions[tp] >= end for tp, end in targets.items()):
                log.info("device directory caught up", extra={"devices": len(self.directory)})
                self.ready.set()

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the device is gone
            if key:
                self.directory.remove(key.decode(errors="replace"))
            return
        try:
            entry = events_pb2.DeviceDirectoryEntry.FromString(value)
        except DecodeError:
            self.rejected += 1
            return
        if not entry.device_id or not entry.district_code:
            self.rejected += 1
            return
        self.directory.put(DirectoryEntry.from_proto(entry))
        self.applied += 1

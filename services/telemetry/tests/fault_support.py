"""What the fault tests of the fix consumer (test_fix_consumer_faults.py) run on and check with.

- ``FaultStack``: a Kafka broker and a FerretDB of their own (devstack's launchers, on free ports, in a
  temp dir), so a test can stop the store or restart the broker without touching the session's, which
  other tests use;
- ``consumer_spec``: the district's ``jingwu-telemetry`` process (fix consumer included) as ``make run``
  starts it, ``python -m jingwu_telemetry.entrypoints.main`` with JINGWU_* settings, so a SIGKILL is real;
- ``FixStream``: fixes with unique identities (device, fix time) in the gateways' wire format (the JT/T
  808 gateway's own mapping ``jt808_fix`` and envelope ``fix_headers``, published with its
  ``FixPublisher``), some devices crossing one zone, and the zone events the pure domain derives from
  them without any fault (the oracle);
- ``StoredFixes``: what the store holds (``MongoTrackStore.counts``, zone event ids) and what the group
  committed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
from jingwu_devstack.procs import (
    ProcessInfo,
    ProcessSpec,
    Supervisor,
    all_ready,
    free_port,
    free_ports,
    log_ready,
    tcp_ready,
)
from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import telemetry_fixes_topic
from jingwu_platform.mongo import Document, create_client, district_database
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.status import StatusProbe
from jingwu_platform.store_guard import LOCK_DIR_ENV
from jingwu_platform.testing import group_coordinator_ready
from jingwu_telemetry.adapters.fix_mapping import fix_from_proto
from jingwu_telemetry.adapters.positions import ZONE_EVENTS, MongoGeography
from jingwu_telemetry.adapters.repository import MongoDeviceRepository
from jingwu_telemetry.adapters.tracks import POINTS, MongoTrackStore
from jingwu_telemetry.application.devices import SERVICE
from jingwu_telemetry.domain.devices import Device, DeviceKind, DeviceStatus, Jt808Identity
from jingwu_telemetry.domain.fix_rules import DEFAULT_RULES
from jingwu_telemetry.domain.geo import ZoneArea, ZoneIndex
from jingwu_telemetry.domain.tracking import Attached, Tracking, Verdict, track
from jingwu_telemetry.gateway.directory import DirectoryEntry
from jingwu_telemetry.gateway.fixes import jt808_fix
from jingwu_telemetry.gateway.publisher import FixPublisher
from jingwu_telemetry.sim.reports import report_at
from pymongo import AsyncMongoClient

log = logging.getLogger(__name__)

# ── the stack of the fault tests ─────────────────────────────────────────────────────────────────


@dataclass
class FaultStack:
    """Kafka and FerretDB for the fault tests only: stop and start them at will."""

    supervisor: Supervisor
    data_dir: Path
    kafka_port: int
    controller_port: int
    mongo_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return ferretdb_url("127.0.0.1", self.mongo_port)

    def _kafka(self) -> ProcessSpec:
        spec = kafka_spec(ensure_kafka(sys.stderr).path, self.data_dir, self.kafka_port, self.controller_port)
        return replace(spec, name="faults-kafka")

    def _store(self) -> ProcessSpec:
        return replace(
            ferretdb_spec(ensure_ferretdb(sys.stderr).path, self.data_dir, self.mongo_port),
            name="faults-ferretdb",
        )

    def start_kafka(self) -> None:
        self.supervisor.start(self._kafka())

    def stop_kafka(self) -> None:
        self.supervisor.stop("faults-kafka")

    def start_store(self) -> None:
        """Same port, same data dir: the store comes back with what it had."""
        self.supervisor.start(self._store())

    def stop_store(self) -> None:
        self.supervisor.stop("faults-ferretdb")

    @classmethod
    async def started(cls, supervisor: Supervisor, data_dir: Path) -> FaultStack:
        kafka_port, controller_port, mongo_port = free_ports(3)
        stack = cls(supervisor, data_dir, kafka_port, controller_port, mongo_port)
        await asyncio.to_thread(stack.start_kafka)
        await asyncio.to_thread(stack.start_store)
        await group_coordinator_ready(stack.bootstrap)
        return stack


def consumer_spec(
    stack: FaultStack, district: str, auth_secret: str, port: int, log_path: Path, name: str
) -> ProcessSpec:
    """``jingwu-telemetry`` for ``district``, as ``make run`` starts it (jingwu_devstack.run)."""
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-m", "jingwu_telemetry.entrypoints.main"],
        log_path=log_path,
        env={
            "JINGWU_DISTRICT": district,
            "JINGWU_KAFKA_BOOTSTRAP": stack.bootstrap,
            "JINGWU_MONGO_URL": stack.mongo_url,
            "JINGWU_AUTH_SECRET": auth_secret,
            "JINGWU_GRPC_PORT": str(port),
            "JINGWU_TRACE_EXPORTER": "none",
            "JINGWU_OUTBOX_POLL_INTERVAL_S": "0.2",
            # No window is sealed while the test runs: the points stay where counts() reads them.
            "JINGWU_TELEMETRY_SEAL_INTERVAL_S": "3600",
            LOCK_DIR_ENV: str(stack.data_dir / "locks"),
            "PATH": os.environ.get("PATH", ""),
        },
        ports=[port],
        ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
        ready_timeout=180.0,  # a busy 2-core machine: the whole suite may run beside it
        stop_timeout=20.0,
    )


# ── the stream ───────────────────────────────────────────────────────────────────────────────────

ZONE_SOUTH, ZONE_NORTH, ZONE_WEST, ZONE_EAST = 33.640, 33.643, 116.970, 116.980
STEP_DEG = 2e-5  # northwards per second: ~2.2 m/s, a patrol car in traffic
GATEWAY_SOURCE = "jingwu/city/jt808-gateway"


@dataclass(frozen=True)
class FixStream:
    """``devices`` terminals, each reporting once a second for ``steps`` seconds from ``start``, in the
    order the gateways publish them (all devices' step 0, then step 1, …). Every ``crossing_every``-th
    device drives through the zone (it enters and leaves once); the others stay west of it. A fix's
    identity is its device and fix time, so every fix is unique."""

    district: str
    devices: int
    steps: int
    start: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=90)
    )
    crossing_every: int = 2

    @property
    def total(self) -> int:
        return self.devices * self.steps

    @property
    def zone(self) -> ZoneArea:
        ring = (
            (ZONE_WEST, ZONE_SOUTH),
            (ZONE_EAST, ZONE_SOUTH),
            (ZONE_EAST, ZONE_NORTH),
            (ZONE_WEST, ZONE_NORTH),
            (ZONE_WEST, ZONE_SOUTH),
        )
        return ZoneArea(zone_code=f"{self.district}020301", rings=(ring,))

    def device_id(self, device: int) -> str:
        return f"fault-{device:04d}"

    def crosses(self, device: int) -> bool:
        return device % self.crossing_every == 0

    def _position(self, device: int, step: int) -> tuple[float, float]:
        if not self.crosses(device):
            return 33.62 + step * STEP_DEG, 116.90 + device * 1e-4
        inside_steps = round((ZONE_NORTH - ZONE_SOUTH) / STEP_DEG)
        enter = 10 + (device * 37) % max(1, self.steps - inside_steps - 20)  # staggered over the stream
        # Half a step off the edges, so no fix lies on the boundary.
        return ZONE_SOUTH + (step - enter) * STEP_DEG + STEP_DEG / 2, (ZONE_WEST + ZONE_EAST) / 2

    def registry(self) -> list[Device]:
        return [
            Device(
                self.device_id(n),
                DeviceKind.VEHICLE_TERMINAL,
                DeviceStatus.REGISTERED,
                jt808=Jt808Identity(terminal_phone=f"1398{n:07d}"),
                vehicle_id=f"veh-{n}",
            )
            for n in range(self.devices)
        ]

    def fixes(self, received: datetime | None = None) -> Iterator[telemetry_pb2.LocationFix]:
        """The stream as the JT/T 808 gateway maps reports (jingwu_telemetry.gateway.fixes)."""
        entries = [
            DirectoryEntry(
                self.district,
                self.device_id(n),
                telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
                telemetry_pb2.DEVICE_STATUS_REGISTERED,
                terminal_phone=f"1398{n:07d}",
            )
            for n in range(self.devices)
        ]
        for step in range(self.steps):
            at = self.start + timedelta(seconds=step)
            now = received or datetime.now(UTC)
            for device, entry in enumerate(entries):
                latitude, longitude = self._position(device, step)
                report = report_at(latitude, longitude, at, speed_kmh=8.0, heading=0)
                yield jt808_fix(entry, report, source=telemetry_pb2.FIX_SOURCE_JT808_REPORT, received=now)

    def chunks(
        self, size: int, oracle: ZoneOracle | None = None
    ) -> Iterator[list[telemetry_pb2.LocationFix]]:
        """The stream in chunks of ``size``, each fed to ``oracle`` as it is made."""
        chunk: list[telemetry_pb2.LocationFix] = []
        for fix in self.fixes():
            chunk.append(fix)
            if len(chunk) == size:
                if oracle is not None:
                    oracle.feed(chunk)
                yield chunk
                chunk = []
        if chunk:
            if oracle is not None:
                oracle.feed(chunk)
            yield chunk


class ZoneOracle:
    """The zone events' ids the domain derives from the stream applied once, in order, without any
    fault (R-PAT-6: time in zone is evidence; each crossing once). Only the devices that cross the zone
    are tracked (the others never come near it: none of their fixes can make an event)."""

    def __init__(self, stream: FixStream) -> None:
        self._zones = ZoneIndex([stream.zone])
        crossing = [n for n in range(stream.devices) if stream.crosses(n)]
        self._states = {stream.device_id(n): Tracking(stream.device_id(n)) for n in crossing}
        self._attached = {
            stream.device_id(n): Attached(DeviceKind.VEHICLE_TERMINAL, vehicle_id=f"veh-{n}")
            for n in crossing
        }
        self.ids: set[str] = set()
        self.crossing_devices = len(crossing)

    def feed(self, fixes: Iterable[telemetry_pb2.LocationFix]) -> None:
        for proto in fixes:
            state = self._states.get(proto.device_id)
            if state is None:
                continue
            fix = fix_from_proto(proto, b"")
            outcome = track(
                state, fix, self._attached[fix.device_id], zones=self._zones, stops=(), rules=DEFAULT_RULES
            )
            assert outcome.verdict is Verdict.MOVED, outcome.reason
            self._states[fix.device_id] = outcome.state
            self.ids.update(event.event_id for event in outcome.zone_events)


async def publish(publisher: FixPublisher, chunk: list[telemetry_pb2.LocationFix]) -> int:
    """Publish like a terminal behind the gateway: what was not acknowledged is sent again (same
    fixes, same ``ce_id``) until Kafka acknowledged all of it. Returns how many attempts failed."""
    failures = 0
    while True:
        try:
            await publisher.publish(chunk)
        except Exception as error:
            failures += 1
            log.warning("publish failed, sending the chunk again: %r", error)
            await asyncio.sleep(1.0)
        else:
            return failures


@dataclass
class Acks:
    """How far a publishing task has got: fixes acknowledged, attempts that failed."""

    fixes: int = 0
    failed_attempts: int = 0


async def publish_stream(
    bootstrap: str,
    chunks: Iterable[list[telemetry_pb2.LocationFix]],
    *,
    pause_s: float = 0.0,
    acks: Acks | None = None,
) -> Acks:
    """Chunks of the stream through the gateway's publisher (acks=all, idempotent, keyed by device),
    ``pause_s`` between chunks. Each chunk is made in a worker thread (building 200,000 fixes takes a
    while), so the event loop goes on meanwhile."""
    acks = acks or Acks()
    publisher = FixPublisher(bootstrap, client_id=f"faults-{uuid.uuid4().hex[:6]}", source=GATEWAY_SOURCE)
    await publisher.start()
    made = iter(chunks)
    try:
        while (fixes := await asyncio.to_thread(next, made, None)) is not None:
            acks.failed_attempts += await publish(publisher, fixes)
            acks.fixes += len(fixes)
            if pause_s:
                await asyncio.sleep(pause_s)
    finally:
        await publisher.stop()
    return acks


class ConsumerProcess:
    """The district's ``jingwu-telemetry`` process, started again as often as a test kills it (one log
    per incarnation, the same gRPC port)."""

    def __init__(self, stack: FaultStack, district: str, auth_secret: str, log_dir: Path) -> None:
        self._stack, self.district, self._secret, self._logs = stack, district, auth_secret, log_dir
        self._supervisor = Supervisor(out=None)
        self.port = free_port()
        self.name = f"telemetry-{district}"
        self.incarnations = 0
        self.info: ProcessInfo | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> ProcessInfo:
        """Start it and wait for its ready line (off the event loop: producing goes on meanwhile)."""
        self.incarnations += 1
        log_path = self._logs / f"{self.name}-{self.incarnations:03d}.log"
        spec = consumer_spec(self._stack, self.district, self._secret, self.port, log_path, self.name)
        self.info = await asyncio.to_thread(self._supervisor.start, spec)
        return self.info

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, nothing flushed."""
        assert self.info is not None
        os.kill(self.info.pid, signal.SIGKILL)
        await asyncio.to_thread(self._supervisor.stop, self.name)  # reaps it
        self.info = None

    async def stop(self) -> None:
        await asyncio.to_thread(self._supervisor.stop, self.name)
        self.info = None

    def alive(self) -> bool:
        return self.info is not None and self.info.alive()

    def logs(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in sorted(self._logs.glob(f"{self.name}-*.log"))
        )

    def close(self) -> None:
        self._supervisor.stop_all()


# ── what the store holds ─────────────────────────────────────────────────────────────────────────


class StoredFixes:
    """The district's store and consumer group, read by the telemetry adapters' own functions."""

    def __init__(self, stack: FaultStack, district: str) -> None:
        self.district = district
        self._bootstrap = stack.bootstrap
        self._client: AsyncMongoClient[Document] = create_client(stack.mongo_url, "jingwu-fault-tests")
        self.database = district_database(self._client, district)
        self.tracks = MongoTrackStore(self.database)
        self.group = ConsumerGroup(f"jingwu-{district}-{SERVICE}-fixes", (telemetry_fixes_topic(district),))
        self._probe = StatusProbe(
            bootstrap=stack.bootstrap,
            service=SERVICE,
            district=district,
            groups=lambda: [self.group],
            relay=None,
            refresh_s=0,
        )

    async def prepare(self, stream: FixStream) -> None:
        """The registry and the zone, as the service would hold them (added straight to the store: the
        registry's RPCs and the rooms events are tested elsewhere)."""
        devices = MongoDeviceRepository(self.database, OutboxRegistry())
        for device in stream.registry():
            await devices.add(device)
        await MongoGeography(self.database).put_zones([stream.zone])

    async def close(self) -> None:
        await self._probe.stop()
        await self._client.close()

    async def points(self) -> int:
        """Track points stored, from the collection's statistics: FerretDB v1 answers ``count_documents``
        by reading every document (18 s for 200,000 here), ``collStats`` from SQLite's count (0.5 s)."""
        stats = await self.database.command("collStats", POINTS)
        return int(stats["count"])

    async def records_on(self, topic: str) -> int:
        """Records on ``topic``: the lag of a group that never commits is end minus first offsets."""
        group = ConsumerGroup("jingwu-fault-tests-never-commits", (topic,))
        probe = StatusProbe(
            bootstrap=self._bootstrap,
            service=SERVICE,
            district=self.district,
            groups=lambda: [group],
            relay=None,
            refresh_s=0,
        )
        try:
            (lag,) = await probe.lags()
        finally:
            await probe.stop()
        return lag.lag

    async def points_at_least(self, count: int) -> bool:
        return await self.points() >= count

    async def counts(self) -> tuple[int, int]:
        """(stored, distinct) over points and buckets (MongoTrackStore.counts)."""
        return await self.tracks.counts()

    async def committed(self) -> int:
        """Records of the fixes topic the consumer group has committed (0 before its first commit)."""
        (group,) = await self._probe.lags()
        return sum(p.committed_offset or 0 for p in group.partitions)

    async def lag(self) -> int:
        (group,) = await self._probe.lags()
        return group.lag

    async def zone_event_ids(self) -> list[str]:
        return [document["_id"] async for document in self.database[ZONE_EVENTS].find({}, {"_id": 1})]


@dataclass(frozen=True)
class Published:
    """The zone events on the district's topic: records, distinct ``ce_id``s, distinct events."""

    records: int
    event_ids: int
    events: set[tuple[str, str, str, int]]  # (type, device, zone, occur time ms)
    ids_per_event: int  # the most ce_ids any one event was published under


async def published_zone_events(bootstrap: str, topic: str) -> Published:
    """Every record of ``topic`` up to its end, zone events only."""
    from jingwu.telemetry.v1 import events_pb2

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"faults-reader-{uuid.uuid4()}", enable_auto_commit=False
    )
    await reader.start()
    try:
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        ids_of: dict[tuple[str, str, str, int], set[str]] = {}
        records = 0

        async def behind() -> bool:
            return any([await reader.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            for batch in (await reader.getmany(timeout_ms=1000)).values():
                for record in batch:
                    headers = {k: v.decode() for k, v in record.headers or ()}
                    kind = headers.get("ce_type", "")
                    if kind not in ("jingwu.telemetry.v1.ZoneEntered", "jingwu.telemetry.v1.ZoneLeft"):
                        continue
                    message_type = events_pb2.ZoneEntered if kind.endswith("Entered") else events_pb2.ZoneLeft
                    message = message_type.FromString(record.value or b"")
                    event = (kind, message.device_id, message.zone_code, message.occur_time.ToMilliseconds())
                    ids_of.setdefault(event, set()).add(headers["ce_id"])
                    records += 1
    finally:
        await reader.stop()
    return Published(
        records=records,
        event_ids=len(set().union(*ids_of.values())) if ids_of else 0,
        events=set(ids_of),
        ids_per_event=max((len(ids) for ids in ids_of.values()), default=0),
    )

"""Benchmarks of telemetry (not tests: nothing is asserted; prints Markdown rows for docs/benchmarks.md).

    PYTHONPATH=services/telemetry/src .venv/bin/python services/telemetry/bench/bench_telemetry.py codec
    ... bench_telemetry.py gateway --connections 2000 --seconds 20
    ... bench_telemetry.py gateway --connections 10000 --loop open --interval 1 --seconds 60
    ... bench_telemetry.py consumer --fixes 200000 --devices 500
    ... bench_telemetry.py latency --rate 20000 --devices 20000 --seconds 60

- codec: the JT/T 808 decoder on a 0x0200 report with five additional items (decode; decode + the
  0x8001 answer; the stream splitter), one core.
- gateway: the JT/T 808 gateway in this process (directory filled in memory; authentication answered
  by a stand-in registry, since only the frame path is measured), Kafka real (acks=all, every fix
  acknowledged before its answer). Terminals run in ``--client-processes`` other processes (by default
  one per 2,500 connections), which open their connections at ``--ramp`` per second in all, each
  authenticates; then, over a window of ``--seconds`` that opens 3 s after the last connection was
  due, either sends a report and waits for its answer, over and over (``--loop closed``, the default),
  or sends a report every ``--interval`` seconds whatever the answers do (``--loop open``: N
  connections at 1 s offer N reports/s, the city's 1 Hz). Reported: connections established, reports
  offered and answered per second in the window, the answer latency over every answer (each client
  process ships its samples back), the CPU of the gateway process, of the client processes, of the
  broker and of the whole machine over the window, and the failures.
- consumer: ``fixes`` LocationFix records on the topic, then (a) the raw aiokafka consume rate of that
  topic (the ceiling) and (b) the district's fix consumer (BatchConsumer + FixIngest + the Mongo
  adapters, FerretDB v1) from the start of the topic to its end.
- latency: the same fix consumer as ``consumer`` (same set-up), running while a producer in another
  process sends fixes open loop at ``--rate`` per second for ``--seconds``, round robin over
  ``--devices`` devices (20,000 devices at 1 Hz by default), each fix's time its send time, idempotent
  producer, acks=all, linger 5 ms. Latency of a fix: the moment FixIngest's writes of its batch
  returned (the handler returned; the batch's offset commit follows) minus its Kafka CreateTime (set
  by the producer when it sent the fix). Over the steady part (fixes produced after ``--warmup``
  seconds): p50/p95/p99/max, the rate persisted, and whether the consumer kept up (the backlog when
  the producer stopped, and ``--drain`` seconds later); fixes still not persisted at the end count as
  slower than any persisted one in the percentiles.
- clients, produce: the terminals of ``gateway`` and the producer of ``latency`` (started by them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jingwu_telemetry.jt808 import (
    FrameSplitter,
    Header,
    LocationReportBody,
    Message,
    PlatformResponse,
    decode,
    encode,
)
from jingwu_telemetry.jt808.codec import encode_general_response
from jingwu_telemetry.sim.reports import report_at

if TYPE_CHECKING:
    from jingwu_platform.batch import BatchConsumer, Delivery, RebalanceHook, Rejection
    from jingwu_platform.mongo import Document
    from jingwu_telemetry.adapters.tracks import MongoTrackStore
    from jingwu_telemetry.entrypoints.fix_consumer import FixHandler
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.database import AsyncDatabase

    AfterHandle = Callable[[Sequence[Delivery[Any]], Sequence[Rejection], float], None]
    """Told of each batch the fix handler stored: its deliveries, those it rejected, the seconds it took."""

FIXES_TOPIC = "jingwu.01.telemetry.fixes.v1"
FIXES_DLQ = "jingwu.01.telemetry.fixes.dlq.v1"


PHONE = "013900000001"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def sample_frame(serial: int = 1, phone: str = PHONE) -> bytes:
    report = report_at(33.6401, 116.9752, datetime.now(UTC), speed_kmh=42.5, heading=91, mileage_km=1234.5)
    return encode(Message(Header(0x0200, phone, serial), LocationReportBody(report)))


def bench_codec(count: int) -> list[tuple[str, str]]:
    frame = sample_frame()
    content = frame[1:-1]
    started = time.perf_counter()
    for _ in range(count):
        decode(content)
    decode_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for serial in range(count):
        message = decode(content)
        encode_general_response(message.header, serial & 0xFFFF, 0)
    answer_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for serial in range(count):
        message = decode(content)
        encode(
            Message(
                message.header.reply(0x8001, serial & 0xFFFF),
                PlatformResponse(message.header.serial, 0x0200, 0),
            )
        )
    generic_rate = count / (time.perf_counter() - started)
    stream = frame * 1000
    started = time.perf_counter()
    for _ in range(count // 1000):
        splitter = FrameSplitter()
        for offset in range(0, len(stream), 4096):
            splitter.feed(stream[offset : offset + 4096])
    split_rate = count / (time.perf_counter() - started)
    return [
        ("decode 0x0200 (5 items, 56 bytes)", f"{decode_rate:,.0f} frames/s"),
        ("decode + the 0x8001 answer (packed directly, as the gateway does)", f"{answer_rate:,.0f} frames/s"),
        ("decode + the 0x8001 answer through the generic encoder", f"{generic_rate:,.0f} frames/s"),
        ("FrameSplitter, 4 KiB reads", f"{split_rate:,.0f} frames/s"),
    ]


# ── measuring ────────────────────────────────────────────────────────────────────────────────────


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank of an ascending sequence (0 when it is empty)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far (/proc/stat, in clock ticks)."""
    values = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def process_cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) a process used so far; 0 when it cannot be read."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuWindow:
    """CPU shares over a window: this process, some other processes (by pid), the whole machine."""

    pids: dict[str, int | None]
    started: float = 0.0
    own: float = 0.0
    others: dict[str, float] = field(default_factory=dict)
    busy: tuple[float, float] = (0.0, 0.0)
    shares: dict[str, float] = field(default_factory=dict)  # of one core; "machine": of all cores

    def start(self) -> None:
        self.started = time.monotonic()
        self.own = time.process_time()
        self.others = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        self.busy = machine_cpu()

    def stop(self) -> None:
        wall = max(time.monotonic() - self.started, 1e-9)
        self.shares = {"this process": (time.process_time() - self.own) / wall}
        for name, pid in self.pids.items():
            self.shares[name] = (process_cpu_s(pid) - self.others[name]) / wall
        busy, total = machine_cpu()
        self.shares["machine"] = (busy - self.busy[0]) / max(total - self.busy[1], 1e-9)

    def describe(self, *names: str) -> str:
        parts = [f"{name} {self.shares.get(name, 0.0) * 100:.0f}%" for name in names]
        machine = self.shares.get("machine", 0.0)
        cores = os.cpu_count() or 1
        return (
            ", ".join(parts) + f" of one core; machine {machine * 100:.0f}% busy of {cores} cores"
            " (everything running on it)"
        )


def device_id(number: int) -> str:
    return f"dev-{number:05d}"


# ── gateway ──────────────────────────────────────────────────────────────────────────────────────

CONNECTIONS_PER_CLIENT_PROCESS = 2_500
SETTLE_S = 3.0  # after the last connection was due, before the window opens
ANSWER_GRACE_S = 5.0  # after the window, for the answers of reports sent in it
CONNECT_TIMEOUT_S = 30.0


class AcceptingRegistry:
    """Stands in for the district registries in the gateway benchmark: every authentication succeeds."""

    async def authenticate(self, district: str, request: Any) -> Any:
        return None

    async def close(self) -> None:
        return None


@dataclass
class ClientStats:
    """What one client process saw (printed as one JSON line; the gateway benchmark adds them up)."""

    connections: int = 0  # asked to open
    connected: int = 0  # authenticated
    connected_by_window: int = 0  # authenticated before the window opened
    connect_failures: int = 0  # not connected or not authenticated
    dropped: int = 0  # connections lost after authenticating
    sent: int = 0  # reports sent in the window
    answered: int = 0  # of those, answered success
    failed: int = 0  # answered failure
    unanswered: int = 0  # no answer ANSWER_GRACE_S after the window
    cpu_s: float = 0.0  # this process's CPU over the window
    first_error: str = ""
    latencies_us: list[int] = field(default_factory=list)  # of every report answered success


async def run_clients(  # noqa: PLR0915 - the terminals, step by step
    host: str,
    port: int,
    first: int,
    connections: int,
    *,
    ramp: float,
    interval: float,
    start_at: float,
    measure_from: float,
    measure_until: float,
) -> ClientStats:
    """The terminals first … first + connections - 1 (one client process). Connection i is opened at
    ``start_at + i / ramp`` (wall clock), authenticates, then reports until ``measure_until``: every
    ``interval`` seconds (open loop), or with ``interval`` 0 one report in flight at a time (closed
    loop). Reports sent in [measure_from, measure_until) are counted."""
    from jingwu_telemetry.jt808 import Authentication, Jt808Error

    stats = ClientStats(connections=connections)
    grace_until = measure_until + ANSWER_GRACE_S
    loop = asyncio.get_running_loop()

    def failed(error: BaseException) -> None:
        if not stats.first_error:
            stats.first_error = repr(error)

    async def answers(
        reader: asyncio.StreamReader,
        pending: deque[tuple[float, bool]],
        authenticated: asyncio.Future[int],
        answered: asyncio.Event,
    ) -> None:
        """Reads the gateway's frames: the 0x8001 of the authentication, then one per report (in
        order: the gateway handles a connection's frames one after the other)."""
        splitter = FrameSplitter()
        while data := await reader.read(1 << 16):
            now = time.perf_counter()
            for item in splitter.feed(data):
                if isinstance(item, Jt808Error):
                    continue
                try:
                    body = decode(item).body
                except Jt808Error:
                    continue
                if not isinstance(body, PlatformResponse):
                    continue  # the 0x8201 position query the gateway sends after authenticating
                if body.reply_id == 0x0102:
                    if not authenticated.done():
                        authenticated.set_result(body.result)
                elif body.reply_id == 0x0200 and pending:
                    sent, counted = pending.popleft()
                    if counted and body.result == 0:
                        stats.answered += 1
                        stats.latencies_us.append(int((now - sent) * 1e6))
                    elif counted:
                        stats.failed += 1
                    answered.set()
        if not authenticated.done():
            authenticated.set_exception(ConnectionError("closed by the gateway before authentication"))

    async def terminal(index: int) -> None:  # noqa: PLR0912, PLR0915 - its life, step by step
        number = first + index
        phone = f"0139{number:08d}"
        await asyncio.sleep(max(0.0, start_at + index / ramp - time.time()))
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=1 << 16), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as error:
            stats.connect_failures += 1
            failed(error)
            return
        pending: deque[tuple[float, bool]] = deque()
        authenticated: asyncio.Future[int] = loop.create_future()
        answered = asyncio.Event()
        reading = asyncio.create_task(answers(reader, pending, authenticated, answered))
        connected = False
        try:
            writer.write(encode(Message(Header(0x0102, phone, 0), Authentication("bench"))))
            await writer.drain()
            result = await asyncio.wait_for(authenticated, CONNECT_TIMEOUT_S)
            if result != 0:
                raise ConnectionError(f"authentication refused (result {result})")
            connected = True
            stats.connected += 1
            if time.time() < measure_from:
                stats.connected_by_window += 1
            frames = [sample_frame(serial, phone) for serial in range(1, 9)]
            # Open loop: the first report at a phase of its own, so reports spread over the interval.
            next_at = time.time() + (number * 0.6180339887 % 1.0) * interval
            serial = 0
            while True:
                if interval > 0:
                    if next_at >= measure_until:
                        break
                    await asyncio.sleep(max(0.0, next_at - time.time()))
                    next_at += interval
                now = time.time()
                if now >= measure_until:
                    break
                counted = now >= measure_from
                stats.sent += counted
                answered.clear()
                pending.append((time.perf_counter(), counted))
                writer.write(frames[serial % len(frames)])
                serial += 1
                await writer.drain()
                if interval <= 0:
                    await asyncio.wait_for(answered.wait(), max(0.0, grace_until - time.time()))
            while pending and (left := grace_until - time.time()) > 0 and not reading.done():
                answered.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(answered.wait(), left)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            if connected:
                stats.dropped += 1
            else:
                stats.connect_failures += 1
            failed(error)
        finally:
            stats.unanswered += sum(1 for _, counted in pending if counted)
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
            writer.close()

    async def window_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        cpu = time.process_time()
        await asyncio.sleep(max(0.0, measure_until - time.time()))
        stats.cpu_s = time.process_time() - cpu

    await asyncio.gather(window_cpu(), *(terminal(n) for n in range(connections)))
    return stats


async def bench_gateway(  # noqa: PLR0915 - one benchmark, step by step
    bootstrap: str,
    connections: int,
    seconds: float,
    *,
    client_processes: int,
    loop: str,
    interval: float,
    ramp: float,
    kafka_pid: int | None = None,
    default_gc: bool = False,
) -> list[tuple[str, str]]:
    from jingwu_platform.gc_tuning import freeze_startup_objects, relax_collection
    from jingwu_platform.kafka import ensure_topics
    from jingwu_telemetry.gateway.counters import GatewayCounters
    from jingwu_telemetry.gateway.directory import DeviceDirectory, DirectoryEntry
    from jingwu_telemetry.gateway.jt808_server import Jt808Gateway, Jt808Limits
    from jingwu_telemetry.gateway.publisher import FixPublisher

    open_loop = loop == "open"
    processes = client_processes or max(1, math.ceil(connections / CONNECTIONS_PER_CLIENT_PROCESS))
    await ensure_topics(bootstrap, [FIXES_TOPIC], 3)
    directory = DeviceDirectory(
        DirectoryEntry("01", f"dev-{n}", 1, 2, terminal_phone=f"139{n:08d}") for n in range(connections)
    )
    publisher = FixPublisher(bootstrap, client_id="bench-gateway", source="jingwu/city/bench", linger_ms=5)
    await publisher.start()
    # Open loop: the gateway's own limits (20 frames/s per connection, idle timeout 300 s; 1 report a
    # second stays far inside them). Closed loop: one connection may send faster than 20 a second.
    limits = Jt808Limits() if open_loop else Jt808Limits(rate=1000.0, burst=1000.0)
    if open_loop and not 0 < interval < limits.idle_timeout_s:
        raise SystemExit(f"--interval must be in (0, {limits.idle_timeout_s:g}) s for the open loop")
    gateway = Jt808Gateway(
        directory=directory,
        registry=AcceptingRegistry(),  # type: ignore[arg-type]
        publisher=publisher,
        counters=GatewayCounters("jt808"),
        host="127.0.0.1",
        limits=limits,
    )
    if not default_gc:  # as jingwu_telemetry.gateway.main does
        relax_collection()
    await gateway.start()
    if not default_gc:
        freeze_startup_objects()
    shares = [connections // processes + (1 if p < connections % processes else 0) for p in range(processes)]
    clients = []
    first = 0
    for share in shares:
        clients.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "clients",
                "--port",
                str(gateway.port),
                "--first",
                str(first),
                "--connections",
                str(share),
                "--ramp",
                str(ramp / processes),
                "--interval",
                str(interval if open_loop else 0.0),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ},
            )
        )
        first += share
    for client in clients:
        assert client.stdout is not None
        if (await client.stdout.readline()).strip() != b"ready":
            raise SystemExit("a client process did not start (its error is above)")
    start_at = time.time() + 0.5
    measure_from = start_at + max(shares) / (ramp / processes) + SETTLE_S
    measure_until = measure_from + seconds
    timeline = {"start_at": start_at, "measure_from": measure_from, "measure_until": measure_until}
    for client in clients:
        assert client.stdin is not None
        client.stdin.write(json.dumps(timeline).encode() + b"\n")
        await client.stdin.drain()
        client.stdin.close()

    window = CpuWindow({"Kafka broker": kafka_pid})
    sessions_at_start = 0

    async def sample() -> None:
        nonlocal sessions_at_start
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        window.start()
        sessions_at_start = sum(1 for s in gateway.sessions if s.device is not None)
        await asyncio.sleep(max(0.0, measure_until - time.time()))
        window.stop()

    async def result(client: asyncio.subprocess.Process) -> ClientStats:
        assert client.stdout is not None
        out = await client.stdout.read()
        await client.wait()
        lines = out.decode().strip().splitlines()
        if client.returncode != 0 or not lines:
            raise SystemExit(f"a client process failed (exit {client.returncode}; its error is above)")
        return ClientStats(**json.loads(lines[-1]))

    sampling = asyncio.create_task(sample())
    results = await asyncio.gather(*(result(c) for c in clients))
    await sampling
    await gateway.stop()
    await publisher.stop()
    total = ClientStats()
    latencies: list[int] = []
    counts = ("connected", "connected_by_window", "connect_failures", "dropped", "sent", "answered")
    for stats in results:
        for name in (*counts, "failed", "unanswered"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        latencies += stats.latencies_us  # every sample, not the processes' percentiles
        total.first_error = total.first_error or stats.first_error
    latencies.sort()
    p50, p99 = percentile(latencies, 0.50) / 1000, percentile(latencies, 0.99) / 1000
    client_cpu = ", ".join(f"{s.cpu_s / seconds * 100:.0f}%" for s in results)
    how = f"open loop, a report every {interval:g} s per connection" if open_loop else "closed loop"
    how += ", CPython's default GC schedule" if default_gc else ", the gateway's GC schedule"
    refused = dict(gateway.counters.refused) or "nothing"
    return [
        (
            f"gateway, {connections:,} connections from {processes} client processes, {how}",
            f"{total.connected:,} established ({total.connected_by_window:,} before the {seconds:.0f} s"
            f" window, {sessions_at_start:,} authenticated sessions in the gateway at its start;"
            f" ramp {ramp:,.0f}/s)",
        ),
        (
            "reports offered / answered in the window",
            f"{total.sent / seconds:,.0f}/s offered, {total.answered / seconds:,.0f}/s answered"
            " (each acked by Kafka)",
        ),
        (
            "answer latency p50 / p99 / max",
            f"{p50:,.1f} ms / {p99:,.1f} ms / {(latencies[-1] / 1000 if latencies else 0):,.1f} ms"
            f" (every answer: {len(latencies):,})",
        ),
        (
            "CPU over the window",
            window.describe("this process", "Kafka broker").replace("this process", "gateway process")
            + f"; client processes {client_cpu} of one core each",
        ),
        (
            "failures",
            f"{total.connect_failures:,} connections failed, {total.dropped:,} dropped;"
            f" {total.failed:,} reports answered failure, {total.unanswered:,} unanswered"
            f" {ANSWER_GRACE_S:g} s after the window; the gateway refused: {refused}"
            + (f"; first error: {total.first_error}" if total.first_error else ""),
        ),
        (
            "fixes published",
            f"{publisher.published:,}; the gateway waited for Kafka's acknowledgement"
            f" {publisher.ack_seconds / max(publisher.published, 1) * 1000:,.0f} ms per fix on average",
        ),
    ]


# ── the fix consumer (consumer, latency) ─────────────────────────────────────────────────────────


@dataclass
class FixPipeline:
    """The district's fix consumer as telemetry runs it (not started), on a database of its own."""

    consumer: BatchConsumer
    handler: FixHandler
    tracks: MongoTrackStore
    client: AsyncMongoClient[Document]
    database: AsyncDatabase[Document]

    async def close(self) -> None:
        await self.client.drop_database(self.database.name)
        await self.client.close()


async def fix_pipeline(
    bootstrap: str,
    mongo_url: str,
    devices: int,
    *,
    after_handle: AfterHandle | None = None,
    on_assigned: RebalanceHook | None = None,
) -> FixPipeline:
    """``devices`` registered devices (``device_id(n)``), the Mongo adapters, FixIngest, FixHandler and
    the BatchConsumer over the fixes topic, as a fresh consumer group reading from the topic's start."""
    from jingwu.telemetry.v1 import telemetry_pb2
    from jingwu_platform.batch import BatchConsumer, BatchHandler, BatchLimits
    from jingwu_platform.mongo import create_client
    from jingwu_platform.outbox import OutboxRegistry
    from jingwu_platform.usecase import UseCaseKit
    from jingwu_telemetry.adapters.positions import MongoGeography, MongoLatestPositions, MongoMovementEvents
    from jingwu_telemetry.adapters.repository import MongoDeviceRepository
    from jingwu_telemetry.adapters.tracks import MongoTrackStore
    from jingwu_telemetry.application.fixes import FixIngest, GeographyView
    from jingwu_telemetry.domain.devices import Device, DeviceKind, DeviceStatus, Jt808Identity
    from jingwu_telemetry.entrypoints.fix_consumer import FixHandler

    client = create_client(mongo_url, "bench")
    database = client[f"bench_{uuid.uuid4().hex[:8]}"]
    outbox = OutboxRegistry()
    kit = UseCaseKit.create("01", "telemetry", uuid.UUID(int=1))
    devices_repo = MongoDeviceRepository(database, outbox)
    for device in range(devices):
        await devices_repo.add(
            Device(
                device_id(device),
                DeviceKind.VEHICLE_TERMINAL,
                DeviceStatus.REGISTERED,
                jt808=Jt808Identity(terminal_phone=f"139{device:08d}"),
            )
        )
    tracks, latest = MongoTrackStore(database), MongoLatestPositions(database)
    movements = MongoMovementEvents(database, outbox)
    for part in (tracks, latest, movements):
        await part.ensure_indexes()
    view = GeographyView(MongoGeography(database))
    handler = FixHandler(
        FixIngest(
            kit, tracks=tracks, latest=latest, movements=movements, devices=devices_repo, geography=view
        )
    )
    batch_handler = handler.handler()
    if after_handle is not None:
        told = after_handle

        async def handle(deliveries: Sequence[Delivery[telemetry_pb2.LocationFix]]) -> list[Rejection]:
            started = time.perf_counter()
            rejections = list(await handler.handle(deliveries))
            told(deliveries, rejections, time.perf_counter() - started)
            return rejections

        batch_handler = BatchHandler((telemetry_pb2.LocationFix,), handle)
    consumer = BatchConsumer(
        bootstrap=bootstrap,
        group_id=f"bench-{uuid.uuid4()}",
        topics=[FIXES_TOPIC],
        dead_letter_topic=FIXES_DLQ,
        handler=batch_handler,
        inbox=None,
        limits=BatchLimits(max_records=5_000),
        on_assigned=on_assigned,
    )
    return FixPipeline(consumer, handler, tracks, client, database)


async def bench_consumer(bootstrap: str, mongo_url: str, fixes: int, devices: int) -> list[tuple[str, str]]:
    from aiokafka import AIOKafkaConsumer
    from jingwu.telemetry.v1 import telemetry_pb2
    from jingwu_platform.kafka import ensure_topics
    from jingwu_platform.testing import produce_records
    from jingwu_telemetry.gateway.directory import DirectoryEntry
    from jingwu_telemetry.gateway.fixes import jt808_fix
    from jingwu_telemetry.gateway.publisher import fix_headers

    topic = FIXES_TOPIC
    await ensure_topics(bootstrap, [topic, FIXES_DLQ], 3)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=fixes // devices + 60)
    records = []
    for n in range(fixes):
        device = n % devices
        entry = DirectoryEntry("01", device_id(device), 1, 2)
        at = start + timedelta(seconds=n // devices)
        report = report_at(33.6 + device * 1e-4 + (n // devices) * 1e-5, 116.9, at, speed_kmh=30)
        fix = jt808_fix(entry, report, source=telemetry_pb2.FIX_SOURCE_JT808_REPORT, received=now)
        records.append((fix.SerializeToString(), fix.device_id.encode(), fix_headers(fix, "bench")))
    produced = time.monotonic()
    await produce_records(bootstrap, topic, records)
    produce_s = time.monotonic() - produced

    raw = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4()}", auto_offset_reset="earliest"
    )
    await raw.start()
    seen, started = 0, time.monotonic()
    while seen < fixes:
        for batch in (await raw.getmany(timeout_ms=500, max_records=10_000)).values():
            seen += len(batch)
    raw_rate = fixes / (time.monotonic() - started)
    await raw.stop()

    pipeline = await fix_pipeline(bootstrap, mongo_url, devices)
    consumer = pipeline.consumer
    started = time.monotonic()
    await consumer.start()
    while consumer.processed + consumer.dead_lettered < fixes:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.2)
    consumed_s = time.monotonic() - started
    await consumer.stop()
    total, distinct = await pipeline.tracks.counts()
    await pipeline.close()
    rate = fixes / consumed_s
    return [
        (f"produce {fixes:,} fixes ({devices:,} devices)", f"{fixes / produce_s:,.0f} fixes/s"),
        ("raw aiokafka consume (ceiling)", f"{raw_rate:,.0f} fixes/s"),
        (
            "fix consumer end to end, FerretDB v1",
            f"{rate:,.0f} fixes/s ({rate / raw_rate:.2f} of the ceiling), {consumer.batches} batches",
        ),
        (
            "stored exactly once",
            f"{total:,} points stored, {distinct:,} distinct, {pipeline.handler.counters.rejected} rejected",
        ),
    ]


# ── latency: produce → persist ───────────────────────────────────────────────────────────────────


PRODUCE_CHUNK = 500


@dataclass
class ProducerStats:
    """What the latency benchmark's producer did (printed as one JSON line)."""

    started_ms: int = 0  # wall clock, when the first fix was due
    ended_ms: int = 0  # when the last fix was sent
    sent: int = 0
    acked: int = 0
    failed: int = 0
    per_second: list[int] = field(default_factory=list)  # fixes sent in each second from started_ms
    max_behind_s: float = 0.0  # how late against the schedule the producer fell, at most
    cpu_s: float = 0.0
    first_error: str = ""


async def run_producer(  # noqa: PLR0915 - set-up, the loop, the end
    bootstrap: str, rate: float, seconds: float, devices: int
) -> ProducerStats:
    """Open loop: fix i is due at ``i / rate`` s after the start, for device ``i % devices``; whatever
    is due is sent at once (the producer batches it: linger 5 ms), stamped with the send time (fix
    time, receive time and the record's CreateTime), then the loop sleeps until the next one is due.
    The LocationFix and envelope of each device are built once; per fix only the times change."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.partitioner import DefaultPartitioner
    from jingwu.telemetry.v1 import telemetry_pb2
    from jingwu_telemetry.gateway.directory import DirectoryEntry
    from jingwu_telemetry.gateway.fixes import jt808_fix
    from jingwu_telemetry.gateway.publisher import fix_headers

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="bench-latency-producer",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    partitions = sorted(await producer.partitions_for(FIXES_TOPIC))
    partition_of = DefaultPartitioner()
    now = datetime.now(UTC)
    templates = []
    for n in range(devices):
        entry = DirectoryEntry("01", device_id(n), 1, 2)
        report = report_at(33.6 + n * 1e-5, 116.9, now, speed_kmh=30, heading=90, mileage_km=1000.0)
        fix = jt808_fix(entry, report, source=telemetry_pb2.FIX_SOURCE_JT808_REPORT, received=now)
        key = fix.device_id.encode()
        headers = fix_headers(fix, "jingwu/city/bench")
        names = [name for name, _ in headers]
        # ce_id and ce_time change per fix (fix_headers: ce_id = fix/<device>/<fix time ms>/<source>).
        templates.append(
            (
                fix,
                key,
                partition_of(key, partitions, partitions),
                headers,
                names.index("ce_id"),
                names.index("ce_time"),
                (f"fix/{fix.device_id}/", f"/{fix.source}"),
            )
        )
    last_ms = [0] * devices
    stats = ProducerStats(per_second=[0] * (math.ceil(seconds) + 1))
    total = int(rate * seconds)

    def on_ack(future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            stats.failed += 1
            if not stats.first_error:
                stats.first_error = "cancelled" if future.cancelled() else repr(future.exception())
        else:
            stats.acked += 1

    cpu = time.process_time()
    stats.started_ms = start_ms = int(time.time() * 1000)
    sys.stdout.write(json.dumps({"started_ms": start_ms}) + "\n")
    sys.stdout.flush()
    sent = 0
    while sent < total:
        now_ms = int(time.time() * 1000)
        elapsed = (now_ms - start_ms) / 1000
        # At most PRODUCE_CHUNK at once, then the producer's sender gets the loop and the clock is read
        # again: a producer that fell behind catches up in chunks, each stamped with its own time.
        due = min(total, int(elapsed * rate) + 1, sent + PRODUCE_CHUNK)
        if due <= sent:
            await asyncio.sleep(max(0.001, sent / rate - elapsed))
            continue
        stats.max_behind_s = max(stats.max_behind_s, elapsed - sent / rate)
        ce_time = datetime.fromtimestamp(now_ms / 1000, UTC).isoformat().encode()
        for number in range(sent, due):
            device = number % devices
            fix, key, partition, base, id_at, time_at, (prefix, suffix) = templates[device]
            at = last_ms[device] = max(now_ms, last_ms[device] + 1)  # one fix time per device and ms
            fix.fix_time.FromMilliseconds(at)
            fix.receive_time.FromMilliseconds(at)
            headers = base.copy()
            headers[id_at] = ("ce_id", f"{prefix}{at}{suffix}".encode())
            headers[time_at] = ("ce_time", ce_time)
            future = await producer.send(
                FIXES_TOPIC,
                value=fix.SerializeToString(),
                key=key,
                partition=partition,
                timestamp_ms=now_ms,
                headers=headers,
            )
            future.add_done_callback(on_ack)
        stats.per_second[min((now_ms - start_ms) // 1000, len(stats.per_second) - 1)] += due - sent
        stats.sent = sent = due
        await asyncio.sleep(0)
    stats.ended_ms = int(time.time() * 1000)
    sys.stdout.write(json.dumps({"ended_ms": stats.ended_ms}) + "\n")
    sys.stdout.flush()
    await producer.flush()
    deadline = time.monotonic() + 60
    while stats.acked + stats.failed < stats.sent and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await producer.stop()
    stats.cpu_s = time.process_time() - cpu
    return stats


async def bench_latency(  # noqa: PLR0912, PLR0915 - one benchmark, step by step
    bootstrap: str,
    mongo_url: str,
    *,
    rate: float,
    seconds: float,
    devices: int,
    warmup: int,
    drain: float,
    pids: dict[str, int | None],
) -> list[tuple[str, str]]:
    from jingwu_platform.kafka import ensure_topics

    await ensure_topics(bootstrap, [FIXES_TOPIC, FIXES_DLQ], 3)
    created_ms = array("d")  # per fix persisted: its CreateTime
    persisted_ms = array("d")  # … and when its batch's writes returned
    batches: list[tuple[float, float, int]] = []  # per batch: when its writes returned, their seconds, size
    rejected = 0

    def after_handle(
        deliveries: Sequence[Delivery[Any]], rejections: Sequence[Rejection], took: float
    ) -> None:
        nonlocal rejected
        now_ms = time.time() * 1000
        refused = {id(r.delivery.record) for r in rejections}
        rejected += len(refused)
        batches.append((now_ms, took, len(deliveries)))
        for delivery in deliveries:
            if id(delivery.record) not in refused:
                created_ms.append(delivery.record.timestamp)
                persisted_ms.append(now_ms)

    assigned = asyncio.Event()

    async def on_assigned(partitions: frozenset[Any]) -> None:
        assigned.set()

    setup = time.monotonic()
    pipeline = await fix_pipeline(
        bootstrap, mongo_url, devices, after_handle=after_handle, on_assigned=on_assigned
    )
    setup_s = time.monotonic() - setup
    consumer = pipeline.consumer
    await consumer.start()
    await asyncio.wait_for(assigned.wait(), 120)
    producer = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "produce",
        "--bootstrap",
        bootstrap,
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--devices",
        str(devices),
        stdout=subprocess.PIPE,
        env={**os.environ},
    )
    assert producer.stdout is not None
    first_line = await producer.stdout.readline()
    if not first_line:
        raise SystemExit("the producer process did not start (its error is above)")
    started_ms = json.loads(first_line)["started_ms"]
    window = CpuWindow(
        {"producer": producer.pid, "Kafka broker": pids.get("kafka"), "FerretDB": pids.get("ferretdb")}
    )

    async def sample() -> None:
        await asyncio.sleep(max(0.0, started_ms / 1000 + warmup - time.time()))
        window.start()

    sampling = asyncio.create_task(sample())
    await producer.stdout.readline()  # the last fix is sent (the producer waits for its acks now)
    if sampling.done():
        window.stop()
    else:
        sampling.cancel()
    out = await producer.stdout.read()
    await producer.wait()
    lines = out.decode().strip().splitlines()
    if producer.returncode != 0 or not lines:
        raise SystemExit(f"the producer process failed (exit {producer.returncode}; its error is above)")
    produced = ProducerStats(**json.loads(lines[-1]))
    end_ms = produced.ended_ms
    persisted_by_end = sum(1 for at in persisted_ms if at <= end_ms)
    drain_until = time.monotonic() + drain
    while len(persisted_ms) + rejected < produced.acked and time.monotonic() < drain_until:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    stop_ms = time.time() * 1000
    count = len(persisted_ms)  # what was persisted by now (a batch in flight may still finish)
    await consumer.stop()
    await pipeline.close()

    # The steady part: fixes produced from `warmup` seconds after the start to the end.
    window_ms = started_ms + warmup * 1000
    steady_s = max((end_ms - window_ms) / 1000, 1e-9)
    produced_steady = sum(produced.per_second[warmup:])
    slice_s = 10
    slices: dict[int, list[float]] = {}
    latencies: list[float] = []
    persisted_in_window = 0
    for index in range(count):
        created, persisted = created_ms[index], persisted_ms[index]
        if window_ms <= persisted <= end_ms:
            persisted_in_window += 1
        if created >= window_ms:
            latencies.append(persisted - created)
            slices.setdefault(int((created - window_ms) // (slice_s * 1000)), []).append(persisted - created)
    latencies.sort()
    missing = max(0, produced_steady - len(latencies))
    lower_s = (stop_ms - end_ms) / 1000

    def quantile(q: float) -> str:
        n = len(latencies) + missing
        rank = min(n - 1, int(n * q))
        if n == 0:
            return "-"
        if rank >= len(latencies):
            return "not persisted by the end"
        return f"{latencies[rank]:,.0f} ms"

    maximum = "not persisted by the end" if missing else quantile(1.0)
    slice_text = []
    for number in sorted(slices):
        part = sorted(slices[number])
        first = warmup + number * slice_s
        wanted = sum(produced.per_second[first : first + slice_s])
        slice_text.append(
            f"{first}–{min(first + slice_s, math.ceil(seconds))} s: {percentile(part, 0.5):,.0f} ms"
            f" ({len(part):,} of {wanted:,} persisted)"
        )
    backlog_end = produced.acked - persisted_by_end
    backlog_final = produced.acked - count - rejected
    kept_up = backlog_final <= 0 and backlog_end <= 2 * rate
    # The handler's time inside the steady part (a batch: from its end minus its seconds to its end).
    busy = (
        sum(max(0.0, min(done, end_ms) - max(done - took * 1000, window_ms)) for done, took, _ in batches)
        / 1000
        / steady_s
    )
    mean_batch = sum(b[2] for b in batches) / len(batches) if batches else 0
    achieved = produced.sent / max((produced.ended_ms - produced.started_ms) / 1000, 1e-9)
    if kept_up:
        verdict = f"yes: backlog {backlog_end:,} fixes when the producer stopped, 0 after it"
    else:
        verdict = (
            f"no: backlog {backlog_end:,} fixes when the producer stopped, {max(backlog_final, 0):,} still"
            f" not persisted {lower_s:,.0f} s later; latency grows with the backlog (--rate lower to find"
            " the sustainable rate)"
        )
    rows = [
        (
            "target",
            f"{rate:,.0f} fixes/s for {seconds:,.0f} s, {devices:,} devices ({rate / devices:g} Hz each),"
            " open loop, each fix's time its send time",
        ),
        (
            "producer achieved (own process, aiokafka, idempotent, acks=all, linger 5 ms)",
            f"{achieved:,.0f} fixes/s ({produced.sent:,} sent, {produced.acked:,} acked,"
            f" {produced.failed:,} failed; at most {produced.max_behind_s * 1000:,.0f} ms behind schedule)"
            + (f"; first error: {produced.first_error}" if produced.first_error else ""),
        ),
        (
            f"persisted over the steady part (from second {warmup}: the first {warmup} s are warm-up)",
            f"{persisted_in_window / steady_s:,.0f} fixes/s",
        ),
        (
            "produce→persist latency p50 / p95 / p99 / max, steady part",
            f"{quantile(0.50)} / {quantile(0.95)} / {quantile(0.99)} / {maximum}"
            f" ({produced_steady:,} fixes produced, {len(latencies):,} persisted)",
        ),
    ]
    if len(slice_text) > 1:
        rows.append((f"latency p50 by time produced ({slice_s} s slices)", "; ".join(slice_text)))
    rows += [
        ("consumer kept up?", verdict),
        (
            "consumer",
            f"{len(batches):,} batches, {mean_batch:,.0f} fixes each on average; FixIngest's writes busy"
            f" {busy * 100:.0f}% of the steady part; {rejected:,} rejected; set-up (registering"
            f" {devices:,} devices) {setup_s:,.0f} s",
        ),
    ]
    if window.shares:
        rows.append(
            (
                "CPU over the steady part",
                window.describe("this process", "producer", "Kafka broker", "FerretDB").replace(
                    "this process", "consumer process"
                ),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one branch per benchmark
    parser = argparse.ArgumentParser(prog="bench_telemetry.py")
    parser.add_argument("what", choices=["codec", "gateway", "consumer", "latency", "clients", "produce"])
    parser.add_argument("--count", type=int, default=200_000, help="codec: frames")
    parser.add_argument("--connections", type=int, default=1000, help="gateway: terminal connections")
    parser.add_argument(
        "--seconds", type=float, default=None, help="gateway: the window (20); latency: producing (60)"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fixes", type=int, default=200_000, help="consumer: fixes on the topic")
    parser.add_argument("--devices", type=int, default=None, help="consumer (500), latency (20,000)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=0,
        help=f"gateway: processes the terminals run in (0: one per {CONNECTIONS_PER_CLIENT_PROCESS:,})",
    )
    parser.add_argument("--loop", choices=["closed", "open"], default="closed", help="gateway")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="gateway, open loop: seconds between a terminal's reports"
    )
    parser.add_argument("--ramp", type=float, default=500.0, help="gateway: connections opened a second")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="gateway: CPython's default GC schedule instead of the gateway's (jingwu_platform.gc_tuning)",
    )
    parser.add_argument("--first", type=int, default=0, help="clients: the first terminal's number")
    parser.add_argument("--rate", type=float, default=20_000.0, help="latency: fixes produced a second")
    parser.add_argument("--warmup", type=int, default=5, help="latency: seconds not counted at the start")
    parser.add_argument(
        "--drain", type=float, default=15.0, help="latency: seconds the consumer may catch up at the end"
    )
    parser.add_argument("--bootstrap", default="", help="produce: the Kafka bootstrap address")
    args = parser.parse_args(argv)
    if args.what == "clients":
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        timeline = json.loads(sys.stdin.readline())
        stats = asyncio.run(
            run_clients(
                "127.0.0.1",
                args.port,
                args.first,
                args.connections,
                ramp=args.ramp,
                interval=args.interval,
                **timeline,
            )
        )
        sys.stdout.write(json.dumps(asdict(stats)) + "\n")
        return 0
    devices = args.devices or (20_000 if args.what in ("latency", "produce") else 500)
    seconds = args.seconds or (60.0 if args.what in ("latency", "produce") else 20.0)
    if args.what == "produce":
        produced = asyncio.run(run_producer(args.bootstrap, args.rate, seconds, devices))
        sys.stdout.write(json.dumps(asdict(produced)) + "\n")
        return 0
    if args.what == "codec":
        rows = bench_codec(args.count)
    else:
        from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
        from jingwu_devstack.procs import Supervisor, free_ports
        from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec

        with (
            tempfile.TemporaryDirectory(prefix="jingwu-telemetry-bench-") as tmp,
            Supervisor(out=sys.stderr) as sup,
        ):
            data = Path(tmp)
            kafka_port, controller_port, mongo_port = free_ports(3)
            kafka = sup.start(kafka_spec(ensure_kafka(sys.stderr).path, data, kafka_port, controller_port))
            bootstrap = f"127.0.0.1:{kafka_port}"
            if args.what == "gateway":
                rows = asyncio.run(
                    bench_gateway(
                        bootstrap,
                        args.connections,
                        seconds,
                        client_processes=args.client_processes,
                        loop=args.loop,
                        interval=args.interval,
                        ramp=args.ramp,
                        kafka_pid=kafka.pid,
                        default_gc=args.default_gc,
                    )
                )
            else:
                ferretdb = sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, data, mongo_port))
                mongo_url = ferretdb_url("127.0.0.1", mongo_port)
                if args.what == "consumer":
                    rows = asyncio.run(bench_consumer(bootstrap, mongo_url, args.fixes, devices))
                else:
                    rows = asyncio.run(
                        bench_latency(
                            bootstrap,
                            mongo_url,
                            rate=args.rate,
                            seconds=seconds,
                            devices=devices,
                            warmup=args.warmup,
                            drain=args.drain,
                            pids={"kafka": kafka.pid, "ferretdb": ferretdb.pid},
                        )
                    )
    lines = [f"Machine: {machine()}", "", "| phase | rate |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

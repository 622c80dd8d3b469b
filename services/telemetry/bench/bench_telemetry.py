"""Benchmarks of telemetry (not tests: nothing is asserted; prints Markdown rows for docs/benchmarks.md).

    PYTHONPATH=services/telemetry/src .venv/bin/python services/telemetry/bench/bench_telemetry.py codec
    ... bench_telemetry.py gateway --connections 2000 --seconds 20
    ... bench_telemetry.py consumer --fixes 200000 --devices 500

- codec: the JT/T 808 decoder on a 0x0200 report with five additional items (decode; decode + the
  0x8001 answer; the stream splitter), one core.
- gateway: the JT/T 808 gateway in this process (directory filled in memory; authentication answered
  by a stand-in registry, since only the frame path is measured), Kafka real (acks=all, every fix
  acknowledged before its answer). Terminals run in a second process: each connection authenticates,
  then sends a report and waits for its answer, over and over (closed loop). Reported: answered
  reports per second of the gateway process, and the answer latency.
- consumer: ``fixes`` LocationFix records on the topic, then (a) the raw aiokafka consume rate of that
  topic (the ceiling) and (b) the district's fix consumer (BatchConsumer + FixIngest + the Mongo
  adapters, FerretDB v1) from the start of the topic to its end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


# ── gateway ──────────────────────────────────────────────────────────────────────────────────────


class AcceptingRegistry:
    """Stands in for the district registries in the gateway benchmark: every authentication succeeds."""

    async def authenticate(self, district: str, request: Any) -> Any:
        return None

    async def close(self) -> None:
        return None


async def run_clients(host: str, port: int, connections: int, seconds: float) -> None:
    """The terminals (second process): prints 'answered latency_p50_ms latency_p99_ms'."""
    from jingwu_telemetry.jt808 import Authentication

    answered = 0
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds + 5.0
    measure_from = time.monotonic() + 5.0  # connections ramp up first

    async def terminal(number: int) -> None:
        nonlocal answered
        phone = f"0139{number:08d}"
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 16)
        auth = encode(Message(Header(0x0102, phone, 0), Authentication("bench")))
        writer.write(auth)
        await writer.drain()
        await reader.readuntil(b"\x7e")
        await reader.readuntil(b"\x7e")  # 0x8001
        frames = [sample_frame(serial, phone) for serial in range(1, 50)]
        serial = 0
        while time.monotonic() < stop_at:
            sent = time.perf_counter()
            writer.write(frames[serial % len(frames)])
            await writer.drain()
            while True:  # skip the 0x8201 the gateway sends after authenticating
                await reader.readuntil(b"\x7e")
                answer = await reader.readuntil(b"\x7e")
                if answer[:2] == b"\x80\x01":
                    break
            serial += 1
            now = time.monotonic()
            if now >= measure_from:
                answered += 1
                if number % 10 == 0:
                    latencies.append(time.perf_counter() - sent)
        writer.close()

    results = await asyncio.gather(*(terminal(n) for n in range(connections)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    failures = len(errors)
    if errors:
        sys.stderr.write(f"first client failure: {errors[0]!r}\n")
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0
    print(f"{answered} {p50:.1f} {p99:.1f} {failures}", flush=True)  # noqa: T201


async def bench_gateway(bootstrap: str, connections: int, seconds: float) -> list[tuple[str, str]]:
    from jingwu_platform.kafka import ensure_topics
    from jingwu_telemetry.gateway.counters import GatewayCounters
    from jingwu_telemetry.gateway.directory import DeviceDirectory, DirectoryEntry
    from jingwu_telemetry.gateway.jt808_server import Jt808Gateway, Jt808Limits
    from jingwu_telemetry.gateway.publisher import FixPublisher

    await ensure_topics(bootstrap, ["jingwu.01.telemetry.fixes.v1"], 3)
    directory = DeviceDirectory(
        DirectoryEntry("01", f"dev-{n}", 1, 2, terminal_phone=f"139{n:08d}") for n in range(connections)
    )
    publisher = FixPublisher(bootstrap, client_id="bench-gateway", source="jingwu/city/bench", linger_ms=5)
    await publisher.start()
    gateway = Jt808Gateway(
        directory=directory,
        registry=AcceptingRegistry(),  # type: ignore[arg-type]
        publisher=publisher,
        counters=GatewayCounters("jt808"),
        host="127.0.0.1",
        limits=Jt808Limits(rate=1000.0, burst=1000.0),
    )
    await gateway.start()
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "clients",
        "--port",
        str(gateway.port),
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
        stdout=subprocess.PIPE,
        env={**os.environ},
    )
    cpu_started = time.process_time()
    started = time.monotonic()
    out, _ = await client.communicate()
    wall = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    answered, p50, p99, failures = out.decode().split()
    await gateway.stop()
    await publisher.stop()
    rate = int(answered) / seconds
    return [
        (
            f"gateway, {connections:,} connections, closed loop",
            f"{rate:,.0f} reports/s answered (each acked by Kafka)",
        ),
        ("answer latency p50 / p99", f"{p50} ms / {p99} ms"),
        (
            "gateway process CPU",
            f"{cpu / wall * 100:.0f}% of one core over {wall:.0f} s; {failures} connections failed",
        ),
        ("fixes published", f"{publisher.published:,}"),
    ]


# ── consumer ─────────────────────────────────────────────────────────────────────────────────────


async def bench_consumer(  # noqa: PLR0915 - one benchmark, step by step
    bootstrap: str, mongo_url: str, fixes: int, devices: int
) -> list[tuple[str, str]]:
    from aiokafka import AIOKafkaConsumer
    from jingwu.telemetry.v1 import telemetry_pb2
    from jingwu_platform.batch import BatchConsumer, BatchLimits
    from jingwu_platform.kafka import ensure_topics
    from jingwu_platform.mongo import create_client
    from jingwu_platform.outbox import OutboxRegistry
    from jingwu_platform.testing import produce_records
    from jingwu_platform.usecase import UseCaseKit
    from jingwu_telemetry.adapters.positions import MongoGeography, MongoLatestPositions, MongoMovementEvents
    from jingwu_telemetry.adapters.repository import MongoDeviceRepository
    from jingwu_telemetry.adapters.tracks import MongoTrackStore
    from jingwu_telemetry.application.fixes import FixIngest, GeographyView
    from jingwu_telemetry.domain.devices import Device, DeviceKind, DeviceStatus, Jt808Identity
    from jingwu_telemetry.entrypoints.fix_consumer import FixHandler
    from jingwu_telemetry.gateway.directory import DirectoryEntry
    from jingwu_telemetry.gateway.fixes import jt808_fix
    from jingwu_telemetry.gateway.publisher import fix_headers

    topic = "jingwu.01.telemetry.fixes.v1"
    await ensure_topics(bootstrap, [topic, "jingwu.01.telemetry.fixes.dlq.v1"], 3)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=fixes // devices + 60)
    records = []
    for n in range(fixes):
        device = n % devices
        entry = DirectoryEntry("01", f"dev-{device:05d}", 1, 2)
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

    client = create_client(mongo_url, "bench")
    database = client[f"bench_{uuid.uuid4().hex[:8]}"]
    outbox = OutboxRegistry()
    kit = UseCaseKit.create("01", "telemetry", uuid.UUID(int=1))
    devices_repo = MongoDeviceRepository(database, outbox)
    for device in range(devices):
        await devices_repo.add(
            Device(
                f"dev-{device:05d}",
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
    consumer = BatchConsumer(
        bootstrap=bootstrap,
        group_id=f"bench-{uuid.uuid4()}",
        topics=[topic],
        dead_letter_topic="jingwu.01.telemetry.fixes.dlq.v1",
        handler=handler.handler(),
        inbox=None,
        limits=BatchLimits(max_records=5_000),
    )
    started = time.monotonic()
    await consumer.start()
    while consumer.processed + consumer.dead_lettered < fixes:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.2)
    consumed_s = time.monotonic() - started
    await consumer.stop()
    total, distinct = await tracks.counts()
    await client.drop_database(database.name)
    await client.close()
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
            f"{total:,} points stored, {distinct:,} distinct, {handler.counters.rejected} rejected",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_telemetry.py")
    parser.add_argument("what", choices=["codec", "gateway", "consumer", "clients"])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=500)
    args = parser.parse_args(argv)
    if args.what == "clients":
        asyncio.run(run_clients("127.0.0.1", args.port, args.connections, args.seconds))
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
            sup.start(kafka_spec(ensure_kafka(sys.stderr).path, data, kafka_port, controller_port))
            bootstrap = f"127.0.0.1:{kafka_port}"
            if args.what == "gateway":
                rows = asyncio.run(bench_gateway(bootstrap, args.connections, args.seconds))
            else:
                sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, data, mongo_port))
                rows = asyncio.run(
                    bench_consumer(bootstrap, ferretdb_url("127.0.0.1", mongo_port), args.fixes, args.devices)
                )
    lines = [f"Machine: {machine()}", "", "| phase | rate |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

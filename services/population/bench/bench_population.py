"""Population benchmark (not a test): a district of N residents, imported through the bulk-import path,
then point lookups by identity number and zone pages at a fixed request rate and at maximum
throughput, beside a bare gRPC echo server measured in the same run, and a map query over one zone.

    PYTHONPATH=services/population/src .venv/bin/python services/population/bench/bench_population.py \
        [--residents 1000000] [--rate 2000] [--seconds 10] [--concurrency 64] [--json out.json]

Starts its own Kafka and FerretDB (SQLite backend) on free ports in a temp dir, the population
service and the echo server as their own processes, and drives them from this process over gRPC. The
machine's cores are shared by all of them: the figures are what one 2-core box gives, and say where
the time goes, not what a cluster would reach. docs/benchmarks.md records the results.
"""
# ruff: noqa: T201, S105, S311, PLR0915 - a script: it prints, uses a throwaway key and random samples

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu.population.v1 import population_pb2_grpc
from jingwu_cli.ledger_files import read_ledger
from jingwu_cli.population_demo import ensure_demo_ledger
from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
from jingwu_devstack.procs import ProcessSpec, Supervisor, free_ports, tcp_ready
from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.grpc_client import open_channel

CHUNK = 2_000
DISTRICT = "01"


@dataclass
class Figures:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    achieved_rps: float
    errors: int


def echo_server_main(port: int) -> None:
    """A bare grpc.aio server answering Health.Check: the baseline a Python gRPC server reaches here."""

    async def serve() -> None:
        server = grpc.aio.server()
        servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        await server.wait_for_termination()

    asyncio.run(serve())


async def fixed_rate(
    name: str, call: Callable[[int], Awaitable[object]], rate: float, seconds: float
) -> Figures:
    """Open loop: requests start on schedule whatever the latency (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    total = int(rate * seconds)

    async def one(n: int, due: float) -> None:
        nonlocal errors
        try:
            await call(n)
            latencies.append(time.perf_counter() - due)
        except grpc.aio.AioRpcError:
            errors += 1

    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return _figures(name, rate, latencies, elapsed, errors)


async def max_throughput(
    name: str, call: Callable[[int], Awaitable[object]], concurrency: int, seconds: float
) -> Figures:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                await call(next(counter))
                latencies.append(time.perf_counter() - began)
            except grpc.aio.AioRpcError:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _figures(name, 0, latencies, time.perf_counter() - start, errors)


def _figures(name: str, rate: float, latencies: list[float], elapsed: float, errors: int) -> Figures:
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figures(
        name, rate, statistics.median(ordered) * 1000, p99 * 1000, len(latencies) / elapsed, errors
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    secret = "bench-secret"
    work = Path(tempfile.mkdtemp(prefix="jingwu-bench-"))
    results: dict[str, Any] = {
        "residents": args.residents,
        "store": "FerretDB v1.24.0, SQLite backend (maxPoolSize=1)",
    }
    with Supervisor(out=sys.stderr) as sup:
        kafka_port, controller, mongo_port, service_port, echo_port = free_ports(5)
        sup.start(kafka_spec(ensure_kafka(sys.stderr).path, work, kafka_port, controller))
        sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, work, mongo_port))
        env = {
            "JINGWU_DISTRICT": DISTRICT,
            "JINGWU_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
            "JINGWU_MONGO_URL": ferretdb_url("127.0.0.1", mongo_port),
            "JINGWU_GRPC_PORT": str(service_port),
            "JINGWU_AUTH_SECRET": secret,
            "JINGWU_TRACE_EXPORTER": "none",
            "JINGWU_LOG_LEVEL": "WARNING",
            "JINGWU_METRICS_PORT": "0",
            "JINGWU_LOCK_DIR": str(work / "locks"),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }

        def start_service() -> None:
            sup.start(
                ProcessSpec(
                    name="population",
                    argv=[sys.executable, "-m", "jingwu_population.entrypoints.main"],
                    log_path=work / "population.log",
                    env=env,
                    ports=(service_port,),
                    ready=tcp_ready(service_port),
                    ready_timeout=600,
                )
            )

        start_service()
        sup.start(
            ProcessSpec(
                name="echo",
                argv=[sys.executable, __file__, "--echo-server", str(echo_port)],
                log_path=work / "echo.log",
                ports=(echo_port,),
            )
        )
        token = issue_token(secret, "bench", DISTRICT, [Role.DISTRICT_ADMIN], ttl_s=7200)
        channel = open_channel(f"127.0.0.1:{service_port}", token)
        stub = population_pb2_grpc.PopulationServiceStub(channel)

        # ── import ──
        ledger_path = Path(args.ledger or work / f"ledger-{args.residents}.csv")
        began = time.perf_counter()
        ensure_demo_ledger(ledger_path, DISTRICT, residents=args.residents)
        generated = time.perf_counter() - began
        ledger = read_ledger(ledger_path)
        chunks = [ledger.rows[i : i + CHUNK] for i in range(0, len(ledger.rows), CHUNK)]
        began = time.perf_counter()
        started = await stub.StartLedgerImport(
            pb.StartLedgerImportRequest(
                file_name=ledger_path.name,
                file_sha256=ledger.sha256,
                rows_expected=len(ledger.rows),
                chunks_expected=len(chunks),
            ),
            timeout=60,
        )
        import_id = started.ledger_import.import_id
        for index, chunk in enumerate(chunks):
            await stub.UploadLedgerRows(
                pb.UploadLedgerRowsRequest(
                    import_id=import_id,
                    chunk_index=index,
                    rows=[pb.LedgerRow(row_number=n, cells=c) for n, c in chunk],
                ),
                timeout=120,
            )
        uploaded = time.perf_counter() - began
        committed = (
            await stub.CommitLedgerImport(pb.CommitLedgerImportRequest(import_id=import_id), timeout=3600)
        ).ledger_import
        imported = time.perf_counter() - began
        assert committed.status == pb.LEDGER_IMPORT_STATUS_COMMITTED, committed.errors[:5]
        results["import"] = {
            "rows": len(ledger.rows),
            "generate_s": round(generated, 1),
            "upload_s": round(uploaded, 1),
            "total_s": round(imported, 1),
            "rows_per_s": round(len(ledger.rows) / imported),
        }
        print(f"import: {results['import']}", file=sys.stderr, flush=True)

        # ── restart: how long the service takes to load the district ──
        await channel.close()
        sup.stop("population")
        began = time.perf_counter()
        start_service()
        channel = open_channel(f"127.0.0.1:{service_port}", token)
        stub = population_pb2_grpc.PopulationServiceStub(channel)
        await stub.GetZonePopulation(pb.GetZonePopulationRequest(zone_code="01020201"), timeout=900)
        results["restart_load_s"] = round(time.perf_counter() - began, 1)
        print(f"restart + load: {results['restart_load_s']} s", file=sys.stderr, flush=True)

        # ── queries ──
        rng = random.Random(7)
        numbers = [
            cells["公民身份号码"] for _, cells in rng.sample(ledger.rows, min(20_000, len(ledger.rows)))
        ]
        zones = sorted({cells["警务区编码"] for _, cells in ledger.rows[:: max(1, len(ledger.rows) // 5000)]})
        access = pb.PersonalDataAccess(purpose="benchmark")
        echo_channel = grpc.aio.insecure_channel(f"127.0.0.1:{echo_port}")
        echo = health_pb2_grpc.HealthStub(echo_channel)

        async def lookup(n: int) -> object:
            return await stub.SearchResidents(
                pb.SearchResidentsRequest(id_number=numbers[n % len(numbers)], access=access), timeout=30
            )

        async def zone_page(n: int) -> object:
            return await stub.ListResidents(
                pb.ListResidentsRequest(
                    zone_code=zones[n % len(zones)], page=common_pb2.PageRequest(page_size=50)
                ),
                timeout=30,
            )

        async def echo_call(n: int) -> object:
            return await echo.Check(health_pb2.HealthCheckRequest(), timeout=30)

        async def drained(call: Callable[[int], Awaitable[object]]) -> None:
            """After an overload the server still works through abandoned calls: wait for it."""
            deadline = time.perf_counter() + 120
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await call(0)
                if time.perf_counter() - began < 0.2:
                    return
                await asyncio.sleep(1)

        phases = (("echo", echo_call), ("lookup by identity number", lookup), ("zone page (50)", zone_page))
        for name, call in phases:
            for _ in range(200):
                await call(0)  # warm up
            entry: dict[str, Any] = {}
            for rate in sorted({args.low_rate, args.rate}):
                fixed = await fixed_rate(name, call, rate, args.seconds)
                print(f"{name} @ {rate:.0f}/s: {fixed}", file=sys.stderr, flush=True)
                entry[f"fixed_{rate:.0f}"] = fixed.__dict__
                await drained(call)
            best = await max_throughput(name, call, args.concurrency, args.seconds)
            print(f"{name} max: {best}", file=sys.stderr, flush=True)
            entry["max"] = best.__dict__
            results[name] = entry
            await drained(call)
        began = time.perf_counter()
        features = await stub.QueryMap(
            pb.QueryMapRequest(zone_code="01020201", page=common_pb2.PageRequest(page_size=2000)), timeout=60
        )
        results["map query over one zone"] = {
            "features": len(features.features),
            "ms": round((time.perf_counter() - began) * 1000, 1),
        }
        times = []
        for _ in range(20):
            began = time.perf_counter()
            await stub.QueryMap(
                pb.QueryMapRequest(zone_code="01020201", page=common_pb2.PageRequest(page_size=2000)),
                timeout=60,
            )
            times.append((time.perf_counter() - began) * 1000)
        results["map query over one zone"]["p50_ms"] = round(statistics.median(times), 1)
        await channel.close()
        await echo_channel.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--low-rate", type=float, default=200, help="a second fixed rate the box sustains")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ledger", help="reuse this ledger file (generated when missing)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--echo-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        echo_server_main(args.echo_server)
        return
    results = asyncio.run(run(args))
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""A real service scraped over HTTP: ``jingwu-rooms`` runs as its own process (its real entry point and
``connect()``, the session's Kafka and FerretDB), prints where its /metrics is in its ready line, and
the numbers a scrape reads move by exactly what the test did:

- RPCs: two ListStations (OK), one CreateStation by an officer (PERMISSION_DENIED: the bureau's call),
  one ListStations without a credential (UNAUTHENTICATED), one health check (an open method);
- Kafka: one malformed record on the personnel topic the service consumes (counted as read and
  dead-lettered with reason ``envelope``);
- process figures and the loop's lag are there, every series labelled with the service and district.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from grpc_health.v1 import health_pb2, health_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, free_port, log_ready, tcp_ready
from jingwu_platform.auth import Role, issue_token
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.timeout(240)

BIN = Path(sys.executable).parent
READY = re.compile(r"metrics=(http://127\.0\.0\.1:\d+/metrics) ready")
SERVICE = "jingwu.rooms.v1.RoomRegistryService"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The one sample of ``name`` whose labels include ``labels`` (0 when there is none yet)."""
    found = [v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def rpc(method: str, code: str) -> dict[str, str]:
    return {"rpc_method": f"{SERVICE}/{method}", "rpc_response_status_code": code, "rpc_system_name": "grpc"}


def start_rooms(
    supervisor: Supervisor, district: str, kafka: str, mongo: str, secret: str, logs: Path
) -> tuple[int, str]:
    port = free_port()
    log_path = logs / f"rooms-{district}.log"
    supervisor.start(
        ProcessSpec(
            name=f"rooms-{district}",
            argv=[str(BIN / "jingwu-rooms")],
            log_path=log_path,
            env={
                "JINGWU_DISTRICT": district,
                "JINGWU_KAFKA_BOOTSTRAP": kafka,
                "JINGWU_MONGO_URL": mongo,
                "JINGWU_AUTH_SECRET": secret,
                "JINGWU_GRPC_PORT": str(port),
                "JINGWU_TRACE_EXPORTER": "none",
                "PATH": os.environ.get("PATH", ""),
            },  # JINGWU_METRICS_PORT unset: 0, a free port, found in the ready line
            ports=[port],
            ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
            ready_timeout=60.0,
        )
    )
    match = READY.search(log_path.read_text(encoding="utf-8"))
    assert match, "the ready line names the metrics endpoint"
    return port, match.group(1)


async def wait_for(url: str, check: Any, timeout_s: float = 60.0) -> Samples:
    deadline = time.monotonic() + timeout_s
    while True:
        samples = await asyncio.to_thread(scrape, url)
        if check(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.2)


async def test_a_running_service_exports_what_it_did(
    devstack_processes: Supervisor,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    district: str,
    tmp_path: Path,
) -> None:
    port, url = start_rooms(devstack_processes, district, kafka_bootstrap, mongo_url, auth_secret, tmp_path)
    # The loop-lag probe records its first sample half a second after start.
    before = await wait_for(url, lambda s: value(s, "jingwu_asyncio_loop_lag_seconds_count") >= 1)

    # Process figures (prometheus_client's collectors) and the loop's lag, once each.
    for figure in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"):
        assert value(before, figure) > 0, figure
    assert value(before, "python_gc_collections_total", generation="0") >= 0
    process = {"service_name": "jingwu-rooms", "jingwu_district": district}
    assert value(before, "jingwu_asyncio_loop_lag_seconds_count", **process) >= 1

    officer = issue_token(auth_secret, "officer-7", district, [Role.OFFICER])
    metadata = (("authorization", f"Bearer {officer}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
        for _ in range(2):
            await rooms.ListStations(rooms_pb2.ListStationsRequest(), metadata=metadata)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await rooms.CreateStation(rooms_pb2.CreateStationRequest(name="汴河派出所"), metadata=metadata)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await rooms.ListStations(rooms_pb2.ListStationsRequest())
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())

    # One malformed record (no CloudEvents headers) on the topic the service consumes.
    group = f"jingwu-{district}-rooms"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(f"jingwu.{district}.personnel.v1", b"not an event", key=b"k")
    finally:
        await producer.stop()
    after = await wait_for(
        url, lambda s: value(s, "jingwu_consumer_records_total", consumer=group) > 0, timeout_s=90
    )

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = "jingwu_rpc_server_calls_total"
    duration = "rpc_server_call_duration_seconds_count"
    for name in (calls, duration):
        assert moved(name, **rpc("ListStations", "OK"), **process) == 2, name
        assert moved(name, **rpc("CreateStation", "PERMISSION_DENIED")) == 1, name
        assert moved(name, **rpc("ListStations", "UNAUTHENTICATED")) == 1, name
        assert moved(name, **rpc("CreateStation", "OK")) == 0, name
        check = {"rpc_method": "grpc.health.v1.Health/Check", "rpc_response_status_code": "OK"}
        assert moved(name, **check) == 1, name
    assert moved("rpc_server_call_duration_seconds_sum", **rpc("ListStations", "OK")) > 0
    # Every call falls in the +Inf bucket.
    assert moved("rpc_server_call_duration_seconds_bucket", le="+Inf", **rpc("ListStations", "OK")) == 2

    assert moved("jingwu_consumer_records_total", consumer=group) == 1
    assert moved("jingwu_consumer_dead_letters_total", consumer=group, reason="envelope") == 1

"""Whole-system fixtures: the services run as separate OS processes (their real entry points) against
the session's Kafka and FerretDB, started and stopped by the devstack supervisor."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jingwu_devstack.procs import (
    ProcessInfo,
    ProcessSpec,
    Supervisor,
    all_ready,
    free_port,
    log_ready,
    tcp_ready,
)

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class RunningService:
    name: str
    port: int
    info: ProcessInfo
    trace_file: Path
    log_path: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


StartService = Callable[..., RunningService]


def service_spec(
    service: str,
    district: str,
    *,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    log_dir: Path,
    tag: str = "",
    trace_file: Path | None = None,
    failpoints: str = "",
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 60.0,
    port: int | None = None,
) -> ProcessSpec:
    """``jingwu-<service>`` for a district, ready when its port (``port``, or a free one) answers and it
    logged `` ready``. Without ``trace_file`` spans are not exported."""
    port = port or free_port()
    name = f"{service}-{district}{tag}"
    log_path = log_dir / f"{name}.log"
    settings = {
        "JINGWU_DISTRICT": district,
        "JINGWU_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "JINGWU_MONGO_URL": mongo_url,
        "JINGWU_AUTH_SECRET": auth_secret,
        "JINGWU_GRPC_PORT": str(port),
        "JINGWU_TRACE_EXPORTER": "file" if trace_file else "none",
        "JINGWU_TRACE_FILE": str(trace_file or ""),
        "JINGWU_OUTBOX_POLL_INTERVAL_S": "0.2",
        "JINGWU_FAILPOINTS": failpoints,
        "PATH": os.environ.get("PATH", ""),
        **(env or {}),
    }
    return ProcessSpec(
        name=name,
        argv=[str(BIN / f"jingwu-{service}")],
        log_path=log_path,
        env=settings,
        ports=[port],
        ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
        ready_timeout=ready_timeout,
    )


def running_service(spec: ProcessSpec, info: ProcessInfo, trace_file: Path | None = None) -> RunningService:
    return RunningService(
        name=spec.name,
        port=spec.ports[0],
        info=info,
        trace_file=trace_file or Path(os.devnull),
        log_path=spec.log_path,
    )


def launch_service(supervisor: Supervisor, service: str, district: str, **options: Any) -> RunningService:
    """``service_spec(service, district, **options)``'s process, started by ``supervisor`` (which owns
    it)."""
    spec = service_spec(service, district, **options)
    return running_service(spec, supervisor.start(spec), options.get("trace_file"))


@pytest.fixture
def start_service(
    devstack_processes: Supervisor,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    tmp_path: Path,
) -> Iterator[StartService]:
    """Start ``jingwu-<service>`` for a district; keyword ``failpoints`` arms crash points, ``tag`` names
    a second incarnation, ``env`` adds the service's own settings (e.g. ``JINGWU_PATROL_*``). Stopped
    (whole process group) when the test ends."""

    def start(
        service: str,
        district: str,
        *,
        failpoints: str = "",
        tag: str = "",
        env: Mapping[str, str] | None = None,
    ) -> RunningService:
        return launch_service(
            devstack_processes,
            service,
            district,
            kafka_bootstrap=kafka_bootstrap,
            mongo_url=mongo_url,
            auth_secret=auth_secret,
            log_dir=tmp_path,
            tag=tag,
            trace_file=tmp_path / f"spans-{service}.jsonl",
            failpoints=failpoints,
            env=env,
        )

    yield start

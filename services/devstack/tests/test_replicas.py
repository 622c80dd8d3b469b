"""One replica per service and district on the local FerretDB (docs/adr/0003), with real service
processes: devstack refuses to start a second one and names the first; the service itself refuses when
started past devstack; another district is fine; a SIGKILLed replica leaves nothing that blocks the next.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.procs import (
    ProcessInfo,
    ProcessSpec,
    Supervisor,
    all_ready,
    free_port,
    log_ready,
    tcp_ready,
)
from jingwu_devstack.stack import single_replica
from jingwu_platform.store_guard import LOCK_DIR_ENV

from conftest import _districts

pytestmark = pytest.mark.integration

SERVICE = "personnel"
BIN = Path(sys.executable).parent
SpecFor = Callable[..., ProcessSpec]  # (name, district, guarded=True)


@pytest.fixture
def other_district() -> str:
    return f"{next(_districts):02d}"


@pytest.fixture
def replica_spec(
    kafka_bootstrap: str, mongo_url: str, auth_secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SpecFor:
    """``replica_spec(name, district, guarded=True)``: jingwu-personnel as devstack starts it."""
    locks = tmp_path / "locks"
    monkeypatch.setenv(LOCK_DIR_ENV, str(locks))  # devstack's precheck, in this process

    def build(name: str, district: str, *, guarded: bool = True) -> ProcessSpec:
        port = free_port()
        log_path = tmp_path / f"{name}.log"
        return ProcessSpec(
            name=name,
            argv=[str(BIN / f"jingwu-{SERVICE}")],
            log_path=log_path,
            env={
                "JINGWU_DISTRICT": district,
                "JINGWU_KAFKA_BOOTSTRAP": kafka_bootstrap,
                "JINGWU_MONGO_URL": mongo_url,
                "JINGWU_AUTH_SECRET": auth_secret,
                "JINGWU_GRPC_PORT": str(port),
                "JINGWU_TRACE_EXPORTER": "none",
                LOCK_DIR_ENV: str(locks),
            },
            ports=[port],
            ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
            ready_timeout=60.0,
            precheck=single_replica(mongo_url, SERVICE, district) if guarded else None,
        )

    return build


def _kill(info: ProcessInfo) -> None:
    os.kill(info.pid, signal.SIGKILL)


def test_one_replica_per_service_and_district(
    devstack_processes: Supervisor, replica_spec: SpecFor, district: str, other_district: str
) -> None:
    spec = replica_spec
    first = devstack_processes.start(spec(f"{SERVICE}-{district}", district))

    # devstack: refused before anything is spawned, naming the running replica.
    second = spec(f"{SERVICE}-{district}-b", district)
    with pytest.raises(DevstackError) as by_devstack:
        devstack_processes.start(second)
    message = str(by_devstack.value)
    assert f"pid {first.pid}" in message
    assert f"jingwu-{SERVICE} for district {district} is already running" in message
    assert not Path(second.log_path).exists(), "nothing was started"

    # The service itself, started past devstack's check: it exits at start, naming the running replica.
    unguarded = spec(f"{SERVICE}-{district}-c", district, guarded=False)
    with pytest.raises(DevstackError) as by_service:
        devstack_processes.start(unguarded)
    assert "exited with code 1 while starting" in str(by_service.value)
    log = Path(unguarded.log_path).read_text()
    assert "refusing to start" in log and f"pid {first.pid}" in log and f"district {district}" in log

    # Another district of the same service is another tenant: it starts.
    devstack_processes.start(spec(f"{SERVICE}-{other_district}", other_district))

    # SIGKILL leaves no stale lock: the next replica starts at once.
    _kill(first)
    devstack_processes.stop(first.name)
    successor = devstack_processes.start(spec(f"{SERVICE}-{district}-d", district))
    assert successor.pid != first.pid and successor.alive()

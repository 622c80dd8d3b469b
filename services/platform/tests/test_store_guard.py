"""One replica per service and district on a local FerretDB (jingwu_platform.store_guard, docs/adr/0003).

The lock is an OS file lock that the kernel drops when its process ends, so the process tests hold it
in a real child process and end that with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jingwu_platform import store_guard
from jingwu_platform.mongo import create_client
from jingwu_platform.store_guard import ReplicaConflict, acquire, holder

STORE = "127.0.0.1:27999"

# A child process that takes the lock of (STORE, service, district) given as arguments and waits.
HOLD = """
import sys, time
from pathlib import Path
from jingwu_platform.store_guard import acquire
acquire(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]))
print("held", flush=True)
time.sleep(600)
"""


Hold = Callable[[str, str], "subprocess.Popen[str]"]


@pytest.fixture
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(store_guard.LOCK_DIR_ENV, str(tmp_path / "locks"))
    return tmp_path / "locks"


@pytest.fixture
def hold(locks: Path) -> Iterator[Hold]:
    """``hold(service, district)`` → a child process holding that replica lock (killed afterwards)."""
    children: list[subprocess.Popen[str]] = []

    def start(service: str, district: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLD, STORE, service, district, str(locks)],
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        return child

    yield start
    for child in children:
        child.kill()
        child.wait()


def test_store_address_is_one_key_per_store() -> None:
    assert store_guard.store_address("mongodb://127.0.0.1:27017/?maxPoolSize=1") == "127.0.0.1:27017"
    assert store_guard.store_address("mongodb://localhost/") == "127.0.0.1:27017"
    assert store_guard.store_address("mongodb://u:p@B:2,a:1/jingwu?replicaSet=rs") == "a:1,b:2"


def test_buildinfo_tells_ferretdb_from_mongodb() -> None:
    # MongoDB 7's buildInfo fields (docs: "buildInfo"); FerretDB adds ferretdbVersion/ferretdbFeatures.
    mongodb = {
        "version": "7.0.12",
        "gitVersion": "b6513ce0781db6818e24619e8a461eae90bc94fc",
        "modules": [],
        "allocator": "tcmalloc",
        "javascriptEngine": "mozjs",
        "versionArray": [7, 0, 12, 0],
        "bits": 64,
        "debug": False,
        "maxBsonObjectSize": 16777216,
        "storageEngines": ["devnull", "inMemory", "wiredTiger"],
        "ok": 1.0,
    }
    assert not store_guard.identifies_ferretdb(mongodb)
    assert store_guard.identifies_ferretdb({**mongodb, "ferretdbVersion": "v1.24.0"})


@pytest.mark.integration
async def test_the_local_store_is_recognised_as_ferretdb_and_locked(mongo_url: str, locks: Path) -> None:
    client = create_client(mongo_url, "store-guard-test")
    try:
        assert await store_guard.is_ferretdb(client)
        lock = await store_guard.guard_replica(client, mongo_url, "samples", "10")
    finally:
        await client.close()
    assert lock is not None
    running = holder(store_guard.store_address(mongo_url), "samples", "10")
    assert running is not None and running.pid == os.getpid()
    lock.release()
    assert holder(store_guard.store_address(mongo_url), "samples", "10") is None


def test_a_second_process_of_the_same_service_and_district_is_refused(hold: Hold, locks: Path) -> None:
    child = hold("rooms", "06")
    with pytest.raises(ReplicaConflict) as refused:
        acquire(STORE, "rooms", "06", locks)
    assert refused.value.holder.pid == child.pid
    message = str(refused.value)
    assert f"pid {child.pid}" in message and "jingwu-rooms" in message and "district 06" in message
    assert "docs/adr/0003" in message
    running = holder(STORE, "rooms", "06", locks)
    assert running is not None and running.pid == child.pid


def test_another_district_or_service_or_store_is_not_held_back(hold: Hold, locks: Path) -> None:
    hold("rooms", "06")
    for store, service, district in (
        (STORE, "rooms", "07"),
        (STORE, "personnel", "06"),
        ("h:1", "rooms", "06"),
    ):
        lock = acquire(store, service, district, locks)
        lock.release()


def test_the_lock_dies_with_its_process_even_by_sigkill(hold: Hold, locks: Path) -> None:
    child = hold("rooms", "06")
    with pytest.raises(ReplicaConflict):
        acquire(STORE, "rooms", "06", locks)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert holder(STORE, "rooms", "06", locks) is None
    lock = acquire(STORE, "rooms", "06", locks)
    running = holder(STORE, "rooms", "06", locks)
    assert running is not None and running.pid == os.getpid()
    lock.release()


def test_one_process_shares_its_lock_until_the_last_release(locks: Path) -> None:
    # Tests start a service twice in-process (start-up recovery); other processes stay refused.
    first = acquire(STORE, "rooms", "08", locks)
    second = acquire(STORE, "rooms", "08", locks)
    assert second is first
    first.release()
    assert holder(STORE, "rooms", "08", locks) is not None
    second.release()
    assert holder(STORE, "rooms", "08", locks) is None

"""One replica per service and district on a local FerretDB (docs/adr/0003).

FerretDB v1 applies an update as read-modify-write without isolation between connections, on its SQLite
and its PostgreSQL backend alike: concurrent updates of one document over different connections lose
updates. Over one connection they are serialised. So every local FerretDB URL carries ``maxPoolSize=1``
(one connection per process), and only one process per (service, district) may write a FerretDB store;
a second one refuses to start, naming the one that runs.

The rule is an OS file lock (``fcntl.flock``) on ``<lock dir>/<store address>--<service>-<district>.lock``,
taken at start when the store answers ``buildInfo`` as FerretDB (its answer carries ``ferretdbVersion``).
The kernel drops the lock when the process ends, however it ends (SIGKILL included), so a crashed replica
never blocks its successor. FerretDB runs on the developer's machine, so a machine-local lock covers
every process that can reach it. On MongoDB (clusters) nothing is locked: document updates are atomic
there and replicas scale out.

Lock dir: ``$JINGWU_LOCK_DIR``, else ``<tmp>/jingwu-replica-locks-<uid>``. Within one process the lock is
shared (tests start a service twice in-process, e.g. to run its start-up recovery): it guards against
other processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.uri_parser import parse_uri

LOCK_DIR_ENV = "JINGWU_LOCK_DIR"
# A lock that another process is just releasing (a replica stopping, devstack's probe) frees within this.
_ACQUIRE_PATIENCE_S = 0.5
_LOCALHOST = {"localhost", "127.0.0.1", "::1", "[::1]"}


class ReplicaConflict(Exception):
    """Another live process of the same service and district already writes this FerretDB store."""

    def __init__(self, holder: Holder, path: Path) -> None:
        super().__init__(
            f"another jingwu-{holder.service} replica for district {holder.district} is running against the "
            f"FerretDB at {holder.store}: pid {holder.pid} (since {holder.since}). FerretDB v1 loses "
            "concurrent updates of one document made over different connections, so locally one replica "
            f"per service and district may run (docs/adr/0003); stop pid {holder.pid} first. Lock: {path}"
        )
        self.holder = holder
        self.path = path


@dataclass(frozen=True)
class Holder:
    """The process that holds a replica lock, as it recorded itself in the lock file."""

    pid: int
    service: str
    district: str
    store: str
    since: str

    @classmethod
    def from_text(cls, text: str) -> Holder:
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                int(data["pid"]),
                str(data["service"]),
                str(data["district"]),
                str(data["store"]),
                str(data["since"]),
            )
        except (ValueError, KeyError, TypeError):
            return cls(0, "?", "?", "?", "?")


def identifies_ferretdb(build_info: Mapping[str, Any]) -> bool:
    """True for FerretDB's ``buildInfo`` answer: FerretDB adds ``ferretdbVersion``; MongoDB never does."""
    return "ferretdbVersion" in build_info


async def is_ferretdb(client: AsyncMongoClient[Any]) -> bool:
    return identifies_ferretdb(await client.admin.command("buildInfo"))


def store_address(url: str) -> str:
    """The store's host:port list, normalised (``localhost`` = ``127.0.0.1``, sorted): one key per store."""
    nodes = []
    for host, port in parse_uri(url)["nodelist"]:
        name = "127.0.0.1" if host.lower() in _LOCALHOST else host.lower()
        nodes.append(f"{name}:{port}")
    return ",".join(sorted(nodes))


def lock_dir(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    configured = environ.get(LOCK_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"jingwu-replica-locks-{os.getuid()}"


def lock_path(store: str, service: str, district: str, directory: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9.-]", "_", store)
    return (directory or lock_dir()) / f"{safe}--{service}-{district}.lock"


class ReplicaLock:
    """A held replica lock; ``release()`` (or the end of the process) gives it up."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._users = 1

    def release(self) -> None:
        with _held_lock:
            self._users -= 1
            if self._users > 0 or self._fd < 0:
                return
            _held.pop(self.path, None)
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = -1


# Locks this process holds, by path: a second runtime of the same service in this process shares one.
_held: dict[Path, ReplicaLock] = {}
_held_lock = threading.Lock()


def acquire(store: str, service: str, district: str, directory: Path | None = None) -> ReplicaLock:
    """Take the replica lock of (store, service, district) or raise ReplicaConflict naming its holder."""
    path = lock_path(store, service, district, directory)
    with _held_lock:
        mine = _held.get(path)
        if mine is not None:
            mine._users += 1
            return mine
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + _ACQUIRE_PATIENCE_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = Holder.from_text(_read(fd))
                    os.close(fd)
                    raise ReplicaConflict(holder, path) from None
                time.sleep(0.05)
        record = {
            "pid": os.getpid(),
            "service": service,
            "district": district,
            "store": store,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        lock = ReplicaLock(path, fd)
        _held[path] = lock
        return lock


def holder(store: str, service: str, district: str, directory: Path | None = None) -> Holder | None:
    """Who holds the replica lock of (store, service, district) now, or None (devstack asks before it
    starts a service). Probes with a shared lock, dropped at once."""
    path = lock_path(store, service, district, directory)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Holder.from_text(_read(fd))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode(errors="replace")


async def guard_replica(
    client: AsyncMongoClient[Any], url: str, service: str, district: str
) -> ReplicaLock | None:
    """At service start: on FerretDB, take the replica lock (ReplicaConflict if another process has it);
    on MongoDB, nothing (None)."""
    if not await is_ferretdb(client):
        return None
    return acquire(store_address(url), service, district)

"""Benchmark (not a test): reads and writes by ``_id`` on the local store, upstream FerretDB v1.24 against
the project's patched build (ADR 0053, jingwu_devstack.ferretdb_patch), as the collection grows.

    .venv/bin/python services/platform/bench/store_id_lookups.py [--sizes 1000,20000,55000] [--n 100]

For each build it starts a throwaway FerretDB (SQLite backend, free port, temp dir), fills one
collection shaped like ``platform.inbox`` (string ids ``<consumer>:<event id>``) up to each size and
times, one call after another over one connection (as every local process runs): ``find_one`` of an
id that exists, of one that does not (an inbox check for a new event), an ``$in`` of 500 ids (half of
them present: a batch consumer's inbox check), ``update_one`` by ``_id``, ``update_one`` by ``_id`` and
another key (a version-checked save), ``delete_one`` + re-insert by ``_id``, and two listings by plain
fields (each document has a ``status``, one of 50, with an index, and a ``type``): ``find`` by
``status`` (1/50 of the rows) and ``count_documents`` by ``{type, status}``, and ``find`` by a status
beside a path into an embedded document (``cond.officer``, 1/1,000 of the rows). The upstream build is
the launcher built from the committed go.mod without the patch, into
``<cache>/bin/ferretdb-upstream-<version>`` (once). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jingwu_devstack.fetch import FERRETDB_MODULE, ensure_ferretdb, ferretdb_version, require_go
from jingwu_devstack.paths import cache_dir, repo_root
from jingwu_devstack.procs import Supervisor, free_port
from jingwu_devstack.stack import HOST, ferretdb_spec
from pymongo import AsyncMongoClient

PREFIX = "consumer.bench:"
STATUSES = 50
OFFICERS = 1000  # a multiple of STATUSES: each officer's documents have one status


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def upstream_build() -> Path:
    """The launcher built from the committed go.mod alone: FerretDB as released."""
    binary = cache_dir() / "bin" / f"ferretdb-upstream-{ferretdb_version()}"
    if not binary.exists():
        sys.stderr.write(f"  building upstream FerretDB {ferretdb_version()} (once) …\n")
        argv = [require_go(), "build", "-trimpath", "-o", str(binary), "."]
        subprocess.run(argv, cwd=repo_root() / FERRETDB_MODULE, check=True)
    return binary


async def timed(n: int, call: Callable[[int], Awaitable[object]]) -> float:
    """Milliseconds per call, over ``n`` calls in a row."""
    started = time.perf_counter()
    for i in range(n):
        await call(i)
    return (time.perf_counter() - started) / n * 1000


async def _row(inbox: Any, size: int, n: int) -> list[float]:
    """One size: ms per call of each operation (ids spread over the collection, fixed per size)."""
    present = [f"{PREFIX}{(i * 7919) % size}" for i in range(n)]
    batches = [
        [f"{PREFIX}{(b * 250 + j) * 7 % size}" for j in range(250)]
        + [f"{PREFIX}new-{b}-{j}" for j in range(250)]
        for b in range(max(1, n // 20))
    ]

    async def read_in(i: int) -> None:
        _ = [d async for d in inbox.find({"_id": {"$in": batches[i]}}, {"_id": 1})]

    async def delete_and_insert(i: int) -> None:
        await inbox.delete_one({"_id": present[i]})
        await inbox.insert_one({"_id": present[i], "type": "t", "status": "s0"})

    return [
        await timed(n, lambda i: inbox.find_one({"_id": present[i]}, {"_id": 1})),
        await timed(n, lambda i: inbox.find_one({"_id": f"{PREFIX}missing-{i}"}, {"_id": 1})),
        await timed(len(batches), read_in),
        await timed(n, lambda i: inbox.update_one({"_id": present[i]}, {"$set": {"seen": i}})),
        # A version-checked save (jingwu_platform.repository): _id beside another key.
        await timed(n, lambda i: inbox.update_one({"_id": present[i], "type": "t"}, {"$set": {"v": i}})),
        await timed(n // 2, delete_and_insert),
        # Listings by plain fields (ADR 0053, fields beside _id): a status's documents, a count.
        await timed(max(1, n // 10), lambda i: _all(inbox.find({"status": f"s{i % STATUSES}"}, {"_id": 1}))),
        await timed(
            max(1, n // 10), lambda i: inbox.count_documents({"type": "t", "status": f"s{i % STATUSES}"})
        ),
        # A status beside a path into an embedded document (an officer's open findings by
        # ``condition.officer_id``): 1/1,000 of the rows, among the 1/50 of the status's index.
        await timed(
            max(1, n // 10),
            lambda i: _all(
                inbox.find({"status": f"s{i % STATUSES}", "cond.officer": f"o{i % OFFICERS}"}, {"_id": 1})
            ),
        ),
    ]


async def _all(cursor: Any) -> int:
    return len([d async for d in cursor])


async def measure(url: str, sizes: list[int], n: int) -> list[list[float]]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, maxPoolSize=1)
    inbox = client["bench"]["platform.inbox"]
    rows: list[list[float]] = []
    have = 0
    try:
        await inbox.create_index("status")
        for size in sizes:
            for first in range(have, size, 1000):
                last = min(first + 1000, size)
                await inbox.insert_many(
                    [
                        {
                            "_id": f"{PREFIX}{i}",
                            "type": "t",
                            "status": f"s{i % STATUSES}",
                            "cond": {"officer": f"o{i % OFFICERS}"},
                        }
                        for i in range(first, last)
                    ]
                )
            have = size
            rows.append([float(size), *await _row(inbox, size, n)])
    finally:
        await client.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,20000,55000", help="collection sizes, ascending")
    parser.add_argument("--n", type=int, default=100, help="calls per operation and size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    builds = {"upstream": upstream_build(), "patched (ADR 0053)": ensure_ferretdb(sys.stderr).path}
    load = os.getloadavg()[0]
    day = time.strftime("%Y-%m-%d")
    say(f"## Store reads and writes by `_id` — FerretDB {ferretdb_version()} (SQLite), {day}\n")
    say(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at start. One connection, calls in a row, {args.n} per cell "
        f"($in: {max(1, args.n // 20)}; listings: {max(1, args.n // 10)}), ms per call.\n"
    )
    say(
        "| build | rows | find_one (present) | find_one (missing) | $in 500 | update_one "
        "| update_one {_id, type} | delete+insert | find {status} | count {type, status} "
        "| find {status, cond.officer} |"
    )
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, binary in builds.items():
        data = Path(tempfile.mkdtemp(prefix="jingwu-bench-ids-"))
        try:
            with Supervisor(out=None) as sup:
                port = free_port()
                sup.start(ferretdb_spec(binary, data, port))
                for row in asyncio.run(measure(f"mongodb://{HOST}:{port}/", sizes, args.n)):
                    cells = " | ".join(f"{v:.2f}" for v in row[1:])
                    say(f"| {name} | {int(row[0]):,} | {cells} |")
        finally:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

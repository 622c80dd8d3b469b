"""Benchmark: time from applying a District to Ready, for 1 and for N districts applied at once.

``python -m jingwu_operator.bench [--count 20]`` starts a throwaway kube-apiserver + etcd, Kafka and
FerretDB (devstack, free ports, temp dir), installs the CRD, runs the operator in-process and prints a
Markdown table. Needs the devstack (a development dependency), not part of the operator's image.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from jingwu_operator import naming
from jingwu_operator.config import OperatorConfig
from jingwu_operator.crd import CRD_PATH
from jingwu_operator.main import operate

DISTRICTS = f"/apis/{naming.GROUP}/{naming.VERSION}/{naming.PLURAL}"


def _body(code: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{naming.GROUP}/{naming.VERSION}",
        "kind": naming.KIND,
        "metadata": {"name": naming.resource_name(code)},
        "spec": {"code": code, "names": {"chinese": f"测试分局{code}", "pinyin": f"bench{code}"}},
    }


def _ready(plane: Any, code: str) -> bool:
    status, body = plane.request("GET", f"{DISTRICTS}/{naming.resource_name(code)}")
    if status != 200:
        return False
    conds = {c["type"]: c["status"] for c in body.get("status", {}).get("conditions", [])}
    return bool(
        conds.get("Ready") == "True"
        and body["status"].get("observedGeneration") == body["metadata"]["generation"]
    )


async def _apply_and_wait(plane: Any, codes: list[str], limit_s: float = 600) -> dict[str, float]:
    start = time.monotonic()
    for code in codes:
        status, answer = await asyncio.to_thread(plane.request, "POST", DISTRICTS, _body(code))
        if status != 201:
            raise RuntimeError(f"creating District {code}: {status} {answer}")
    done: dict[str, float] = {}
    while len(done) < len(codes):
        if time.monotonic() - start > limit_s:
            raise TimeoutError(f"not Ready after {limit_s}s: {sorted(set(codes) - set(done))}")
        for code in codes:
            if code not in done and await asyncio.to_thread(_ready, plane, code):
                done[code] = time.monotonic() - start
        await asyncio.sleep(0.1)
    return done


async def _bench(plane: Any, config: OperatorConfig, count: int) -> list[tuple[str, float, float, float]]:
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.create_task(operate(config, stop_flag=stop, ready_flag=ready))
    await asyncio.wait_for(ready.wait(), 60)
    rows = []
    try:
        one = await _apply_and_wait(plane, ["20"])
        rows.append(("1 district", one["20"], one["20"], one["20"]))
        codes = [f"{30 + i:02d}" for i in range(count)]
        many = await _apply_and_wait(plane, codes)
        times = sorted(many.values())
        rows.append((f"{count} districts applied at once", statistics.median(times), times[-1], max(times)))
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    return rows


def main(argv: list[str] | None = None) -> int:
    from jingwu_devstack import kube
    from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
    from jingwu_devstack.helm import ensure_helm
    from jingwu_devstack.procs import Supervisor, free_ports
    from jingwu_devstack.stack import ferretdb_spec, kafka_spec

    parser = argparse.ArgumentParser(prog="python -m jingwu_operator.bench")
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="jingwu-operator-bench-") as tmp,
        Supervisor(out=sys.stderr) as sup,
    ):
        data = Path(tmp)
        kafka_port, controller_port, mongo_port = free_ports(3)
        sup.start(kafka_spec(ensure_kafka(sys.stderr).path, data, kafka_port, controller_port))
        sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, data, mongo_port))
        plane = kube.up(data / "kube", quiet=True)
        try:
            status, answer = plane.request(
                "POST",
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                yaml.safe_load(CRD_PATH.read_text()),
            )
            if status != 201:
                raise RuntimeError(f"installing the CRD: {status} {answer}")
            while plane.request("GET", DISTRICTS)[0] != 200:
                time.sleep(0.2)
            os.environ["KUBECONFIG"] = str(plane.kubeconfig)
            config = OperatorConfig(
                kafka_bootstrap=f"127.0.0.1:{kafka_port}",
                mongo_url=f"mongodb://127.0.0.1:{mongo_port}/",
                helm=str(ensure_helm()),
                resync_seconds=60,
            )
            rows = asyncio.run(_bench(plane, config, args.count))
        finally:
            kube.down(data / "kube", purge=True)
    lines = [f"| run | median apply→Ready | last Ready (= all {args.count} Ready) |", "| --- | --- | --- |"]
    lines += [f"| {name} | {median:.2f} s | {last:.2f} s |" for name, median, last, _ in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

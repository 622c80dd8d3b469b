"""Fixtures for the operator's kube tests: a real kube-apiserver (one per test module) with the District
CRD installed, and the operator as its own process (``python -m jingwu_operator``) pointed at it and at the
session's real Kafka and FerretDB. District codes 02–09 are used here (the root conftest hands out 10–98)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jingwu_devstack import kube

REPO = Path(__file__).resolve().parents[3]
CRD = REPO / "operators" / "district" / "crd" / "district.yaml"
CHART = REPO / "charts" / "jingwu-district"
DISTRICTS = "/apis/jingwu.police.cn/v1/districts"


def district_body(code: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "jingwu.police.cn/v1",
        "kind": "District",
        "metadata": {"name": f"jingwu-{code}"},
        "spec": {"code": code, "names": {"chinese": "埇桥分局", "pinyin": "yongqiao"}, **spec},
    }


def install_crd(plane: kube.ControlPlane) -> None:
    status, body = plane.request(
        "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", yaml.safe_load(CRD.read_text())
    )
    assert status in (201, 409), body
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if plane.request("GET", DISTRICTS)[0] == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the District CRD was not served in 30 s")


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.ControlPlane]:
    data = tmp_path_factory.mktemp("kube")
    control = kube.up(data, quiet=True)
    try:
        install_crd(control)
        yield control
    finally:
        kube.down(data, purge=True)


@pytest.fixture(scope="session")
def helm_binary() -> Path:
    from jingwu_devstack.helm import ensure_helm

    return ensure_helm()


class OperatorProcess:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=REPO)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


StartOperator = Callable[..., OperatorProcess]


@pytest.fixture(scope="module")
def start_operator(
    plane: kube.ControlPlane, helm_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartOperator]:
    started: list[OperatorProcess] = []

    def start(*, kafka_bootstrap: str, mongo_url: str, **overrides: str) -> OperatorProcess:
        env = {
            **os.environ,
            "KUBECONFIG": str(plane.kubeconfig),
            "JINGWU_OPERATOR_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "JINGWU_OPERATOR_MONGO_URL": mongo_url,
            "JINGWU_OPERATOR_HELM": str(helm_binary),
            "JINGWU_OPERATOR_CHART": str(CHART),
            "JINGWU_OPERATOR_RESYNC_SECONDS": "3",
            "JINGWU_OPERATOR_BACKOFF_SECONDS": "1",
            "JINGWU_OPERATOR_MAX_BACKOFF_SECONDS": "5",
            "JINGWU_OPERATOR_KAFKA_TIMEOUT_SECONDS": "5",
            **{f"JINGWU_OPERATOR_{k.upper()}": v for k, v in overrides.items()},
        }
        log = tmp_path_factory.mktemp("operator") / "operator.log"
        process = OperatorProcess([sys.executable, "-m", "jingwu_operator", "--liveness", ""], env, log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def wait_for(
    predicate: Callable[[], Awaitable[Any]] | Callable[[], Any], limit_s: float = 60, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + limit_s
    last: Any = None
    while time.monotonic() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        last = result
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out after {limit_s:g}s waiting for {what} (last: {last!r})")


def get_district(plane: kube.ControlPlane, code: str) -> dict[str, Any] | None:
    status, body = plane.request("GET", f"{DISTRICTS}/jingwu-{code}")
    return body if status == 200 else None


def condition(district: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    if not district:
        return None
    for item in district.get("status", {}).get("conditions", []):
        if item["type"] == type_:
            return dict(item)
    return None

"""With Kafka unreachable the District reports TopicsReady=False with the reason, keeps the rest, and
retries with backoff (a Warning Event explains it)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from jingwu_devstack import kube

from .conftest import (
    DISTRICTS,
    OperatorProcess,
    StartOperator,
    condition,
    district_body,
    get_district,
    wait_for,
)

pytestmark = [pytest.mark.kube, pytest.mark.timeout(300)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


@pytest.fixture(scope="module")
def operator(start_operator: StartOperator, mongo_url: str) -> Iterator[OperatorProcess]:
    process = start_operator(kafka_bootstrap=f"127.0.0.1:{closed_port()}", mongo_url=mongo_url)
    yield process
    sys.stderr.write(process.tail() + "\n")


async def test_kafka_unreachable_is_reported(plane: kube.ControlPlane, operator: OperatorProcess) -> None:
    code = "08"
    status, body = plane.request("POST", DISTRICTS, district_body(code))
    assert status == 201, body

    def topics_failed() -> dict[str, Any] | None:
        district = get_district(plane, code)
        cond, ready = condition(district, "TopicsReady"), condition(district, "Ready")
        return cond if cond and cond["status"] == "False" and ready else None

    cond = await wait_for(topics_failed, 60, "TopicsReady=False")
    assert cond["reason"] == "KafkaUnavailable"
    assert "unreachable" in cond["message"], cond
    district = get_district(plane, code)
    assert condition(district, "Ready")["status"] == "False"  # type: ignore[index]
    assert condition(district, "NamespaceReady")["status"] == "True"  # type: ignore[index]
    assert "observedGeneration" not in district["status"]  # type: ignore[index]

    def warned() -> list[dict[str, Any]]:
        _, events = plane.request("GET", "/api/v1/namespaces/default/events")
        return [e for e in events.get("items", []) if e.get("reason") == "TopicsReadyFailed"]

    events = await wait_for(warned, 30, "a TopicsReadyFailed Event")
    assert events[0]["type"] == "Warning"
    assert events[0]["involvedObject"]["name"] == f"jingwu-{code}"

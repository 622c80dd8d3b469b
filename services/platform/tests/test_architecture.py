"""The one service shape, checked: the store is known only to ``adapters/`` (no pymongo or bson import,
no Mongo operator, no query dict outside it), and domain code does no I/O and builds no protobuf."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2]
# The chassis and the tooling are not domain services: they are where the store is wrapped.
NOT_DOMAIN_SERVICES = {"platform", "devstack", "contracts", "cli"}
MONGO_IMPORT = re.compile(
    r"^\s*(from|import)\s+(pymongo|bson|motor|jingwu_platform\.(mongo|outbox|repository|codec))\b", re.M
)
# A quoted Mongo operator ("$set", '$in', "$gt", ...) or an aggregation stage.
MONGO_OPERATOR = re.compile(r"""["']\$[a-zA-Z]+["']""")
DOMAIN_FORBIDDEN = re.compile(
    r"^\s*(from|import)\s+(pymongo|bson|grpc|aiokafka|faststream|jingwu\.[a-z]+\.v1|asyncio)\b", re.M
)


def service_sources() -> list[Path]:
    files = []
    for service in sorted(p for p in SERVICES.iterdir() if (p / "src").is_dir()):
        if service.name in NOT_DOMAIN_SERVICES:
            continue
        files += sorted((service / "src").rglob("*.py"))
    return files


def outside_adapters() -> list[Path]:
    return [f for f in service_sources() if "adapters" not in f.relative_to(SERVICES).parts]


def test_there_are_services_to_check() -> None:
    assert len(outside_adapters()) > 20


@pytest.mark.parametrize("path", outside_adapters(), ids=lambda p: str(p.relative_to(SERVICES)))
def test_no_store_outside_adapters(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = MONGO_IMPORT.search(text)
    assert not found, f"{path}: imports {found.group(2) if found else ''} (the store) outside adapters/"
    operators = MONGO_OPERATOR.findall(text)
    assert not operators, f"{path}: Mongo operators {operators} outside adapters/"


@pytest.mark.parametrize(
    "path",
    [f for f in service_sources() if "domain" in f.relative_to(SERVICES).parts],
    ids=lambda p: str(p.relative_to(SERVICES)),
)
def test_domain_code_is_pure(path: Path) -> None:
    found = DOMAIN_FORBIDDEN.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path}: domain code imports {[m[1] for m in found]} (I/O or protobuf)"

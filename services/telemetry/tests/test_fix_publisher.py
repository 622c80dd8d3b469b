"""Admission in the gateways' fix publisher, on a real broker (R-TEL-2: a fix is answered success only
once Kafka acknowledged it; beyond what Kafka acknowledges in time, it is answered failure at once
instead of queued until every fix times out)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.kafka import ensure_topics
from jingwu_platform.testing import read_topic
from jingwu_telemetry.gateway.directory import DirectoryEntry
from jingwu_telemetry.gateway.fixes import jt808_fix
from jingwu_telemetry.gateway.publisher import FixPublisher, PublisherOverloaded
from jingwu_telemetry.sim.reports import report_at

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def fixes(district: str, device: str, count: int) -> list[telemetry_pb2.LocationFix]:
    entry = DirectoryEntry(district, device, 1, 2)
    return [
        jt808_fix(
            entry,
            report_at(33.6 + n * 1e-4, 116.9, NOW),
            source=telemetry_pb2.FIX_SOURCE_JT808_REPORT,
            received=NOW,
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def district(district_codes: Callable[[], str]) -> str:
    """One test district for the module (the session's pool of codes is small)."""
    return district_codes()


@pytest.fixture
async def publisher(kafka_bootstrap: str, district: str) -> AsyncIterator[FixPublisher]:
    await ensure_topics(kafka_bootstrap, [topic(district)], 1)
    publisher = FixPublisher(kafka_bootstrap, client_id="test-admission", source="test", max_pending=5)
    await publisher.start()
    yield publisher
    await publisher.stop()


def topic(district: str) -> str:
    return f"jingwu.{district}.telemetry.fixes.v1"


async def test_fixes_beyond_the_bound_are_refused_at_once_and_what_was_admitted_reaches_the_topic(
    publisher: FixPublisher, kafka_bootstrap: str, district: str
) -> None:
    first, second, third = (f"dev-{uuid.uuid4().hex[:8]}" for _ in range(3))
    results = await asyncio.gather(
        publisher.publish(fixes(district, first, 3)),  # admitted: 3 pending
        publisher.publish(fixes(district, second, 3)),  # 3 + 3 > 5 while 3 are pending: refused, nothing sent
        return_exceptions=True,
    )
    assert results[0] is None
    assert isinstance(results[1], PublisherOverloaded) and "at most 5" in str(results[1])
    assert (publisher.pending, publisher.published, publisher.overloaded, publisher.failed) == (0, 3, 3, 0)
    # Once the first are acknowledged the bound is free again.
    await publisher.publish(fixes(district, third, 2))
    records = await read_topic(
        kafka_bootstrap, topic(district), until=lambda rs: sum(r.key == third.encode() for r in rs) >= 2
    )
    keys = [r.key for r in records]
    assert keys.count(first.encode()) == 3 and keys.count(third.encode()) == 2
    assert second.encode() not in keys


async def test_a_message_larger_than_the_bound_goes_when_nothing_else_is_pending(
    publisher: FixPublisher, district: str
) -> None:
    """A terminal's big 0x0704 batch must not be refused forever."""
    await publisher.publish(fixes(district, f"dev-{uuid.uuid4().hex[:8]}", 12))
    assert (publisher.published, publisher.overloaded, publisher.pending) == (12, 0, 0)


def test_the_bound_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        FixPublisher("127.0.0.1:9", client_id="x", source="x", max_pending=0)

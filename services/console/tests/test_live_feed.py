"""Live positions on the real Kafka: the feed reads the district's fixes topic, keeps each device's
newest fix, and pushes what moved once per tick over Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaProducer
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_console.app import build_app
from jingwu_console.live import LiveFeed
from jingwu_console.settings import ConsoleSettings
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.events import telemetry_fixes_topic
from jingwu_platform.kafka import ensure_topics
from pydantic import SecretStr

pytestmark = pytest.mark.integration
SECRET = "console-live-test-secret-0123456789"


def fix(district: str, device: str, lon: float, at: datetime) -> bytes:
    message = telemetry_pb2.LocationFix(
        district_code=district,
        device_id=device,
        device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
        position=common_pb2.GeoPoint(longitude=lon, latitude=33.6),
        speed_kmh=30.0,
        status_flags=0b10,
    )
    message.fix_time.FromDatetime(at)
    return message.SerializeToString()


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


async def _until(condition: object, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_the_feed_keeps_each_devices_newest_fix_and_sends_what_moved_once_per_tick(
    kafka_bootstrap: str, district: str, producer: AIOKafkaProducer
) -> None:
    topic = telemetry_fixes_topic(district)
    feed = LiveFeed(kafka_bootstrap, topic, tick_s=0.3)
    await feed.start()  # before the topic exists: it waits for it
    try:
        await _until(lambda: feed.status == "waiting")
        await ensure_topics(kafka_bootstrap, [topic], partitions=3)
        await _until(lambda: feed.status == "live")
        subscription = feed.subscribe()
        now = datetime.now(UTC)
        await producer.send_and_wait(topic, fix(district, "d1", 117.01, now), key=b"d1")
        # A backfilled (older) fix arriving later does not move the vehicle back.
        await producer.send_and_wait(
            topic, fix(district, "d1", 116.90, now - timedelta(minutes=3)), key=b"d1"
        )
        await producer.send_and_wait(topic, fix(district, "d2", 117.20, now), key=b"d2")
        await producer.send_and_wait(topic, b"\xff\x00 not a fix", key=b"junk")
        batches: list[list[dict[str, object]]] = []
        while {p["device_id"] for b in batches for p in b} != {"d1", "d2"}:
            batches.append(await asyncio.wait_for(subscription.queue.get(), timeout=20))
        assert feed.latest["d1"]["lon"] == 117.01
        assert all(p["lon"] != 116.90 for b in batches for p in b)
        # Each device at most once per tick.
        assert all(len({p["device_id"] for p in b}) == len(b) for b in batches)
        feed.unsubscribe(subscription)
    finally:
        await feed.stop()


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, object]]:
    name = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])


async def test_the_stream_says_telemetry_is_unavailable_and_still_pushes_live_fixes(
    kafka_bootstrap: str, district: str, producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    topic = telemetry_fixes_topic(district)
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    settings = ConsoleSettings(
        district=district,
        auth_secret=SecretStr(SECRET),
        kafka_bootstrap=kafka_bootstrap,
        telemetry_addr="127.0.0.1:9",  # telemetry not deployed
        console_static_dir=tmp_path,
        live_tick_s=0.2,
    )
    app: web.Application = build_app(settings)
    jar = aiohttp.CookieJar(unsafe=True)
    async with TestClient(TestServer(app), cookie_jar=jar) as client:
        token = issue_token(SECRET, "ann", district, [Role.OFFICER])
        signed = await client.post("/api/session", json={"token": token}, headers={"X-Jingwu-Console": "1"})
        assert signed.status == 200
        await asyncio.sleep(0.5)
        async with client.get("/api/live/positions?bbox=116,33,118,34") as stream:
            assert stream.status == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            events = _events(stream)
            name, status = await anext(events)
            assert name == "status"
            assert status["telemetry"] == "UNAVAILABLE"  # type: ignore[index]
            name, _first = await anext(events)
            assert name == "positions"
            await asyncio.sleep(1.0)  # the feed has assigned its partitions by now
            await producer.send_and_wait(
                topic, fix(district, "veh-9", 117.3, datetime.now(UTC)), key=b"veh-9"
            )
            await producer.send_and_wait(
                topic, fix(district, "far-away", 100.0, datetime.now(UTC)), key=b"far"
            )
            async with asyncio.timeout(30):
                async for name, batch in events:
                    if name == "positions" and isinstance(batch, list) and batch:
                        ids = {p["device_id"] for p in batch}
                        assert "far-away" not in ids  # outside the map's window
                        if "veh-9" in ids:
                            break

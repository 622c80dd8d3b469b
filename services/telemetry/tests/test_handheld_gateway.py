"""The handheld endpoint over real HTTP, with Kafka and the registry real too (R-TEL-1, R-TEL-2): single
and batch posts with the device credential, the OsmAnd / Traccar Client protocol as the app sends it,
refusals naming the field, and success only once Kafka has the fixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.testing import read_topic, wait_until

from .conftest import Stack

pytestmark = pytest.mark.integration


def url(stack: Stack, path: str) -> str:
    return f"http://127.0.0.1:{stack.handheld.port}{path}"


async def fixes_of(
    stack: Stack, kafka_bootstrap: str, device_id: str, count: int
) -> list[telemetry_pb2.LocationFix]:
    records = await read_topic(
        kafka_bootstrap,
        f"jingwu.{stack.district}.telemetry.fixes.v1",
        until=lambda rs: sum(r.key == device_id.encode() for r in rs) >= count,
    )
    return [
        telemetry_pb2.LocationFix.FromString(r.value or b"") for r in records if r.key == device_id.encode()
    ]


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(user, password)}


async def post(
    stack: Stack, path: str, *, auth: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url(stack, path), headers=auth, **kwargs) as response,
    ):
        return response.status, await response.json()


async def test_single_and_batch_posts_with_the_device_credential(stack: Stack, kafka_bootstrap: str) -> None:
    device, code = await stack.provision_handheld("app-1")
    auth = basic(device.device_id, code)
    at = datetime.now(UTC).replace(microsecond=0)
    one = {
        "latitude": 33.641,
        "longitude": 116.976,
        "time": at.isoformat(),
        "accuracy_m": 8.5,
        "battery_percent": 77,
    }
    assert await post(stack, "/v1/positions", auth=auth, json=one) == (200, {"accepted": 1})
    batch = {
        "fixes": [
            {
                "latitude": 33.641 + n * 1e-4,
                "longitude": 116.976,
                "time": (at - timedelta(seconds=n)).isoformat(),
            }
            for n in range(1, 21)
        ]
    }
    assert await post(stack, "/v1/positions", auth=auth, json=batch) == (200, {"accepted": 20})
    fixes = await fixes_of(stack, kafka_bootstrap, device.device_id, 21)
    first = next(f for f in fixes if f.HasField("accuracy_m"))
    assert (
        first.device_kind == telemetry_pb2.DEVICE_KIND_HANDHELD
        and first.source == telemetry_pb2.FIX_SOURCE_HANDHELD_HTTP
    )
    assert (first.accuracy_m, first.battery_percent) == (8.5, 77)
    assert first.fix_time.ToDatetime(tzinfo=UTC) == at and first.status_flags & 0b10


async def test_bad_posts_are_refused_naming_each_field(stack: Stack) -> None:
    device, code = await stack.provision_handheld("app-2")
    auth = basic(device.device_id, code)
    at = datetime.now(UTC)
    status, body = await post(
        stack,
        "/v1/positions",
        auth=auth,
        json={
            "fixes": [
                {"latitude": 33.6, "longitude": 116.9, "time": at.isoformat()},
                {"latitude": 95, "longitude": "east", "time": "yesterday"},
                {"latitude": 33.6, "longitude": 116.9, "time": (at + timedelta(hours=2)).isoformat()},
            ]
        },
    )
    assert status == 400
    fields = {v["field"]: v["description"] for v in body["violations"]}
    assert set(fields) == {"fixes[1].latitude", "fixes[1].longitude", "fixes[1].time", "fixes[2].time"}
    assert "too skewed" in fields["fixes[2].time"]
    assert (await post(stack, "/v1/positions", auth=basic(device.device_id, "wrong"), json={}))[0] == 401
    assert (await post(stack, "/v1/positions", json={}))[0] == 401
    unknown = await post(stack, "/v1/positions", auth=basic("nobody", code), json={})
    assert unknown[0] == 404 and unknown[1]["violations"][0]["field"] == "device_id"
    too_many = {"fixes": [{"latitude": 1, "longitude": 1, "time": at.isoformat()}] * 501}
    assert (await post(stack, "/v1/positions", auth=auth, json=too_many))[0] == 413


async def test_the_osmand_protocol_as_traccar_client_sends_it(stack: Stack, kafka_bootstrap: str) -> None:
    device, code = await stack.provision_handheld("app-3")
    auth = basic(device.device_id, code)
    at = int(datetime.now(UTC).timestamp())
    query = {
        "id": device.device_id,
        "lat": "33.6412",
        "lon": "116.9763",
        "timestamp": str(at),
        "speed": "10",  # knots
        "bearing": "271.5",
        "altitude": "31",
        "accuracy": "12",
        "batt": "64",
    }
    async with aiohttp.ClientSession() as session:
        async with session.get(url(stack, "/"), params=query, headers=auth) as response:
            assert response.status == 200
        form = {**query, "timestamp": str(at * 1000 + 1000)}  # milliseconds, as a form post
        async with session.post(url(stack, "/"), data=form, headers=auth) as response:
            assert response.status == 200
        # Without the secret, and with an unknown or a disabled id: refused.
        async with session.get(url(stack, "/"), params=query) as response:
            assert response.status == 401
        async with session.get(url(stack, "/"), params={**query, "id": "unknown"}, headers=auth) as response:
            assert response.status == 404
        async with session.get(url(stack, "/"), params={**query, "lat": "north"}, headers=auth) as response:
            assert response.status == 400
            assert (await response.json())["violations"] == [
                {"field": "lat", "description": "a number, not 'north'"}
            ]
    fixes = await fixes_of(stack, kafka_bootstrap, device.device_id, 2)
    first = fixes[0]
    assert round(first.speed_kmh, 3) == 18.52 and first.heading_deg == 271.5
    assert (first.altitude_m, first.accuracy_m, first.battery_percent) == (31, 12, 64)
    assert first.fix_time.seconds == at and fixes[1].fix_time.seconds == at + 1

    await stack.leader.DisableDevice(
        telemetry_pb2.DisableDeviceRequest(device_id=device.device_id, reason="遗失")
    )

    def disabled() -> bool:
        entry = stack.directory_http.device(device.device_id)
        return entry is not None and not entry.enabled

    await wait_until(disabled, what="disabled in the directory")
    async with (
        aiohttp.ClientSession() as session,
        session.get(url(stack, "/"), params=query, headers=auth) as response,
    ):
        assert response.status == 403


async def test_a_post_is_answered_200_only_once_kafka_has_it(stack: Stack) -> None:
    device, code = await stack.provision_handheld("app-4")
    auth = basic(device.device_id, code)
    fix = {"latitude": 33.6, "longitude": 116.9, "time": datetime.now(UTC).isoformat()}
    await stack.handheld._publisher.stop()
    status, _ = await post(stack, "/v1/positions", auth=auth, json=fix)
    assert status == 503
    await stack.handheld._publisher.start()
    assert (await post(stack, "/v1/positions", auth=auth, json=fix))[0] == 200


async def test_a_post_beyond_the_publishers_bound_is_answered_503_at_once(stack: Stack) -> None:
    """Admission (gateway.publisher): at the bound of fixes awaiting Kafka, a post is refused with 503
    and Retry-After, nothing sent; below it the same post is stored."""
    device, code = await stack.provision_handheld("app-5")
    auth = basic(device.device_id, code)
    fix = {"latitude": 33.6, "longitude": 116.9, "time": datetime.now(UTC).isoformat()}
    publisher = stack.handheld._publisher
    published = publisher.published
    publisher.pending += publisher.max_pending  # as if that many fixes were awaiting their acks
    try:
        status, body = await post(stack, "/v1/positions", auth=auth, json=fix)
    finally:
        publisher.pending -= publisher.max_pending
    assert status == 503 and "capacity" in body["error"] and publisher.published == published
    assert (await post(stack, "/v1/positions", auth=auth, json=fix))[0] == 200

"""The sample subscriber in docs/ works against the real service: it verifies the signatures, decodes the
payloads with the published protos and receives only what its subscription's filter names (R-NOT-5)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp import web
from jingwu.notification.v1 import subscriptions_pb2
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import wait_until

from .receivers import free_port
from .support import publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "sample_subscriber.py"


def sample() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jingwu_sample_subscriber", SAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_the_sample_subscriber_verifies_decodes_and_gets_only_its_events(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    module = sample()
    port = free_port()
    async with running(settings_for, district, auth_secret) as service:
        granted = await service.subscriptions().CreateSubscription(
            subscriptions_pb2.CreateSubscriptionRequest(
                subscriber="criminal-investigation",
                system=subscriptions_pb2.SUBSCRIBER_SYSTEM_CRIMINAL_INVESTIGATION,
                filter=subscriptions_pb2.SubscriptionFilter(
                    event_types=["jingwu.rooms.v1.*"], zone_codes=[f"{district}02"]
                ),
                webhook=subscriptions_pb2.WebhookTarget(url=f"http://127.0.0.1:{port}/jingwu"),
            )
        )
        subscriber = module.Subscriber(granted.webhook_secret)
        runner = web.AppRunner(subscriber.app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            inside = rooms_pb2.Room(
                room_id="room-in", name="汴河社区警务室", zone_codes=[f"{district}020301"]
            )
            outside = rooms_pb2.Room(room_id="room-out", name="城郊警务室", zone_codes=[f"{district}070101"])
            for room in (outside, inside):
                payload = room_events.RoomOpened(district_code=district, room=room)
                await publish_as(kafka_bootstrap, "rooms", district, payload, room.room_id)
            other = population_events.PlaceRegistered(district_code=district)
            await publish_as(kafka_bootstrap, "population", district, other, "place-1")
            await wait_until(
                lambda: len(subscriber.received) >= 1, timeout_s=60, what="the sample to receive"
            )
            await wait_until(
                lambda: service.process.fan_out.processed >= 3, timeout_s=60, what="all three fanned out"
            )
        finally:
            await runner.cleanup()
    (event,) = subscriber.received
    assert event.event_type == "jingwu.rooms.v1.RoomOpened" and event.key == "room-in"
    assert isinstance(event.payload, room_events.RoomOpened) and event.payload.room.name == "汴河社区警务室"
    assert event.district == district and event.message_id.startswith("msg_")

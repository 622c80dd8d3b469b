"""The notification service in-process on the session's real Kafka and FerretDB, with gRPC stubs for
callers of each role, and events produced exactly as the other services publish them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeAlias

import grpc
from google.protobuf.message import Message
from jingwu.notification.v1 import notification_pb2_grpc, subscriptions_pb2_grpc
from jingwu_notification.entrypoints.main import NotificationProcess, build
from jingwu_notification.entrypoints.options import NotificationOptions
from jingwu_platform.auth import Role
from jingwu_platform.events import new_event
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import produce_raw, token_for
from jingwu_platform.usecase import Clock

NotificationStub: TypeAlias = "notification_pb2_grpc.NotificationServiceAsyncStub"
SubscriptionStub: TypeAlias = "subscriptions_pb2_grpc.SubscriptionServiceAsyncStub"

# Retries in tenths of a second, so a test sees a whole retry budget pass.
FAST = {
    "delivery_max_attempts": 3,
    "delivery_base_delay_s": 0.2,
    "delivery_max_delay_s": 0.5,
    "delivery_lease_s": 3.0,
    "delivery_poll_interval_s": 0.2,
    "resident_api_port": 0,
}


@dataclass
class RunningNotification:
    process: NotificationProcess
    port: int
    secret: str
    district: str
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def _channel(self, *roles: Role, subject: str) -> grpc.aio.Channel:
        channel = open_channel(
            f"127.0.0.1:{self.port}", token_for(self.secret, self.district, *roles, subject=subject)
        )
        self.channels.append(channel)
        return channel

    def notification(self, *roles: Role, subject: str = "leader-1") -> NotificationStub:
        return notification_pb2_grpc.NotificationServiceStub(
            self._channel(*(roles or (Role.SUPERVISOR,)), subject=subject)
        )

    def subscriptions(self, *roles: Role, subject: str = "admin-1") -> SubscriptionStub:
        return subscriptions_pb2_grpc.SubscriptionServiceStub(
            self._channel(*(roles or (Role.DISTRICT_ADMIN,)), subject=subject)
        )

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


@asynccontextmanager
async def running(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    secret: str,
    *,
    clock: Clock | None = None,
    settings: dict[str, object] | None = None,
    **options: object,
) -> AsyncIterator[RunningNotification]:
    process = build(
        settings_for("notification", district, **(settings or {})),
        NotificationOptions(**{**FAST, **options}),  # type: ignore[arg-type]
        clock=clock,
    )
    port = await process.runtime.start()
    service = RunningNotification(process, port, secret, district)
    try:
        yield service
    finally:
        await service.close()
        await process.runtime.stop()


async def publish_as(kafka_bootstrap: str, service: str, district: str, payload: Message, key: str) -> str:
    """An event exactly as ``service`` publishes it (envelope headers, key, payload); its id."""
    event = new_event(payload, key=key, district=district, service=service)
    topic = f"jingwu.{district}.{service}.v1"
    await produce_raw(kafka_bootstrap, topic, event.payload, event.key.encode(), event.headers())
    return event.event_id

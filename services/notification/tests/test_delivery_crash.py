"""A crash mid-delivery, as the real process: ``jingwu-notification`` dies (a failpoint, like SIGKILL)
after the receiver took a webhook and before the delivery record says so. Started again on the same
store and Kafka, it takes the claim over once its lease runs out and sends again with the same
``webhook-id``: the receiver, deduplicating on it as Standard Webhooks asks, processes the event once,
and the record ends delivered — one record, one processed message, no duplicate (R-NOT-5)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jingwu.notification.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_devstack.procs import (
    ProcessSpec,
    Supervisor,
    all_ready,
    free_port,
    log_ready,
    pid_alive,
    tcp_ready,
)
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import token_for, wait_until

from .receivers import WebhookReceiver
from .support import publish_as

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
BIN = Path(sys.executable).parent


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


def spec(name: str, district: str, port: int, env: dict[str, str], log: Path, failpoints: str) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=[str(BIN / "jingwu-notification")],
        log_path=log,
        env={
            **env,
            "JINGWU_DISTRICT": district,
            "JINGWU_GRPC_PORT": str(port),
            "JINGWU_FAILPOINTS": failpoints,
            "JINGWU_TRACE_EXPORTER": "none",
            "JINGWU_OUTBOX_POLL_INTERVAL_S": "0.2",
            "JINGWU_NOTIFICATION_DELIVERY_LEASE_S": "3",
            "JINGWU_NOTIFICATION_DELIVERY_POLL_INTERVAL_S": "0.2",
            "JINGWU_NOTIFICATION_DELIVERY_BASE_DELAY_S": "0.2",
            "PATH": os.environ.get("PATH", ""),
        },
        ports=[port],
        ready=all_ready(tcp_ready(port), log_ready(log, " ready")),
        ready_timeout=60.0,
    )


async def test_a_crash_after_the_receiver_took_it_is_resent_with_the_same_id_and_processed_once(
    devstack_processes: Supervisor,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    district: str,
    tmp_path: Path,
    receiver: WebhookReceiver,
) -> None:
    env = {
        "JINGWU_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "JINGWU_MONGO_URL": mongo_url,
        "JINGWU_AUTH_SECRET": auth_secret,
    }
    port = free_port()
    crashing = devstack_processes.start(
        spec(f"notification-{district}", district, port, env, tmp_path / "first.log", "delivery.after_send")
    )
    token = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="admin-1")
    async with open_channel(f"127.0.0.1:{port}", token) as channel:
        granted = await subscriptions_pb2_grpc.SubscriptionServiceStub(channel).CreateSubscription(
            subscriptions_pb2.CreateSubscriptionRequest(
                subscriber="command-centre",
                system=subscriptions_pb2.SUBSCRIBER_SYSTEM_COMMAND_CENTRE,
                filter=subscriptions_pb2.SubscriptionFilter(event_types=["jingwu.rooms.v1.RoomOpened"]),
                webhook=subscriptions_pb2.WebhookTarget(url=receiver.url),
            )
        )
    receiver.secret = granted.webhook_secret
    room = rooms_pb2.Room(room_id="room-x", name="汴河社区警务室")
    await publish_as(
        kafka_bootstrap,
        "rooms",
        district,
        room_events.RoomOpened(district_code=district, room=room),
        "room-x",
    )

    await wait_until(
        lambda: not pid_alive(crashing.pid), timeout_s=60, what="the process to crash after sending"
    )
    assert len(receiver.requests) == 1 and len(receiver.processed) == 1  # the receiver has it
    assert "failpoint reached, crashing" in (tmp_path / "first.log").read_text()

    devstack_processes.stop(f"notification-{district}")
    devstack_processes.start(
        spec(f"notification-{district}-again", district, port, env, tmp_path / "again.log", "")
    )
    async with open_channel(f"127.0.0.1:{port}", token) as channel:
        stub = subscriptions_pb2_grpc.SubscriptionServiceStub(channel)

        async def delivered() -> bool:
            reply = await stub.ListDeliveries(
                subscriptions_pb2.ListDeliveriesRequest(recipient=granted.subscription.subscription_id)
            )
            return [d.status for d in reply.deliveries] == [subscriptions_pb2.DELIVERY_STATUS_DELIVERED]

        await wait_until(delivered, timeout_s=60, what="the taken-over delivery to complete")
        (record,) = (
            await stub.ListDeliveries(
                subscriptions_pb2.ListDeliveriesRequest(recipient=granted.subscription.subscription_id)
            )
        ).deliveries
    assert record.attempts == 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [record.message_id, record.message_id]
    assert all(r.verified for r in receiver.requests)
    assert receiver.processed == [record.message_id]  # processed once

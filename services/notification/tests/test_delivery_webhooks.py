"""Subscriptions delivered as signed webhooks, on the real service (Kafka, FerretDB, gRPC) to a real HTTP
receiver that verifies every request with the ``standardwebhooks`` package (R-NOT-5): signatures,
retries against a receiver that fails then recovers, a receiver down past the retry budget → dead letter
→ replay, and a restart mid-delivery that duplicates nothing."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable

import pytest
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.notification.v1 import subscriptions_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_devstack.fault_report import FaultReport
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import read_topic, wait_until
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .receivers import WebhookReceiver
from .support import RunningNotification, SubscriptionStub, publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


async def subscribe(service: RunningNotification, receiver: WebhookReceiver, request_id: str = "cc-1") -> str:
    reply = await service.subscriptions().CreateSubscription(
        subscriptions_pb2.CreateSubscriptionRequest(
            subscriber="command-centre",
            system=subscriptions_pb2.SUBSCRIBER_SYSTEM_COMMAND_CENTRE,
            filter=subscriptions_pb2.SubscriptionFilter(
                event_types=["jingwu.rooms.v1.RoomOpened"], districts=[service.district]
            ),
            webhook=subscriptions_pb2.WebhookTarget(url=receiver.url),
            request_id=request_id,
        )
    )
    receiver.secret = reply.webhook_secret
    assert reply.webhook_secret.startswith("whsec_")
    return reply.subscription.subscription_id


def room_opened(district: str, room_id: str, name: str = "汴河社区警务室") -> room_events.RoomOpened:
    return room_events.RoomOpened(
        district_code=district,
        room=rooms_pb2.Room(room_id=room_id, name=name, station_id="st-1", zone_codes=[f"{district}020301"]),
    )


async def deliveries(stub: SubscriptionStub, subscription_id: str) -> list[subscriptions_pb2.Delivery]:
    reply = await stub.ListDeliveries(subscriptions_pb2.ListDeliveriesRequest(recipient=subscription_id))
    return list(reply.deliveries)


async def delivered(stub: SubscriptionStub, subscription_id: str, count: int = 1) -> None:
    async def done() -> bool:
        found = await deliveries(stub, subscription_id)
        return sum(d.status == subscriptions_pb2.DELIVERY_STATUS_DELIVERED for d in found) >= count

    await wait_until(done, timeout_s=60, what=f"{count} webhook(s) delivered")


async def test_an_event_arrives_signed_and_decodes_with_the_published_protos(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    receiver: WebhookReceiver,
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        subscription_id = await subscribe(service, receiver)
        event_id = await publish_as(
            kafka_bootstrap, "rooms", district, room_opened(district, "room-a"), "room-a"
        )
        await delivered(service.subscriptions(), subscription_id)

        (request,) = receiver.requests
        assert request.verified, "standardwebhooks refused the signature"
        body = request.payload
        assert body["type"] == "jingwu.rooms.v1.RoomOpened"
        envelope = body["data"]
        assert (envelope["id"], envelope["district"], envelope["subject"]) == (event_id, district, "room-a")
        assert envelope["datacontenttype"] == "application/x-protobuf"
        decoded = room_events.RoomOpened.FromString(base64.b64decode(envelope["data_base64"]))
        assert decoded.room.name == "汴河社区警务室" and decoded.district_code == district
        (record,) = await deliveries(service.subscriptions(), subscription_id)
        assert record.message_id == request.headers["webhook-id"] and record.attempts == 1
        assert record.address == receiver.url  # no query string to hide here

        # A receiver holding another secret refuses the same bytes: the signature is real.
        other = "whsec_" + base64.b64encode(b"not the secret at all, 32 bytes").decode()
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(request.body, request.headers)


async def test_retries_reach_a_receiver_that_fails_then_recovers(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    receiver: WebhookReceiver,
) -> None:
    receiver.fail = 2  # 503, 503, then 204
    async with running(settings_for, district, auth_secret) as service:
        subscription_id = await subscribe(service, receiver)
        await publish_as(kafka_bootstrap, "rooms", district, room_opened(district, "room-b"), "room-b")
        await delivered(service.subscriptions(), subscription_id)
        (record,) = await deliveries(service.subscriptions(), subscription_id)
        assert record.attempts == 3 and record.status == subscriptions_pb2.DELIVERY_STATUS_DELIVERED
        assert [r.verified for r in receiver.requests] == [True, True, True]
        ids = {r.headers["webhook-id"] for r in receiver.requests}
        assert ids == {record.message_id}  # one message id on every attempt
        stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
        assert stamps == sorted(stamps)  # each attempt signed at its own time
        assert receiver.processed == [record.message_id]


@pytest.mark.faults
async def test_a_receiver_down_past_the_retry_budget_dead_letters_then_replays(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    receiver: WebhookReceiver,
    fault_report: FaultReport,
) -> None:
    started = time.monotonic()
    async with running(settings_for, district, auth_secret) as service:
        subscription_id = await subscribe(service, receiver)
        await receiver.stop()  # down: connections refused
        stub = service.subscriptions()
        for room_id in ("room-c", "room-d"):
            await publish_as(kafka_bootstrap, "rooms", district, room_opened(district, room_id), room_id)

        async def both_dead() -> bool:
            found = await deliveries(stub, subscription_id)
            return len(found) == 2 and all(d.status == subscriptions_pb2.DELIVERY_STATUS_DEAD for d in found)

        await wait_until(both_dead, timeout_s=60, what="both deliveries dead-lettered")
        dead = await deliveries(stub, subscription_id)
        assert all(d.attempts == 3 and "unreachable" in d.last_error for d in dead)
        letters = await read_topic(
            kafka_bootstrap,
            f"jingwu.{district}.notification.v1",
            until=lambda rs: (
                sum(r.headers.get("ce_type", "").endswith("DeliveryDeadLettered") for r in rs) >= 2
            ),
        )
        dead_ids = {
            notification_events.DeliveryDeadLettered.FromString(r.value or b"").delivery_id
            for r in letters
            if r.headers.get("ce_type", "").endswith("DeliveryDeadLettered")
        }
        assert dead_ids == {d.delivery_id for d in dead}

        await receiver.start()  # back up, same port
        first, second = sorted(dead, key=lambda d: d.dead_time.ToDatetime())
        by_id = await stub.ReplayDeliveries(
            subscriptions_pb2.ReplayDeliveriesRequest(delivery_ids=[first.delivery_id])
        )
        assert list(by_id.replayed_delivery_ids) == [first.delivery_id]
        await delivered(stub, subscription_id, count=1)
        window = subscriptions_pb2.ReplayDeliveriesRequest(recipient=subscription_id)
        window.dead_after.CopyFrom(second.dead_time)
        by_range = await stub.ReplayDeliveries(window)
        assert list(by_range.replayed_delivery_ids) == [second.delivery_id]
        await delivered(stub, subscription_id, count=2)
        replayed = await deliveries(stub, subscription_id)
        fault_report.add(
            "webhook receiver down past the retry budget, then replay",
            unit="deliveries",
            through=len(dead),
            lost=len({d.message_id for d in dead} - set(receiver.processed)),
            duplicated=len(replayed) - len(dead),  # a second delivery record for one event
            crashed=0,
            seconds=time.monotonic() - started,
            note=f"{len(receiver.requests)} requests after the receiver was back, one id per message",
        )
        assert sorted(receiver.processed) == sorted(d.message_id for d in dead)
        assert all(r.verified for r in receiver.requests)
        assert all(d.replays == 1 for d in replayed)


async def test_a_restart_mid_delivery_sends_the_same_message_id_and_nothing_twice(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    receiver: WebhookReceiver,
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        subscription_id = await subscribe(service, receiver)
        await publish_as(kafka_bootstrap, "rooms", district, room_opened(district, "room-e"), "room-e")
        await delivered(service.subscriptions(), subscription_id)  # this one is done before the restart
        receiver.hold = 30.0  # the next request is processed, but its answer never reaches the sender
        await publish_as(kafka_bootstrap, "rooms", district, room_opened(district, "room-f"), "room-f")
        await wait_until(
            lambda: len(receiver.requests) == 2, timeout_s=60, what="the second request in flight"
        )
    # The service stopped mid-delivery. It starts again on the same store and Kafka.
    receiver.hold = 0.0
    receiver.release()
    async with running(settings_for, district, auth_secret) as service:
        await delivered(service.subscriptions(), subscription_id, count=2)
        records = await deliveries(service.subscriptions(), subscription_id)
    assert len(records) == 2  # one delivery record per event and subscriber
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    done_first, in_flight = sorted(records, key=lambda d: d.create_time.ToDatetime())
    assert ids.count(done_first.message_id) == 1  # the finished one was not sent again
    assert ids.count(in_flight.message_id) == 2  # the interrupted one again, with the same id ...
    assert sorted(receiver.processed) == sorted([done_first.message_id, in_flight.message_id])  # ... once
    assert in_flight.attempts == 2

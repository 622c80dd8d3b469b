"""Subscriptions over gRPC on the real service (R-NOT-5): who may grant them, what a bad one is told, a
Kafka subscriber reading straight from Kafka with its own consumer group by the pattern it was given,
and the city-level credential reading across districts but refused every write."""

from __future__ import annotations

import re
from collections.abc import Callable

import grpc
import pytest
from aiokafka import AIOKafkaConsumer
from google.rpc import error_details_pb2
from jingwu.notification.v1 import (
    notification_pb2,
    notification_pb2_grpc,
    subscriptions_pb2,
    subscriptions_pb2_grpc,
)
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import CITY_WIDE, Role, issue_token
from jingwu_platform.grpc_client import error_details, open_channel
from jingwu_platform.settings import ServiceSettings

from .support import publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_only_the_district_admin_grants_and_a_bad_request_names_its_fields(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        request = subscriptions_pb2.CreateSubscriptionRequest(
            subscriber="command-centre",
            system=subscriptions_pb2.SUBSCRIBER_SYSTEM_COMMAND_CENTRE,
            filter=subscriptions_pb2.SubscriptionFilter(event_types=["jingwu.rooms.v1.*"]),
            webhook=subscriptions_pb2.WebhookTarget(url="https://cc.example/hooks"),
            request_id="grant-1",
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await service.subscriptions(Role.SUPERVISOR, subject="leader-1").CreateSubscription(request)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "needs one of the roles: district_admin" in (refused.value.details() or "")

        admin = service.subscriptions()
        first = await admin.CreateSubscription(request)
        again = await admin.CreateSubscription(request)
        assert again.subscription.subscription_id == first.subscription.subscription_id
        assert again.webhook_secret == first.webhook_secret  # the repeat returns the first result

        bad = subscriptions_pb2.CreateSubscriptionRequest(
            subscriber="cc",
            filter=subscriptions_pb2.SubscriptionFilter(
                event_types=["jingwu.rooms.v1.RoomOpend"], districts=["99"]
            ),
        )
        with pytest.raises(grpc.aio.AioRpcError) as invalid:
            await admin.CreateSubscription(bad)
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        (details,) = error_details(invalid.value, error_details_pb2.BadRequest)
        fields = {v.field for v in details.field_violations}
        assert fields == {"subscriber", "system", "filter.event_types[0]", "filter.districts", "target"}


async def test_a_kafka_subscriber_reads_by_its_pattern_with_its_own_group(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        reply = await service.subscriptions().CreateSubscription(
            subscriptions_pb2.CreateSubscriptionRequest(
                subscriber="traffic",
                system=subscriptions_pb2.SUBSCRIBER_SYSTEM_TRAFFIC,
                filter=subscriptions_pb2.SubscriptionFilter(
                    event_types=["jingwu.rooms.v1.*"], districts=[district]
                ),
                kafka=subscriptions_pb2.KafkaTarget(principal="User:traffic"),
            )
        )
        access = reply.subscription.kafka_access
        assert reply.webhook_secret == "" and access.consumer_group == "jingwu-sub-traffic"
        assert list(access.topics) == [f"jingwu.{district}.rooms.v1"]
        assert {(a.resource_type, a.operation) for a in access.acls} == {
            ("topic", "read"),
            ("topic", "describe"),
            ("group", "read"),
        }
        room = rooms_pb2.Room(room_id="room-k", name="交通岗警务室")
        event_id = await publish_as(
            kafka_bootstrap,
            "rooms",
            district,
            room_events.RoomOpened(district_code=district, room=room),
            "room-k",
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap,
            group_id=access.consumer_group,
            auto_offset_reset="earliest",
            metadata_max_age_ms=500,
        )
        consumer.subscribe(pattern=access.topic_pattern)
        await consumer.start()
        try:
            record = await consumer.getone()
        finally:
            await consumer.stop()
        assert re.match(access.topic_pattern, record.topic)
        assert dict(record.headers)["ce_id"].decode() == event_id
        assert room_events.RoomOpened.FromString(record.value).room.name == "交通岗警务室"


async def test_the_city_reader_reads_notices_but_grants_and_writes_nothing(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str
) -> None:
    async with running(settings_for, district, auth_secret) as service:
        await service.notification().PublishNotice(
            notification_pb2.PublishNoticeRequest(
                kind=notification_pb2.NOTICE_KIND_BULLETIN,
                room_id="room-c",
                title="警务公告",
                body="…",
                request_id="b-1",
            )
        )
        token = issue_token(auth_secret, "command-centre", CITY_WIDE, [Role.CITY_READER])
        async with open_channel(f"127.0.0.1:{service.port}", token) as channel:
            city = notification_pb2_grpc.NotificationServiceStub(channel)
            notices = await city.ListNotices(notification_pb2.ListNoticesRequest(room_id="room-c"))
            assert [n.title for n in notices.notices] == ["警务公告"]
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await city.PublishNotice(
                    notification_pb2.PublishNoticeRequest(room_id="room-c", title="x", body="y")
                )
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            subscriptions = subscriptions_pb2_grpc.SubscriptionServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as no_listing:
                await subscriptions.ListSubscriptions(subscriptions_pb2.ListSubscriptionsRequest())
            assert no_listing.value.code() == grpc.StatusCode.PERMISSION_DENIED

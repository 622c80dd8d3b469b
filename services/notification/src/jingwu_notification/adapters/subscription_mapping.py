"""Translation between subscriptions / deliveries and jingwu.notification.v1 SubscriptionService."""

from __future__ import annotations

from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import subscriptions_pb2
from jingwu_platform.proto_values import EnumMap, timestamp

from jingwu_notification.domain.deliveries import ChannelKind, Delivery, DeliveryStatus, masked_address
from jingwu_notification.domain.subscriptions import (
    KafkaAccess,
    SubscriberSystem,
    Subscription,
    SubscriptionFilter,
    SubscriptionStatus,
    TargetKind,
)

SYSTEM = EnumMap(SubscriberSystem, subscriptions_pb2.SubscriberSystem, "SUBSCRIBER_SYSTEM")
STATUS = EnumMap(SubscriptionStatus, subscriptions_pb2.SubscriptionStatus, "SUBSCRIPTION_STATUS")
CHANNEL = EnumMap(ChannelKind, subscriptions_pb2.DeliveryChannel, "DELIVERY_CHANNEL")
DELIVERY_STATUS = EnumMap(DeliveryStatus, subscriptions_pb2.DeliveryStatus, "DELIVERY_STATUS")


def filter_from_proto(message: subscriptions_pb2.SubscriptionFilter) -> SubscriptionFilter:
    return SubscriptionFilter(
        event_types=tuple(t.strip() for t in message.event_types),
        districts=tuple(d.strip() for d in message.districts),
        zone_codes=tuple(z.strip() for z in message.zone_codes),
    )


def target_from_proto(request: subscriptions_pb2.CreateSubscriptionRequest) -> tuple[TargetKind | None, str]:
    which = request.WhichOneof("target")
    if which == "webhook":
        return TargetKind.WEBHOOK, request.webhook.url.strip()
    if which == "kafka":
        return TargetKind.KAFKA, request.kafka.principal.strip()
    return None, ""


def kafka_access_to_proto(access: KafkaAccess) -> subscriptions_pb2.KafkaAccess:
    return subscriptions_pb2.KafkaAccess(
        consumer_group=access.consumer_group,
        topic_pattern=access.topic_pattern,
        topics=list(access.topics),
        acls=[
            subscriptions_pb2.KafkaAcl(
                principal=a.principal,
                resource_type=a.resource_type,
                resource_name=a.resource_name,
                pattern_type=a.pattern_type,
                operation=a.operation,
            )
            for a in access.acls
        ],
    )


def subscription_to_proto(
    subscription: Subscription, access: KafkaAccess | None
) -> subscriptions_pb2.Subscription:
    flt = subscription.filter
    message = subscriptions_pb2.Subscription(
        subscription_id=subscription.subscription_id,
        subscriber=subscription.subscriber,
        system=SYSTEM.to_proto(subscription.system),
        filter=subscriptions_pb2.SubscriptionFilter(
            event_types=list(flt.event_types), districts=list(flt.districts), zone_codes=list(flt.zone_codes)
        ),
        status=STATUS.to_proto(subscription.status),
        audit=common_pb2.AuditInfo(
            created_by=subscription.created_by,
            create_time=timestamp(subscription.create_time),
            updated_by=subscription.updated_by,
            update_time=timestamp(subscription.update_time),
        ),
        version=subscription.version,
    )
    if subscription.target is TargetKind.WEBHOOK:
        message.webhook.url = subscription.address
    else:
        message.kafka.principal = subscription.address
    if access is not None:
        message.kafka_access.CopyFrom(kafka_access_to_proto(access))
    return message


def delivery_to_proto(delivery: Delivery) -> subscriptions_pb2.Delivery:
    return subscriptions_pb2.Delivery(
        delivery_id=delivery.delivery_id,
        channel=CHANNEL.to_proto(delivery.channel),
        recipient=delivery.recipient,
        address=masked_address(delivery.channel, delivery.address),
        subject=delivery.subject,
        message_id=delivery.message_id,
        status=DELIVERY_STATUS.to_proto(delivery.status),
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        create_time=timestamp(delivery.create_time),
        next_attempt_time=timestamp(delivery.next_attempt_time),
        deliver_time=timestamp(delivery.deliver_time),
        dead_time=timestamp(delivery.dead_time),
        replays=delivery.replays,
    )

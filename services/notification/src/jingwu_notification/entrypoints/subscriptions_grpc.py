"""gRPC entry point of subscriptions and deliveries (R-NOT-5)."""

from __future__ import annotations

from datetime import UTC

from jingwu.notification.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from jingwu_platform.auth import Role, current_caller
from jingwu_platform.authz import AccessPolicy, allow
from jingwu_platform.grpc_server import Context

from jingwu_notification.adapters.subscription_mapping import (
    DELIVERY_STATUS,
    SYSTEM,
    delivery_to_proto,
    filter_from_proto,
    subscription_to_proto,
    target_from_proto,
)
from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.subscriptions import SubscriptionApplication
from jingwu_notification.domain.subscriptions import Subscription

# The district's administrator grants and withdraws other systems' access to its events (R-POP-6: the
# owning district decides); supervisors may look at what is granted and delivered. Subscriptions carry
# subscribers' endpoints, so they are not open reads (nor readable with the city-level credential).
_ADMIN = (Role.DISTRICT_ADMIN,)
_OVERSIGHT = (Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    subscriptions_pb2.DESCRIPTOR.services_by_name["SubscriptionService"],
    {
        "CreateSubscription": allow(*_ADMIN, idempotency_key="request_id"),
        "GetSubscription": allow(*_OVERSIGHT),
        "ListSubscriptions": allow(*_OVERSIGHT),
        "CancelSubscription": allow(*_ADMIN),
        "ListDeliveries": allow(*_OVERSIGHT),
        "ReplayDeliveries": allow(*_ADMIN),
    },
)


class SubscriptionServicer(subscriptions_pb2_grpc.SubscriptionServiceServicer):
    def __init__(self, subscriptions: SubscriptionApplication, deliveries: DeliveryApplication) -> None:
        self._subscriptions = subscriptions
        self._deliveries = deliveries

    def _proto(self, subscription: Subscription) -> subscriptions_pb2.Subscription:
        return subscription_to_proto(subscription, self._subscriptions.kafka_access(subscription))

    async def CreateSubscription(  # noqa: N802 - gRPC method names are PascalCase
        self, request: subscriptions_pb2.CreateSubscriptionRequest, context: Context
    ) -> subscriptions_pb2.CreateSubscriptionResponse:
        target, address = target_from_proto(request)
        subscription = await self._subscriptions.create(
            subscriber=request.subscriber,
            system=SYSTEM.from_proto(request.system),
            flt=filter_from_proto(request.filter),
            target=target,
            address=address,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return subscriptions_pb2.CreateSubscriptionResponse(
            subscription=self._proto(subscription), webhook_secret=subscription.secret
        )

    async def GetSubscription(  # noqa: N802
        self, request: subscriptions_pb2.GetSubscriptionRequest, context: Context
    ) -> subscriptions_pb2.GetSubscriptionResponse:
        subscription = await self._subscriptions.get(request.subscription_id)
        return subscriptions_pb2.GetSubscriptionResponse(subscription=self._proto(subscription))

    async def ListSubscriptions(  # noqa: N802
        self, request: subscriptions_pb2.ListSubscriptionsRequest, context: Context
    ) -> subscriptions_pb2.ListSubscriptionsResponse:
        found, token = await self._subscriptions.list_subscriptions(
            page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = subscriptions_pb2.ListSubscriptionsResponse(subscriptions=[self._proto(s) for s in found])
        response.page.next_page_token = token
        return response

    async def CancelSubscription(  # noqa: N802
        self, request: subscriptions_pb2.CancelSubscriptionRequest, context: Context
    ) -> subscriptions_pb2.CancelSubscriptionResponse:
        cancelled = await self._subscriptions.cancel(
            subscription_id=request.subscription_id, reason=request.reason, caller=current_caller()
        )
        return subscriptions_pb2.CancelSubscriptionResponse(subscription=self._proto(cancelled))

    async def ListDeliveries(  # noqa: N802
        self, request: subscriptions_pb2.ListDeliveriesRequest, context: Context
    ) -> subscriptions_pb2.ListDeliveriesResponse:
        found, token = await self._deliveries.list_deliveries(
            recipient=request.recipient,
            status=DELIVERY_STATUS.from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = subscriptions_pb2.ListDeliveriesResponse(deliveries=[delivery_to_proto(d) for d in found])
        response.page.next_page_token = token
        return response

    async def ReplayDeliveries(  # noqa: N802
        self, request: subscriptions_pb2.ReplayDeliveriesRequest, context: Context
    ) -> subscriptions_pb2.ReplayDeliveriesResponse:
        replayed = await self._deliveries.replay(
            delivery_ids=list(request.delivery_ids),
            dead_from=request.dead_after.ToDatetime(tzinfo=UTC) if request.HasField("dead_after") else None,
            dead_until=request.dead_before.ToDatetime(tzinfo=UTC)
            if request.HasField("dead_before")
            else None,
            recipient=request.recipient,
        )
        return subscriptions_pb2.ReplayDeliveriesResponse(
            replayed_delivery_ids=[d.delivery_id for d in replayed]
        )

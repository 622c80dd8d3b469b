"""Every event of the district's domain topics → the webhook subscriptions it matches (R-NOT-5), on a
consumer group of its own (so a slow subscriber never holds up notices and reminders)."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from jingwu_platform.events import Event
from jingwu_platform.kafka import EventHandler

from jingwu_notification.adapters.event_payloads import event_classes, webhook_body, zone_codes_of
from jingwu_notification.application.subscriptions import SubscriptionApplication


class FanOutHandlers:
    def __init__(self, subscriptions: SubscriptionApplication) -> None:
        self._subscriptions = subscriptions

    async def on_event(self, event: Event, payload: Message) -> None:
        await self._subscriptions.fan_out(
            event_id=event.event_id,
            event_type=event.event_type,
            district=event.district,
            zone_codes=zone_codes_of(payload),
            body=webhook_body(event),
        )

    def handlers(self) -> list[EventHandler[Any]]:
        return [EventHandler(cls, self.on_event) for cls in event_classes().values()]

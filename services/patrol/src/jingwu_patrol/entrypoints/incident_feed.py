"""The consumer of jingwu.<district>.patrol.incidents.v1, the topic other police systems produce
incident reports to (R-PAT-2, R-NOT-5; contract: proto/jingwu/patrol/v1/incidents.proto).

The platform's EventConsumer skips event types it has no handler for — right for a domain topic that
carries many types, wrong here: the topic carries one type, and a record of any other is a sender's
mistake that must reach the dead-letter topic with a reason, not vanish. ``SingleTypeConsumer`` adds
exactly that and leaves every other guarantee (dedupe by event id, DLQ with reason, commit after
processing, redelivery while the store is down) to EventConsumer. (A ``strict`` flag on EventConsumer
would be the platform's way to say it; until then this subclass reaches into two of its members.)
"""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from jingwu_platform.deadletter import ReasonClass
from jingwu_platform.events import EventRejected, parse_record
from jingwu_platform.kafka import EventConsumer


def incidents_topic(district: str) -> str:
    return f"jingwu.{district}.patrol.incidents.v1"


class SingleTypeConsumer(EventConsumer):
    """An EventConsumer whose topics carry only its handlers' types: any other is dead-lettered."""

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = parse_record(record.headers, record.value, record.key)
        except EventRejected:
            await super()._process(record)  # dead-lettered there, with the envelope's reason
            return
        known: dict[str, Any] = self._handlers
        if event.event_type not in known:
            expected = ", ".join(sorted(known))
            await self._dead_letter(
                record,
                f"ce_type {event.event_type!r} is not carried by this topic (expected {expected})",
                ReasonClass.PAYLOAD,
            )
            return
        await super()._process(record)

"""The district's events as subscribers receive them (R-NOT-5): which event types exist (from the
published contracts), which zones an event concerns, and the webhook body.

The webhook body follows the Standard Webhooks payload shape (``type``, ``timestamp``, ``data``) with
``data`` a CloudEvents 1.0 JSON envelope whose ``data_base64`` is the protobuf payload exactly as it was
published: a subscriber decodes it with the published protos (docs/sample_subscriber.py), nothing is
re-encoded on the way.
"""

from __future__ import annotations

import base64
import json
from types import ModuleType

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.telemetry.v1 import events_pb2 as telemetry_events
from jingwu_platform.events import Event

# The domain topics fanned out to webhook subscribers: jingwu.<district>.<domain>.v1. Telemetry's fixes
# topic (GPS, per second per device) is read from Kafka directly, never through webhooks.
EVENT_MODULES: dict[str, ModuleType] = {
    "notification": notification_events,
    "patrol": patrol_events,
    "personnel": personnel_events,
    "population": population_events,
    "rooms": room_events,
    "telemetry": telemetry_events,
}
_ZONE_DEPTH = 4


def event_classes() -> dict[str, type[Message]]:
    """Every event message of the domain topics, by full name (``ce_type``)."""
    classes: dict[str, type[Message]] = {}
    for module in EVENT_MODULES.values():
        for name in module.DESCRIPTOR.message_types_by_name:
            cls = getattr(module, name)
            classes[cls.DESCRIPTOR.full_name] = cls
    return classes


def known_event_types() -> frozenset[str]:
    return frozenset(event_classes())


def zone_codes_of(message: Message, depth: int = 0) -> list[str]:
    """Every zone code an event carries, at any depth: fields named ``zone_code`` / ``*_zone_code`` and
    ``zone_codes`` / ``*_zone_codes`` (a room's zones, a patrol's zone, a re-division's zones)."""
    found: list[str] = []
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_STRING and field.name.endswith(("zone_code", "zone_codes")):
            found.extend(value if field.is_repeated else [value])
        elif field.type == FieldDescriptor.TYPE_MESSAGE and depth < _ZONE_DEPTH:
            if field.message_type is None or field.message_type.GetOptions().map_entry:
                continue
            items = value if field.is_repeated else [value]
            for item in items:
                found.extend(zone_codes_of(item, depth + 1))
    return sorted({code for code in found if code})


def webhook_body(event: Event) -> str:
    """The JSON a subscriber's endpoint receives for one event (signed as sent, so kept as text)."""
    envelope = {
        "specversion": "1.0",
        "id": event.event_id,
        "source": event.source,
        "type": event.event_type,
        "time": event.time.isoformat(),
        "subject": event.key,
        "district": event.district,
        "datacontenttype": "application/x-protobuf",
        "data_base64": base64.b64encode(event.payload).decode(),
    }
    if event.trace.get("traceparent"):
        envelope["traceparent"] = event.trace["traceparent"]
    payload = {"type": event.event_type, "timestamp": event.time.isoformat(), "data": envelope}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

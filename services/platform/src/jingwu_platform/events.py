"""Events on Kafka: topic names, the CloudEvents-style envelope, encoding and validation.

An event is a protobuf message (the payload) plus headers:
``ce_id`` (unique event id, consumers dedupe on it), ``ce_type`` (full proto message name),
``ce_source`` (``jingwu/<district>/<service>``), ``ce_time`` (RFC 3339 UTC), ``ce_district``,
``ce_specversion`` (``1.0``), ``content-type`` (``application/x-protobuf``) and ``traceparent``.
The Kafka key is the aggregate id, so events of one entity stay ordered.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from jingwu_platform.proto_values import invalid_value_fields
from jingwu_platform.tracing import current_traceparent

CONTENT_TYPE = "application/x-protobuf"
SPEC_VERSION = "1.0"
_TOPIC = re.compile(r"^jingwu\.(\d{2})\.([a-z]+(?:\.[a-z]+)*)\.v(\d+)$")
_REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_time", "ce_district")

M = TypeVar("M", bound=Message)


def domain_topic(district: str, domain: str) -> str:
    """``jingwu.<district>.<domain>.v1``, e.g. ``jingwu.01.rooms.v1``."""
    return f"jingwu.{district}.{domain}.v1"


def dead_letter_topic(district: str, consumer_domain: str) -> str:
    """Dead letters of one consuming service: ``jingwu.<district>.<domain>.dlq.v1``."""
    return f"jingwu.{district}.{consumer_domain}.dlq.v1"


def telemetry_fixes_topic(district: str) -> str:
    return f"jingwu.{district}.telemetry.fixes.v1"


def topic_district(topic: str) -> str | None:
    match = _TOPIC.match(topic)
    return match.group(1) if match else None


class EventRejected(Exception):
    """The record cannot be processed, now or ever: it goes to the dead-letter topic with this reason."""


@dataclass(frozen=True)
class Event:
    """One event as it travels: identity, routing, payload bytes and the trace it belongs to."""

    event_id: str
    event_type: str
    source: str
    time: datetime
    district: str
    key: str
    payload: bytes
    trace: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.event_id,
            "ce_type": self.event_type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_district": self.district,
            "content-type": CONTENT_TYPE,
            **self.trace,
        }


def new_event(
    message: Message, *, key: str, district: str, service: str, at: datetime | None = None
) -> Event:
    """Wrap a payload as a new event, capturing the active trace so publishing later stays in it."""
    return Event(
        event_id=str(uuid.uuid4()),
        event_type=message.DESCRIPTOR.full_name,
        source=f"jingwu/{district}/{service}",
        time=at or datetime.now(UTC),
        district=district,
        key=key,
        payload=message.SerializeToString(deterministic=True),
        trace=current_traceparent(),
    )


_ENVELOPE_HEADERS = frozenset((*_REQUIRED_HEADERS, "traceparent", "tracestate"))


def parse_record(
    headers: Iterable[tuple[str, bytes | str]] | dict[str, bytes | str],
    value: bytes | None,
    key: bytes | None,
) -> Event:
    """Validate a Kafka record's envelope and turn it into an Event, or raise EventRejected with why.

    Only the envelope headers are decoded (strictly: a header that is not UTF-8 text is a reason, not
    something to guess at); other headers are left alone, and the record itself is never changed, so a
    dead letter carries the original bytes. Cheap enough to run per record on the batch path.
    """
    items = headers.items() if isinstance(headers, dict) else headers
    envelope: dict[str, str] = {}
    for name, raw in items:
        if name in _ENVELOPE_HEADERS:
            if isinstance(raw, bytes):
                try:
                    envelope[name] = raw.decode()
                except UnicodeDecodeError:
                    raise EventRejected(f"header {name} is not UTF-8 text") from None
            else:
                envelope[name] = raw
    missing = [name for name in _REQUIRED_HEADERS if not envelope.get(name)]
    if missing:
        raise EventRejected(f"missing required header(s): {', '.join(missing)}")
    if value is None:
        raise EventRejected("record has no value (tombstones are not events)")
    try:
        time = datetime.fromisoformat(envelope["ce_time"])
    except ValueError as exc:
        raise EventRejected(f"header ce_time is not an RFC 3339 time: {envelope['ce_time']!r}") from exc
    try:
        text_key = key.decode() if key is not None else ""
    except UnicodeDecodeError:
        raise EventRejected("record key is not UTF-8 text") from None
    trace = {k: envelope[k] for k in ("traceparent", "tracestate") if envelope.get(k)}
    # Event.__init__ of a frozen dataclass sets each field through object.__setattr__ (~6x the cost of
    # plain assignment); this runs per record on the batch path, so the fields are set in one go. The
    # result is an ordinary Event (same fields, equality, repr): tests/test_dead_letters.py checks that.
    event: Event = object.__new__(Event)
    event.__dict__.update(
        event_id=envelope["ce_id"],
        event_type=envelope["ce_type"],
        source=envelope["ce_source"],
        time=time,
        district=envelope["ce_district"],
        key=text_key,
        payload=value,
        trace=trace,
    )
    return event


def decode_payload(event: Event, message_type: type[M]) -> M:
    """Parse the payload as ``message_type``; a payload that is not one is rejected, never guessed at,
    and so is one holding a value nothing can store or convert (a time out of range, a NaN or infinite
    float: found by fuzzing, the handlers raised on them ``attempts`` times before a dead letter)."""
    expected = message_type.DESCRIPTOR.full_name
    if event.event_type != expected:
        raise EventRejected(f"ce_type {event.event_type!r} does not match expected {expected!r}")
    message = message_type()
    try:
        message.ParseFromString(event.payload)
    except DecodeError as exc:
        raise EventRejected(f"payload is not a valid {expected}: {exc}") from exc
    district_field = getattr(message, "district_code", None)
    if district_field is not None and district_field != event.district:
        raise EventRejected(
            f"payload district_code {district_field!r} does not match header ce_district {event.district!r}"
        )
    if invalid := invalid_value_fields(message):
        reasons = "; ".join(f"{v.field}: {v.description}" for v in invalid)
        raise EventRejected(f"payload has an invalid value: {reasons}")
    return message

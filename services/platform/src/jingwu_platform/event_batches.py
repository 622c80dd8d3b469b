"""Per-event handlers on the batch path: ``events_one_by_one`` turns the ``EventHandler``s written for
``EventConsumer`` into a ``BatchHandler``, so a consumer moves onto ``BatchConsumer`` (one poll, one
inbox read, one inbox write and one commit per batch, instead of two store round trips per record) with
no handler rewritten.

Per delivery, in the batch's order (offset order per partition), as ``EventConsumer`` does per record:

- the handler runs in a CONSUMER span ``<topic> process`` whose parent is the trace context the record's
  headers carry (``traceparent`` / ``tracestate``, kept by ``parse_record`` in ``event.trace``), as
  FastStream's telemetry middleware does for ``EventConsumer``; so its store writes and the events it
  publishes stay in the publisher's trace (a record without one starts a trace). The span links to
  the batch's span (``<group> process batch``);
- ``EventRejected`` → a ``Rejection`` (dead-lettered with the reason, class ``rejected``);
- the store or broker unavailable (``availability.is_unavailable``) → raised: ``BatchConsumer`` rewinds
  and retries the whole batch, the deliveries already handled included (handlers are idempotent per
  event id: ``EventHandler``'s contract);
- anything else: tried ``attempts`` times in all, sleeping ``retry_delay_s × attempt`` in between, then
  dead-lettered as ``handler failed after N attempts: …`` (class ``retries_exhausted``).

What the batch path changes: dead letters go out together after the batch's last delivery, not at once,
and a store that is down rewinds the batch, not one record. Records of types with no handler are skipped
by ``BatchConsumer`` itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from jingwu_platform.availability import is_unavailable
from jingwu_platform.batch import BatchHandler, Delivery, Rejection
from jingwu_platform.deadletter import ReasonClass
from jingwu_platform.events import EventRejected
from jingwu_platform.kafka import EventHandler

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)
_PROPAGATOR = TraceContextTextMapPropagator()


def events_one_by_one(
    handlers: Iterable[EventHandler[Any]], *, attempts: int = 3, retry_delay_s: float = 0.5
) -> BatchHandler[Any]:
    """A batch handler that hands each delivery to the ``EventHandler`` of its type (see the module
    docstring); ``attempts`` and ``retry_delay_s`` are ``EventConsumer``'s defaults."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    by_type: dict[str, EventHandler[Any]] = {}
    for handler in handlers:
        name = handler.message_type.DESCRIPTOR.full_name
        if name in by_type:
            raise ValueError(f"two handlers for {name}")
        by_type[name] = handler

    async def handle(deliveries: Sequence[Delivery[Any]]) -> list[Rejection]:
        batch = trace.get_current_span().get_span_context()
        links = [trace.Link(batch)] if batch.is_valid else []
        rejections: list[Rejection] = []
        for delivery in deliveries:
            handler = by_type[delivery.event.event_type]
            rejection = await _handle_one(handler, delivery, links, attempts, retry_delay_s)
            if rejection is not None:
                rejections.append(rejection)
        return rejections

    return BatchHandler(tuple(h.message_type for h in by_type.values()), handle)


async def _handle_one(
    handler: EventHandler[Any],
    delivery: Delivery[Any],
    links: list[trace.Link],
    attempts: int,
    retry_delay_s: float,
) -> Rejection | None:
    event, record = delivery.event, delivery.record
    with _tracer.start_as_current_span(
        f"{record.topic} process",
        context=_PROPAGATOR.extract(event.trace),  # on a fresh context; no traceparent: a new trace
        kind=trace.SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation": "process",
            "messaging.destination.name": record.topic,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.message.offset": record.offset,
            "messaging.message.id": event.event_id,
        },
    ) as span:
        attempt = 1
        while True:
            try:
                await handler.handle(event, delivery.payload)
                return None
            except EventRejected as rejected:
                return Rejection(delivery, str(rejected))
            except Exception as error:
                if is_unavailable(error):
                    raise
                span.record_exception(error)
                log.warning(
                    "event handler failed",
                    exc_info=True,
                    extra={"event_id": event.event_id, "attempt": attempt, "error": repr(error)},
                )
                if attempt >= attempts:
                    reason = f"handler failed after {attempt} attempts: {error!r}"
                    span.set_status(trace.Status(trace.StatusCode.ERROR, reason))
                    return Rejection(delivery, reason, ReasonClass.RETRIES_EXHAUSTED)
                await asyncio.sleep(retry_delay_s * attempt)
                attempt += 1

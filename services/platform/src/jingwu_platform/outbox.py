"""Transactional outbox without multi-document transactions.

A command writes its state change and the events it causes in ONE document update: the events are
pushed onto the aggregate's ``_outbox`` array and ``_outbox_pending`` is set. The relay finds pending
documents, publishes their events in order (idempotent producer, acks=all), then pulls exactly the
published entries (``$pullAll`` of what was read). A crash before publishing leaves the events in the
document (published after restart); a crash after publishing but before the pull re-publishes them
(at-least-once), and consumers drop the duplicate by event id (jingwu_platform.kafka.Inbox). No event
without its write; no write without its event. See docs/adr/0007-transactional-outbox.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bson import Binary
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pymongo.asynchronous.collection import AsyncCollection

from jingwu_platform.events import Event
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.kafka import EventPublisher
from jingwu_platform.mongo import Document

OUTBOX = "_outbox"
PENDING = "_outbox_pending"


def _entry(event: Event, topic: str) -> Document:
    return {
        "event_id": event.event_id,
        "topic": topic,
        "type": event.event_type,
        "source": event.source,
        "time": event.time,
        "district": event.district,
        "key": event.key,
        "payload": Binary(event.payload),
        "trace": event.trace,
    }


def _event(entry: Document) -> Event:
    time: datetime = entry["time"]
    return Event(
        event_id=entry["event_id"],
        event_type=entry["type"],
        source=entry["source"],
        time=time,
        district=entry["district"],
        key=entry["key"],
        payload=bytes(entry["payload"]),
        trace=dict(entry.get("trace") or {}),
    )


def with_outbox(document: Document, events: Sequence[tuple[Event, str]]) -> Document:
    """A new document that carries its creation events: insert it as is."""
    return {**document, OUTBOX: [_entry(e, topic) for e, topic in events], PENDING: True}


def outbox_update(events: Sequence[tuple[Event, str]], **update: Any) -> Document:
    """An update document that also queues ``events``; merge your own ``$set`` etc. via keyword args."""
    merged: Document = {key: dict(value) for key, value in update.items()}
    merged.setdefault("$push", {})[OUTBOX] = {"$each": [_entry(e, topic) for e, topic in events]}
    merged.setdefault("$set", {})[PENDING] = True
    return merged


class OutboxRegistry:
    """The collections whose documents carry an outbox, and the signal that events were written.

    Repositories register their collection when built (``track``) and call ``notify`` after a write
    that queued events; the service's relay, created afterwards from the same registry, publishes them
    at once instead of at its next poll.
    """

    def __init__(self) -> None:
        self.collections: list[AsyncCollection[Document]] = []
        self._listeners: list[Callable[[], None]] = []

    def track(self, collection: AsyncCollection[Document]) -> None:
        if all(c.full_name != collection.full_name for c in self.collections):
            self.collections.append(collection)

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def notify(self) -> None:
        for listener in self._listeners:
            listener()


class OutboxRelay:
    """Publishes what commands left in the outbox of the given collections, then clears it."""

    def __init__(
        self,
        collections: Sequence[AsyncCollection[Document]],
        publisher: EventPublisher,
        *,
        poll_interval_s: float = 0.5,
        failpoints: Failpoints | None = None,
    ) -> None:
        self._collections = list(collections)
        self._publisher = publisher
        self._poll_interval_s = poll_interval_s
        self._failpoints = failpoints or Failpoints("")
        self._wake = asyncio.Event()
        self._log = logging.getLogger(__name__)
        self.published = 0

    async def ensure_indexes(self) -> None:
        """A sparse index on the pending flag: only documents with undelivered events are in it, so a
        relay pass reads those few instead of scanning every aggregate."""
        for collection in self._collections:
            await collection.create_index(PENDING, sparse=True, name="outbox_pending")

    def notify(self) -> None:
        """Called after a command's write so its events go out now rather than at the next poll."""
        self._wake.set()

    async def drain(self) -> int:
        """Publish every pending event once; returns how many were published."""
        count = 0
        for collection in self._collections:
            # Polling is housekeeping, not part of any request: keep it out of the traces.
            with suppress_instrumentation():
                documents = [d async for d in collection.find({PENDING: True}, {OUTBOX: 1})]
            for document in documents:
                entries: list[Document] = document.get(OUTBOX) or []
                for entry in entries:
                    self._failpoints.hit("outbox.before_publish")
                    await self._publisher.publish(_event(entry), entry["topic"])
                    count += 1
                self._failpoints.hit("outbox.after_publish")
                with suppress_instrumentation():
                    if entries:
                        # $pullAll of the exact entries read: FerretDB v1 ignores conditional $pull, and
                        # entries pushed meanwhile are not among them, so they stay for the next round.
                        await collection.update_one({"_id": document["_id"]}, {"$pullAll": {OUTBOX: entries}})
                    # Clear the flag only if no command queued more events meanwhile.
                    await collection.update_one(
                        {"_id": document["_id"], OUTBOX: {"$size": 0}}, {"$unset": {PENDING: ""}}
                    )
        self.published += count
        return count

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Kafka or Mongo unavailable: events stay in the outbox; try again at the next tick.
                self._log.warning("outbox relay round failed; will retry", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
            self._wake.clear()

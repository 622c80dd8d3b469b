"""Transactional outbox without multi-document transactions.

A command writes its state change and the events it causes in ONE document update: the events are
pushed onto the aggregate's ``_outbox`` array and ``_outbox_pending`` is set. The relay finds pending
documents, publishes their events in order (idempotent producer, acks=all; many in flight at once),
then pulls exactly the published entries (``$pullAll`` of what was read). A crash before publishing
leaves the events in the document (published after restart); a crash after publishing but before the
pull re-publishes them (at-least-once), and consumers drop the duplicate by event id
(jingwu_platform.kafka.Inbox). No event without its write; no write without its event. See
docs/adr/0007-transactional-outbox.md, and docs/adr/0029 for the relay's lease and batching.
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
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from jingwu_platform.events import Event
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.kafka import EventPublisher
from jingwu_platform.kafka_metrics import KafkaInstruments, kafka_instruments
from jingwu_platform.lease import Leases
from jingwu_platform.mongo import Document

OUTBOX = "_outbox"
PENDING = "_outbox_pending"
# Update statements per ``update`` command. FerretDB v1 (SQLite) keeps each statement's query open
# until the command ends, on a pool of 100 connections: a command of 100 statements never finishes,
# and commands of other processes share the pool. Small commands cost MongoDB little.
UPDATES_PER_COMMAND = 32
# GetStatus counts pending documents up to this many per collection (more: "at least").
PENDING_COUNT_CAP = 1_000


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
    """Publishes what commands left in the outbox of the given collections, then clears it.

    Batched: the events of many documents are handed to the producer at once (up to ``max_in_flight``
    acknowledgements outstanding), awaited together, and the documents whose events were all
    acknowledged are cleared in one ordered ``bulk_write`` (``$pullAll`` of the entries read, then the
    conditional ``$unset`` of the flag, per document). Per-key order holds: a document's events are sent
    in order, to one partition (same key), and the idempotent producer keeps that order across retries;
    a document is read again only after its previous events were acknowledged. A document with any
    event not acknowledged is not cleared and goes out again whole next round (at-least-once; consumers
    dedupe by event id).

    With ``leases``, the relay takes a lease per collection before relaying it (``jingwu_platform.lease``),
    so among several replicas one relays a collection at a time and per-key order holds across them.
    """

    def __init__(
        self,
        collections: Sequence[AsyncCollection[Document]],
        publisher: EventPublisher,
        *,
        poll_interval_s: float = 0.5,
        failpoints: Failpoints | None = None,
        leases: Leases | None = None,
        max_in_flight: int = 1_000,
        documents_per_read: int = 500,
        reads_per_round: int = 20,
        instruments: KafkaInstruments | None = None,
    ) -> None:
        self._collections = list(collections)
        self._publisher = publisher
        self._poll_interval_s = poll_interval_s
        self._failpoints = failpoints or Failpoints("")
        self._leases = leases
        self._max_in_flight = max(1, max_in_flight)
        self._documents_per_read = documents_per_read
        self._reads_per_round = reads_per_round
        self._instruments = instruments or kafka_instruments()
        self._instruments.watch_pending(self)
        self._wake = asyncio.Event()
        self._log = logging.getLogger(__name__)
        self._pending: dict[str, int] = {}
        self.published = 0

    @property
    def collections(self) -> list[AsyncCollection[Document]]:
        return list(self._collections)

    async def ensure_indexes(self) -> None:
        """A sparse index on the pending flag: only documents with undelivered events are in it, so a
        relay pass reads those few instead of scanning every aggregate."""
        for collection in self._collections:
            await collection.create_index(PENDING, sparse=True, name="outbox_pending")

    def notify(self) -> None:
        """Called after a command's write so its events go out now rather than at the next poll."""
        self._wake.set()

    def pending_observations(self) -> list[tuple[int, dict[str, str]]]:
        """Documents with undelivered events per collection as of the last round (the gauge)."""
        return [(count, {"collection": name}) for name, count in list(self._pending.items())]

    async def pending_documents(self) -> dict[str, int]:
        """Documents with undelivered events per collection, counted now (GetStatus), up to
        ``PENDING_COUNT_CAP`` each. FerretDB v1 counts by reading every matching document, outbox and
        all (900 pending: 0.5 s, on the process's one connection, while the relay waits for it): an
        existence check first (one document), and a capped count only where something is pending."""
        counts: dict[str, int] = {}
        with suppress_instrumentation():
            for c in self._collections:
                if await c.find_one({PENDING: True}, {"_id": 1}) is None:
                    counts[c.full_name] = 0
                else:
                    counts[c.full_name] = await c.count_documents({PENDING: True}, limit=PENDING_COUNT_CAP)
        return counts

    async def drain(self) -> int:
        """Publish every pending event once; returns how many were published."""
        count = 0
        for collection in self._collections:
            count += await self._drain_collection(collection)
        return count

    async def _drain_collection(self, collection: AsyncCollection[Document]) -> int:
        name = collection.full_name
        lease = f"outbox-relay:{name}"
        published = found = cleared = 0
        for _ in range(self._reads_per_round):
            if self._leases is not None and not await self._leases.hold(lease):
                self._pending.pop(name, None)  # another replica relays (and reports) this collection
                return published
            # Polling is housekeeping, not part of any request: keep it out of the traces.
            with suppress_instrumentation():
                cursor = collection.find({PENDING: True}, {OUTBOX: 1}).limit(self._documents_per_read)
                documents = await cursor.to_list()
            found += len(documents)
            self._pending[name] = found - cleared  # what a failure below leaves is still pending
            sent, done = await self._publish(collection, documents, lease)
            published += sent
            cleared += done
            self._pending[name] = found - cleared
            if len(documents) < self._documents_per_read or (
                self._leases is not None and not self._leases.may_act(lease)
            ):
                break
        return published

    async def _publish(
        self, collection: AsyncCollection[Document], documents: list[Document], lease: str
    ) -> tuple[int, int]:
        """Send the documents' events, at most ``max_in_flight`` unacknowledged at a time; clear what
        was acknowledged. Returns (events published, documents cleared)."""
        published = cleared = 0
        group: list[tuple[Document, list[asyncio.Future[Any]]]] = []
        in_flight = 0
        for document in documents:
            acks = []
            for entry in document.get(OUTBOX) or ():
                self._failpoints.hit("outbox.before_publish")
                acks.append(await self._publisher.send(_event(entry), entry["topic"]))
            group.append((document, acks))
            in_flight += len(acks)
            if in_flight >= self._max_in_flight:
                sent, done = await self._settle(collection, group)
                published, cleared, group, in_flight = published + sent, cleared + done, [], 0
                if self._leases is not None and not self._leases.may_act(lease):
                    return published, cleared  # the lease runs out: stop before another replica starts
        if group:
            sent, done = await self._settle(collection, group)
            published, cleared = published + sent, cleared + done
        return published, cleared

    async def _settle(
        self, collection: AsyncCollection[Document], group: list[tuple[Document, list[asyncio.Future[Any]]]]
    ) -> tuple[int, int]:
        """Await the group's acknowledgements together, then clear the fully acknowledged documents;
        raise the first failure afterwards (the rest stays for the next round)."""
        outcomes = await asyncio.gather(*(ack for _, acks in group for ack in acks), return_exceptions=True)
        self._failpoints.hit("outbox.after_publish")
        failure: BaseException | None = None
        operations: list[UpdateOne] = []
        published = cleared = position = 0
        for document, acks in group:
            results = outcomes[position : position + len(acks)]
            position += len(acks)
            error = next((r for r in results if isinstance(r, BaseException)), None)
            if error is not None:
                failure = failure or error
                continue
            entries: list[Document] = document.get(OUTBOX) or []
            if entries:
                # $pullAll of the exact entries read: FerretDB v1 ignores conditional $pull, and entries
                # pushed meanwhile are not among them, so they stay for the next round.
                operations.append(UpdateOne({"_id": document["_id"]}, {"$pullAll": {OUTBOX: entries}}))
            # Clear the flag only if no command queued more events meanwhile.
            operations.append(
                UpdateOne({"_id": document["_id"], OUTBOX: {"$size": 0}}, {"$unset": {PENDING: ""}})
            )
            published += len(acks)
            cleared += 1
        with suppress_instrumentation():
            for start in range(0, len(operations), UPDATES_PER_COMMAND):
                await collection.bulk_write(operations[start : start + UPDATES_PER_COMMAND], ordered=True)
        if published:
            self.published += published
            self._instruments.published.add(published, {"collection": collection.full_name})
        if failure is not None:
            raise failure
        return published, cleared

    async def run(self) -> None:
        try:
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
        finally:
            self._instruments.unwatch_pending(self)
            if self._leases is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._leases.release_all())

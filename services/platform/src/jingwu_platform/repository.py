"""Repositories of versioned aggregates: the unit of work without transactions.

An aggregate is a frozen dataclass with an id field and ``version: int``. ``save(aggregate, events)``
writes the new state and the events it caused in ONE document update, guarded by the version the
command read; a lost race returns None and the use case reads and decides again (retry_on_conflict).
``add`` inserts a new aggregate with its creation events; an id that exists already returns False
(ids derived from request ids make creates idempotent).

Two implementations with one behaviour:
- ``MongoAggregates``: the store (MongoDB in clusters, FerretDB locally), with the outbox relayed to
  Kafka by jingwu_platform.outbox;
- ``InMemoryAggregates``: for application tests on fakes (milliseconds, no I/O); the events a command
  wrote are in its ``FakeOutbox``.
A service's repository adds its typed queries on top of either; one contract suite runs against both
(see jingwu_platform.contract), so a fake cannot drift from the real adapter.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from google.protobuf.message import Message
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.events import Event, decode_payload
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry, outbox_update, with_outbox
from jingwu_platform.usecase import Outgoing

A = TypeVar("A")
M = TypeVar("M", bound=Message)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def _bumped(aggregate: V) -> V:
    return dataclasses.replace(aggregate, version=aggregate.version + 1)  # type: ignore[type-var]


def version_filter(version: int) -> Document:
    """Matches the version a command read; documents written before versioning count as version 0."""
    if version:
        return {"version": version}
    return {"$or": [{"version": 0}, {"version": {"$exists": False}}]}


class MongoAggregates(Generic[V]):
    """Versioned aggregates of one type in one collection of the district database, with the outbox."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        collection: str,
        codec: DocumentCodec[V],
        outbox: OutboxRegistry,
    ) -> None:
        if codec.id_field is None:
            raise ValueError(f"{codec.cls.__name__}: the codec needs its id_field")
        self.collection: AsyncCollection[Document] = database[collection]
        self.codec = codec
        self._id_field = codec.id_field
        self._outbox = outbox
        outbox.track(self.collection)

    def _id(self, aggregate: V) -> str:
        value: str = getattr(aggregate, self._id_field)
        return value

    def _written(self, events: Sequence[Outgoing]) -> None:
        if events:
            self._outbox.notify()

    async def add(self, aggregate: V, events: Sequence[Outgoing] = ()) -> bool:
        """Insert the aggregate with its events in one write; False when its id exists already."""
        try:
            await self.collection.insert_one(with_outbox(self.codec.to_document(aggregate), events))
        except DuplicateKeyError:
            return False
        self._written(events)
        return True

    async def save(self, aggregate: V, events: Sequence[Outgoing] = ()) -> V | None:
        """Write the new state and its events if nobody changed the aggregate since it was read at
        ``aggregate.version``; the stored aggregate (version + 1), or None after a lost race."""
        stored = _bumped(aggregate)
        document = self.codec.to_document(stored)
        document.pop("_id")
        update = outbox_update(events, **{"$set": document}) if events else {"$set": document}
        result = await self.collection.update_one(
            {"_id": self._id(aggregate), **version_filter(aggregate.version)}, update
        )
        if result.modified_count != 1:
            return None
        self._written(events)
        return stored

    async def get(self, aggregate_id: str) -> V | None:
        document = await self.collection.find_one({"_id": aggregate_id})
        return self.codec.from_document(document) if document else None

    async def get_many(self, aggregate_ids: Iterable[str]) -> dict[str, V]:
        wanted = list(dict.fromkeys(aggregate_ids))
        if not wanted:
            return {}
        cursor = self.collection.find({"_id": {"$in": wanted}})
        return {document["_id"]: self.codec.from_document(document) async for document in cursor}

    async def find(
        self,
        query: Document,
        *,
        sort: Sequence[tuple[str, int]] = (("_id", 1),),
        limit: int = 0,
    ) -> list[V]:
        """For the typed queries of a service's repository (adapters only build ``query``)."""
        cursor = self.collection.find(query).sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return [self.codec.from_document(document) async for document in cursor]

    async def count(self, query: Document) -> int:
        return await self.collection.count_documents(query)


class MongoDocuments(Generic[A]):
    """Unversioned records of one type (read models fed by events, append-only logs): written whole
    by id, last write wins. Use MongoAggregates for anything commands read-decide-write."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        collection: str,
        codec: DocumentCodec[A],
        outbox: OutboxRegistry | None = None,
    ) -> None:
        if codec.id_field is None:
            raise ValueError(f"{codec.cls.__name__}: the codec needs its id_field")
        self.collection: AsyncCollection[Document] = database[collection]
        self.codec = codec
        self._outbox = outbox
        if outbox is not None:
            outbox.track(self.collection)

    async def put(self, record: A, events: Sequence[Outgoing] = ()) -> None:
        """Insert or replace the record (and queue its events in the same write)."""
        document = self.codec.to_document(record)
        record_id = document.pop("_id")
        if events:
            if self._outbox is None:
                raise ValueError(f"{self.collection.name}: events need an outbox registry")
            update = outbox_update(events, **{"$set": document})
        else:
            update = {"$set": document}
        await self.collection.update_one({"_id": record_id}, update, upsert=True)
        if events and self._outbox is not None:
            self._outbox.notify()

    async def insert(self, record: A, events: Sequence[Outgoing] = ()) -> bool:
        """Insert once; False when a record with this id exists already (nothing changed)."""
        document = self.codec.to_document(record)
        try:
            await self.collection.insert_one(with_outbox(document, events) if events else document)
        except DuplicateKeyError:
            return False
        if events and self._outbox is not None:
            self._outbox.notify()
        return True

    async def get(self, record_id: str) -> A | None:
        document = await self.collection.find_one({"_id": record_id})
        return self.codec.from_document(document) if document else None

    async def get_many(self, record_ids: Iterable[str]) -> dict[str, A]:
        wanted = list(dict.fromkeys(record_ids))
        if not wanted:
            return {}
        cursor = self.collection.find({"_id": {"$in": wanted}})
        return {document["_id"]: self.codec.from_document(document) async for document in cursor}

    async def find(
        self,
        query: Document,
        *,
        sort: Sequence[tuple[str, int]] = (("_id", 1),),
        limit: int = 0,
    ) -> list[A]:
        cursor = self.collection.find(query).sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return [self.codec.from_document(document) async for document in cursor]

    async def count(self, query: Document) -> int:
        return await self.collection.count_documents(query)

    async def delete(self, record_id: str) -> None:
        await self.collection.delete_one({"_id": record_id})


STAMPS = "platform.stamps"


class StampedSnapshot(Generic[A]):
    """Every record of a small read model that is read whole often and written rarely (a district's
    zones with their outlines: every incident, plan and hot spot locates itself in them), kept in
    memory and read again only when its stamp changed.

    Whoever writes the records (any replica) calls ``changed()`` after its write: a fresh random stamp
    in ``platform.stamps`` (one document per collection). A reader reads the stamp (one document by
    ``_id``) before the records, so what it keeps is never older than the stamp it keeps it under;
    two concurrent ``changed()`` leave one of their stamps, either of them new. Until the first
    ``changed()`` (records written before the stamp existed) nothing is kept: every read reads them.
    """

    def __init__(self, documents: MongoDocuments[A], database: AsyncDatabase[Document]) -> None:
        self._documents = documents
        self._stamps: AsyncCollection[Document] = database[STAMPS]
        self._key = documents.collection.name
        self._stamp: str | None = None
        self._records: tuple[A, ...] = ()

    async def changed(self) -> None:
        await self._stamps.update_one({"_id": self._key}, {"$set": {"stamp": uuid.uuid4().hex}}, upsert=True)

    async def everything(self) -> list[A]:
        found = await self._stamps.find_one({"_id": self._key})
        stamp = str(found["stamp"]) if found else None
        if stamp is not None and stamp == self._stamp:
            return list(self._records)
        records = await self._documents.find({})
        self._stamp, self._records = stamp, tuple(records)
        return records


# --- in memory ------------------------------------------------------------------------------------


class FakeOutbox:
    """What commands wrote to the outbox of in-memory repositories, in write order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.topics: list[str] = []

    def write(self, events: Sequence[Outgoing]) -> None:
        for event, topic in events:
            self.events.append(event)
            self.topics.append(topic)

    def of_type(self, message_type: type[M]) -> list[M]:
        """The payloads of the written events of one type, decoded."""
        name = message_type.DESCRIPTOR.full_name
        return [decode_payload(e, message_type) for e in self.events if e.event_type == name]

    def types(self) -> list[str]:
        return [e.event_type.rsplit(".", 1)[-1] for e in self.events]

    def clear(self) -> None:
        self.events.clear()
        self.topics.clear()


class InMemoryAggregates(Generic[V]):
    """The same behaviour as MongoAggregates, in a dict (for application tests)."""

    def __init__(self, id_of: Callable[[V], str], outbox: FakeOutbox | None = None) -> None:
        self.items: dict[str, V] = {}
        self.outbox = outbox or FakeOutbox()
        self._id_of = id_of

    async def add(self, aggregate: V, events: Sequence[Outgoing] = ()) -> bool:
        key = self._id_of(aggregate)
        if key in self.items:
            return False
        self.items[key] = aggregate
        self.outbox.write(events)
        return True

    async def save(self, aggregate: V, events: Sequence[Outgoing] = ()) -> V | None:
        key = self._id_of(aggregate)
        current = self.items.get(key)
        if current is None or current.version != aggregate.version:
            return None
        stored = _bumped(aggregate)
        self.items[key] = stored
        self.outbox.write(events)
        return stored

    async def get(self, aggregate_id: str) -> V | None:
        return self.items.get(aggregate_id)

    async def get_many(self, aggregate_ids: Iterable[str]) -> dict[str, V]:
        return {i: self.items[i] for i in dict.fromkeys(aggregate_ids) if i in self.items}

    def all(self) -> list[V]:
        """Every aggregate in id order (what an adapter's ``sort("_id")`` gives)."""
        return [self.items[k] for k in sorted(self.items)]

    def matching(self, predicate: Callable[[V], bool], *, limit: int = 0) -> list[V]:
        found = [a for a in self.all() if predicate(a)]
        return found[:limit] if limit else found


class InMemoryDocuments(Generic[A]):
    """The same behaviour as MongoDocuments, in a dict."""

    def __init__(self, id_of: Callable[[A], str], outbox: FakeOutbox | None = None) -> None:
        self.items: dict[str, A] = {}
        self.outbox = outbox or FakeOutbox()
        self._id_of = id_of

    async def put(self, record: A, events: Sequence[Outgoing] = ()) -> None:
        self.items[self._id_of(record)] = record
        self.outbox.write(events)

    async def insert(self, record: A, events: Sequence[Outgoing] = ()) -> bool:
        key = self._id_of(record)
        if key in self.items:
            return False
        self.items[key] = record
        self.outbox.write(events)
        return True

    async def get(self, record_id: str) -> A | None:
        return self.items.get(record_id)

    async def get_many(self, record_ids: Iterable[str]) -> dict[str, A]:
        return {i: self.items[i] for i in dict.fromkeys(record_ids) if i in self.items}

    async def delete(self, record_id: str) -> None:
        self.items.pop(record_id, None)

    def all(self) -> list[A]:
        return [self.items[k] for k in sorted(self.items)]

    def matching(self, predicate: Callable[[A], bool], *, limit: int = 0) -> list[A]:
        found = [a for a in self.all() if predicate(a)]
        return found[:limit] if limit else found


def after(token: str, key: str) -> bool:
    """Cursor paging in fakes: is ``key`` past the page token (the last id of the previous page)?"""
    return not token or key > token


def before(token: str, key: str) -> bool:
    """Newest-first paging in fakes."""
    return not token or key < token

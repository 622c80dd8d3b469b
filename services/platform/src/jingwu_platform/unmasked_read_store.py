"""The stored trail of unmasked reads (jingwu_platform.unmasked_reads, R-POP-6): one document a read in
the service's own collection, append-only, written with its event (the outbox in the same document).
``MongoUnmaskedReads`` for a service's adapters, ``InMemoryUnmaskedReads`` for its fakes; one
contract, tests/test_unmasked_reads.py of the platform."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import FakeOutbox, InMemoryDocuments, MongoDocuments
from jingwu_platform.unmasked_reads import UnmaskedRead


class MongoUnmaskedReads(MongoDocuments[UnmaskedRead]):
    """``records_field``: the stored name of ``record_ids`` (personnel's trail has stored them as
    ``officer_ids`` since it began, and keeps that shape)."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        collection: str,
        outbox: OutboxRegistry,
        *,
        records_field: str = "record_ids",
    ) -> None:
        codec = DocumentCodec(UnmaskedRead, id_field="read_id", stored_names={"record_ids": records_field})
        super().__init__(database, collection, codec, outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("reader_id", 1), ("read_time", 1)])


class InMemoryUnmaskedReads(InMemoryDocuments[UnmaskedRead]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda r: r.read_id, outbox)

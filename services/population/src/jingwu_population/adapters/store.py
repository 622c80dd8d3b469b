"""The population made durable in the district database, answered from memory (ADR 0034; ledger
imports: ADR 0035).

FerretDB v1 (SQLite backend) answers most filters by reading every row and filtering in Go (the
project's patch, ADR 0053, answers ``_id`` and string or boolean equality on top-level fields from
SQLite; ranges, prefixes, geography and the rest still read every row). The service therefore keeps
the district's population in an indexed image (adapters.image) and uses the
store only in ways that do not scan large collections:

- ``population.journal``: every commit is ONE inserted document holding the new states of the
  aggregates it touched and their events (the outbox, relayed by jingwu_platform.outbox). Small: an
  archiver moves published records to ``population.log``.
- ``population.log``: archived journal records, inserted, never updated.
- ``population.segment.<name>``: bulk-written sets of aggregates (a ledger import), invisible until
  listed in the manifest. Each batch of a segment is ONE document whose ``packed`` field is a BSON
  binary of ``{"items": [entry, …]}``: the store converts one field instead of every field of every
  aggregate (ADR 0035, update). Segments written before that hold one document an aggregate; both
  load.
- ``population.manifest``: one document listing the segments; adding a segment (with the import's
  final state and events) is the single-document commit point of an import (R-POP-1).
- ``population.staged``: chunks of rows of imports not committed yet, one document a chunk, its rows
  packed the same way (or, staged before that, a ``rows`` array).

At start the image is rebuilt: segments and records in commit order (later states win). One writer
per district (the replica lock locally; one replica in clusters) makes the image authoritative.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import bson
from bson.codec_options import CodecOptions
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import PENDING, OutboxRegistry, outbox_update, with_outbox
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from jingwu_population.adapters.image import id_of
from jingwu_population.adapters.queries import ImageQueries
from jingwu_population.application.ports import Aggregate, Change
from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.counts import PublishedZonePopulation
from jingwu_population.domain.information import InformationRecord
from jingwu_population.domain.ledger import LedgerImport
from jingwu_population.domain.people import House, Resident
from jingwu_population.domain.places import Inspection, Place
from jingwu_population.domain.territory import HandoverChunk, Redivision, Station, Village, Zone
from jingwu_population.domain.visits import Visit

log = logging.getLogger(__name__)

JOURNAL = "population.journal"
LOG = "population.log"
MANIFEST = "population.manifest"
STAGED = "population.staged"
SEGMENT_PREFIX = "population.segment."
MANIFEST_ID = "manifest"
# A segment is written in batches of this many aggregates, each batch one packed document (at most
# 1.76 MB for the demo's 100,000-resident import: measured, ADR 0035).
SEGMENT_BATCH = 2_000
# A packed document stays well under MongoDB's 16 MiB limit: a batch that encodes larger is split.
MAX_PACKED_BYTES = 8 * 1024 * 1024
# FerretDB v1 does not end a reply at 16 MiB as MongoDB does: a find of large documents asks for few a
# batch, or the reply passes the driver's 48 MB message limit (measured: 66 packed batches of a
# 100,000-resident import in one 107 MB reply). Staged chunks are as large (a gRPC message of rows).
PACKED_READ_BATCH = 32 * 1024 * 1024 // MAX_PACKED_BYTES
# The field holding a packed batch; its presence tells a packed document from one of the older
# one-document-an-item formats.
PACKED = "packed"


@dataclass(frozen=True)
class Kind:
    name: str
    codec: DocumentCodec[Any]


KINDS: dict[type, Kind] = {
    cls: Kind(name, DocumentCodec(cls, id_field=id_field))
    for cls, name, id_field in (
        (House, "house", "house_id"),
        (Resident, "resident", "resident_id"),
        (Place, "place", "place_id"),
        (Inspection, "inspection", "inspection_id"),
        (InformationRecord, "record", "record_id"),
        (Visit, "visit", "visit_id"),
        (Zone, "zone", "zone_code"),
        (Village, "village", "village_id"),
        (Station, "station", "station_id"),
        (Redivision, "redivision", "redivision_id"),
        (HandoverChunk, "handover", "chunk_id"),
        (PublishedZonePopulation, "zone_published", "zone_code"),
        (LedgerImport, "import", "import_id"),
        (AuditEntry, "audit", "sequence"),
    )
}
BY_NAME = {kind.name: cls for cls, kind in KINDS.items()}


def encode(aggregate: Aggregate) -> Document:
    kind = KINDS[type(aggregate)]
    return {"k": kind.name, "d": kind.codec.to_document(aggregate)}


def decode(entry: Document) -> Aggregate:
    cls = BY_NAME[entry["k"]]
    decoded: Aggregate = KINDS[cls].codec.from_document(entry["d"])
    return decoded


def segment_key(aggregate: Aggregate) -> str:
    """The ``_id`` of an aggregate in a segment of the format before packing (still loaded)."""
    return f"{KINDS[type(aggregate)].name}/{id_of(aggregate)}"


def packed(items: Sequence[Document], options: CodecOptions[Document]) -> bson.Binary:
    """Many sub-documents as one binary field: FerretDB converts each field it stores, so a blob costs
    it next to nothing, however many items it holds. ``options``: the database's, so the items come
    back as the driver would give them (time zone aware)."""
    return bson.Binary(bson.encode({"items": list(items)}, codec_options=options))


def unpacked(document: Document, options: CodecOptions[Document]) -> list[Document]:
    items: list[Document] = bson.decode(document[PACKED], codec_options=options)["items"]
    return items


def packed_batches(
    entries: list[Document], options: CodecOptions[Document]
) -> Iterator[tuple[int, bson.Binary]]:
    """``entries`` as one packed blob, or halves of them while a blob would pass MAX_PACKED_BYTES."""
    blob = packed(entries, options)
    if len(blob) <= MAX_PACKED_BYTES or len(entries) == 1:
        yield len(entries), blob
        return
    half = len(entries) // 2
    yield from packed_batches(entries[:half], options)
    yield from packed_batches(entries[half:], options)


class StoredPopulation(ImageQueries):
    def __init__(self, database: AsyncDatabase[Document], outbox: OutboxRegistry) -> None:
        super().__init__()
        self._db = database
        self._journal = database[JOURNAL]
        self._log = database[LOG]
        self._manifest = database[MANIFEST]
        self._staged = database[STAGED]
        self._options = database.codec_options  # for packed documents: decoded as the driver decodes
        self._outbox = outbox
        outbox.track(self._journal)
        outbox.track(self._manifest)
        self._lock = asyncio.Lock()
        self._seq = 0
        self.loaded = asyncio.Event()
        self.segment_batch = SEGMENT_BATCH
        # Fault injection for tests: called after each batch of an import's segment is written (a
        # crash there must leave nothing visible).
        self.after_segment_batch: Callable[[int], Awaitable[None]] | None = None
        self.records_loaded = 0
        self.segments_loaded = 0

    # ── start ──────────────────────────────────────────────────────────────────────────────────

    async def load(self) -> None:
        """Rebuild the image from the store: segments and journal records in commit order."""
        records: dict[int, Document] = {}
        for collection in (self._log, self._journal):
            async for document in collection.find({}, {"seq": 1, "entities": 1}):
                records[int(document["seq"])] = document
        manifest = await self._manifest.find_one({"_id": MANIFEST_ID}) or {}
        segments = sorted(manifest.get("segments") or [], key=lambda s: int(s["seq"]))
        pending = sorted(records)
        position = 0
        for segment in segments:
            while position < len(pending) and pending[position] <= int(segment["seq"]):
                self._apply_record(records[pending[position]])
                position += 1
            await self._load_segment(segment)
        while position < len(pending):
            self._apply_record(records[pending[position]])
            position += 1
        self._seq = max([*records, *(int(s["seq"]) for s in segments), 0])
        self.records_loaded = len(records)
        self.segments_loaded = len(segments)
        self.loaded.set()
        log.info(
            "population loaded",
            extra={
                "residents": len(self.image.residents),
                "houses": len(self.image.houses),
                "records": len(records),
                "segments": len(segments),
            },
        )

    def _apply_record(self, record: Document) -> None:
        self.image.apply([decode(entry) for entry in record.get("entities") or ()])

    async def _load_segment(self, segment: Document) -> None:
        collection = self._db[segment["name"]]
        first = await collection.find_one({})  # one version writes a whole segment: one format
        size = PACKED_READ_BATCH if first is not None and PACKED in first else 0  # 0: the server's
        batch: list[Aggregate] = []
        async for document in collection.find({}, batch_size=size):
            if PACKED in document:
                batch += (decode(entry) for entry in unpacked(document, self._options))
            else:  # written before segments were packed: one document an aggregate
                batch.append(decode(document))
            if len(batch) >= 10_000:
                self.image.apply(batch, bulk=True)
                batch = []
        self.image.apply(batch, bulk=True)
        self.image.apply([decode(entry) for entry in segment.get("entities") or ()])

    # ── commits ────────────────────────────────────────────────────────────────────────────────

    async def commit(self, change: Change) -> list[Aggregate] | None:
        async with self._lock:
            stored = self.prepared(change)
            if stored is None:
                return None
            seq = self._seq + 1
            document: Document = {"_id": f"{seq:012d}", "seq": seq, "entities": [encode(a) for a in stored]}
            if change.events:
                document = with_outbox(document, change.events)
            await self._journal.insert_one(document)
            self._seq = seq
            self.image.apply(stored)
        if change.events:
            self._outbox.notify()
        return stored

    async def archive(self) -> int:
        """Move journal records whose events are all published to the log; the journal (which the
        outbox relay polls) stays small. Idempotent: a crash between the two steps repeats nothing."""
        done = [d async for d in self._journal.find({PENDING: {"$exists": False}})]
        if not done:
            return 0
        try:
            await self._log.insert_many(
                [{"_id": d["_id"], "seq": d["seq"], "entities": d.get("entities") or []} for d in done],
                ordered=False,
            )
        except BulkWriteError as error:  # archived before a crash: the copies are there already
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
        await self._journal.delete_many(
            {"_id": {"$in": [d["_id"] for d in done]}, PENDING: {"$exists": False}}
        )
        return len(done)

    async def stored_audit_entries(self) -> list[AuditEntry]:
        """Read back from the store (not the image): what verification must check."""
        entries: dict[int, AuditEntry] = {}
        for collection in (self._log, self._journal):
            async for document in collection.find({}, {"entities": 1}):
                for entry in document.get("entities") or ():
                    if entry.get("k") == "audit":
                        decoded = decode(entry)
                        assert isinstance(decoded, AuditEntry)
                        entries[decoded.sequence] = decoded
        return [entries[s] for s in sorted(entries)]

    # ── imports ────────────────────────────────────────────────────────────────────────────────

    async def stage_rows(
        self, import_id: str, chunk: int, rows: Sequence[tuple[int, dict[str, str]]]
    ) -> None:
        document = {
            "_id": f"{import_id}/{chunk:06d}",
            "import_id": import_id,
            "chunk": chunk,
            "n": len(rows),
            PACKED: packed([{"n": number, "c": cells} for number, cells in rows], self._options),
        }
        try:
            await self._staged.insert_one(document)
        except DuplicateKeyError:
            # The same file's chunk again (a resumed upload): the content is the same.
            return

    async def staged_rows(self, import_id: str) -> list[tuple[int, dict[str, str]]]:
        rows: list[tuple[int, dict[str, str]]] = []
        async for document in self._staged.find({"import_id": import_id}, batch_size=PACKED_READ_BATCH):
            # A chunk staged before rows were packed holds them as a ``rows`` array.
            chunk = unpacked(document, self._options) if PACKED in document else document["rows"]
            rows += ((int(r["n"]), dict(r["c"])) for r in chunk)
        rows.sort(key=lambda r: r[0])
        return rows

    async def drop_staged(self, import_id: str) -> None:
        await self._staged.delete_many({"import_id": import_id})

    async def publish_import(
        self, ledger_import: LedgerImport, created: Sequence[Aggregate], change: Change
    ) -> bool:
        """R-POP-1: write the import's aggregates into a segment of their own (invisible: not in the
        manifest), a packed document a batch, then, in one document write, list the segment in the
        manifest with ``change`` (the import's committed state) and its events. That write is the
        commit point."""
        name = f"{SEGMENT_PREFIX}{ledger_import.import_id}"
        segment = self._db[name]
        await segment.drop()  # a previous attempt that crashed before its commit point
        written = documents = 0
        for start in range(0, len(created), self.segment_batch):
            entries = [encode(a) for a in created[start : start + self.segment_batch]]
            for count, blob in packed_batches(entries, self._options):
                await segment.insert_one({"_id": f"batch-{documents:06d}", "n": count, PACKED: blob})
                written += count
                documents += 1
                if self.after_segment_batch is not None:
                    await self.after_segment_batch(written)
        async with self._lock:
            stored = self.prepared(change)
            if stored is None or self.collides(created):
                return False
            seq = self._seq
            entry = {"name": name, "seq": seq, "entities": [encode(a) for a in stored]}
            update = {"$push": {"segments": entry}}
            if change.events:
                update = outbox_update(change.events, **update)
            await self._manifest.update_one({"_id": MANIFEST_ID}, update, upsert=True)
            self.image.apply(created, bulk=True)
            self.image.apply(stored)
        if change.events:
            self._outbox.notify()
        return True

    async def segment_names(self) -> list[str]:
        manifest = await self._manifest.find_one({"_id": MANIFEST_ID}) or {}
        return [s["name"] for s in manifest.get("segments") or ()]

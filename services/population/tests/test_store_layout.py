"""How the stored repository lays an import out on the real store (ADR 0035, update): a segment is one
packed document a batch, staged rows one packed document a chunk, and a district's store written by
the version before packing (one document an aggregate, a ``rows`` array a chunk) still loads, unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_population.adapters import store as store_module
from jingwu_population.adapters.memory import InMemoryPopulation
from jingwu_population.adapters.queries import ImageQueries
from jingwu_population.adapters.store import (
    MANIFEST,
    MANIFEST_ID,
    PACKED,
    SEGMENT_PREFIX,
    STAGED,
    StoredPopulation,
    encode,
    segment_key,
)
from jingwu_population.application.ports import Aggregate, Change, ResidentQuery
from jingwu_population.domain.ledger import ImportStatus, LedgerImport
from jingwu_population.domain.people import Category
from pymongo.asynchronous.database import AsyncDatabase

from .support import RARE_NAME, ZONE, ZONE_2, house, reopened, resident


async def stored_population(database: AsyncDatabase[Document]) -> StoredPopulation:
    stored = StoredPopulation(database, OutboxRegistry())
    await stored.load()
    return stored


def ledger_aggregates(import_id: str, first: int, houses: int) -> list[Aggregate]:
    """``houses`` houses over two zones with two residents each, tagged with ``import_id``."""
    created: list[Aggregate] = []
    for n in range(first, first + houses):
        home = replace(house(n, zone=ZONE if n % 2 else ZONE_2), import_id=import_id)
        created.append(home)
        created += [
            resident(2 * n, home, import_id=import_id, name=RARE_NAME),
            resident(2 * n + 1, home, import_id=import_id, category=Category.FLOATING, separated=True),
        ]
    return created


async def committing(repo: Any, import_id: str, created: Sequence[Aggregate]) -> tuple[LedgerImport, Change]:
    """The import left COMMITTING, and the change that commits it (its final state)."""
    await repo.commit(Change((LedgerImport(import_id, "a.csv", "0" * 64, ImportStatus.COMMITTING, 2, 1),)))
    stored = await repo.ledger_import(import_id)
    assert stored is not None
    return stored, Change((replace(stored, status=ImportStatus.COMMITTED, residents_created=len(created)),))


async def publish(repo: Any, import_id: str, created: Sequence[Aggregate]) -> None:
    """An import through the repository's commit point, as ImportApplication drives it."""
    stored, change = await committing(repo, import_id, created)
    assert await repo.publish_import(stored, created, change)


async def write_unpacked_import(
    database: AsyncDatabase[Document], repo: StoredPopulation, import_id: str, created: Sequence[Aggregate]
) -> None:
    """An import as the version before packing wrote it: a document an aggregate, then the manifest."""
    _, change = await committing(repo, import_id, created)
    name = f"{SEGMENT_PREFIX}{import_id}"
    await database[name].insert_many([{"_id": segment_key(a), **encode(a)} for a in created])
    entry = {"name": name, "seq": repo._seq, "entities": [encode(a) for a in repo.prepared(change) or ()]}
    await database[MANIFEST].update_one({"_id": MANIFEST_ID}, {"$push": {"segments": entry}}, upsert=True)


async def answers(repo: ImageQueries) -> list[Any]:
    """Every aggregate, and the indexed answers an import feeds (zone lists, names, tallies)."""
    found: list[Any] = [{kind: dict(by_id) for kind, by_id in repo.image.store.items() if by_id}]
    for query in (
        ResidentQuery(zone_code=ZONE),
        ResidentQuery(zone_code=ZONE_2, category=Category.FLOATING),
        ResidentQuery(separated_only=True),
        ResidentQuery(name=RARE_NAME),
    ):
        found.append([r.resident_id for r in (await repo.residents(query)).items])
    for zone in (ZONE, ZONE_2):
        tally = await repo.tally(zone)
        found.append((tally.actual, tally.houses, tally.separated, dict(tally.categories)))
    return found


async def test_an_import_segment_is_one_packed_document_a_batch_and_loads_back(
    fresh_database: AsyncDatabase[Document],
) -> None:
    repo = await stored_population(fresh_database)
    repo.segment_batch = 7
    created = ledger_aggregates("imp-1", 1, 10)  # 30 aggregates
    await publish(repo, "imp-1", created)
    segment = fresh_database[f"{SEGMENT_PREFIX}imp-1"]
    documents = [d async for d in segment.find({})]
    assert len(documents) == math.ceil(len(created) / 7) == 5
    assert sorted(d["_id"] for d in documents) == [f"batch-{i:06d}" for i in range(5)]
    assert [d["n"] for d in sorted(documents, key=lambda d: d["_id"])] == [7, 7, 7, 7, 2]
    assert all(set(d) == {"_id", "n", PACKED} for d in documents)
    again = await reopened(repo)
    assert again.segments_loaded == 1
    assert await answers(again) == await answers(repo)
    assert len(again.image.residents) == 20 and len(again.image.houses) == 10


async def test_a_segment_written_before_packing_loads_unchanged_beside_a_packed_one(
    fresh_database: AsyncDatabase[Document],
) -> None:
    """A district's store from the previous version (one document an aggregate), then a new import."""
    repo = await stored_population(fresh_database)
    old = ledger_aggregates("imp-old", 1, 6)
    await write_unpacked_import(fresh_database, repo, "imp-old", old)
    repo = await reopened(repo)  # the new version starts on the old store
    assert len(repo.image.residents) == 12 and len(repo.image.houses) == 6
    new = ledger_aggregates("imp-new", 7, 6)
    await publish(repo, "imp-new", new)
    expected = InMemoryPopulation()
    await publish(expected, "imp-old", old)
    await publish(expected, "imp-new", new)
    again = await reopened(repo)
    assert again.segments_loaded == 2
    assert await answers(again) == await answers(expected)
    old_documents = [d async for d in fresh_database[f"{SEGMENT_PREFIX}imp-old"].find({})]
    assert sorted(d["_id"] for d in old_documents) == sorted(segment_key(a) for a in old)  # untouched
    assert await fresh_database[f"{SEGMENT_PREFIX}imp-new"].count_documents({}) == 1  # packed


async def test_staged_rows_are_one_packed_document_a_chunk_and_rows_staged_before_still_read(
    fresh_database: AsyncDatabase[Document],
) -> None:
    repo = await stored_population(fresh_database)
    before = [(2, {"姓名": RARE_NAME, "公民身份号码": "1"}), (3, {"姓名": "张伟"})]
    await fresh_database[STAGED].insert_one(  # chunk 0, staged by the version before packing
        {
            "_id": "imp-1/000000",
            "import_id": "imp-1",
            "chunk": 0,
            "rows": [{"n": n, "c": c} for n, c in before],
        }
    )
    after = [(5, {"姓名": "李四"}), (4, {"姓名": RARE_NAME})]
    await repo.stage_rows("imp-1", 1, after)
    await repo.stage_rows("imp-1", 1, after)  # sent again: no change
    document = await fresh_database[STAGED].find_one({"_id": "imp-1/000001"})
    assert document is not None and "rows" not in document and document["n"] == 2
    assert isinstance(document[PACKED], bytes)
    assert await repo.staged_rows("imp-1") == sorted(before + after)
    await repo.drop_staged("imp-1")
    assert await repo.staged_rows("imp-1") == []


async def test_a_batch_too_large_for_one_document_is_split(
    fresh_database: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_PACKED_BYTES", 4_000)  # a few aggregates a document
    repo = await stored_population(fresh_database)
    written: list[int] = []

    async def record(count: int) -> None:
        written.append(count)

    repo.after_segment_batch = record
    created = ledger_aggregates("imp-1", 1, 10)
    await publish(repo, "imp-1", created)
    sizes = [len(d[PACKED]) async for d in fresh_database[f"{SEGMENT_PREFIX}imp-1"].find({})]
    assert len(sizes) > 1 and max(sizes) <= 4_000
    assert written[-1] == len(created) and written == sorted(written)
    assert await answers(await reopened(repo)) == await answers(repo)


async def test_a_segment_and_staged_rows_larger_than_one_reply_load(
    fresh_database: AsyncDatabase[Document],
) -> None:
    """FerretDB does not end a reply at 16 MiB as MongoDB does: 25 documents of 2.1 MB (more than the
    driver's 48 MB message limit) must come in several replies."""
    repo = await stored_population(fresh_database)
    repo.segment_batch = 1
    wide = "号" * 700_000  # 2.1 MB of UTF-8
    created = [replace(house(n), address_code=wide) for n in range(1, 26)]
    await publish(repo, "imp-1", created)
    for chunk in range(25):
        await repo.stage_rows("imp-2", chunk, [(chunk + 2, {"备注": wide})])
    again = await reopened(repo)
    assert len(again.image.houses) == 25
    assert [n for n, _ in await again.staged_rows("imp-2")] == list(range(2, 27))

"""Bulk writes shared by the personnel adapters: many new documents in one unordered ``insert_many``.

Inserts are what the local store (FerretDB v1) does fast — a batch of hundreds costs about what two
single updates cost — and what it does safely in bulk: an ``update`` command of many statements keeps
each statement's query open until the command ends, on a pool of 100 SQLite connections shared by every
process, and one of 100 statements (or two concurrent ones of 60) never finishes (docs/adr/0040). So
the adapters insert what is new in bulk and update what exists one statement at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from jingwu_platform.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


async def insert_new(collection: AsyncCollection[Document], documents: Sequence[Document]) -> list[bool]:
    """Insert ``documents`` in one unordered write; per document, whether it was inserted (False: a
    duplicate key — its ``_id`` or another unique index — so nothing of it was written). Any other write
    error is raised."""
    if not documents:
        return []
    inserted = [True] * len(documents)
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as error:
        for write_error in error.details.get("writeErrors", ()):
            if write_error.get("code") != DUPLICATE_KEY:
                raise
            inserted[write_error["index"]] = False
        if error.details.get("writeConcernErrors"):
            raise
    return inserted

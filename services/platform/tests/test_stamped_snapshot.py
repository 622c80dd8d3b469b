"""StampedSnapshot (jingwu_platform.repository): a small read model read whole is kept in memory until a
writer — this replica or another — stamps a change; on the session's real store."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import STAMPS, MongoDocuments, StampedSnapshot
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Zone:
    zone_code: str
    name: str


CODEC = DocumentCodec(Zone, id_field="zone_code")


def replica(database: AsyncDatabase[Document]) -> tuple[MongoDocuments[Zone], StampedSnapshot[Zone]]:
    documents = MongoDocuments(database, "toy.zones", CODEC)
    return documents, StampedSnapshot(documents, database)


async def test_kept_until_a_change_is_stamped(fresh_database: AsyncDatabase[Document]) -> None:
    documents, snapshot = replica(fresh_database)
    await documents.put(Zone("z1", "一区"))
    await snapshot.changed()
    assert await snapshot.everything() == [Zone("z1", "一区")]
    # A write that stamps nothing is not seen: the records were not read again.
    await fresh_database["toy.zones"].insert_one({"_id": "z2", "name": "二区"})
    assert await snapshot.everything() == [Zone("z1", "一区")]
    await snapshot.changed()
    assert await snapshot.everything() == [Zone("z1", "一区"), Zone("z2", "二区")]


async def test_another_replicas_change_is_seen(fresh_database: AsyncDatabase[Document]) -> None:
    mine_documents, mine = replica(fresh_database)
    theirs_documents, theirs = replica(fresh_database)
    await mine_documents.put(Zone("z1", "一区"))
    await mine.changed()
    assert await mine.everything() == await theirs.everything() == [Zone("z1", "一区")]
    await theirs_documents.put(Zone("z1", "一区（改）"))
    await theirs.changed()
    assert await mine.everything() == [Zone("z1", "一区（改）")]
    assert await fresh_database[STAMPS].count_documents({}) == 1


async def test_nothing_is_kept_before_the_first_stamp(fresh_database: AsyncDatabase[Document]) -> None:
    # Records written before stamps existed (an older release): every read reads them.
    _, snapshot = replica(fresh_database)
    await fresh_database["toy.zones"].insert_one({"_id": "z1", "name": "一区"})
    assert await snapshot.everything() == [Zone("z1", "一区")]
    await fresh_database["toy.zones"].insert_one({"_id": "z2", "name": "二区"})
    assert [z.zone_code for z in await snapshot.everything()] == ["z1", "z2"]

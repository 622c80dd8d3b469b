"""Reads and writes by ``_id`` on the local store use its ``_id`` index (ADR 0053: the project's patch
of FerretDB v1.24's SQLite backend, jingwu_devstack.ferretdb_patch), and answer exactly as before.

Upstream FerretDB pushed ``{_id: …}`` down to SQLite on an expression its ``_id`` index is not on, so
every such read, and every document an update or delete rewrote, read the whole table: an inbox check
for an event not yet seen (the common case) took 143 ms at 55,000 rows. The plan is read from
``explain`` (SQLite's own EXPLAIN QUERY PLAN); MongoDB, which has always used its ``_id`` index,
skips the plan checks and runs the answer checks."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId
from bson.raw_bson import RawBSONDocument
from jingwu_platform.mongo import Document
from jingwu_platform.testing import scratch_database
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration

ROWS = 300
OIDS = [ObjectId() for _ in range(3)]


@pytest.fixture
async def database(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    """A scratch database with collection ``t``: string ids k0…, numeric ids 0–4, three ObjectIds."""
    async with scratch_database(mongo_url) as database:
        await _fill(database)
        yield database


async def _fill(database: AsyncDatabase[Document]) -> None:
    documents: list[Document] = [{"_id": f"k{n}", "n": n} for n in range(ROWS)]
    documents += [{"_id": n, "n": n} for n in range(5)]  # numeric ids beside the strings
    documents += [{"_id": oid, "n": -i} for i, oid in enumerate(OIDS)]
    await database["t"].insert_many(documents)


async def _plan(database: AsyncDatabase[Document], query: dict[str, Any]) -> tuple[bool, list[str]] | None:
    """(pushed down, SQLite's plan steps) on FerretDB; None on MongoDB."""
    explained: dict[str, Any] = await database.command("explain", {"find": "t", "filter": query})
    if "filterPushdown" not in explained:
        return None
    return bool(explained["filterPushdown"]), list(explained["queryPlanner"]["Plan"])


def _uses_the_id_index(plan: list[str]) -> bool:
    return any("SEARCH" in step and "USING INDEX" in step for step in plan) and not any(
        "SCAN" in step for step in plan
    )


async def _ids(database: AsyncDatabase[Document], query: dict[str, Any]) -> list[Any]:
    return sorted([d["_id"] async for d in database["t"].find(query, {"_id": 1})], key=repr)


@pytest.mark.parametrize(
    ("query", "whole"),
    [
        ({"_id": "k7"}, True),
        ({"_id": "missing"}, True),
        ({"_id": OIDS[1]}, True),
        ({"_id": {"$in": ["k1", "k299", "missing", "k1"]}}, True),
        ({"_id": {"$in": [OIDS[0], "k5"]}}, True),
        # _id beside other keys: the rows come from the _id index, FerretDB's own filter applies the
        # rest, so the filter as a whole is not reported as pushed down
        ({"_id": "k7", "n": 7}, False),  # a version-checked save: {_id, version}
        ({"_id": "k7", "n": {"$lt": 3}}, False),  # a conditional update (telemetry's latest position)
        ({"_id": "k7", "$or": [{"n": None}, {"n": {"$lt": 3}}]}, False),  # a lease, a measured-at guard
        ({"_id": {"$in": ["k1", "k2"]}, "n": {"$gte": 2}}, False),
    ],
    ids=[
        "string",
        "missing",
        "object-id",
        "in-strings",
        "in-object-id-and-string",
        "and-field",
        "and-condition",
        "and-or",
        "in-and-field",
    ],
)
async def test_a_filter_on_id_is_answered_from_the_id_index(
    query: dict[str, Any], whole: bool, database: AsyncDatabase[Document]
) -> None:
    plan = await _plan(database, query)
    if plan is None:
        pytest.skip("not FerretDB: MongoDB uses its _id index (IDHACK / IXSCAN)")
    pushed, steps = plan
    assert pushed is whole and _uses_the_id_index(steps), steps


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"_id": "k7"}, ["k7"]),
        ({"_id": "missing"}, []),
        ({"_id": OIDS[1]}, [OIDS[1]]),
        ({"_id": {"$in": ["k1", "k299", "missing", "k1"]}}, ["k1", "k299"]),
        ({"_id": {"$in": [OIDS[0], "k5"]}}, [OIDS[0], "k5"]),
        ({"_id": {"$in": ["k2", 3]}}, [3, "k2"]),  # a number among them: read as before, same answer
        ({"_id": {"$in": ["3"]}}, []),  # the string "3" is not the number 3
        ({"_id": {"$in": []}}, []),
        ({"_id": {"$gte": "k99"}}, ["k99"]),
        # _id beside other keys: read by _id from the index, the rest filtered by FerretDB
        ({"_id": "k7", "n": 7}, ["k7"]),
        ({"_id": "k7", "n": 8}, []),
        ({"_id": "k2", "$or": [{"n": None}, {"n": {"$lt": 3}}]}, ["k2"]),
        ({"_id": {"$in": ["k1", "k2", "k3"]}, "n": {"$gte": 2}}, ["k2", "k3"]),
        ({"_id": 3, "n": 3}, [3]),  # a numeric id: read in full, as before
        ({"n": 7, "_id": "k7"}, ["k7"]),  # _id not first
    ],
    ids=[
        "string",
        "missing",
        "object-id",
        "in",
        "in-mixed",
        "in-number",
        "string-not-number",
        "in-empty",
        "gt",
        "and-field",
        "and-field-differs",
        "and-or",
        "in-and-field",
        "number-and-field",
        "id-second",
    ],
)
async def test_the_answers_are_what_the_filter_means(
    query: dict[str, Any], expected: list[Any], database: AsyncDatabase[Document]
) -> None:
    assert await _ids(database, query) == sorted(expected, key=repr)


async def test_a_filter_the_index_cannot_answer_is_still_read_in_full(
    database: AsyncDatabase[Document],
) -> None:
    plan = await _plan(database, {"_id": {"$in": ["k2", 3]}})
    if plan is None:
        pytest.skip("not FerretDB")
    assert plan[0] is False  # numbers are not pushed down: FerretDB's own filter answers it


async def test_updates_and_deletes_by_id_change_only_their_documents(
    database: AsyncDatabase[Document],
) -> None:
    t = database["t"]
    assert (await t.update_one({"_id": "k10"}, {"$set": {"x": 1}})).modified_count == 1
    assert (
        await t.update_many({"_id": {"$in": ["k11", "k12", "gone"]}}, {"$inc": {"n": 1000}})
    ).modified_count == 2
    assert (await t.replace_one({"_id": OIDS[2]}, {"n": 7777})).modified_count == 1
    assert (await t.delete_one({"_id": "k13"})).deleted_count == 1
    assert (await t.delete_many({"_id": {"$in": ["k14", "k15", "gone"]}})).deleted_count == 2
    assert await t.count_documents({}) == ROWS + 5 + 3 - 3
    changed = {d["_id"]: d async for d in t.find({"$or": [{"x": 1}, {"n": {"$gte": 1000}}, {"n": 7777}]})}
    assert changed == {
        "k10": {"_id": "k10", "n": 10, "x": 1},
        "k11": {"_id": "k11", "n": 1011},
        "k12": {"_id": "k12", "n": 1012},
        OIDS[2]: {"_id": OIDS[2], "n": 7777},
    }
    assert await t.find_one({"_id": "k13"}) is None and await t.count_documents({"_id": "k16"}) == 1


async def test_a_conditional_update_by_id_changes_nothing_when_its_condition_fails(
    database: AsyncDatabase[Document],
) -> None:
    """The version check of ``save`` (jingwu_platform.repository) and the relay's conditional clear
    depend on the rest of the filter still being applied after the _id is read from the index."""
    t = database["t"]
    assert (await t.update_one({"_id": "k20", "n": 19}, {"$set": {"n": 0}})).matched_count == 0
    assert (await t.update_one({"_id": "k20", "n": 20}, {"$set": {"n": 21}})).modified_count == 1
    assert (await t.delete_one({"_id": "k21", "n": {"$gt": 21}})).deleted_count == 0
    assert (await t.delete_one({"_id": "k21", "n": {"$lte": 21}})).deleted_count == 1
    assert await t.find_one({"_id": "k20"}) == {"_id": "k20", "n": 21}
    assert await t.find_one({"_id": "k21"}) is None


def _named_twice(first: str, second: str) -> RawBSONDocument:
    """{_id: first, _id: second}: BSON allows a key twice, a Python dict cannot hold it."""

    def element(value: str) -> bytes:
        encoded = value.encode() + b"\x00"
        return b"\x02_id\x00" + struct.pack("<i", len(encoded)) + encoded

    body = element(first) + element(second) + b"\x00"
    return RawBSONDocument(struct.pack("<i", len(body) + 4) + body)


async def test_a_filter_naming_id_twice_is_not_pushed_down_and_the_store_keeps_serving(
    database: AsyncDatabase[Document],
) -> None:
    """FerretDB's Document.Get panics on a duplicated key; the pushdown looks at _id only when the filter
    names it once, so such a filter is read as before (upstream never pushed a two-key filter down)."""
    t = database["t"]
    plan = await _plan(database, {"n": 1})  # FerretDB or MongoDB, for what each answers below
    if plan is not None:  # FerretDB's own filter requires both (MongoDB takes the last one)
        assert [d["_id"] async for d in t.find(_named_twice("k1", "k2"), {"_id": 1})] == []
        assert [d["_id"] async for d in t.find(_named_twice("k1", "k1"), {"_id": 1})] == ["k1"]
        assert (await t.update_one(_named_twice("k1", "k2"), {"$set": {"x": 1}})).matched_count == 0
    assert await t.find_one({"_id": "k1"}) == {"_id": "k1", "n": 1}  # the store still serves

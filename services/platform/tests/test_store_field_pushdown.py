"""Filters on plain top-level fields are answered by the local store's SQLite, from the field's index
where there is one, and answer exactly what they mean (ADR 0053, "Fields beside _id": the project's
patch of FerretDB v1.24's SQLite backend, jingwu_devstack.ferretdb_patch).

Upstream FerretDB read and decoded every row of a collection for any filter that was not exactly
``{_id: value}``: a listing of open findings by status and kind took 77 ms per read in the demo's first
load. The patch pushes equality and ``$in`` of strings or booleans down as "the field's JSON is one of
the values, or is an array" (MongoDB's equality also matches an array holding the value), which is a
superset FerretDB then filters as before.

The oracle for every answer is the same filter wrapped in ``$and``: a ``$``-key is never pushed down,
so FerretDB's own filter answers it from every row, as upstream did. On MongoDB the plan checks skip
and the answer checks run unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from jingwu_platform.mongo import Document
from jingwu_platform.testing import scratch_database
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration

# Values a field holds across the collection: strings that JSON escapes or that lie outside the BMP,
# booleans, the empty string, arrays (flat, of a document, empty), numbers, null, an embedded document.
ODD = '<b>&"\\/\u2028'
RARE = "𠀀𪚥"  # outside the BMP, as in residents' names
VALUES: list[Any] = [
    "open",
    "closed",
    "",
    "名字",
    ODD,
    RARE,
    True,
    False,
    ["open", "x"],
    ["x", RARE],
    [{"a": "open"}],  # FerretDB v1 stores no nested arrays (ADR 0003): an array of a document
    [],
    [True],
    1,
    1.0,
    None,
    {"a": "open"},
    "[open]",  # a string that starts with [, beside the arrays' range
    "\\",  # the string holding the range's upper bound
]
KINDS = ["room_without_officer", "village_without_officer", "[", "open"]


SCALARS = [v for v in VALUES if isinstance(v, str | bool)]


def _cond(n: int) -> Any:
    """``cond``, for a dotted path: a document (its ``officer`` any of VALUES, an ``inner`` document or
    an array of documents), an array of documents, a plain string, or nothing."""
    match n % 6:
        case 0:
            return {"officer": VALUES[n % len(VALUES)], "inner": {"k": KINDS[n % len(KINDS)]}}
        case 1:
            return [{"officer": "open"}, {"officer": SCALARS[n % len(SCALARS)], "inner": {"k": "open"}}]
        case 2:
            return "open"
        case 3:
            return None
        case 4:
            return {"officer": SCALARS[n % len(SCALARS)], "inner": [{"k": "open"}, {"k": "["}]}
        case _:
            return {"other": "open", "inner": "open"}


@pytest.fixture
async def database(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    """Collection ``t``: every value of VALUES in ``status`` (plus documents without it), ``kind`` and
    ``district`` strings, ``cond`` (``_cond``); an index on ``status``, on ``kind`` and on
    ``cond.officer``, none on ``district``, ``flag`` or ``cond.inner.k``."""
    async with scratch_database(mongo_url) as database:
        documents: list[Document] = []
        for n in range(len(VALUES) * len(KINDS) * 3):
            document: Document = {
                "_id": f"d{n}",
                "kind": KINDS[n % len(KINDS)],
                "district": "01" if n % 3 else "02",
                "flag": n % 2 == 0,
                "n": n,
            }
            if n % 17 != 0:  # some documents have no status at all
                document["status"] = VALUES[n % len(VALUES)]
            if (cond := _cond(n)) is not None:
                document["cond"] = cond
            documents.append(document)
        await database["t"].insert_many(documents)
        await database["t"].create_index("status")
        await database["t"].create_index("kind")
        await database["t"].create_index("cond.officer")
        yield database


async def _plan(database: AsyncDatabase[Document], query: dict[str, Any]) -> tuple[bool, list[str]] | None:
    """(reported as pushed down, SQLite's plan steps) on FerretDB; None on MongoDB."""
    explained: dict[str, Any] = await database.command("explain", {"find": "t", "filter": query})
    if "filterPushdown" not in explained:
        return None
    return bool(explained["filterPushdown"]), list(explained["queryPlanner"]["Plan"])


async def _ids(database: AsyncDatabase[Document], query: dict[str, Any]) -> list[Any]:
    return sorted([d["_id"] async for d in database["t"].find(query, {"_id": 1})])


def _oracle(query: dict[str, Any]) -> dict[str, Any]:
    """The same filter, which the store answers without any pushdown."""
    return {"$and": [query]}


QUERIES: list[dict[str, Any]] = [
    *({"status": value} for value in VALUES if isinstance(value, str | bool)),
    {"status": "missing"},
    {"status": {"$in": ["open", RARE, ""]}},
    {"status": {"$in": [True, "closed"]}},
    {"status": {"$in": ["open", 1]}},  # a number among them: not pushed down, same answer
    {"status": 1},
    {"status": None},
    {"status": ["open", "x"]},  # an array value: not pushed down
    {"status": {"$ne": "open"}},
    {"status": "open", "kind": "room_without_officer"},
    {"kind": "[", "status": {"$in": ["open", "closed"]}},
    {"district": "01", "status": "closed", "kind": "open"},
    {"district": "02", "flag": True},
    {"flag": False, "n": {"$lt": 30}},
    {"_id": "d5", "status": VALUES[5]},
    {"_id": {"$in": ["d1", "d2", "d3"]}, "status": {"$in": [VALUES[1], VALUES[2]]}},
    {"status": "open", "$or": [{"kind": "open"}, {"n": {"$gt": 40}}]},
    {"status.a": "open"},  # a path into an array of a document, in some rows
    *({"cond.officer": value} for value in SCALARS),
    {"cond.officer": {"$in": ["open", RARE, False]}},
    {"cond.officer": None},  # not pushed down: null matches a missing field
    {"cond.inner.k": "open"},  # inner is a document, an array of documents or a string
    {"cond.inner.k": {"$in": ["[", "room_without_officer"]}},
    {"cond.inner": "open"},
    {"cond.officer": "open", "kind": "open", "cond.inner.k": "open"},
    {"cond.0.officer": "open"},  # a numeric part (an array element): not pushed down
]


@pytest.mark.parametrize("query", QUERIES, ids=[repr(q) for q in QUERIES])
async def test_a_field_filter_answers_what_it_means(
    query: dict[str, Any], database: AsyncDatabase[Document]
) -> None:
    expected = await _ids(database, _oracle(query))
    assert await _ids(database, query) == expected
    assert await database["t"].count_documents(query) == len(expected)
    assert sorted(await database["t"].distinct("_id", query)) == expected


async def test_every_document_an_equality_matches_is_found_arrays_included(
    database: AsyncDatabase[Document],
) -> None:
    """Independent of the store's own filter: MongoDB's meaning of {status: "open"}, computed here."""
    everything = [d async for d in database["t"].find(_oracle({}))]
    for value in ("open", RARE, True):
        meant = sorted(
            d["_id"]
            for d in everything
            if "status" in d
            and (
                (d["status"] == value and type(d["status"]) is type(value))
                or (
                    isinstance(d["status"], list)
                    and any(v == value and type(v) is type(value) for v in d["status"])
                )
            )
        )
        assert meant, value  # the collection holds both forms of each
        assert await _ids(database, {"status": value}) == meant


async def test_updates_and_deletes_by_field_change_exactly_the_matching_documents(
    database: AsyncDatabase[Document],
) -> None:
    t = database["t"]
    before = {d["_id"]: d async for d in t.find(_oracle({}))}
    marked = await _ids(database, _oracle({"status": "closed", "kind": "open"}))
    doomed = await _ids(database, _oracle({"status": {"$in": [RARE, ODD]}}))
    assert marked and doomed
    assert (
        await t.update_many({"status": "closed", "kind": "open"}, {"$set": {"x": 1}})
    ).modified_count == len(marked)
    assert (await t.update_one({"status": "no such status"}, {"$set": {"x": 2}})).matched_count == 0
    assert (await t.delete_many({"status": {"$in": [RARE, ODD]}})).deleted_count == len(doomed)
    after = {d["_id"]: d async for d in t.find(_oracle({}))}
    assert set(after) == set(before) - set(doomed)
    for key, document in after.items():
        expected = {**before[key], "x": 1} if key in marked else before[key]
        assert document == expected, key
    found = await t.find_one_and_update({"kind": "[", "flag": True}, {"$set": {"y": 1}})
    assert found is not None and found["kind"] == "[" and found["flag"] is True


@pytest.mark.parametrize(
    "query",
    [
        {"status": "open"},
        {"status": {"$in": ["open", "closed"]}},
        {"district": "01", "status": "closed"},  # the indexed field beside one without an index
        {"status": True},
        # A path's own index is not used (rows whose cond is an array are kept, which no index of the
        # path answers), but beside an indexed field the path's condition filters the index's rows in
        # SQLite: FerretDB decodes only those (the bench's "find {status, path}" column).
        {"status": "open", "cond.officer": {"$in": ["open", RARE]}},
    ],
    ids=["equal", "in", "beside-unindexed", "bool", "beside-path"],
)
async def test_an_indexed_field_is_read_from_its_index(
    query: dict[str, Any], database: AsyncDatabase[Document]
) -> None:
    plan = await _plan(database, query)
    if plan is None:
        pytest.skip("not FerretDB: MongoDB plans its own indexes")
    pushed, steps = plan
    assert any("USING INDEX" in step for step in steps) and not any("SCAN" in step for step in steps), steps
    assert pushed is False  # a superset (arrays are kept), so FerretDB still filters: not the whole filter


async def test_a_filter_the_index_cannot_answer_is_read_in_full(database: AsyncDatabase[Document]) -> None:
    for query in ({"status": 1}, {"status": {"$ne": "open"}}, _oracle({"status": "open"}), {"status.a": "x"}):
        plan = await _plan(database, query)
        if plan is None:
            pytest.skip("not FerretDB")
        assert any("SCAN" in step for step in plan[1]), (query, plan)

"""The population repository contract, run against the in-memory fake and the stored repository on the
real store (FerretDB): what one does the other does, so application tests on the fake prove something.
The stored one must also give the same answers after a restart (rebuilt from the store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from jingwu_population.adapters.memory import InMemoryPopulation
from jingwu_population.adapters.store import JOURNAL, LOG, StoredPopulation
from jingwu_population.application.ports import Change, HouseQuery, MapQuery, ResidentQuery
from jingwu_population.domain.audit import UnmaskedRead, chained
from jingwu_population.domain.geo import BoundingBox
from jingwu_population.domain.ledger import ImportStatus, LedgerImport
from jingwu_population.domain.people import Category, KeyGroup, KeyGroupTag

from .support import AT, RARE_NAME, ZONE, house, reopened, resident


@pytest.fixture(params=["memory", "stored"])
async def repo(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryPopulation()
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        stored = StoredPopulation(database, OutboxRegistry())
        await stored.load()
        yield stored


async def test_a_commit_bumps_versions_and_a_stale_one_changes_nothing(repo: Any) -> None:
    home = house(1)
    stored = await repo.commit(Change((home,), (contract_event("h-001"),)))
    assert stored is not None and stored[0].version == 1
    assert await repo.commit(Change((home,))) is None  # version 0 again: it exists
    moved = replace(stored[0], zone_code="01020202")
    assert (await repo.commit(Change((moved,))))[0].version == 2
    assert await repo.commit(Change((moved,))) is None  # stale: read at version 1
    again = await reopened(repo)
    assert (await again.house("h-001")).zone_code == "01020202"
    assert (await again.house("h-001")).version == 2


async def test_every_query_answers_the_same_after_a_restart(repo: Any) -> None:
    homes = [house(n, zone=ZONE if n < 3 else "01020202") for n in range(1, 5)]
    await repo.commit(Change(tuple(homes)))
    tag = KeyGroupTag(KeyGroup.IDLE_YOUTH, "辍学", "o-1", AT.date())
    people = [
        resident(1, homes[0], name=RARE_NAME),
        resident(2, homes[0], category=Category.FLOATING, separated=True),
        resident(3, homes[1], tags=(tag,)),
        resident(4, homes[3]),
    ]
    await repo.commit(Change(tuple(people)))
    queries = [
        ResidentQuery(zone_code=ZONE),
        ResidentQuery(zone_code=ZONE, category=Category.FLOATING),
        ResidentQuery(key_group=KeyGroup.IDLE_YOUTH),
        ResidentQuery(separated_only=True),
        ResidentQuery(house_id="h-001"),
        ResidentQuery(name=RARE_NAME),
        ResidentQuery(name_prefix=RARE_NAME[:1]),
        ResidentQuery(zone_code=ZONE, limit=1, after="r-001"),
    ]
    expected = [[r.resident_id for r in (await repo.residents(q)).items] for q in queries]
    assert expected == [
        ["r-001", "r-002", "r-003"],
        ["r-002"],
        ["r-003"],
        ["r-002"],
        ["r-001", "r-002"],
        ["r-001"],
        ["r-001"],
        ["r-002"],
    ]
    again = await reopened(repo)
    assert [[r.resident_id for r in (await again.residents(q)).items] for q in queries] == expected
    assert (await again.resident("r-001")).name == RARE_NAME
    assert (await again.resident_by_identity(people[3].id_number)).resident_id == "r-004"
    assert [s.house.house_id for s in (await again.houses(HouseQuery(zone_code=ZONE))).items] == [
        "h-001",
        "h-002",
    ]
    assert (await again.house_summary("h-001")).resident_count == 2
    box = BoundingBox(116.9, 33.6, 117.0, 33.7)
    assert len((await again.map_features(MapQuery(area=box))).items) == 4
    tally = await again.tally(ZONE)
    assert (tally.actual, tally.houses, tally.separated) == (3, 2, 1)
    assert tally.categories == {Category.REGISTERED: 2, Category.FLOATING: 1}


async def test_archiving_keeps_the_journal_small_and_loses_nothing(repo: Any) -> None:
    if not isinstance(repo, StoredPopulation):
        pytest.skip("the fake has no journal")
    await repo.commit(Change((house(1),)))  # no events: archived at once
    await repo.commit(Change((house(2),), (contract_event("h-002"),)))  # an event still to publish
    assert await repo.archive() == 1
    database = repo._db
    assert await database[JOURNAL].count_documents({}) == 1 and await database[LOG].count_documents({}) == 1
    again = await reopened(repo)
    assert {h for h in again.image.houses} == {"h-001", "h-002"}
    assert again._seq == 2


async def test_an_import_is_invisible_until_its_single_commit(repo: Any) -> None:
    ledger = LedgerImport("imp-1", "a.csv", "0" * 64, ImportStatus.COMMITTING, 2, 1)
    await repo.commit(Change((ledger,)))
    await repo.stage_rows("imp-1", 0, [(2, {"姓名": RARE_NAME})])
    await repo.stage_rows("imp-1", 0, [(2, {"姓名": RARE_NAME})])  # sent again
    assert await repo.staged_rows("imp-1") == [(2, {"姓名": RARE_NAME})]
    home = replace(house(1), import_id="imp-1")
    created = [home, resident(1, home, import_id="imp-1")]
    stored_ledger = await repo.ledger_import("imp-1")
    done = replace(stored_ledger, status=ImportStatus.COMMITTED, residents_created=1)
    assert await repo.publish_import(stored_ledger, created, Change((done,)))
    assert (await repo.resident("r-001")).import_id == "imp-1"
    assert not await repo.publish_import(stored_ledger, created, Change((done,)))  # stale, and they exist
    await repo.drop_staged("imp-1")
    assert await repo.staged_rows("imp-1") == []
    again = await reopened(repo)
    assert (await again.ledger_import("imp-1")).status is ImportStatus.COMMITTED
    assert (await again.house_summary("h-001")).resident_count == 1


async def test_the_audit_chain_is_read_back_from_the_store(repo: Any) -> None:
    reads = [
        UnmaskedRead("u", ("pii_reader",), "m", "p", "", (f"r-{n}",), (), ("id_number",), AT)
        for n in range(3)
    ]
    entries = chained(b"k", None, reads)
    assert await repo.commit(Change(tuple(entries[:2])))
    assert await repo.commit(Change((entries[0],))) is None  # a sequence is used once
    assert await repo.commit(Change((entries[2],)))
    stored = await repo.stored_audit_entries()
    assert [e.sequence for e in stored] == [1, 2, 3]
    assert (await repo.audit_head()).sequence == 3

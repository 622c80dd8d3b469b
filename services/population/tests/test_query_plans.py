"""Query plans. On the local store (FerretDB v1.24, SQLite backend) explain shows why the population is
answered from memory: a filter on any field but ``_id`` is not pushed down at all (every row is read and
filtered in FerretDB's Go code), whatever indexes exist. (A filter on ``_id`` alone uses the ``_id``
index since the project's patch, ADR 0053: services/platform/tests/test_store_id_lookups.py.) The
image's own plans are checked per hot query: each uses its index and examines no more than it returns
(no scan)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from jingwu_platform.testing import scratch_database
from jingwu_population.adapters.memory import InMemoryPopulation
from jingwu_population.application.ports import HouseQuery, MapQuery, ResidentQuery
from jingwu_population.domain.geo import BoundingBox, Circle, GeoPoint
from jingwu_population.domain.people import Category, KeyGroup, KeyGroupTag
from jingwu_population.domain.registration import new_house, new_resident

from .support import AT, ZONE, ZONE_2, house_draft, person


async def _plan(database: Any, query: dict[str, Any]) -> dict[str, Any]:
    explained: dict[str, Any] = await database.command("explain", {"find": "t", "filter": query})
    return explained


@pytest.mark.integration
async def test_ferretdb_reads_every_row_for_an_indexed_field(mongo_url: str) -> None:
    async with scratch_database(mongo_url) as database:
        await database["t"].insert_many([{"_id": f"k{n}", "z": n % 3} for n in range(50)])
        await database["t"].create_index("z")
        by_field = await _plan(database, {"z": 1})
    if "filterPushdown" not in by_field:
        pytest.skip("not FerretDB: MongoDB uses its indexes (IXSCAN)")
    assert by_field["filterPushdown"] is False  # filtered in FerretDB's Go code, after reading every row
    assert any("SCAN" in step and "USING" not in step for step in by_field["queryPlanner"]["Plan"])


def image() -> InMemoryPopulation:
    repo = InMemoryPopulation()
    houses = [
        new_house(
            house_draft(n, zone=ZONE if n % 2 else ZONE_2, lon=116.9 + (n % 40) * 0.01),
            house_id=f"h-{n:04d}",
            at=AT,
            by="t",
        )
        for n in range(400)
    ]
    tag = KeyGroupTag(KeyGroup.LEFT_BEHIND_CHILD, "父母外出", "o", AT.date())
    people = []
    for n in range(2000):
        made = new_resident(
            person(n, name=f"王{n % 50}"),
            resident_id=f"r-{n:05d}",
            house=houses[n % 400],
            household_id="hh",
            registered_house_id="",
            at=AT,
            by="t",
        )
        if n % 97 == 0:
            made = replace(made, tags=(tag,), category=Category.LODGED)
        people.append(made)
    repo.image.apply([*houses, *people], bulk=True)
    return repo


HOT = [
    ("residents_by_house", ResidentQuery(house_id="h-0003")),
    ("residents_by_zone", ResidentQuery(zone_code=ZONE, limit=50)),
    ("residents_by_zone_category", ResidentQuery(zone_code=ZONE, category=Category.LODGED)),
    ("residents_by_key_group", ResidentQuery(key_group=KeyGroup.LEFT_BEHIND_CHILD)),
    ("residents_by_category", ResidentQuery(category=Category.LODGED)),
    ("residents_by_name", ResidentQuery(name="王7")),
    ("residents_by_name_prefix", ResidentQuery(name_prefix="王1", limit=30)),
]


@pytest.mark.parametrize(("index", "query"), HOT, ids=[h[0] for h in HOT])
async def test_each_hot_resident_query_uses_its_index(index: str, query: ResidentQuery) -> None:
    found = await image().residents(query)
    assert found.plan.index == index
    assert found.items and found.plan.examined == found.plan.returned  # nothing read and thrown away


async def test_identity_lookup_is_one_dictionary_probe_and_the_map_reads_only_its_cells() -> None:
    repo = image()
    target = repo.image.residents["r-01234"]
    assert await repo.resident_by_identity(target.id_number) == target
    box = BoundingBox(116.895, 33.63, 116.925, 33.65)
    found = await repo.map_features(MapQuery(area=box, places=False))
    assert found.plan.index == "cells" and found.items
    # Only the houses of the covering cells are looked at (not the 400), most of them inside.
    assert found.plan.examined <= 2 * found.plan.returned < len(repo.image.houses)
    circle = await repo.map_features(MapQuery(area=Circle(GeoPoint(116.9, 33.64), 300), places=False))
    assert circle.plan.examined <= 3 * max(circle.plan.returned, 1)
    houses = await repo.houses(HouseQuery(zone_code=ZONE, limit=20))
    assert houses.plan.index == "houses_by_zone" and houses.plan.examined == 20

"""The room registry's repository contracts, each run against the in-memory fake and the Mongo adapter
on the session's real store (FerretDB): what one does, the other does, so application tests on the
fakes prove something. Versioned repositories pass the platform's AggregateRepositoryContract; every
typed query is tested here on both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from jingwu_platform.contract import AggregateRepositoryContract, contract_event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from jingwu_rooms.adapters.memory import (
    InMemoryPostingRepository,
    InMemoryRedivisionRepository,
    InMemoryRoomRepository,
    InMemoryRotaRepository,
    InMemoryStationRepository,
    InMemoryVillageRepository,
    InMemoryZoneRepository,
)
from jingwu_rooms.adapters.postings_repository import MongoPostingRepository
from jingwu_rooms.adapters.redivision_repository import MongoRedivisionRepository
from jingwu_rooms.adapters.room_repository import MongoRoomRepository
from jingwu_rooms.adapters.rota_repository import MongoRotaRepository
from jingwu_rooms.adapters.territory_repository import (
    MongoStationRepository,
    MongoVillageRepository,
    MongoZoneRepository,
)
from jingwu_rooms.application.ports import RoomQuery, StationQuery, VillageQuery, ZoneClash, ZoneQuery
from jingwu_rooms.domain.model import RoomKind, RoomStatus
from jingwu_rooms.domain.redivision import Redivision, RedivisionStatus, RoomMove
from jingwu_rooms.domain.rota import Rota
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import VillageLevel, Zone
from pymongo.asynchronous.database import AsyncDatabase

from .samples import AT, redivision, room, rota, station, village, zone


def backends(memory: Callable[[], Any], mongo: Callable[[AsyncDatabase[Document]], Any]) -> Any:
    """A ``repository`` fixture: the fake, then the Mongo adapter on a scratch database of its own."""

    @pytest.fixture(params=["memory", "mongo"])
    async def repository(self: object, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        if request.param == "memory":
            yield memory()
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            adapter = mongo(database)
            if hasattr(adapter, "ensure_indexes"):
                await adapter.ensure_indexes()
            yield adapter

    return repository


def ids(items: list[Any], key: str) -> list[str]:
    return [getattr(item, key) for item in items]


# --- rooms -------------------------------------------------------------------------------------------


class TestRoomRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryRoomRepository, lambda db: MongoRoomRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return room(n)

    def changed(self, aggregate: Any) -> Any:
        return aggregate.close(reason="场所拆迁", at=AT, by="chief-2", posted_staff=0)

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.room_id)

    async def test_select_filters_and_pages_in_id_order(self, repository: Any) -> None:
        await repository.add(room(1))
        await repository.add(room(2, kind=RoomKind.KEY_VILLAGE, zone_codes=("01110201",), vehicle_plate=""))
        await repository.add(room(3, station_id="st-other"))
        await repository.add(room(4, status=RoomStatus.MERGED))
        assert ids(await repository.select(RoomQuery()), "room_id") == ["r-001", "r-002", "r-003", "r-004"]
        assert ids(await repository.select(RoomQuery(station_id="st-bianhe")), "room_id") == [
            "r-001",
            "r-002",
            "r-004",
        ]
        assert ids(await repository.select(RoomQuery(zone_code="01110201")), "room_id") == ["r-002"]
        assert ids(
            await repository.select(RoomQuery(kind=RoomKind.MOBILE, status=RoomStatus.ACTIVE)), "room_id"
        ) == [
            "r-001",
            "r-003",
        ]
        first = await repository.select(RoomQuery(limit=2))
        rest = await repository.select(RoomQuery(after_id=first[-1].room_id, limit=2))
        assert ids(first + rest, "room_id") == ["r-001", "r-002", "r-003", "r-004"]

    async def test_live_rooms_of_zones(self, repository: Any) -> None:
        await repository.add(room(1, zone_codes=("01020301",)))
        await repository.add(room(2, zone_codes=("01020399", "01020302"), status=RoomStatus.PLANNED))
        await repository.add(room(3, zone_codes=("01020301",), status=RoomStatus.CLOSED))
        await repository.add(room(4, zone_codes=("01020303",)))
        found = await repository.live_in_zones(["01020301", "01020302"])
        assert ids(found, "room_id") == ["r-001", "r-002"]
        assert await repository.live_in_zones([]) == []

    async def test_the_room_holding_an_order_is_found_after_it_moved_on(self, repository: Any) -> None:
        taken = room(1)
        await repository.add(taken)
        await repository.add(room(2, orders=(), current_order=None))
        moved_on = await repository.save(taken.reassign_stop("s-square", "任务结束", AT, "u"))
        assert moved_on.current_order is None
        assert await repository.holding_order("o-1") == moved_on
        assert await repository.holding_order("o-404") is None


# --- stations (records) --------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "mongo"])
async def stations(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryStationRepository()
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        yield MongoStationRepository(database, OutboxRegistry())


async def test_a_station_is_stored_once_and_pages_in_id_order(stations: Any) -> None:
    assert await stations.insert(station("st-b"), [contract_event("st-b")])
    assert not await stations.insert(station("st-b", name="另一个派出所"))
    assert await stations.get("st-b") == station("st-b")
    assert await stations.get("st-404") is None
    for station_id in ("st-c", "st-a"):
        await stations.insert(station(station_id))
    first = await stations.select(StationQuery(limit=2))
    rest = await stations.select(StationQuery(after_id=first[-1].station_id, limit=2))
    assert ids(first, "station_id") == ["st-a", "st-b"] and ids(rest, "station_id") == ["st-c"]


# --- zones ---------------------------------------------------------------------------------------------


class TestZoneRepository(AggregateRepositoryContract[Zone]):
    repository = backends(InMemoryZoneRepository, lambda db: MongoZoneRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Zone:
        return zone(f"010203{n:02d}", community=f"社区{n}")

    def changed(self, aggregate: Zone) -> Zone:
        retired = aggregate.retired_by("rd-1", ("01029901",))
        assert retired is not None
        return retired

    def id_of(self, aggregate: Zone) -> str:
        return aggregate.zone_code

    async def test_codes_and_active_names_are_unique(self, repository: Any) -> None:
        # R-ORG-2: a code once; a name once among active zones
        assert await repository.add(zone("01020301"))
        assert not await repository.add(zone("01020301", community="道东社区"))
        assert await repository.clash_with(zone("01020301", community="道东社区")) is ZoneClash.CODE
        same_name = zone("01020302")
        assert not await repository.add(same_name)
        assert await repository.clash_with(same_name) is ZoneClash.NAME
        assert await repository.get("01020302") is None
        # once the first is retired, its name is free again
        first = await repository.get("01020301")
        await repository.save(first.retired_by("rd-1", ("01020302",)))
        assert await repository.add(same_name)

    async def test_select_filters_and_pages(self, repository: Any) -> None:
        await repository.add(zone("01020301", sequence=1))
        await repository.add(zone("01020302", sequence=2))
        await repository.add(zone("01030101", community="道东社区", station_id="st-other"))
        old = zone("01020303", sequence=3, retired=True, retired_by_redivision_id="rd-0")
        await repository.add(old)
        assert ids(await repository.select(ZoneQuery()), "zone_code") == ["01020301", "01020302", "01030101"]
        assert ids(
            await repository.select(ZoneQuery(include_retired=True, station_id="st-bianhe")), "zone_code"
        ) == [
            "01020301",
            "01020302",
            "01020303",
        ]
        assert ids(await repository.select(ZoneQuery(community_name="道东社区")), "zone_code") == ["01030101"]
        page = await repository.select(ZoneQuery(after_code="01020301", limit=1))
        assert ids(page, "zone_code") == ["01020302"]
        assert (await repository.get_many(["01020303"]))["01020303"] == old

    async def test_zones_a_redivision_created_are_deleted_with_it(self, repository: Any) -> None:
        await repository.add(zone("01020301"))
        await repository.add(zone("01020302", sequence=1, created_by_redivision_id="rd-1"))
        await repository.add(zone("01020303", sequence=2, created_by_redivision_id="rd-2"))
        await repository.delete_created_by("rd-1")
        await repository.delete_created_by("")
        assert sorted(await repository.get_many(["01020301", "01020302", "01020303"])) == [
            "01020301",
            "01020303",
        ]


# --- villages ------------------------------------------------------------------------------------------


class TestVillageRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryVillageRepository, lambda db: MongoVillageRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return village(f"v-{n:03d}")

    def changed(self, aggregate: Any) -> Any:
        return aggregate.moved("01020301", "01020302", "st-2")

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.village_id)

    async def test_select_filters_and_pages(self, repository: Any) -> None:
        await repository.add(village("v-a"))
        await repository.add(village("v-b", zone_code="01020302", station_id="st-2"))
        await repository.add(village("n-1", level=VillageLevel.NATURAL, parent_village_id="v-a"))
        assert ids(await repository.select(VillageQuery(zone_code="01020301")), "village_id") == [
            "n-1",
            "v-a",
        ]
        assert ids(await repository.select(VillageQuery(station_id="st-2")), "village_id") == ["v-b"]
        assert ids(await repository.select(VillageQuery(level=VillageLevel.NATURAL)), "village_id") == ["n-1"]
        assert ids(await repository.select(VillageQuery(parent_village_id="v-a")), "village_id") == ["n-1"]
        page = await repository.select(VillageQuery(after_id="n-1", limit=1))
        assert ids(page, "village_id") == ["v-a"]

    async def test_villages_a_redivision_touches(self, repository: Any) -> None:
        await repository.add(village("v-in-zone"))
        await repository.add(village("c-named", zone_code=""))
        await repository.add(
            village("n-of-named", zone_code="", level=VillageLevel.NATURAL, parent_village_id="c-named")
        )
        await repository.add(village("v-elsewhere", zone_code="01030101"))
        found = await repository.for_redivision(["01020301"], ["c-named"])
        assert ids(found, "village_id") == ["c-named", "n-of-named", "v-in-zone"]


# --- re-division plans ---------------------------------------------------------------------------------


class TestRedivisionRepository(AggregateRepositoryContract[Redivision]):
    repository = backends(
        InMemoryRedivisionRepository, lambda db: MongoRedivisionRepository(db, OutboxRegistry())
    )

    def sample(self, n: int) -> Redivision:
        return redivision(f"rd-{n:03d}")

    def changed(self, aggregate: Redivision) -> Redivision:
        late = RoomMove("r-late", ("01020301",), ("01020302",), (("01020301", ("01020302",)),))
        return aggregate.finished([late])

    def id_of(self, aggregate: Redivision) -> str:
        return aggregate.redivision_id

    async def test_only_plans_still_applying_are_resumed(self, repository: Any) -> None:
        for n in (3, 1, 2):
            await repository.add(redivision(f"rd-{n:03d}"))
        done = await repository.save(redivision("rd-002").finished())
        await repository.save(redivision("rd-003").abandoned())
        assert done.status is RedivisionStatus.DONE
        assert ids(await repository.applying(), "redivision_id") == ["rd-001"]


# --- rotas ---------------------------------------------------------------------------------------------


class TestRotaRepository(AggregateRepositoryContract[Rota]):
    repository = backends(InMemoryRotaRepository, lambda db: MongoRotaRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Rota:
        return rota(f"r-{n:03d}")

    def changed(self, aggregate: Rota) -> Rota:
        return aggregate.replace_period(date(2026, 11, 3), date(2026, 11, 5), {date(2026, 11, 5): "o-2"}, [])

    def id_of(self, aggregate: Rota) -> str:
        return aggregate.room_id

    async def test_a_room_without_a_rota_has_none(self, repository: Any) -> None:
        assert await repository.get("r-404") is None


# --- postings (read model) -----------------------------------------------------------------------------


@pytest.fixture(params=["memory", "mongo"])
async def postings(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryPostingRepository()
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        repository = MongoPostingRepository(database)
        await repository.ensure_indexes()
        yield repository


def posting(
    posting_id: str, room_id: str = "r-1", officer_id: str = "o-1", role: str = "community_officer"
) -> RoomPosting:
    return RoomPosting(posting_id, officer_id, room_id, role, full_time=True)


async def test_postings_are_grouped_by_room_in_id_order(postings: Any) -> None:
    for posting_id, room_id in (("p-3", "r-1"), ("p-1", "r-1"), ("p-2", "r-2")):
        await postings.posted(posting(posting_id, room_id), f"e-{posting_id}", AT)
    everything = await postings.current_by_room()
    assert {room_id: ids(found, "posting_id") for room_id, found in everything.items()} == {
        "r-1": ["p-1", "p-3"],
        "r-2": ["p-2"],
    }
    assert list(await postings.current_by_room(["r-2", "r-9"])) == ["r-2"]
    assert (await postings.current_by_room(["r-2"]))["r-2"] == [posting("p-2", "r-2")]


async def test_a_posting_once_ended_stays_ended(postings: Any) -> None:
    first = posting("p-1")
    await postings.posted(first, "e-1", AT)
    await postings.posted(replace(first, role="auxiliary"), "e-1-replayed", AT)  # known: no effect
    assert (await postings.current_by_room())["r-1"] == [first]
    await postings.ended(first, "e-2", AT)
    await postings.ended(first, "e-2-again", AT)
    await postings.posted(first, "e-1-late", AT)  # a replay after the end does not revive it
    assert await postings.current_by_room() == {}


async def test_an_end_without_its_posting_is_recorded_ended(postings: Any) -> None:
    await postings.ended(posting("p-9"), "e-9", AT)
    await postings.posted(posting("p-9"), "e-8-late", AT)
    assert await postings.current_by_room() == {}


async def test_deactivation_ends_only_the_officers_known_postings(postings: Any) -> None:
    await postings.posted(posting("p-1", officer_id="o-1"), "e-1", AT)
    await postings.posted(posting("p-2", officer_id="o-2"), "e-2", AT)
    await postings.end_many(["p-1", "p-2", "p-unknown"], "o-1", "e-3", AT)
    await postings.end_many([], "o-2", "e-4", AT)
    assert ids((await postings.current_by_room())["r-1"], "posting_id") == ["p-2"]


# --- what only the Mongo adapter has: the stored shape ----------------------------------------------------


@pytest.fixture
async def database(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo_url) as scratch:
        yield scratch


async def test_points_are_stored_as_geojson_and_boundaries_as_rings_of_points(
    database: AsyncDatabase[Document],
) -> None:
    rooms = MongoRoomRepository(database, OutboxRegistry())
    zones = MongoZoneRepository(database, OutboxRegistry())
    await rooms.add(room(1))
    await zones.add(zone())
    stored = await rooms.collection.find_one({"_id": "r-001"})
    assert stored is not None
    assert stored["location"] == {"type": "Point", "coordinates": [116.98, 33.63]}
    assert stored["stops"][0]["location"]["type"] == "Point"
    assert stored["current_order"]["checkpoint_location"]["type"] == "Point"
    assert stored["audit"]["created_by"] == "chief-1"
    stored_zone = await zones.collection.find_one({"_id": "01020301"})
    assert stored_zone is not None
    assert stored_zone["boundary"][0]["points"][0] == {"lon": 116.97, "lat": 33.62}
    assert stored_zone["active_name"] == "汴河社区"


async def test_documents_written_before_the_codec_are_read(database: AsyncDatabase[Document]) -> None:
    """A room as the hand-written mapping stored it (no version, no order log) still reads."""
    await database["rooms.rooms"].insert_one(
        {
            "_id": "r-old",
            "name": "老警务室",
            "kind": "key_village",
            "status": "active",
            "station_id": "st-1",
            "zone_codes": ["01110201"],
            "location": {"type": "Point", "coordinates": [117.05, 33.58]},
            "facilities": [{"code": "office", "quantity": 30}],
            "history": [{"at": AT, "action": "opened", "by": "u", "detail": ""}],
            "audit": {"created_by": "u", "created_at": AT, "updated_by": "u", "updated_at": AT},
        }
    )
    old = await MongoRoomRepository(database, OutboxRegistry()).get("r-old")
    assert old is not None
    assert (old.version, old.orders, old.facilities[0].quantity) == (0, (), 30.0)
    assert old.audit.created_at == AT and old.location.longitude == 117.05

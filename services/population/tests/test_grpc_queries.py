"""An import of a ledger through the gRPC API on the real Kafka and FerretDB, then every query; names
outside the BMP through gRPC, the store and Kafka (R-POP-1, R-POP-2, R-POP-7)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import events_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu_platform.auth import Role
from jingwu_platform.events import decode_payload, parse_record
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import field_violations, read_topic, refused
from jingwu_population.adapters.store import StoredPopulation

from .conftest import Population, import_rows, rows_for, zone
from .support import RARE_NAME, identity_number

pytestmark = pytest.mark.integration


async def test_an_imported_ledger_answers_every_query(population: Population) -> None:
    admin = population.stub(Role.DISTRICT_ADMIN)
    officer = population.stub(Role.OFFICER)
    district = population.district
    ledger = await import_rows(admin, rows_for(district, 60), hashlib.sha256(b"q").hexdigest())
    assert ledger.status == pb.LEDGER_IMPORT_STATUS_COMMITTED
    assert (ledger.houses_created, ledger.residents_created) == (20, 60)

    houses = await officer.ListHouses(
        pb.ListHousesRequest(zone_code=zone(district, 1), page=common_pb2.PageRequest(page_size=4))
    )
    assert len(houses.houses) == 4 and houses.page.next_page_token
    house = houses.houses[0]
    got = await officer.GetHouse(pb.GetHouseRequest(house_id=house.house_id))
    assert len(got.residents) == 3 and got.house.resident_count == 3
    assert all(r.masked and "*" in r.id_number for r in got.residents)

    first = await officer.ListResidents(
        pb.ListResidentsRequest(zone_code=zone(district, 1), page=common_pb2.PageRequest(page_size=25))
    )
    rest = await officer.ListResidents(
        pb.ListResidentsRequest(
            zone_code=zone(district, 1),
            page=common_pb2.PageRequest(page_size=25, page_token=first.page.next_page_token),
        )
    )
    ids = [r.resident_id for r in [*first.residents, *rest.residents]]
    assert len(ids) == len(set(ids)) == 30 and not rest.page.next_page_token
    floating = await officer.ListResidents(pb.ListResidentsRequest(category=pb.RESIDENT_CATEGORY_FLOATING))
    assert len(floating.residents) == 15 and all(r.residence_separated for r in floating.residents)
    alone = await officer.ListResidents(pb.ListResidentsRequest(key_group=pb.KEY_GROUP_ELDERLY_ALONE))
    assert len(alone.residents) == 10 and all(
        pb.KEY_GROUP_ELDERLY_ALONE in r.key_groups for r in alone.residents
    )

    exact = await officer.SearchResidents(pb.SearchResidentsRequest(name="李二"))
    assert exact.residents and {r.name for r in exact.residents} == {"李二"}
    prefix = await officer.SearchResidents(pb.SearchResidentsRequest(name="李*"))
    assert len(prefix.residents) == 60
    number = identity_number(date(1970 + 7 % 40, 1 + 7 % 12, 1 + 7 % 28), 7)
    error = await refused(officer.SearchResidents(pb.SearchResidentsRequest(id_number=number)))
    assert "access.purpose" in field_violations(error)
    by_number = await officer.SearchResidents(
        pb.SearchResidentsRequest(id_number=number, access=pb.PersonalDataAccess(purpose="走访核对"))
    )
    assert len(by_number.residents) == 1 and by_number.residents[0].masked

    box = common_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(longitude=116.96, latitude=33.63),
        north_east=common_pb2.GeoPoint(longitude=116.9715, latitude=33.65),
    )
    in_box = await officer.QueryMap(pb.QueryMapRequest(bbox=box))
    assert {f.kind for f in in_box.features} == {pb.MAP_FEATURE_KIND_HOUSE} and 0 < len(in_box.features) < 20
    in_zone = await officer.QueryMap(pb.QueryMapRequest(zone_code=zone(district, 2)))
    assert len(in_zone.features) == 10
    around = await officer.QueryMap(
        pb.QueryMapRequest(circle=pb.MapCircle(center=house.location, radius_m=5))
    )
    assert [f.id for f in around.features] == [house.house_id]
    # Off the globe (found by fuzzing: latitude 1e308 overflowed the map grid, INTERNAL).
    far = common_pb2.BoundingBox(
        south_west=box.south_west, north_east=common_pb2.GeoPoint(longitude=116.97, latitude=1e308)
    )
    error = await refused(officer.QueryMap(pb.QueryMapRequest(bbox=far)))
    assert field_violations(error) == {"bbox.north_east.latitude": "latitude 1e+308 is outside [-90, 90]"}

    counts = await officer.ListZonePopulations(pb.ListZonePopulationsRequest())
    assert {z.zone_code: z.actual_population for z in counts.zone_populations} == {
        zone(district, 1): 30,
        zone(district, 2): 30,
    }


async def test_a_rare_name_and_address_survive_grpc_the_store_and_kafka(
    population: Population, kafka_bootstrap: str
) -> None:
    officer = population.stub(Role.OFFICER)
    district = population.district
    address = f"宿州市埇桥区汴河街道{RARE_NAME}社区汴河路1号"
    house = (
        await officer.RegisterHouse(
            pb.RegisterHouseRequest(
                standard_address=address,
                location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
                zone_code=zone(district),
                request_id="h-rare",
            )
        )
    ).house
    moved = await officer.MoveInResident(
        pb.MoveInResidentRequest(
            house_id=house.house_id,
            name=RARE_NAME,
            id_number=identity_number(date(1990, 1, 2), 11),
            relation=pb.RELATION_HOUSEHOLDER,
            category=pb.RESIDENT_CATEGORY_REGISTERED,
            request_id="r-rare",
        )
    )
    assert moved.resident.name == RARE_NAME and house.standard_address == address
    # The store: the population as a restarted process rebuilds it reads the same characters back.
    rebuilt = StoredPopulation(population.process.store._db, OutboxRegistry())
    await rebuilt.load()
    assert (await rebuilt.resident(moved.resident.resident_id)).name == RARE_NAME  # type: ignore[union-attr]
    assert (await rebuilt.house(house.house_id)).address == address  # type: ignore[union-attr]
    # Kafka: the house's address as published.
    topic = f"jingwu.{district}.population.v1"
    records = await read_topic(
        kafka_bootstrap,
        topic,
        until=lambda rs: any(r.headers.get("ce_type", "").endswith("HouseRegistered") for r in rs),
    )
    record = next(r for r in records if r.headers["ce_type"].endswith("HouseRegistered"))
    event = parse_record(list(record.headers.items()), record.value, record.key)
    assert decode_payload(event, events_pb2.HouseRegistered).house.standard_address == address

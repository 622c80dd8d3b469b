"""Territory over the real gRPC server, FerretDB and Kafka: stations, zones, villages and re-division
(R-ORG-1..5), each command stored and published."""

from __future__ import annotations

import grpc
import pytest
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.testing import field_violations, refused, rule_violations

from .support import RoomsService, precondition_subjects

pytestmark = pytest.mark.integration


async def test_station_is_stored_published_and_created_once(rooms_service: RoomsService) -> None:
    svc = rooms_service
    station = await svc.station("st-bianhe")
    assert station.operating_model == rooms_pb2.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP
    assert station.audit.created_by == "chief-1"
    stored = await svc.db["rooms.stations"].find_one({"_id": "st-bianhe"})
    assert stored is not None and stored["kind"] == "urban"
    (record,) = await svc.events(events_pb2.StationCreated, "st-bianhe")
    assert events_pb2.StationCreated.FromString(record.value or b"").station.name == "汴河派出所"

    assert (await svc.station("st-bianhe")).station_id == "st-bianhe"  # a repeated create is harmless
    error = await refused(svc.station("st-bianhe", name="另一个派出所"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    listed = await svc.stub.ListStations(rooms_pb2.ListStationsRequest())
    assert [s.station_id for s in listed.stations] == ["st-bianhe"]


async def test_bad_station_names_each_field(rooms_service: RoomsService) -> None:
    error = await refused(rooms_service.bureau.CreateStation(rooms_pb2.CreateStationRequest(name="x")))
    assert set(field_violations(error)) == {"kind", "operating_model", "location"}


async def test_zone_is_named_per_community_and_published(rooms_service: RoomsService) -> None:
    # R-ORG-2
    svc = rooms_service
    await svc.station()
    first = await svc.zone("020301", sequence=1, community_ids=["c-bianhe"])
    assert first.name == "汴河社区1" and first.zone_code == f"{svc.district}020301"
    (record,) = await svc.events(events_pb2.ZoneCreated, first.zone_code)
    assert events_pb2.ZoneCreated.FromString(record.value or b"").zone.name == "汴河社区1"

    # a second, unnumbered zone for the same community breaks the naming rule
    assert precondition_subjects(await refused(svc.zone("020302"))) == {
        "R-ORG-2": f"zones/{svc.district}020302"
    }
    assert (await svc.zone("020302", sequence=2)).name == "汴河社区2"

    assert (await svc.zone("020301", sequence=1, community_ids=["c-bianhe"])).name == "汴河社区1"  # repeated
    error = await refused(svc.zone("020301", community="道东社区"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS  # R-ORG-2: codes are unique per district
    got = await svc.stub.GetZone(rooms_pb2.GetZoneRequest(zone_code=first.zone_code))
    assert len(got.zone.boundary.rings[0].points) == 5


async def test_bad_zone_names_each_field(rooms_service: RoomsService) -> None:
    svc = rooms_service
    request = svc.zone_request("020301")
    request.zone_code = "9902030"  # 7 digits
    request.workload.security_complexity = 9
    del request.boundary.rings[0].points[-1]  # no longer closed
    fields = field_violations(await refused(svc.bureau.CreateZone(request)))
    assert set(fields) == {"zone_code", "workload.security_complexity", "boundary.rings[0].points"}
    assert "8 digits" in fields["zone_code"]
    request = svc.zone_request("020301")
    request.zone_code = "99020301" if svc.district != "99" else "98020301"
    assert (
        "does not belong to district"
        in field_violations(await refused(svc.bureau.CreateZone(request)))["zone_code"]
    )


async def test_zone_of_an_unknown_station_is_not_found(rooms_service: RoomsService) -> None:
    error = await refused(rooms_service.zone("020301", station_id="st-nowhere"))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_natural_village_takes_its_parents_zone(rooms_service: RoomsService) -> None:
    # R-ORG-5
    svc = rooms_service
    await svc.station()
    await svc.zone("110201", community="张庄村")
    admin = await svc.village(
        "v-zz", "110201", name="张庄村", security_complex_central=True, township="朱仙庄镇"
    )
    assert admin.station_id == "st-bianhe"
    natural = await svc.village(
        "n-lj", name="李家庄", level=rooms_pb2.VILLAGE_LEVEL_NATURAL, parent_village_id="v-zz"
    )
    assert (natural.zone_code, natural.township) == (f"{svc.district}110201", "朱仙庄镇")
    again = await svc.village(
        "n-lj", name="李家庄", level=rooms_pb2.VILLAGE_LEVEL_NATURAL, parent_village_id="v-zz"
    )
    assert again == natural  # a repeated registration answers the stored village
    (record,) = await svc.events(events_pb2.VillageRegistered, "n-lj")
    assert events_pb2.VillageRegistered.FromString(record.value or b"").village.parent_village_id == "v-zz"
    listed = await svc.stub.ListVillages(rooms_pb2.ListVillagesRequest(parent_village_id="v-zz"))
    assert [v.village_id for v in listed.villages] == ["n-lj"]
    fields = field_violations(
        await refused(
            svc.village("n-x", level=rooms_pb2.VILLAGE_LEVEL_NATURAL, parent_village_id="n-lj", name="王庄")
        )
    )
    assert "R-ORG-5" in fields["parent_village_id"]


async def test_redivision_moves_every_record_and_publishes_the_handover(rooms_service: RoomsService) -> None:
    # R-ORG-3: split one zone in two; villages, natural villages and rooms follow; nothing orphaned
    svc = rooms_service
    d = svc.district
    await svc.station()
    old = await svc.zone("020301", community="汴河社区", community_ids=["c-east", "c-west"])
    await svc.village("c-east", "020301", name="汴河东社区", urban_community=True)
    await svc.village("c-west", "020301", name="汴河西社区", urban_community=True)
    await svc.village("n-1", name="东关", level=rooms_pb2.VILLAGE_LEVEL_NATURAL, parent_village_id="c-east")
    room_west = await svc.room(("020301",), village_id="c-west")
    room_all = await svc.room(
        ("020301",), name="汴河流动警务室", kind=rooms_pb2.ROOM_KIND_MOBILE, vehicle_plate="皖L1"
    )

    east = svc.zone_request("020302", sequence=1, community_ids=["c-east"])
    west = svc.zone_request("020303", sequence=2, community_ids=["c-west"])
    reply = await svc.bureau.RedivideZones(
        rooms_pb2.RedivideZonesRequest(
            from_zone_codes=[old.zone_code], to_zones=[east, west], reason="社区改革"
        )
    )
    assert [z.name for z in reply.new_zones] == ["汴河社区1", "汴河社区2"]
    items = {(i.record_type, i.record_id, i.from_zone_code, i.to_zone_code) for i in reply.handover}
    assert {
        ("village", "c-east", f"{d}020301", f"{d}020302"),
        ("village", "n-1", f"{d}020301", f"{d}020302"),
        ("room", room_west.room_id, f"{d}020301", f"{d}020303"),
        ("room", room_all.room_id, f"{d}020301", f"{d}020302"),
        ("room", room_all.room_id, f"{d}020301", f"{d}020303"),
    } <= items

    retired = (await svc.stub.GetZone(rooms_pb2.GetZoneRequest(zone_code=old.zone_code))).zone
    assert retired.retired and retired.retired_by_redivision_id == reply.redivision_id
    assert list(retired.successor_zone_codes) == [f"{d}020302", f"{d}020303"]
    assert list((await svc.get(room_west.room_id)).zone_codes) == [f"{d}020303"]
    assert list((await svc.get(room_all.room_id)).zone_codes) == [f"{d}020302", f"{d}020303"]
    natural = await svc.stub.ListVillages(rooms_pb2.ListVillagesRequest(zone_code=f"{d}020302"))
    assert sorted(v.village_id for v in natural.villages) == ["c-east", "n-1"]
    active = await svc.stub.ListZones(rooms_pb2.ListZonesRequest())
    assert [z.zone_code for z in active.zones] == [f"{d}020302", f"{d}020303"]

    (record,) = await svc.events(events_pb2.ZonesRedivided, reply.redivision_id)
    event = events_pb2.ZonesRedivided.FromString(record.value or b"")
    # other services re-home their postings, houses and residents from this map
    assert dict(event.community_to_zone) == {"c-east": f"{d}020302", "c-west": f"{d}020303"}
    assert len(event.handover) == len(reply.handover) and event.reason == "社区改革"

    # a room cannot be opened in a dissolved zone
    assert "R-ORG-3" in rule_violations(await refused(svc.room(("020301",))))


async def test_redivision_that_would_orphan_a_community_changes_nothing(rooms_service: RoomsService) -> None:
    # R-ORG-3: the refusal names the community left behind
    svc = rooms_service
    await svc.station()
    old = await svc.zone("020301", community_ids=["c-east", "c-west"])
    await svc.village("c-west", "020301", name="汴河西社区")
    only_east = svc.zone_request("020302", community_ids=["c-east"])
    error = await refused(
        svc.bureau.RedivideZones(
            rooms_pb2.RedivideZonesRequest(from_zone_codes=[old.zone_code], to_zones=[only_east], reason="r")
        )
    )
    assert precondition_subjects(error) == {"R-ORG-3": "villages/c-west"}
    assert "汴河西社区" in rule_violations(error)["R-ORG-3"]
    unchanged = (await svc.stub.GetZone(rooms_pb2.GetZoneRequest(zone_code=old.zone_code))).zone
    assert not unchanged.retired
    assert await svc.db["rooms.zones"].find_one({"_id": f"{svc.district}020302"}) is None

    twice = [
        svc.zone_request("020302", sequence=1, community_ids=["c-east", "c-west"]),
        svc.zone_request("020303", sequence=2, community_ids=["c-west"]),
    ]
    error = await refused(
        svc.bureau.RedivideZones(
            rooms_pb2.RedivideZonesRequest(from_zone_codes=[old.zone_code], to_zones=twice, reason="r")
        )
    )
    assert "to_zones[1].community_ids[0]" in field_violations(error)

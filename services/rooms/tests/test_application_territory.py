"""Territory use cases on the in-memory repositories with a fake clock: idempotent creates of stations,
zones and villages (R-ORG-1, 2, 4, 5), and zone re-division planned, applied and resumed (R-ORG-3)."""

from __future__ import annotations

import pytest
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation
from jingwu_rooms.domain.redivision import RedivisionStatus, plan_redivision
from jingwu_rooms.domain.territory import OperatingModel, StationDraft, StationKind, VillageLevel

from .fakes import BUREAU, LEADER, FakeRoomRegistry, fake_registry
from .samples import AT, STATION, SUZHOU, room_draft, village_draft, zone_draft


async def territory(fake: FakeRoomRegistry) -> None:
    """A station, zone 01020301 of two communities, both registered, a natural village, two rooms."""
    await fake.app.territory.create_station(STATION, "st-bianhe", caller=BUREAU)
    await fake.app.territory.create_zone(zone_draft(community_ids=("c-east", "c-west")), caller=BUREAU)
    await fake.app.territory.register_village(village_draft(), "c-east", caller=BUREAU)
    await fake.app.territory.register_village(village_draft(name="汴河西社区"), "c-west", caller=BUREAU)
    natural = village_draft(zone_code="", level=VillageLevel.NATURAL, parent_village_id="c-east", name="东关")
    await fake.app.territory.register_village(natural, "n-1", caller=BUREAU)


SPLIT = [
    zone_draft("01020302", sequence=1, community_ids=("c-east",)),
    zone_draft("01020303", sequence=2, community_ids=("c-west",)),
]


# --- idempotent creates ----------------------------------------------------------------------------------


async def test_a_repeated_create_answers_the_stored_record_and_publishes_nothing() -> None:
    fake = fake_registry()
    station = await fake.app.territory.create_station(STATION, "st-bianhe", caller=BUREAU)
    zone = await fake.app.territory.create_zone(zone_draft(community_ids=("c-east",)), caller=BUREAU)
    village = await fake.app.territory.register_village(village_draft(), "c-east", caller=BUREAU)
    assert fake.types() == ["StationCreated", "ZoneCreated", "VillageRegistered"]
    assert (zone.name, village.station_id, station.audit.created_at) == ("汴河社区", "st-bianhe", AT)

    fake.clock.advance(hours=1)
    assert await fake.app.territory.create_station(STATION, "st-bianhe", caller=LEADER) == station
    assert await fake.app.territory.create_zone(zone_draft(community_ids=("c-east",)), caller=BUREAU) == zone
    assert await fake.app.territory.register_village(village_draft(), "c-east", caller=BUREAU) == village
    assert fake.types() == ["StationCreated", "ZoneCreated", "VillageRegistered"]

    # the same id with other content is another record: refused
    renamed = StationDraft("另一个派出所", StationKind.URBAN, OperatingModel.TWO_TEAMS_ONE_GROUP, SUZHOU)
    with pytest.raises(AlreadyExists):
        await fake.app.territory.create_station(renamed, "st-bianhe", caller=BUREAU)
    with pytest.raises(AlreadyExists):  # R-ORG-2: a code is unique per district
        await fake.app.territory.create_zone(zone_draft(community="道东社区"), caller=BUREAU)
    with pytest.raises(AlreadyExists):
        await fake.app.territory.register_village(village_draft(name="别的村"), "c-east", caller=BUREAU)


async def test_a_community_with_two_zones_numbers_them() -> None:
    # R-ORG-2
    fake = fake_registry()
    await fake.app.territory.create_station(STATION, "st-bianhe", caller=BUREAU)
    await fake.app.territory.create_zone(zone_draft(sequence=1), caller=BUREAU)
    with pytest.raises(RuleViolation) as exc:
        await fake.app.territory.create_zone(zone_draft("01020302"), caller=BUREAU)
    assert exc.value.rule_id == "R-ORG-2" and exc.value.subject == "zones/01020302"
    second = await fake.app.territory.create_zone(zone_draft("01020302", sequence=2), caller=BUREAU)
    assert second.name == "汴河社区2"
    zones, token = await fake.app.territory.list_zones(
        station_id="st-bianhe", include_retired=False, page_size=1, page_token=""
    )
    assert [z.zone_code for z in zones] == ["01020301"] and token == "01020301"
    with pytest.raises(NotFound):
        await fake.app.territory.create_zone(zone_draft("01020309", station_id="st-nowhere"), caller=BUREAU)


# --- re-division (R-ORG-3) -------------------------------------------------------------------------------


async def test_a_redivision_moves_every_record_and_publishes_the_handover_once() -> None:
    fake = fake_registry()
    await territory(fake)
    west_room = await fake.app.rooms.open_room(room_draft(village_id="c-west"), caller=LEADER)
    plan = await fake.app.redivisions.redivide_zones(["01020301"], SPLIT, "社区改革", caller=BUREAU)
    assert plan.status is RedivisionStatus.DONE and plan.created_by == "chief-1"
    items = {(i.record_type, i.record_id, i.from_zone_code, i.to_zone_code) for i in plan.handover}
    assert {
        ("village", "c-east", "01020301", "01020302"),
        ("village", "n-1", "01020301", "01020302"),
        ("room", west_room.room_id, "01020301", "01020303"),
    } <= items
    old = await fake.app.territory.get_zone("01020301")
    assert old.retired and old.successor_zone_codes == ("01020302", "01020303")
    assert (await fake.app.rooms.get_room(west_room.room_id)).zone_codes == ("01020303",)
    natural = await fake.stores.villages.get("n-1")
    assert natural is not None and natural.zone_code == "01020302"
    (event,) = fake.outbox.of_type(events_pb2.ZonesRedivided)
    assert dict(event.community_to_zone) == {"c-east": "01020302", "c-west": "01020303"}
    assert len(event.handover) == len(plan.handover) and event.redivision_id == plan.redivision_id
    assert await fake.stores.redivisions.applying() == []

    # the dissolved zone cannot be re-divided again, nor take a new room
    with pytest.raises(RuleViolation) as again:
        await fake.app.redivisions.redivide_zones(["01020301"], SPLIT, "again", caller=BUREAU)
    assert again.value.rule_id == "R-ORG-3"
    with pytest.raises(RuleViolation):
        await fake.app.rooms.open_room(room_draft(zone_codes=("01020301",)), caller=LEADER)


async def test_a_redivision_that_would_orphan_a_community_changes_nothing() -> None:
    fake = fake_registry()
    await territory(fake)
    written = len(fake.outbox.events)
    with pytest.raises(RuleViolation) as exc:
        await fake.app.redivisions.redivide_zones(
            ["01020301"], [zone_draft("01020302", community_ids=("c-east",))], "r", caller=BUREAU
        )
    assert (exc.value.rule_id, exc.value.subject) == ("R-ORG-3", "villages/c-west")
    assert not (await fake.app.territory.get_zone("01020301")).retired
    assert await fake.stores.zones.get("01020302") is None and len(fake.outbox.events) == written


async def test_a_plan_a_crash_left_applying_is_completed_at_start_and_its_event_goes_out_then() -> None:
    fake = fake_registry()
    await territory(fake)
    room = await fake.app.rooms.open_room(room_draft(village_id="c-west"), caller=LEADER)
    dissolved = await fake.app.territory.get_zone("01020301")
    villages = await fake.stores.villages.for_redivision(["01020301"], ["c-east", "c-west"])
    # Planned before the room opened (rooms=[]): it is found while applying, and listed.
    plan = plan_redivision(
        redivision_id="rd-crashed",
        reason="社区改革",
        dissolved=[dissolved],
        to_zones=SPLIT,
        active_zones=[dissolved],
        villages=villages,
        rooms=[],
        taken_codes=[],
        at=AT,
        by="chief-1",
    )
    await fake.stores.redivisions.add(plan)
    assert fake.outbox.of_type(events_pb2.ZonesRedivided) == []

    await fake.app.complete_interrupted_commands()
    assert (await fake.app.rooms.get_room(room.room_id)).zone_codes == ("01020303",)
    (event,) = fake.outbox.of_type(events_pb2.ZonesRedivided)
    assert ("room", room.room_id) in {(i.record_type, i.record_id) for i in event.handover}
    stored = await fake.stores.redivisions.get("rd-crashed")
    assert stored is not None and stored.status is RedivisionStatus.DONE
    await fake.app.complete_interrupted_commands()
    assert len(fake.outbox.of_type(events_pb2.ZonesRedivided)) == 1


async def test_a_zone_another_redivision_holds_abandons_the_plan_and_undoes_its_claims() -> None:
    # R-ORG-3: the claim is the lock; the plan that loses gives back what it took
    fake = fake_registry()
    await territory(fake)
    await fake.app.territory.create_zone(zone_draft("01030101", community="道东社区"), caller=BUREAU)
    first = await fake.app.territory.get_zone("01020301")
    second = await fake.app.territory.get_zone("01030101")
    held = second.retired_by("rd-other", ("01030102",))
    assert held is not None
    plan = plan_redivision(
        redivision_id="rd-late",
        reason="r",
        dissolved=[first, second],
        to_zones=[zone_draft("01020302", community_ids=("c-east", "c-west"))],
        active_zones=[first, second],
        villages=await fake.stores.villages.for_redivision(["01020301"], ["c-east", "c-west"]),
        rooms=[],
        taken_codes=[],
        at=AT,
        by="chief-1",
    )
    await fake.stores.redivisions.add(plan)
    await fake.stores.zones.save(held)  # the other re-division dissolved 01030101 after this one planned

    await fake.app.complete_interrupted_commands()
    assert not (await fake.app.territory.get_zone("01020301")).retired  # its claim was undone
    assert await fake.stores.zones.get("01020302") is None
    stored = await fake.stores.redivisions.get("rd-late")
    assert stored is not None and stored.status is RedivisionStatus.ABANDONED
    assert fake.outbox.of_type(events_pb2.ZonesRedivided) == []

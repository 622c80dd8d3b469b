"""Houses and residents on the in-memory repository and a fake clock (R-POP-1, R-POP-2)."""

from __future__ import annotations

from datetime import date

import pytest
from jingwu.population.v1 import events_pb2
from jingwu_platform.errors import AlreadyExists, NotFound, ValidationFailed
from jingwu_platform.testing import violations_of
from jingwu_population.application.ports import ResidentQuery
from jingwu_population.domain.people import Category, KeyGroup, Relation, ResidentStatus
from jingwu_population.domain.registration import TagDraft

from .support import ADMIN, OFFICER, RARE_NAME, ZONE, apps, house_draft, person


async def test_a_house_is_one_address_in_any_spelling() -> None:
    """R-POP-1: the standard address is the identity of a house."""
    a = apps()
    first = await a.houses.register(house_draft(88), OFFICER)
    again = await a.houses.register(
        house_draft(88).__class__(
            address="宿州市 埇桥区 汴河街道 汴河社区 汴河路８８号",
            location=first.house.location,
            zone_code=ZONE,
        ),
        OFFICER,
    )
    assert again.house.house_id == first.house.house_id
    assert a.repo.outbox.types() == ["HouseRegistered"]
    moved = house_draft(88).__class__(
        address="汴河路88号", location=first.house.location, zone_code="01020202"
    )
    with pytest.raises(AlreadyExists):
        await a.houses.register(
            moved.__class__(address=first.house.address, location=first.house.location, zone_code="01020202"),
            OFFICER,
        )


async def test_house_needs_coordinates_and_a_zone_of_the_district() -> None:
    """R-POP-7 coordinates, R-ORG-2 zone code: one violation per field."""
    a = apps()
    bad = house_draft(1).__class__(
        address="汴河路", location=house_draft(1).location.__class__(0, 0), zone_code="99020201"
    )
    with pytest.raises(ValidationFailed) as failed:
        await a.houses.register(bad, OFFICER)
    problems = violations_of(failed.value)
    assert set(problems) == {"standard_address", "location", "zone_code"}


async def test_move_in_move_out_and_back_keeps_the_whole_history() -> None:
    """R-POP-1: moves in and out, with full history; the record is kept after moving out."""
    a = apps()
    one = (await a.houses.register(house_draft(1), OFFICER)).house
    two = (await a.houses.register(house_draft(2), OFFICER)).house
    resident = await a.residents.move_in(one.house_id, "", person(1), OFFICER)
    assert resident.living and resident.house_id == one.house_id
    a.clock.advance(days=10)
    again = await a.residents.move_in(two.house_id, "", person(1), OFFICER)  # matched by identity number
    assert again.resident_id == resident.resident_id and again.house_id == two.house_id
    assert [(h.house_id, h.status) for h in again.history] == [
        (one.house_id, ResidentStatus.MOVED_OUT),
        (two.house_id, ResidentStatus.LIVING),
    ]
    assert again.history[0].destination == two.address
    left = await a.residents.move_out(again.resident_id, date(2026, 3, 12), "合肥", None, OFFICER)
    assert left.status is ResidentStatus.MOVED_OUT and left.history[-1].move_out_date == date(2026, 3, 12)
    assert (await a.residents.list_residents(ResidentQuery(house_id=two.house_id)))[0] == []
    kept = await a.residents.list_residents(ResidentQuery(house_id=two.house_id, include_moved_out=True))
    assert [r.resident_id for r in kept[0]] == [resident.resident_id]
    assert a.repo.outbox.types() == [
        "HouseRegistered",
        "HouseRegistered",
        "ResidentMovedIn",
        "ResidentMovedOut",
        "ResidentMovedIn",
        "ResidentMovedOut",
    ]
    (moved,) = [e for e in a.repo.outbox.of_type(events_pb2.ResidentMovedIn) if e.previous_house_id]
    assert moved.previous_house_id == one.house_id


async def test_a_repeated_move_in_changes_nothing() -> None:
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    first = await a.residents.move_in(house.house_id, "", person(1), OFFICER)
    again = await a.residents.move_in(house.house_id, "", person(1), OFFICER)
    assert again == first
    assert a.repo.outbox.types().count("ResidentMovedIn") == 1


async def test_separated_residents_are_recorded_at_both_ends() -> None:
    """R-POP-1 人户分离: registered at one house of the district, living at another."""
    a = apps()
    registered_at = (await a.houses.register(house_draft(1), OFFICER)).house
    lives_at = (await a.houses.register(house_draft(2), OFFICER)).house
    resident = await a.residents.move_in(
        lives_at.house_id, "", person(5, registered_address=registered_at.address), OFFICER
    )
    assert resident.separated and resident.registered_house_id == registered_at.house_id
    assert [r.resident_id for r in await a.repo.registered_living_elsewhere(registered_at.house_id)] == [
        resident.resident_id
    ]
    same = await a.residents.move_in(registered_at.house_id, "", person(6), OFFICER)
    assert not same.separated and same.registered_house_id == registered_at.house_id
    floating = await a.residents.move_in(
        lives_at.house_id, "", person(7, category=Category.FLOATING), OFFICER
    )
    assert floating.separated  # registered elsewhere by definition
    separated, _ = await a.residents.list_residents(ResidentQuery(zone_code=ZONE, separated_only=True))
    assert {r.resident_id for r in separated} == {resident.resident_id, floating.resident_id}


async def test_identity_number_problems_are_separate_field_violations() -> None:
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    draft = person(1)
    bad = draft.__class__(
        name=draft.name,
        id_number="991302" + "20261301" + "123" + "0",  # province, date and check digit all wrong
        relation=Relation.CHILD,
        category=Category.REGISTERED,
    )
    with pytest.raises(ValidationFailed) as failed:
        await a.residents.move_in(house.house_id, "", bad, OFFICER)
    (only,) = {v.field for v in failed.value.violations}
    assert only == "id_number"
    assert len(failed.value.violations) == 3


async def test_a_name_outside_the_bmp_is_kept_as_given() -> None:
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    draft = person(1, name=RARE_NAME)
    resident = await a.residents.move_in(house.house_id, "", draft, OFFICER)
    assert resident.name == RARE_NAME
    found, _ = await a.residents.search(name=RARE_NAME, id_number="", phone="", limit=10, after="")
    assert [r.resident_id for r in found] == [resident.resident_id]
    prefix, _ = await a.residents.search(name=RARE_NAME[0] + "*", id_number="", phone="", limit=10, after="")
    assert [r.resident_id for r in prefix] == [resident.resident_id]


async def test_key_group_tags_need_reason_owner_and_review_date() -> None:
    """R-POP-2: each key group with a reason, an owner and a review date."""
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    resident = await a.residents.move_in(house.house_id, "", person(1), OFFICER)
    with pytest.raises(ValidationFailed) as failed:
        await a.residents.change_category(
            resident.resident_id,
            Category.REGISTERED,
            (TagDraft(KeyGroup.RELEASED_PRISONER, "", "", None),),
            "刑满释放",
            OFFICER,
        )
    assert set(violations_of(failed.value)) == {
        "key_group_tags[0].reason",
        "key_group_tags[0].owner_id",
        "key_group_tags[0].review_date",
    }
    tagged = await a.residents.change_category(
        resident.resident_id,
        Category.TEMPORARY,
        (TagDraft(KeyGroup.RELEASED_PRISONER, "刑满释放", "officer-9", date(2026, 9, 1)),),
        "刑满释放",
        OFFICER,
    )
    assert tagged.key_groups == (KeyGroup.RELEASED_PRISONER,) and tagged.tags[0].owner_id == "officer-9"
    assert tagged.separated  # temporary now
    (changed,) = a.repo.outbox.of_type(events_pb2.ResidentCategoryChanged)
    assert changed.reason == "刑满释放" and list(changed.key_groups) == [1]
    in_group, _ = await a.residents.list_residents(ResidentQuery(key_group=KeyGroup.RELEASED_PRISONER))
    assert [r.resident_id for r in in_group] == [resident.resident_id]


async def test_unknown_house_and_resident_are_not_found() -> None:
    a = apps()
    with pytest.raises(NotFound):
        await a.residents.move_in("nowhere", "", person(1), ADMIN)
    with pytest.raises(NotFound):
        await a.residents.move_out("nobody", None, "", None, ADMIN)

"""Zone counts and their debounced events (R-PER-4), the map (R-POP-7), re-division (R-ORG-3), the
audit trail (R-POP-6) and the key-group review schedule (R-POP-2), on fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jingwu.population.v1 import events_pb2
from jingwu_platform.errors import PermissionDenied, ValidationFailed
from jingwu_population.application.ports import AuditQuery, MapQuery, ResidentQuery
from jingwu_population.domain.audit import tampered
from jingwu_population.domain.geo import BoundingBox, Circle, GeoPoint, Polygon
from jingwu_population.domain.people import Category, KeyGroup
from jingwu_population.domain.privacy import AccessRequest
from jingwu_population.domain.registration import TagDraft
from jingwu_population.domain.territory import Redivision, Village, Zone
from jingwu_population.entrypoints.schedules import KEY_GROUP_REVIEWS

from .support import OFFICER, PII, ZONE, ZONE_2, apps, house_draft, person


async def test_zone_counts_are_published_when_they_change_at_most_once_per_window() -> None:
    """R-PER-4: ZonePopulationChanged with the full snapshot, debounced, only for changed zones."""
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    for n in range(3):
        await a.residents.move_in(house.house_id, "", person(n, category=Category.TEMPORARY), OFFICER)
    assert await a.counts.publish_changed() == 1
    (first,) = a.repo.outbox.of_type(events_pb2.ZonePopulationChanged)
    assert (first.zone_population.zone_code, first.zone_population.actual_population) == (ZONE, 3)
    assert first.zone_population.residence_separated_count == 3
    assert await a.counts.publish_changed() == 0  # nothing changed
    await a.residents.move_in(house.house_id, "", person(9), OFFICER)
    assert await a.counts.publish_changed() == 0  # changed, but inside the window
    a.clock.advance(seconds=6)
    assert await a.counts.publish_changed() == 1
    last = a.repo.outbox.of_type(events_pb2.ZonePopulationChanged)[-1]
    assert last.zone_population.actual_population == 4
    assert {c.category: c.count for c in last.zone_population.category_counts} == {1: 1, 2: 3}


async def test_map_areas_find_what_is_inside_and_nothing_else() -> None:
    """R-POP-7: bounding box, polygon, circle and zone, through the cell index."""
    a = apps()
    near = (await a.houses.register(house_draft(1, lon=116.970, lat=33.640), OFFICER)).house
    far = (await a.houses.register(house_draft(2, lon=117.100, lat=33.700, zone=ZONE_2), OFFICER)).house
    box = BoundingBox(116.96, 33.63, 116.98, 33.65)
    found, _ = await a.map.query(MapQuery(area=box))
    assert [f.house.house.house_id for f in found.items if f.house] == [near.house_id]
    assert found.plan.index == "cells" and found.plan.examined == 1
    square = Polygon(
        (
            (
                GeoPoint(117.09, 33.69),
                GeoPoint(117.11, 33.69),
                GeoPoint(117.11, 33.71),
                GeoPoint(117.09, 33.71),
                GeoPoint(117.09, 33.69),
            ),
        )
    )
    found, _ = await a.map.query(MapQuery(area=square))
    assert [f.house.house.house_id for f in found.items if f.house] == [far.house_id]
    found, _ = await a.map.query(MapQuery(area=Circle(GeoPoint(116.9701, 33.6401), 200)))
    assert [f.feature_id for f in found.items] == [f"house/{near.house_id}"]
    found, _ = await a.map.query(MapQuery(zone_code=ZONE_2))
    assert [f.feature_id for f in found.items] == [f"house/{far.house_id}"]
    with pytest.raises(ValidationFailed):
        await a.map.query(MapQuery(area=BoundingBox(100, 20, 130, 50)))  # too many cells


async def test_a_redivision_moves_every_house_and_resident_with_a_handover_list() -> None:
    """R-ORG-3: by village first, nothing orphaned; resumed when interrupted."""
    a = apps()
    await a.territory.village_registered(Village("vil-a", "甲村", "", ZONE, "st-1"))
    await a.territory.village_registered(Village("vil-a-1", "前甲", "vil-a", ZONE, "st-1"))
    in_a = (await a.houses.register(house_draft(1, village="vil-a-1"), OFFICER)).house
    elsewhere = (await a.houses.register(house_draft(2, lon=116.99), OFFICER)).house
    resident = await a.residents.move_in(in_a.house_id, "", person(1), OFFICER)
    plan = Redivision(
        redivision_id="rd-1",
        from_zone_codes=(ZONE,),
        to_zone_codes=("01020203", "01020204"),
        village_to_zone={"vil-a": "01020204"},
        new_zones=(Zone("01020203", "新一", "st-1"), Zone("01020204", "新二", "st-1")),
    )
    done = await a.territory.zones_redivided(plan)
    assert done.status.value == "done" and (done.houses_moved, done.residents_moved) == (2, 1)
    assert (await a.repo.house(in_a.house_id)).zone_code == "01020204"  # type: ignore[union-attr]
    assert (await a.repo.house(elsewhere.house_id)).zone_code == "01020203"  # type: ignore[union-attr]
    _, entries, _ = await a.territory.handover("rd-1", 0, 100)
    assert {(e.record_type, e.record_id, e.to_zone_code) for e in entries} == {
        ("house", in_a.house_id, "01020204"),
        ("resident", resident.resident_id, "01020204"),
        ("house", elsewhere.house_id, "01020203"),
    }
    assert (await a.repo.zone(ZONE)) is None or (await a.repo.zone(ZONE)).retired  # type: ignore[union-attr]
    moved, _ = await a.residents.list_residents(ResidentQuery(zone_code="01020204"))
    assert [r.resident_id for r in moved] == [resident.resident_id]
    assert await a.territory.zones_redivided(plan) == done  # delivered again: nothing changes
    assert a.repo.outbox.types().count("ZoneHandoverCompleted") == 1


async def test_every_unmasked_read_is_chained_and_an_edit_breaks_the_chain() -> None:
    """R-POP-6: unmask needs the role and a purpose; each read is one entry; verification finds edits."""
    a = apps()
    with pytest.raises(PermissionDenied, match="pii_reader"):
        a.audit.disclosure(OFFICER, AccessRequest(unmask=True, purpose="核查"))
    with pytest.raises(ValidationFailed):
        a.audit.disclosure(PII, AccessRequest(unmask=True))
    disclosure = a.audit.disclosure(PII, AccessRequest(unmask=True, purpose="案件核查", case_reference="A-1"))
    entries = [
        await a.audit.record(PII, "GetResident", disclosure, resident_ids=[f"r-{n}"], fields=["id_number"])
        for n in range(3)
    ]
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[1].previous_hash == entries[0].entry_hash
    assert (await a.audit.verify()).intact
    listed, _ = await a.audit.list_reads(AuditQuery(resident_id="r-1"))
    assert [e.sequence for e in listed] == [2]
    a.repo.image.audit[2] = tampered(entries[1], purpose="改了")
    verdict = await a.audit.verify()
    assert (verdict.intact, verdict.first_broken) == (False, 2)
    published = [r.sequence for e in a.repo.outbox.of_type(events_pb2.UnmaskedReadsAudited) for r in e.reads]
    assert published == [1, 2, 3]


async def test_key_group_reviews_due_raise_one_event_each_on_the_daily_schedule() -> None:
    """R-POP-2: a passed review date is a finding and one KeyGroupReviewOverdue, on a fake clock."""
    a = apps()
    house = (await a.houses.register(house_draft(1), OFFICER)).house
    resident = await a.residents.move_in(house.house_id, "", person(1), OFFICER)
    await a.residents.change_category(
        resident.resident_id,
        Category.REGISTERED,
        (TagDraft(KeyGroup.ELDERLY_ALONE, "独居", "officer-1", date(2026, 3, 10)),),
        "",
        OFFICER,
    )
    a.clock.set(datetime(2026, 3, 10, 18, 30, tzinfo=UTC))  # 11 March 02:30 local
    period = KEY_GROUP_REVIEWS.cadence.latest_due(a.clock.now())
    assert period.start == date(2026, 3, 11)
    assert await a.findings.flag_overdue_reviews(period) == 1
    assert await a.findings.flag_overdue_reviews(period) == 0
    (event,) = a.repo.outbox.of_type(events_pb2.KeyGroupReviewOverdue)
    assert event.resident_id == resident.resident_id and event.owner_id == "officer-1"
    findings, _ = await a.findings.findings(None, "", date(2026, 3, 11), "", 100)
    assert [(f.rule_id, f.subject_id) for f in findings] == [("R-POP-2", resident.resident_id)]

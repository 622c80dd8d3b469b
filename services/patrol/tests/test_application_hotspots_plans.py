"""Hot-spot deployment on fakes (R-PAT-2): incidents ranked into hot-spot slots, a zone's plan generated
from the recommendation (candidate areas registered as hot spots), edited and cancelled; bad plans are
refused field by field (a slot out of range, presence longer than the slot, another zone's vehicle)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jingwu.patrol.v1 import events_pb2
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.incidents import IncidentCategory, IncidentReport
from jingwu_patrol.domain.plans import PatrolPlan, PlannedSection, PlanStatus
from jingwu_patrol.domain.slots import TimeSlot
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of

from .fakes import LEADER, World, seeded
from .samples import DAY, ZONE_A, ZONE_B, at_m, local


async def vehicle(w: World, zone: str = ZONE_A, request_id: str = "veh-a") -> str:
    found = await w.apps.vehicles.register(
        plate=f"皖L·{request_id}",
        zone_code=zone,
        device_id=f"d-{request_id}",
        room_id="",
        officer_ids=["o-1", "o-2"],
        caller=LEADER,
        request_id=request_id,
    )
    return found.vehicle_id


async def market(w: World) -> HotSpot:
    spot = HotSpot("", "汴河菜市场", HotSpotKind.PLACE, ZONE_A, location=at_m(500, 500), radius_m=100)
    return await w.apps.hotspots.create(spot, HotSpotKind.PLACE, caller=LEADER, request_id="hs-market")


async def incidents(w: World) -> None:
    """Tuesday evenings at the market (4 weeks), Friday nights in a street of zone A (3 weeks)."""
    n = 0
    for week in range(4):
        for minute in (5, 40):
            n += 1
            at = local(DAY - timedelta(days=7 * week), 19, minute)
            report = IncidentReport(
                "command_centre", f"c-{n}", at, at_m(500, 520), IncidentCategory.THEFT, "汴河菜市场"
            )
            await w.apps.incidents.record(report, channel="kafka")
    for week in range(3):
        n += 1
        at = local(date(2026, 2, 27) - timedelta(days=7 * week), 23, 15)
        report = IncidentReport(
            "command_centre", f"c-{n}", at, at_m(1500, 1500), IncidentCategory.ROBBERY, "淮海路"
        )
        await w.apps.incidents.record(report, channel="kafka")


async def test_a_plan_is_generated_from_the_recommendation_and_says_why() -> None:
    w = await seeded()
    vehicle_id = await vehicle(w)
    spot = await market(w)
    await incidents(w)
    window = w.apps.hotspots.window(as_of=DAY, weeks=8, half_life=None)
    ranking = await w.apps.hotspots.recommend(zone_code=ZONE_A, window=window, limit=0, categories=[])
    assert ranking.incident_count == 11
    top, street = ranking.recommendations
    assert (top.hotspot_id, top.hour_of_week, top.case_count) == (spot.hotspot_id, 24 + 19, 8)
    assert street.cell_id and street.name == "淮海路一带" and street.hour_of_week == 4 * 24 + 23

    view, covered = await w.apps.plans.create_from_hotspots(
        zone_code=ZONE_A,
        vehicle_id="",
        first=DAY,
        last=DAY + timedelta(days=13),
        officer_ids=["o-1"],
        shift=TimeSlot((), 8 * 60, 24 * 60),
        top=0,
        required_minutes=0,
        window=window,
        checkpoint_ids=[],
        caller=LEADER,
        request_id="plan-1",
    )
    plan = view.plan
    assert plan.vehicle_id == vehicle_id and plan.source == "hotspot_recommendation" and len(covered) == 2
    assert [(s.slot, s.required_minutes) for s in plan.sections] == [
        (TimeSlot((2,), 19 * 60, 20 * 60), 20),
        (TimeSlot((5,), 23 * 60, 24 * 60), 20),
    ]
    assert "8 起" in plan.sections[0].reason and "盗窃 8" in plan.sections[0].reason
    # The street's cell became a registered hot spot of its own, from case analysis.
    cell = (await w.apps.hotspots.by_ids([plan.sections[1].hotspot_id]))[plan.sections[1].hotspot_id]
    assert cell.source == "case_analysis" and cell.kind is HotSpotKind.AREA and cell.case_count == 3
    # A repeat answers the first plan and registers nothing twice.
    again, _ = await w.apps.plans.create_from_hotspots(
        zone_code=ZONE_A,
        vehicle_id="",
        first=DAY,
        last=DAY,
        officer_ids=[],
        shift=None,
        top=1,
        required_minutes=5,
        window=window,
        checkpoint_ids=[],
        caller=LEADER,
        request_id="plan-1",
    )
    assert again.plan == plan
    assert len(w.outbox.of_type(events_pb2.PatrolPlanned)) == 1
    assert len(w.outbox.of_type(events_pb2.HotSpotDefined)) == 2


async def test_a_plan_needs_cases_to_plan_from_and_a_vehicle_in_the_zone() -> None:
    w = await seeded()
    window = w.apps.hotspots.window(as_of=DAY, weeks=4, half_life=None)
    args = {
        "zone_code": ZONE_B,
        "vehicle_id": "",
        "first": DAY,
        "last": DAY,
        "officer_ids": [],
        "shift": None,
        "top": 0,
        "required_minutes": 0,
        "window": window,
        "checkpoint_ids": [],
        "caller": LEADER,
    }
    with pytest.raises(RuleViolation, match="R-PAT-1"):
        await w.apps.plans.create_from_hotspots(**args, request_id="p-1")  # type: ignore[arg-type]
    await vehicle(w, ZONE_B, "veh-b")
    with pytest.raises(RuleViolation, match="R-PAT-2"):
        await w.apps.plans.create_from_hotspots(**args, request_id="p-2")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as refused:
        w.apps.hotspots.window(as_of=DAY + timedelta(days=5), weeks=53, half_life=timedelta(hours=1))
    assert set(violations_of(refused.value)) == {"window_weeks", "half_life", "as_of"}


async def test_a_bad_plan_is_refused_field_by_field() -> None:
    w = await seeded()
    other = await vehicle(w, ZONE_B, "veh-b")
    spot = await market(w)
    bad = PatrolPlan(
        "",
        ZONE_A,
        DAY,
        DAY - timedelta(days=1),
        vehicle_id=other,
        officer_ids=("o-1", "o-1"),
        sections=(
            PlannedSection(spot.hotspot_id, TimeSlot((9,), 1500, 1400), 20),
            PlannedSection(spot.hotspot_id, TimeSlot((2,), 19 * 60, 20 * 60), 90),
            PlannedSection("hs-none", TimeSlot((), 60, 120), 10),
        ),
        checkpoint_ids=("cp-none",),
    )
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.plans.create(bad, caller=LEADER, request_id="bad")
    assert set(violations_of(refused.value)) == {
        "period.end",
        "vehicle_id",
        "officer_ids[1]",
        "sections[0].slot.weekdays[0]",
        "sections[0].slot.start_minute",
        "sections[1].required_minutes",
        "sections[2].hotspot_id",
        "checkpoint_ids[0]",
    }
    assert "R-PAT-1" in violations_of(refused.value)["vehicle_id"]


async def test_a_plan_is_edited_by_mask_and_cancelled() -> None:
    w = await seeded()
    vehicle_id = await vehicle(w)
    spot = await market(w)
    section = PlannedSection(spot.hotspot_id, TimeSlot((2,), 19 * 60, 20 * 60), 20)
    view = await w.apps.plans.create(
        PatrolPlan("", ZONE_A, DAY, DAY + timedelta(days=6), vehicle_id=vehicle_id, sections=(section,)),
        caller=LEADER,
        request_id="p-1",
    )
    longer = PlannedSection(spot.hotspot_id, TimeSlot((2, 4), 18 * 60, 21 * 60), 45)
    changes = PatrolPlan(view.plan.plan_id, ZONE_B, DAY, DAY, officer_ids=("o-3",), sections=(longer,))
    edited = await w.apps.plans.update(changes, ["sections", "officer_ids"], caller=LEADER)
    assert edited.plan.sections == (longer,) and edited.plan.officer_ids == ("o-3",)
    assert edited.plan.zone_code == ZONE_A and edited.plan.end == DAY + timedelta(days=6)  # unmasked: kept
    (updated,) = w.outbox.of_type(events_pb2.PatrolPlanUpdated)
    assert list(updated.changed_fields) == ["sections", "officer_ids"]
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.plans.update(changes, ["zone_code"], caller=LEADER)
    assert set(violations_of(refused.value)) == {"update_mask.paths[0]"}
    cancelled = await w.apps.plans.cancel(view.plan.plan_id, "警力调整", caller=LEADER)
    assert cancelled.plan.status is PlanStatus.CANCELLED
    with pytest.raises(RuleViolation, match="R-PAT-2"):
        await w.apps.plans.update(changes, ["sections"], caller=LEADER)
    assert await w.apps.plans.on_day(DAY, vehicle_id=vehicle_id) == []

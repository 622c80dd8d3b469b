"""Places, inspections, information records and familiarisation visits on fakes (R-POP-3..5)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jingwu.population.v1 import events_pb2
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.schedule import Period
from jingwu_population.application.information import RecordDraft
from jingwu_population.application.places import InspectionDraft, PlaceDraft
from jingwu_population.domain.findings import FindingKind
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.information import Colour, InfoCategory, Stage
from jingwu_population.domain.people import Category
from jingwu_population.domain.places import InspectionResult, PlaceKind
from jingwu_population.entrypoints.schedules import INSPECTIONS_OVERDUE

from .support import OFFICER, ZONE, Apps, apps, house_draft, person


def place_draft(name: str = "汴河网吧") -> PlaceDraft:
    return PlaceDraft(
        PlaceKind.COMPLEX_PUBLIC_PLACE,
        name,
        "汴河路12号",
        "",
        GeoPoint(116.975, 33.641),
        ZONE,
        "",
        "王老板",
        "13900001111",
    )


def month_period(a: Apps) -> Period:
    """The period the monthly schedule runs for at the fake clock's now."""
    return INSPECTIONS_OVERDUE.cadence.latest_due(a.clock.now())


async def test_a_monthly_inspection_moves_the_due_date_and_overdue_is_raised_once() -> None:
    """R-POP-3: inspected monthly; an overdue inspection is a finding and one event per due date, raised
    by the monthly schedule on a fake clock."""
    a = apps()  # 2 March 2026
    place = await a.places.register(place_draft(), "p-1", OFFICER)
    assert place.due_date() == date(2026, 3, 31)
    inspection, inspected = await a.places.record_inspection(
        InspectionDraft(place.place_id, None, InspectionResult.PASSED, (), None, "", None), "i-1", OFFICER
    )
    assert inspected.last_inspection_date == date(2026, 3, 2) and inspected.due_date() == date(2026, 4, 30)
    # The schedule fires on 1 May for April: nothing inspected in April → overdue.
    a.clock.set(datetime(2026, 4, 30, 17, 30, tzinfo=UTC))  # 1 May 01:30 local
    period = month_period(a)
    assert (period.key, period.end) == ("2026-04", date(2026, 4, 30))
    assert await a.places.mark_overdue_inspections(period) == 1
    assert await a.places.mark_overdue_inspections(period) == 0  # once per due date
    (overdue,) = a.repo.outbox.of_type(events_pb2.PlaceInspectionOverdue)
    assert overdue.place_id == place.place_id and overdue.due_date.month == 4
    findings, _ = await a.findings.findings(FindingKind.INSPECTION_OVERDUE, "", None, "", 100)
    assert [(f.subject_id, f.rule_id) for f in findings] == [(place.place_id, "R-POP-3")]
    assert inspection.inspector_id == "officer-1"


async def test_a_closed_place_stays_due_and_hazards_need_a_rectification_date() -> None:
    a = apps()
    place = await a.places.register(place_draft(), "p-1", OFFICER)
    _, still_due = await a.places.record_inspection(
        InspectionDraft(place.place_id, None, InspectionResult.NOT_INSPECTED, (), None, "关门", None),
        "i-1",
        OFFICER,
    )
    assert still_due.last_inspection_date is None
    with pytest.raises(ValidationFailed):
        await a.places.record_inspection(
            InspectionDraft(
                place.place_id, None, InspectionResult.HAZARDS_FOUND, ("消防通道堵塞",), None, "", None
            ),
            "i-2",
            OFFICER,
        )
    again = await a.places.register(place_draft(), "p-1", OFFICER)
    assert again.place_id == place.place_id  # idempotent by request id


async def test_information_moves_one_stage_at_a_time_with_who_and_when() -> None:
    """R-POP-4: collect → verify → analyse → use; no skipping, each step recorded."""
    a = apps()
    record = await a.information.collect(
        RecordDraft(
            Colour.YELLOW, InfoCategory.DISPUTE, ZONE, "", "", "", "邻里纠纷", "两户因漏水争执", "visit"
        ),
        "r-1",
        OFFICER,
    )
    with pytest.raises(RuleViolation, match="R-POP-4"):
        await a.information.advance(
            record.record_id, Stage.USED, "", None, None, ("command_centre",), OFFICER
        )
    a.clock.advance(hours=1)
    verified = await a.information.advance(
        record.record_id, Stage.VERIFIED, "属实", Colour.ORANGE, None, (), OFFICER
    )
    analysed = await a.information.advance(record.record_id, Stage.ANALYSED, "", None, None, (), OFFICER)
    used = await a.information.advance(
        record.record_id, Stage.USED, "", None, None, ("command_centre",), OFFICER
    )
    assert [c.stage for c in used.history] == [Stage.COLLECTED, Stage.VERIFIED, Stage.ANALYSED, Stage.USED]
    assert verified.colour is Colour.ORANGE and used.history[1].actor_id == "officer-1"
    assert used.history[1].at > used.history[0].at
    assert analysed.stage is Stage.ANALYSED
    with pytest.raises(RuleViolation):
        await a.information.advance(record.record_id, Stage.DISCARDED, "", None, None, (), OFFICER)
    stages = [e.stage for e in a.repo.outbox.of_type(events_pb2.InformationStageChanged)]
    assert stages == [1, 2, 3, 4]


async def test_familiarisation_counts_distinct_permanent_households_per_week() -> None:
    """R-POP-5: 30 permanent households a week (policy); a floating-only house does not count."""
    a = apps()
    permanent = (await a.houses.register(house_draft(1), OFFICER)).house
    floating = (await a.houses.register(house_draft(2), OFFICER)).house
    resident = await a.residents.move_in(permanent.house_id, "", person(1), OFFICER)
    await a.residents.move_in(floating.house_id, "", person(2, category=Category.FLOATING), OFFICER)
    visit, progress = await a.visits.record(
        permanent.house_id, None, (resident.resident_id,), "", "v-1", OFFICER
    )
    await a.visits.record(permanent.house_id, None, (), "再访", "v-2", OFFICER)
    await a.visits.record(floating.house_id, None, (), "", "v-3", OFFICER)
    week = await a.visits.progress("officer-1", date(2026, 3, 4))
    assert (week.households_visited, week.target, week.week_start) == (1, 30, date(2026, 3, 2))
    assert progress.households_visited == 1 and not visit.golden_hour  # Monday 09:00
    recorded = a.repo.outbox.of_type(events_pb2.FamiliarisationVisitRecorded)
    assert [e.progress.households_visited for e in recorded] == [1, 1, 1]
    assert recorded[0].progress.target_households == 30
    with pytest.raises(ValidationFailed):
        await a.visits.record(permanent.house_id, None, ("stranger",), "", "v-4", OFFICER)

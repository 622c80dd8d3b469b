"""Other services' reports as assessment inputs, on the fakes (R-PER-11): familiarisation weeks
(R-POP-5, the highest count of a week wins), patrol duty evidence (R-PAT-6, the highest revision wins)
and callback satisfaction (R-NOT-3, a resident rating) become indicators and ratings of the officer's
monthly evaluation; bad payloads are rejected with reasons."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from google.protobuf.duration_pb2 import Duration
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.patrol.v1 import patrol_pb2
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.population.v1 import population_pb2
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.periods import PeriodKind
from jingwu_personnel.domain.ratings import RatingSource
from jingwu_personnel.entrypoints.assessment_events import AssessmentEventHandlers
from jingwu_personnel.entrypoints.event_handlers import familiarisation_week
from jingwu_platform.calendar import DISTRICT_ZONE, month_of
from jingwu_platform.events import EventRejected, new_event
from jingwu_platform.proto_values import local_date_to_proto

from .fakes import fake_personnel
from .samples import DISTRICT

APRIL_2 = datetime(2026, 4, 2, 9, tzinfo=DISTRICT_ZONE)
MARCH = (PeriodKind.MONTHLY, 2026, 3)


def evidence(officer_id: str, day: int, ratio: float, revision: int = 1) -> DutyEvidence:
    return DutyEvidence(f"veh-1/2026-03-{day:02d}", date(2026, 3, day), (officer_id,), revision, ratio, 42.0)


async def test_reported_inputs_become_indicators_and_ratings_of_the_month() -> None:
    personnel = fake_personnel(at=APRIL_2)
    cop = await personnel.police("巡逻民警")
    inputs = personnel.apps.inputs
    # R-POP-5: 30 households a week (policy); the week of 2 March reported twice, then a lower count late.
    await inputs.familiarised(
        [
            FamiliarisationWeek.of(cop.officer_id, date(2026, 3, 2), 18, 30),
            FamiliarisationWeek.of(cop.officer_id, date(2026, 3, 2), 30, 30),
            FamiliarisationWeek.of(cop.officer_id, date(2026, 3, 9), 15, 30),
        ]
    )
    await inputs.familiarised([FamiliarisationWeek.of(cop.officer_id, date(2026, 3, 2), 20, 30)])
    # R-PAT-6: a recomputed day replaces the first computation; an older revision changes nothing.
    assert await inputs.duty_evidenced(evidence(cop.officer_id, 3, 0.5))
    assert await inputs.duty_evidenced(evidence(cop.officer_id, 3, 1.0, revision=2))
    assert not await inputs.duty_evidenced(evidence(cop.officer_id, 3, 0.1, revision=1))
    assert await inputs.duty_evidenced(evidence(cop.officer_id, 4, 0.5))
    # R-NOT-3: a resident's satisfaction with a callback is a resident rating; a redelivery adds none.
    rated = await inputs.callback_rated(
        event_id="e-1", officer_id=cop.officer_id, matter_id="m-1", score=75.0, day=date(2026, 3, 20)
    )
    again = await inputs.callback_rated(
        event_id="e-1", officer_id=cop.officer_id, matter_id="m-1", score=75.0, day=date(2026, 3, 20)
    )
    assert again == rated and (rated.source, rated.resident_reference) == (RatingSource.RESIDENT, "m-1")

    (drafted,) = await personnel.apps.assessment.compute(MARCH, "")
    indicators = {i.code: (i.raw_value, i.score) for i in drafted.indicators}
    assert indicators["familiarisation"] == (45.0, 75.0)  # weeks at 30/30 and 15/30
    assert indicators["patrol_duty"] == (2.0, 75.0)  # days at 1.0 and 0.5
    assert [(r.source, r.average) for r in drafted.ratings] == [(RatingSource.RESIDENT, 75.0)]


async def test_payloads_without_what_they_must_carry_are_rejected_with_reasons() -> None:
    personnel = fake_personnel(at=APRIL_2)
    handlers = AssessmentEventHandlers(personnel.apps.inputs)
    unknown = notification_events.CallbackSatisfactionRated(
        district_code=DISTRICT, matter_id="m-9", officer_id="nobody", rating=4, score=75.0
    )
    event = new_event(unknown, key="nobody", district=DISTRICT, service="notification")
    with pytest.raises(EventRejected, match=r"CallbackSatisfactionRated m-9: .*nobody"):
        await handlers.on_callback_satisfaction_rated(event, unknown)
    anonymous = notification_events.CallbackSatisfactionRated(district_code=DISTRICT, matter_id="m-9")
    with pytest.raises(EventRejected, match="needs officer_id and matter_id"):
        await handlers.on_callback_satisfaction_rated(event, anonymous)
    undated = patrol_events.PatrolEvidenceComputed(
        district_code=DISTRICT, evidence=patrol_pb2.PatrolEvidence(evidence_id="veh-1/2026-03-03")
    )
    with pytest.raises(EventRejected, match=r"evidence\.date"):
        await handlers.on_patrol_evidence_computed(event, undated)
    nobody = population_events.FamiliarisationVisitRecorded(district_code=DISTRICT)
    with pytest.raises(EventRejected, match=r"progress\.officer_id"):
        familiarisation_week(nobody)


async def test_a_patrol_evidence_credits_its_crew_and_handheld_officer() -> None:
    personnel = fake_personnel(at=APRIL_2)
    computed = patrol_events.PatrolEvidenceComputed(
        district_code=DISTRICT,
        evidence=patrol_pb2.PatrolEvidence(
            evidence_id="veh-1/2026-03-03",
            date=local_date_to_proto(date(2026, 3, 3)),
            officer_ids=["o-1", "o-2"],
            officer_id="o-2",
            compliance_ratio=0.8,
            time_in_zone=Duration(seconds=3600),
            revision=3,
        ),
    )
    event = new_event(computed, key="veh-1/2026-03-03", district=DISTRICT, service="patrol")
    await AssessmentEventHandlers(personnel.apps.inputs).on_patrol_evidence_computed(event, computed)
    (stored,) = await personnel.repositories.duty_evidence.during(month_of(date(2026, 3, 1)))
    assert (stored.officer_ids, stored.revision, stored.time_in_zone_s) == (("o-1", "o-2"), 3, 3600.0)
    visit = population_events.FamiliarisationVisitRecorded(
        district_code=DISTRICT,
        visit=population_pb2.FamiliarisationVisit(officer_id="o-1"),
        progress=population_pb2.FamiliarisationProgress(
            officer_id="o-1",
            week_start=local_date_to_proto(date(2026, 3, 2)),
            households_visited=12,
            target_households=30,
        ),
    )
    assert familiarisation_week(visit) == FamiliarisationWeek.of("o-1", date(2026, 3, 2), 12, 30)

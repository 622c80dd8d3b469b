"""Other services' events that assessment counts (R-PER-11 inputs) → ``AssessmentInputApplication``, one
event at a time (``EventConsumer``: a few a day per officer or vehicle):

- jingwu.<district>.notification.v1 ``CallbackSatisfactionRated`` (R-NOT-3): a resident rating;
- jingwu.<district>.patrol.v1 ``PatrolEvidenceComputed`` (R-PAT-6): duty evidence, per vehicle or
  handheld and day, the highest revision kept.

(Familiarisation visits, R-POP-5, come on the population topic, which carries bulk imports too: they are
taken in batches with the territory, entrypoints/event_handlers.py.) A payload without what it must
carry, or a rating the rules refuse (an officer personnel does not know, a score off the 0..100 scale),
goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

from typing import Any

from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import DomainError
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler
from jingwu_platform.proto_values import local_date_from_proto

from jingwu_personnel.adapters.proto_mapping import from_timestamp
from jingwu_personnel.application.assessment_inputs import AssessmentInputApplication
from jingwu_personnel.domain.assessment_inputs import DutyEvidence


def duty_evidence(payload: patrol_events.PatrolEvidenceComputed) -> DutyEvidence:
    evidence = payload.evidence
    day = local_date_from_proto(evidence.date) if evidence.HasField("date") else None
    if not evidence.evidence_id or day is None:
        raise EventRejected("PatrolEvidenceComputed without evidence.evidence_id and evidence.date")
    officers = tuple(
        dict.fromkeys([*evidence.officer_ids, *([evidence.officer_id] if evidence.officer_id else [])])
    )
    return DutyEvidence(
        evidence_id=evidence.evidence_id,
        day=day,
        officer_ids=officers,
        revision=evidence.revision,
        compliance_ratio=evidence.compliance_ratio,
        mileage_km=evidence.mileage_km,
        time_in_zone_s=evidence.time_in_zone.ToTimedelta().total_seconds(),
        zone_code=evidence.zone_code,
    )


class AssessmentEventHandlers:
    def __init__(self, inputs: AssessmentInputApplication) -> None:
        self._inputs = inputs

    async def on_callback_satisfaction_rated(
        self, event: Event, payload: notification_events.CallbackSatisfactionRated
    ) -> None:
        if not payload.officer_id or not payload.matter_id:
            raise EventRejected("CallbackSatisfactionRated needs officer_id and matter_id")
        at = from_timestamp(payload, "occur_time") or event.time
        try:
            await self._inputs.callback_rated(
                event_id=event.event_id,
                officer_id=payload.officer_id,
                matter_id=payload.matter_id,
                score=payload.score,
                day=local_date(at),
            )
        except DomainError as refused:  # not found, a score off the scale: never processable as it is
            raise EventRejected(f"CallbackSatisfactionRated {payload.matter_id}: {refused}") from refused

    async def on_patrol_evidence_computed(
        self, event: Event, payload: patrol_events.PatrolEvidenceComputed
    ) -> None:
        await self._inputs.duty_evidenced(duty_evidence(payload))

    def handlers(self) -> list[EventHandler[Any]]:
        return [
            EventHandler(notification_events.CallbackSatisfactionRated, self.on_callback_satisfaction_rated),
            EventHandler(patrol_events.PatrolEvidenceComputed, self.on_patrol_evidence_computed),
        ]

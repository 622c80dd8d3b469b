"""What other services report that assessment counts (R-PER-11 inputs, domain/assessment_inputs.py),
recorded from their events (entrypoints/event_handlers.py, entrypoints/assessment_events.py).

Idempotent under redelivery: familiarisation weeks keep the highest count, duty evidence the highest
revision, and a callback's satisfaction is a resident rating whose id derives from the event's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.application.ports import DutyEvidenceRepository, FamiliarisationRepository
from jingwu_personnel.application.ratings import RatingApplication
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek
from jingwu_personnel.domain.periods import PeriodKind
from jingwu_personnel.domain.ratings import Rating, RatingSource


class AssessmentInputApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        familiarisation: FamiliarisationRepository,
        duty_evidence: DutyEvidenceRepository,
        ratings: RatingApplication,
    ) -> None:
        self._kit = kit
        self._familiarisation = familiarisation
        self._duty_evidence = duty_evidence
        self._ratings = ratings

    async def familiarised(self, weeks: Sequence[FamiliarisationWeek]) -> None:
        """R-POP-5: officers' weekly progress as population reported it (a batch of visits)."""
        await self._familiarisation.record_all(weeks)

    async def duty_evidenced(self, evidence: DutyEvidence) -> bool:
        """R-PAT-6: a vehicle's or handheld's day, computed or recomputed by patrol."""
        return await self._duty_evidence.record(evidence)

    async def callback_rated(
        self, *, event_id: str, officer_id: str, matter_id: str, score: float, day: date
    ) -> Rating:
        """R-NOT-3 → R-PER-11: a resident's satisfaction with how a matter was answered back counts as a
        resident rating of the officer who owned it, for the month it was given in (the service relays
        it, as a leader relays a phone callback)."""
        return await self._ratings.submit(
            officer_id=officer_id,
            period=(PeriodKind.MONTHLY, day.year, day.month),
            source=RatingSource.RESIDENT,
            score=score,
            comment="回告满意度 (R-NOT-3)",
            resident_reference=matter_id,
            caller=self._kit.system_caller(),
            request_id=f"callback-satisfaction:{event_id}",
        )

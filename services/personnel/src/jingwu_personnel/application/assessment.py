"""Assessments with rankings (R-PER-11): drafts computed from platform data, ratings and conduct
(R-PER-13), published as final, ranked per station and per district."""

from __future__ import annotations

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.usecase import Outgoing, UseCaseKit

from jingwu_personnel.adapters.proto_mapping import assessment_to_proto
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    AssessmentQuery,
    AssessmentRepository,
    ConductQuery,
    ConductRepository,
    DutyEvidenceRepository,
    FamiliarisationRepository,
    LogQuery,
    OfficerQuery,
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    RatingRepository,
    VisitLogRepository,
)
from jingwu_personnel.domain.assessment import (
    Assessment,
    AssessmentStatus,
    ReportedInputs,
    assess,
    assessment_id,
    rank,
)
from jingwu_personnel.domain.officers import OfficerRole, OfficerStatus
from jingwu_personnel.domain.periods import Period, PeriodKind, check_period, checked_period


class AssessmentApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        assessments: AssessmentRepository,
        officers: OfficerRepository,
        postings: PostingRepository,
        logs: VisitLogRepository,
        ratings: RatingRepository,
        conduct: ConductRepository,
        familiarisation: FamiliarisationRepository,
        duty_evidence: DutyEvidenceRepository,
    ) -> None:
        self._kit = kit
        self._familiarisation = familiarisation
        self._duty_evidence = duty_evidence
        self._assessments = assessments
        self._officers = officers
        self._postings = postings
        self._logs = logs
        self._ratings = ratings
        self._conduct = conduct

    async def compute(self, parts: tuple[PeriodKind | None, int, int], station_id: str) -> list[Assessment]:
        """R-PER-11: drafts for every assessed officer of the district (ranks need all of them); the
        answer holds the requested station's. A published period is final (FAILED_PRECONDITION)."""
        kit = self._kit
        period = checked_period(parts)
        existing = {a.assessment_id: a for a in await self._assessments.select(AssessmentQuery(period))}
        published = [a for a in existing.values() if a.published]
        if any(not station_id or a.station_id == station_id for a in published):
            raise RuleViolation(
                "R-PER-11",
                f"assessments/{period.key}",
                "the period's assessments are published and read-only",
            )
        dates = period.dates
        officers = await self._officers.select(OfficerQuery(status=OfficerStatus.ACTIVE))
        postings = await self._postings.select(PostingQuery(held_during=dates))
        logs = await self._logs.select(LogQuery(started_in=dates))
        ratings = await self._ratings.of_period(period)
        conduct = await self._conduct.select(ConductQuery(occurred_in=dates))
        reported = ReportedInputs(  # R-POP-5 and R-PAT-6, as population and patrol reported them
            familiarisation=await self._familiarisation.during(dates),
            duty_evidence=await self._duty_evidence.during(dates),
        )
        now = kit.now()
        published_ids = {a.officer_id for a in published}
        drafts = [
            a
            for o in officers
            if o.officer_id not in published_ids
            and (
                a := assess(
                    o,
                    period,
                    postings=postings,
                    logs=logs,
                    ratings=ratings,
                    conduct=conduct,
                    work=kit.policy.work,
                    weights=kit.policy.ratings,
                    standard=kit.policy.assessment,
                    at=now,
                    inputs=reported,
                )
            )
            is not None
        ]
        ranked = [a for a in rank([*drafts, *published]) if a.status is AssessmentStatus.DRAFT]
        written = [w for a in ranked if (w := await self._write_draft(a, existing.get(a.assessment_id)))]
        return [a for a in written if not station_id or a.station_id == station_id]

    async def _write_draft(self, draft: Assessment, stored: Assessment | None) -> Assessment | None:
        """Store the draft (AssessmentComputed) unless the stored assessment is published meanwhile."""
        kit = self._kit

        def computed() -> list[Outgoing]:
            message = events_pb2.AssessmentComputed(
                district_code=kit.district,
                assessment=assessment_to_proto(draft),
                occur_time=kit.events.occur_time(),
            )
            return [kit.events(message, key=draft.officer_id)]

        if stored is None and await self._assessments.add(draft, computed()):
            return draft

        def decide(current: Assessment) -> Decision[Assessment]:
            redrafted = current.redrafted(draft)
            return None if redrafted is None else (redrafted, computed())

        outcome = await change(
            self._assessments, draft.assessment_id, decide, what=f"assessment {draft.assessment_id}"
        )
        return outcome.aggregate if outcome is not None and outcome.changed else None

    async def publish(self, parts: tuple[PeriodKind | None, int, int], station_id: str) -> int:
        """The period's drafts become final; each publishes AssessmentPublished (R-PER-11). Publishing
        again publishes nothing more."""
        kit = self._kit
        period = checked_period(parts)
        drafts = await self._assessments.select(
            AssessmentQuery(period, station_id=station_id, status=AssessmentStatus.DRAFT)
        )
        count = 0
        for draft in drafts:

            def decide(current: Assessment) -> Decision[Assessment]:
                published = current.publish(kit.now())
                if published is None:
                    return None
                message = events_pb2.AssessmentPublished(
                    district_code=kit.district,
                    assessment=assessment_to_proto(published),
                    occur_time=kit.events.occur_time(),
                )
                return published, [kit.events(message, key=published.officer_id)]

            outcome = await change(
                self._assessments, draft.assessment_id, decide, what=f"assessment {draft.assessment_id}"
            )
            count += bool(outcome is not None and outcome.changed)
        return count

    async def get(self, officer_id: str, parts: tuple[PeriodKind | None, int, int]) -> Assessment:
        v = Validator()
        v.check(bool(officer_id.strip()), "officer_id", "is required")
        period = check_period(v, "period", *parts)
        v.raise_if_any()
        assert period is not None
        wanted = assessment_id(officer_id, period)
        assessment = await self._assessments.get(wanted)
        if assessment is None:
            raise NotFound("assessment", wanted)
        return assessment

    async def rankings(
        self,
        parts: tuple[PeriodKind | None, int, int],
        *,
        station_id: str,
        role: OfficerRole | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Assessment], str]:
        """R-PER-11: the ranking of one station (station ranks) or the district (district ranks)."""
        period: Period = checked_period(parts)
        assessments = await self._assessments.select(AssessmentQuery(period, station_id=station_id))
        if role is not None:
            officers = await self._officers.get_many(a.officer_id for a in assessments)
            assessments = [
                a for a in assessments if a.officer_id in officers and role in officers[a.officer_id].roles
            ]
        ordered = sorted(
            assessments,
            key=lambda a: (a.group, a.station_rank if station_id else a.district_rank, a.officer_id),
        )
        offset = int(page_token) if page_token.isdigit() else 0
        limit = page_limit(page_size)
        page = ordered[offset : offset + limit]
        token = str(offset + limit) if offset + limit < len(ordered) else ""
        return page, token

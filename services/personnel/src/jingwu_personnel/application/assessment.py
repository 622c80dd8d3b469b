"""Conduct records (R-PER-13), ratings and assessments with rankings (R-PER-11)."""

from __future__ import annotations

import uuid
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_personnel.adapters.proto_mapping import assessment_to_proto, conduct_to_proto, rating_to_proto
from jingwu_personnel.application.base import LEADERS, MANAGERS, Deps, require_role
from jingwu_personnel.domain.assessment import (
    Assessment,
    AssessmentStatus,
    ConductRecord,
    ConductRule,
    Period,
    PeriodKind,
    Rating,
    RatingSource,
    assess,
    check_period,
    check_rater,
    rank,
    record_conduct,
    validate_rating,
)
from jingwu_personnel.domain.officers import OfficerRole


def checked_period(parts: tuple[PeriodKind | None, int, int]) -> Period:
    v = Validator()
    period = check_period(v, "period", *parts)
    v.raise_if_any()
    assert period is not None
    return period


class AssessmentService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def record_conduct(
        self,
        *,
        officer_id: str,
        rule: ConductRule | None,
        occur_date: date | None,
        occur_date_invalid: bool,
        description: str,
        score_deduction: float,
        evidence_reference: str,
        caller: Caller,
    ) -> ConductRecord:
        """R-PER-13: a violation is recorded and deducted in the period's assessment."""
        require_role(caller, LEADERS, "recording a conduct violation")
        d = self._d
        officer = await d.store.get_officer(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        record = record_conduct(
            record_id=f"{(occur_date or d.today()):%Y%m%d}-{uuid.uuid4()}",
            officer=officer,
            rule=rule,
            occur_date=occur_date,
            occur_date_invalid=occur_date_invalid,
            description=description,
            score_deduction=score_deduction,
            evidence_reference=evidence_reference,
            today=d.today(),
            standard=d.standard,
            at=d.now(),
            by=caller.subject,
        )
        event = d.event(
            events_pb2.ConductRecorded(
                district_code=d.district, record=conduct_to_proto(record), occur_time=d.occur_time()
            ),
            key=officer_id,
        )
        await d.store.add_conduct(record, officer.station_id, [event])
        d.relay.notify()
        return record

    async def list_conduct(
        self, *, officer_id: str, station_id: str, period: DateRange | None, page_size: int, page_token: str
    ) -> tuple[list[ConductRecord], str]:
        query: dict[str, object] = {}
        if officer_id:
            query["officer_id"] = officer_id
        if station_id:
            query["station_id"] = station_id
        if period is not None:
            query["occur_date"] = {"$gte": period.start.isoformat(), "$lte": period.end.isoformat()}
        limit = page_limit(page_size)
        records = await self._d.store.list_conduct(query=query, before_id=page_token, limit=limit)
        return records, next_page_token(records, limit, key=lambda r: r.record_id)

    async def submit_rating(
        self,
        *,
        officer_id: str,
        period: tuple[PeriodKind | None, int, int],
        source: RatingSource | None,
        score: float,
        comment: str,
        resident_reference: str,
        caller: Caller,
    ) -> Rating:
        """R-PER-11: the rater comes from the credential; leader ratings need a leader's role, resident
        ratings (from callbacks) a leader or the service relaying them."""
        checked, checked_source = validate_rating(
            officer_id=officer_id,
            period=period,
            source=source,
            score=score,
            resident_reference=resident_reference,
            comment=comment,
        )
        if checked_source is RatingSource.LEADER:
            require_role(caller, LEADERS, "a leader rating")
        if checked_source is RatingSource.RESIDENT:
            require_role(caller, MANAGERS, "relaying a resident rating")
        check_rater(officer_id, checked_source, caller.subject)
        d = self._d
        if await d.store.get_officer(officer_id) is None:
            raise NotFound("officer", officer_id)
        rater = resident_reference if checked_source is RatingSource.RESIDENT else caller.subject
        rating = Rating(
            rating_id=d.stable_id("rating", officer_id, checked.key, checked_source.value, rater),
            officer_id=officer_id,
            period=checked,
            source=checked_source,
            score=score,
            rater_id="" if checked_source is RatingSource.RESIDENT else caller.subject,
            comment=comment,
            resident_reference=resident_reference,
            submit_time=d.now(),
        )
        event = d.event(
            events_pb2.RatingSubmitted(
                district_code=d.district, rating=rating_to_proto(rating), occur_time=d.occur_time()
            ),
            key=officer_id,
        )
        await d.store.put_rating(rating, [event])
        d.relay.notify()
        return rating

    async def compute(
        self, parts: tuple[PeriodKind | None, int, int], station_id: str, *, caller: Caller
    ) -> list[Assessment]:
        """R-PER-11: drafts for every assessed officer of the district (ranks need all of them); the
        answer holds the requested station's. A published period is final (FAILED_PRECONDITION)."""
        require_role(caller, MANAGERS, "computing assessments")
        d = self._d
        period = checked_period(parts)
        existing = await d.store.assessments_for(period)
        published = [a for a in existing if a.status is AssessmentStatus.PUBLISHED]
        if any(not station_id or a.station_id == station_id for a in published):
            raise RuleViolation(
                "R-PER-11",
                f"assessments/{period.key}",
                "the period's assessments are published and read-only",
            )
        dates = period.dates
        officers = [o for o in (await d.store.officers_by_id()).values() if o.active]
        postings = await d.store.postings_overlapping(dates)
        logs = await d.store.logs_between(dates)
        ratings = await d.store.ratings_for(period)
        conduct = await d.store.conduct_between(dates)
        now = d.now()
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
                    work=d.policy.work,
                    weights=d.policy.ratings,
                    standard=d.standard,
                    at=now,
                )
            )
            is not None
        ]
        ranked = [a for a in rank([*drafts, *published]) if a.status is AssessmentStatus.DRAFT]
        for assessment in ranked:
            event = d.event(
                events_pb2.AssessmentComputed(
                    district_code=d.district,
                    assessment=assessment_to_proto(assessment),
                    occur_time=d.occur_time(),
                ),
                key=assessment.officer_id,
            )
            await d.store.put_draft(assessment, [event])
        d.relay.notify()
        return [a for a in ranked if not station_id or a.station_id == station_id]

    async def publish(
        self, parts: tuple[PeriodKind | None, int, int], station_id: str, *, caller: Caller
    ) -> int:
        """The period's drafts become final; each publishes AssessmentPublished (R-PER-11)."""
        require_role(caller, LEADERS, "publishing assessments")
        d = self._d
        period = checked_period(parts)
        query = {"status": AssessmentStatus.DRAFT.value, **({"station_id": station_id} if station_id else {})}
        count = 0
        for draft in await d.store.assessments_for(period, query):
            published = draft.publish(d.now())
            event = d.event(
                events_pb2.AssessmentPublished(
                    district_code=d.district,
                    assessment=assessment_to_proto(published),
                    occur_time=d.occur_time(),
                ),
                key=published.officer_id,
            )
            if await d.store.publish_assessment(published, [event]):
                count += 1
        d.relay.notify()
        return count

    async def get(self, officer_id: str, parts: tuple[PeriodKind | None, int, int]) -> Assessment:
        v = Validator()
        v.check(bool(officer_id.strip()), "officer_id", "is required")
        period = check_period(v, "period", *parts)
        v.raise_if_any()
        assert period is not None
        assessment = await self._d.store.get_assessment(f"{officer_id}/{period.key}")
        if assessment is None:
            raise NotFound("assessment", f"{officer_id}/{period.key}")
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
        period = checked_period(parts)
        query: dict[str, object] = {"station_id": station_id} if station_id else {}
        assessments = await self._d.store.assessments_for(period, query)
        if role is not None:
            officers = await self._d.store.officers_by_id([a.officer_id for a in assessments])
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

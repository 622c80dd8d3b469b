"""Conduct records (R-PER-13): a violation is recorded with its deduction and feeds the assessment."""

from __future__ import annotations

from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import AlreadyExists, NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.adapters.proto_mapping import conduct_to_proto
from jingwu_personnel.application.ports import ConductQuery, ConductRepository, OfficerRepository
from jingwu_personnel.domain.conduct import ConductRecord, ConductRule, record_conduct


class ConductApplication:
    def __init__(self, kit: UseCaseKit, *, conduct: ConductRepository, officers: OfficerRepository) -> None:
        self._kit = kit
        self._conduct = conduct
        self._officers = officers

    async def record(
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
        request_id: str,
    ) -> ConductRecord:
        """R-PER-13: a violation is recorded (0 deduction: the district's default for the rule) and
        deducted in the period's assessment. Repeating a request_id returns the first record and
        publishes nothing."""
        kit = self._kit
        officer = await self._officers.get(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        record = record_conduct(
            unique_id=kit.ids.for_request("conduct", request_id),
            officer=officer,
            rule=rule,
            occur_date=occur_date,
            occur_date_invalid=occur_date_invalid,
            description=description,
            score_deduction=score_deduction,
            evidence_reference=evidence_reference,
            today=kit.today(),
            deductions=kit.policy.assessment.conduct_deductions,
            at=kit.now(),
            by=caller.subject,
        )
        event = kit.events(
            events_pb2.ConductRecorded(
                district_code=kit.district,
                record=conduct_to_proto(record),
                occur_time=kit.events.occur_time(),
            ),
            key=officer_id,
        )
        if await self._conduct.insert(record, [event]):
            return record
        stored = await self._conduct.get(record.record_id)
        assert stored is not None
        if stored.officer_id != officer_id:
            raise AlreadyExists("conduct record request", request_id)  # a key reused for another officer
        return stored

    async def list_records(
        self, *, officer_id: str, station_id: str, period: DateRange | None, page_size: int, page_token: str
    ) -> tuple[list[ConductRecord], str]:
        """Newest first (by the day it happened)."""
        limit = page_limit(page_size)
        records = await self._conduct.select(
            ConductQuery(
                officer_id=officer_id,
                station_id=station_id,
                occurred_in=period,
                before_id=page_token,
                limit=limit,
            )
        )
        return records, next_page_token(records, limit, key=lambda r: r.record_id)

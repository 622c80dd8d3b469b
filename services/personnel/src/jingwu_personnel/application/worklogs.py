"""Visit and work logs (R-PER-8..10), their audit by leaders (R-PER-11) and work summaries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DateRange, local_midnight
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_personnel.adapters.proto_mapping import REVIEW, log_to_proto
from jingwu_personnel.application.base import LEADERS, Deps, require_role, time_id
from jingwu_personnel.application.staffing import StaffingService
from jingwu_personnel.domain.worklogs import (
    LogDraft,
    ReviewResult,
    VisitLog,
    VisitLogKind,
    WorkSummary,
    record_log,
    work_summary,
)


def check_range(
    v: Validator, field: str, start: date | None, end: date | None, invalid: bool
) -> DateRange | None:
    if not v.check(not invalid, field, "start and end must be valid calendar dates"):
        return None
    if not v.check(start is not None and end is not None, field, "start and end are required"):
        return None
    assert start is not None and end is not None
    if not v.check(start <= end, f"{field}.end", "must not be before start"):
        return None
    return DateRange(start, end)


class WorkLogService:
    def __init__(self, deps: Deps, staffing: StaffingService) -> None:
        self._d = deps
        self._staffing = staffing

    async def log(self, draft: LogDraft, *, caller: Caller, request_id: str) -> VisitLog:
        """Record a log for the calling officer (his id is the credential's subject)."""
        d = self._d
        officer = await d.store.get_officer(caller.subject)
        if officer is None:
            raise NotFound("officer", caller.subject)
        officer.require_active()
        unique = d.stable_id("log", officer.officer_id, request_id) if request_id else str(uuid.uuid4())
        start = draft.start_time or d.now()
        log = record_log(
            draft,
            log_id=time_id(start, unique),
            officer_id=officer.officer_id,
            district=d.district,
            now=d.now(),
        )
        if log.village_id and await d.store.get_assignment(log.village_id) is None:
            raise NotFound("village", log.village_id)
        event = d.event(
            events_pb2.VisitLogged(
                district_code=d.district, visit_log=log_to_proto(log), occur_time=d.occur_time()
            ),
            key=officer.officer_id,
        )
        if not await d.store.add_log(log, [event]):
            stored = await d.store.get_log(log.log_id)
            assert stored is not None
            return stored  # a handheld retrying an upload gets the same log
        d.relay.notify()
        # A late log may complete a month or week already judged short (R-PER-8, R-PER-9).
        await self._staffing.recheck_compliance(officer.officer_id, log.day, "VisitLogged")
        return log

    async def list_logs(
        self,
        *,
        officer_id: str,
        village_id: str,
        kind: VisitLogKind | None,
        period: DateRange | None,
        review_result: ReviewResult | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[VisitLog], str]:
        query: dict[str, object] = {}
        if officer_id:
            query["officer_id"] = officer_id
        if village_id:
            query["village_id"] = village_id
        if kind is not None:
            query["kind"] = kind.value
        if review_result is not None:
            query["review_result"] = review_result.value
        if period is not None:
            query["start_time"] = {
                "$gte": local_midnight(period.start),
                "$lt": local_midnight(period.end + timedelta(days=1)),
            }
        limit = page_limit(page_size)
        logs = await self._d.store.list_logs(query=query, before_id=page_token, limit=limit)
        return logs, next_page_token(logs, limit, key=lambda log: log.log_id)

    async def review(
        self, log_id: str, result: ReviewResult | None, note: str, *, caller: Caller
    ) -> VisitLog:
        """R-PER-11: a leader audits a log (approved or rejected); the audit feeds assessment."""
        require_role(caller, LEADERS, "auditing a log")
        v = Validator()
        v.check(bool(log_id.strip()), "log_id", "is required")
        v.check(
            result in (ReviewResult.APPROVED, ReviewResult.REJECTED),
            "result",
            "LOG_REVIEW_RESULT_APPROVED or LOG_REVIEW_RESULT_REJECTED",
        )
        v.raise_if_any()
        assert result is not None
        d = self._d
        log = await d.store.get_log(log_id)
        if log is None:
            raise NotFound("visit log", log_id)
        reviewed = log.review(result, note, at=d.now(), by=caller.subject)
        event = d.event(
            events_pb2.VisitLogReviewed(
                district_code=d.district,
                log_id=log_id,
                officer_id=log.officer_id,
                result=REVIEW.to_proto(result),
                reviewed_by=caller.subject,
                occur_time=d.occur_time(),
            ),
            key=log.officer_id,
        )
        await d.store.review_log(reviewed, [event])
        d.relay.notify()
        return reviewed

    async def summary(self, officer_id: str, period: DateRange) -> WorkSummary:
        """R-PER-8 village days per month and R-PER-9 community hours per week over the period."""
        d = self._d
        if await d.store.get_officer(officer_id) is None:
            raise NotFound("officer", officer_id)
        postings = await d.store.postings_of(officer_id)
        logs = await d.store.logs_between(period, [officer_id])
        return work_summary(officer_id, postings, logs, period, d.policy.work)

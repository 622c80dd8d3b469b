"""Visit and work logs (R-PER-8..10), their audit by leaders (R-PER-11) and work summaries."""

from __future__ import annotations

from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import DateRange
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import Ids, UseCaseKit

from jingwu_personnel.adapters.proto_mapping import REVIEW, log_to_proto
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    LogQuery,
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    StaffingChecks,
    VillageRepository,
    VisitLogRepository,
)
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


class WorkLogApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        logs: VisitLogRepository,
        officers: OfficerRepository,
        villages: VillageRepository,
        postings: PostingRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._kit = kit
        self._logs = logs
        self._officers = officers
        self._villages = villages
        self._postings = postings
        self._staffing = staffing

    async def log(self, draft: LogDraft, *, caller: Caller, request_id: str) -> VisitLog:
        """Record a log for the calling officer (his id is the credential's subject). A handheld retrying
        its upload (the same request_id) gets the same log, and nothing is published again."""
        kit = self._kit
        officer = await self._officers.get(caller.subject)
        if officer is None:
            raise NotFound("officer", caller.subject)
        officer.require_active()
        # The request id is the officer's own: two handhelds cannot collide on it.
        unique = kit.ids.stable("log", officer.officer_id, request_id) if request_id else kit.ids.new()
        start = draft.start_time or kit.now()
        log = record_log(
            draft,
            log_id=Ids.time_ordered(start, unique),
            officer_id=officer.officer_id,
            district=kit.district,
            now=kit.now(),
        )
        if request_id and (stored := await self._logs.get(log.log_id)) is not None:
            return stored
        if log.village_id and await self._villages.get(log.village_id) is None:
            raise NotFound("village", log.village_id)
        event = kit.events(
            events_pb2.VisitLogged(
                district_code=kit.district, visit_log=log_to_proto(log), occur_time=kit.events.occur_time()
            ),
            key=officer.officer_id,
        )
        if not await self._logs.add(log, [event]):
            stored = await self._logs.get(log.log_id)
            assert stored is not None
            return stored  # a concurrent repeat of the upload
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
        """Newest first."""
        limit = page_limit(page_size)
        logs = await self._logs.select(
            LogQuery(
                officer_id=officer_id,
                village_id=village_id,
                kind=kind,
                review_result=review_result,
                started_in=period,
                newest_first=True,
                before_id=page_token,
                limit=limit,
            )
        )
        return logs, next_page_token(logs, limit, key=lambda log: log.log_id)

    async def review(
        self, log_id: str, result: ReviewResult | None, note: str, *, caller: Caller
    ) -> VisitLog:
        """R-PER-11: a leader audits a log (approved or rejected); the audit feeds assessment."""
        v = Validator()
        v.check(bool(log_id.strip()), "log_id", "is required")
        v.check(
            result in (ReviewResult.APPROVED, ReviewResult.REJECTED),
            "result",
            "LOG_REVIEW_RESULT_APPROVED or LOG_REVIEW_RESULT_REJECTED",
        )
        v.raise_if_any()
        assert result is not None
        kit = self._kit

        def decide(log: VisitLog) -> Decision[VisitLog]:
            reviewed = log.review(result, note, at=kit.now(), by=caller.subject)
            message = events_pb2.VisitLogReviewed(
                district_code=kit.district,
                log_id=log_id,
                officer_id=log.officer_id,
                result=REVIEW.to_proto(result),
                reviewed_by=caller.subject,
                occur_time=kit.events.occur_time(),
            )
            return reviewed, [kit.events(message, key=log.officer_id)]

        outcome = await change(self._logs, log_id, decide, what=f"visit log {log_id}")
        if outcome is None:
            raise NotFound("visit log", log_id)
        return outcome.aggregate

    async def summary(self, officer_id: str, period: DateRange) -> WorkSummary:
        """R-PER-8 village days per month and R-PER-9 community hours per week over the period."""
        if await self._officers.get(officer_id) is None:
            raise NotFound("officer", officer_id)
        postings = await self._postings.select(PostingQuery(officer_id=officer_id))
        logs = await self._logs.select(LogQuery(officer_id=officer_id, started_in=period))
        return work_summary(officer_id, postings, logs, period, self._kit.policy.work)

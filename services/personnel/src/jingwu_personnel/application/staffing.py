"""Staffing findings: evaluate the rules (domain.staffing), raise and resolve findings with their events."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.calendar import DateRange, month_of, week_of
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_personnel.adapters.proto_mapping import FINDING_KIND, finding_to_proto
from jingwu_personnel.application.base import Deps, time_id
from jingwu_personnel.domain.staffing import (
    COMPLIANCE_KINDS,
    ROOM_KINDS,
    STATION_KINDS,
    STRUCTURAL_KINDS,
    VILLAGE_KINDS,
    ZONE_KINDS,
    Condition,
    Finding,
    FindingKind,
    FindingStatus,
    Scope,
    Snapshot,
    compliance_conditions,
    raise_finding,
    reconcile,
    structural_conditions,
)
from jingwu_personnel.domain.worklogs import community_weeks, village_months

log = logging.getLogger(__name__)


class StaffingService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self._structural = asyncio.Lock()
        self._requested = 0  # structural evaluations asked for
        self._started = 0  # of those, the ones covered by the run in progress or done
        self._pending_kinds: frozenset[FindingKind] = frozenset()  # kinds asked for, not yet judged

    async def snapshot(self, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> Snapshot:
        """The parts of the district the rules of ``kinds`` look at (villages alone need no officers)."""
        store = self._d.store
        staff = bool(kinds - VILLAGE_KINDS)
        postings = bool(kinds & (ROOM_KINDS | ZONE_KINDS))
        return Snapshot(
            officers=await store.officers_by_id() if staff else {},
            open_postings=await store.open_postings() if postings else [],
            rooms=await store.room_views() if kinds & ROOM_KINDS else {},
            zones=await store.zone_views() if kinds & ZONE_KINDS else {},
            stations=await store.station_views() if kinds & STATION_KINDS else {},
            villages=await store.assignments() if kinds & VILLAGE_KINDS else [],
        )

    async def evaluate_structural(self, cause: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> None:
        """R-PER-2..5, R-PER-7 from the current state; run after every change and room event, for the
        kinds the change bears on.

        Requests that arrive while an evaluation runs share the next one: it starts after their changes
        were written, so it sees them, and it judges the union of the kinds they asked for; a burst of
        commands costs two evaluations, not one each. (Evaluation is state-based: which run notices a
        breach does not matter.)
        """
        self._requested += 1
        ticket = self._requested
        self._pending_kinds |= kinds
        async with self._structural:
            if self._started >= ticket:
                return  # a run that began after this request has covered it
            self._started = self._requested
            judged, self._pending_kinds = self._pending_kinds, frozenset()
            await self._structural_now(cause, station_id="", kinds=judged)

    async def _structural_now(
        self, cause: str, *, station_id: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS
    ) -> tuple[list[Finding], list[Finding]]:
        snapshot = await self.snapshot(kinds)
        conditions = structural_conditions(snapshot, self._d.policy, self._d.today(), kinds)
        return await self._apply(conditions, Scope(kinds, station_id=station_id), cause)

    async def evaluate_compliance(
        self, as_of: date, cause: str, *, station_id: str = ""
    ) -> tuple[list[Finding], list[Finding]]:
        """R-PER-8 over the last complete month and R-PER-9 over the last complete week before ``as_of``,
        and again over the periods of open compliance findings (a late log can resolve them)."""
        open_findings = await self._d.store.open_findings(sorted(COMPLIANCE_KINDS))
        months = {month_of(month_of(as_of).start - timedelta(days=1))}
        weeks = {week_of(week_of(as_of).start - timedelta(days=1))}
        for finding in open_findings:
            period = finding.condition.period
            if period is not None:
                (months if finding.condition.kind is FindingKind.VILLAGE_DAYS_SHORT else weeks).add(period)
        return await self._judge(months, weeks, cause, Scope(COMPLIANCE_KINDS, station_id=station_id))

    async def recheck_compliance(self, officer_id: str, day: date, cause: str) -> None:
        """A late log: re-judge the officer's open compliance findings whose period holds its day."""
        months: set[DateRange] = set()
        weeks: set[DateRange] = set()
        for finding in await self._d.store.open_findings(sorted(COMPLIANCE_KINDS), officer_id=officer_id):
            period = finding.condition.period
            if period is not None and period.contains(day):
                (months if finding.condition.kind is FindingKind.VILLAGE_DAYS_SHORT else weeks).add(period)
        if months or weeks:
            scope = Scope(COMPLIANCE_KINDS, officer_id=officer_id)
            await self._judge(months, weeks, cause, scope, officer_ids=[officer_id])

    async def _judge(
        self,
        months: set[DateRange],
        weeks: set[DateRange],
        cause: str,
        scope: Scope,
        officer_ids: list[str] | None = None,
    ) -> tuple[list[Finding], list[Finding]]:
        store, work = self._d.store, self._d.policy.work
        officers = await store.officers_by_id(officer_ids)
        conditions: list[Condition] = []
        for period in sorted(months | weeks):
            postings = await store.postings_overlapping(period, officer_ids)
            # A day's margin before the week: a night shift that began on Sunday counts into Monday.
            margin = DateRange(period.start - timedelta(days=1), period.end)
            logs = await store.logs_between(margin, officer_ids)
            if period in months:
                conditions += compliance_conditions(
                    village_months(postings, logs, period, work), [], officers
                )
            if period in weeks:
                conditions += compliance_conditions(
                    [], community_weeks(postings, logs, period, work), officers
                )
        judged = Scope(scope.kinds, scope.station_id, frozenset(months | weeks), scope.officer_id)
        return await self._apply(conditions, judged, cause)

    async def evaluate(
        self, *, station_id: str, as_of: date | None
    ) -> tuple[list[Finding], list[Finding], int]:
        """EvaluateStaffing: runs itself (no sharing) and reports what it raised and resolved."""
        async with self._structural:
            if not station_id:  # a district-wide run covers whatever was asked for until now
                self._started, self._pending_kinds = self._requested, frozenset()
            raised, resolved = await self._structural_now("EvaluateStaffing", station_id=station_id)
        more_raised, more_resolved = await self.evaluate_compliance(
            as_of or self._d.today(), "EvaluateStaffing", station_id=station_id
        )
        open_now = await self._d.store.count_findings(
            {"status": FindingStatus.OPEN.value, **({"station_id": station_id} if station_id else {})}
        )
        return raised + more_raised, resolved + more_resolved, open_now

    async def _apply(
        self, conditions: Sequence[Condition], scope: Scope, cause: str
    ) -> tuple[list[Finding], list[Finding]]:
        d = self._d
        plan = reconcile(await d.store.open_findings(sorted(scope.kinds)), conditions, scope)
        raised: list[Finding] = []
        resolved: list[Finding] = []
        for condition in plan.to_raise:
            now = d.now()
            finding = raise_finding(condition, finding_id=time_id(now, uuid.uuid4().hex[:8]), at=now)
            event = d.event(
                events_pb2.StaffingFindingRaised(
                    district_code=d.district, finding=finding_to_proto(finding), occur_time=d.occur_time()
                ),
                key=finding.finding_id,
            )
            # False: another evaluation raised the same breach a moment ago (unique open key).
            if await d.store.raise_finding(finding, [event]):
                raised.append(finding)
                log.info("staffing finding raised", extra={"finding": condition.key, "cause": cause})
        for finding in plan.to_resolve:
            done = finding.resolve(d.now(), f"condition cleared ({cause})")
            event = d.event(
                events_pb2.StaffingFindingResolved(
                    district_code=d.district, finding=finding_to_proto(done), occur_time=d.occur_time()
                ),
                key=finding.finding_id,
            )
            if await d.store.resolve_finding(done, [event]):
                resolved.append(done)
        for finding in plan.to_update:
            event = d.event(
                events_pb2.StaffingFindingUpdated(
                    district_code=d.district, finding=finding_to_proto(finding), occur_time=d.occur_time()
                ),
                key=finding.finding_id,
            )
            await d.store.update_finding(finding, [event])
        if raised or resolved or plan.to_update:
            d.relay.notify()
        return raised, resolved

    async def get(self, finding_id: str) -> Finding:
        finding = await self._d.store.get_finding(finding_id)
        if finding is None:
            raise NotFound("staffing finding", finding_id)
        return finding

    async def list_findings(
        self,
        *,
        kind: int,
        status: FindingStatus | None,
        filters: dict[str, str],
        page_size: int,
        page_token: str,
    ) -> tuple[list[Finding], str]:
        query: dict[str, object] = {k: v for k, v in filters.items() if v}
        finding_kind = FINDING_KIND.from_proto(kind)
        if finding_kind is not None:
            query["kind"] = finding_kind.value
        if status is not None:
            query["status"] = status.value
        limit = page_limit(page_size)
        findings = await self._d.store.list_findings(query=query, before_id=page_token, limit=limit)
        return findings, next_page_token(findings, limit, key=lambda f: f.finding_id)

"""Staffing findings: evaluate the rules (domain/staffing.py), raise and resolve findings with their events
(domain/findings.py), and answer queries about them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from google.protobuf.message import Message
from jingwu.personnel.v1 import events_pb2
from jingwu_platform.calendar import DateRange, month_of, week_of
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import Ids, Outgoing, UseCaseKit

from jingwu_personnel.adapters.proto_mapping import finding_to_proto
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    FindingQuery,
    FindingRepository,
    LogQuery,
    OfficerQuery,
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    RoomViewRepository,
    StationViewRepository,
    VillageQuery,
    VillageRepository,
    VisitLogRepository,
    ZoneViewRepository,
)
from jingwu_personnel.domain.findings import (
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
    raise_finding,
    reconcile,
)
from jingwu_personnel.domain.staffing import Snapshot, compliance_conditions, structural_conditions
from jingwu_personnel.domain.worklogs import community_weeks, village_months

log = logging.getLogger(__name__)


class StaffingApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        findings: FindingRepository,
        officers: OfficerRepository,
        postings: PostingRepository,
        villages: VillageRepository,
        logs: VisitLogRepository,
        rooms: RoomViewRepository,
        zones: ZoneViewRepository,
        stations: StationViewRepository,
    ) -> None:
        self._kit = kit
        self._findings = findings
        self._officers = officers
        self._postings = postings
        self._villages = villages
        self._logs = logs
        self._rooms = rooms
        self._zones = zones
        self._stations = stations
        self._structural = asyncio.Lock()
        self._requested = 0  # structural evaluations asked for
        self._started = 0  # of those, the ones covered by the run in progress or done
        self._pending_kinds: frozenset[FindingKind] = frozenset()  # kinds asked for, not yet judged

    # --- evaluation ---------------------------------------------------------------------------------

    async def snapshot(self, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> Snapshot:
        """The parts of the district the rules of ``kinds`` look at (villages alone need no officers)."""
        staff = bool(kinds - VILLAGE_KINDS)
        postings = bool(kinds & (ROOM_KINDS | ZONE_KINDS))
        officers = await self._officers.select(OfficerQuery()) if staff else []
        return Snapshot(
            officers={o.officer_id: o for o in officers},
            open_postings=await self._postings.select(PostingQuery(current_only=True)) if postings else [],
            rooms={r.room_id: r for r in await self._rooms.every()} if kinds & ROOM_KINDS else {},
            zones={z.zone_code: z for z in await self._zones.every()} if kinds & ZONE_KINDS else {},
            stations={s.station_id: s for s in await self._stations.every()} if kinds & STATION_KINDS else {},
            villages=await self._villages.select(VillageQuery()) if kinds & VILLAGE_KINDS else [],
        )

    async def evaluate_structural(self, cause: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> None:
        """R-PER-2..5, R-PER-7 from the current state; run after every change and room event, for the
        kinds the change bears on (``StaffingChecks``).

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
        conditions = structural_conditions(snapshot, self._kit.policy, self._kit.today(), kinds)
        return await self._apply(conditions, Scope(kinds, station_id=station_id), cause)

    async def _open_compliance_findings(self, officer_id: str = "") -> list[Finding]:
        return await self._findings.select(
            FindingQuery(kinds=COMPLIANCE_KINDS, status=FindingStatus.OPEN, officer_id=officer_id)
        )

    async def evaluate_compliance(
        self, as_of: date, cause: str, *, station_id: str = ""
    ) -> tuple[list[Finding], list[Finding]]:
        """R-PER-8 over the last complete month and R-PER-9 over the last complete week before ``as_of``,
        and again over the periods of open compliance findings (a late log can resolve them)."""
        months = {month_of(month_of(as_of).start - timedelta(days=1))}
        weeks = {week_of(week_of(as_of).start - timedelta(days=1))}
        for finding in await self._open_compliance_findings():
            period = finding.condition.period
            if period is not None:
                (months if finding.condition.kind is FindingKind.VILLAGE_DAYS_SHORT else weeks).add(period)
        return await self._judge(months, weeks, cause, Scope(COMPLIANCE_KINDS, station_id=station_id))

    async def judge_compliance(
        self, kind: FindingKind, period: DateRange, cause: str
    ) -> tuple[list[Finding], list[Finding]]:
        """R-PER-8 over one month or R-PER-9 over one week, once it has ended (a calendar rule): raises
        the period's breaches and resolves that period's findings of ``kind`` that no longer hold."""
        months = {period} if kind is FindingKind.VILLAGE_DAYS_SHORT else set()
        weeks = {period} if kind is FindingKind.COMMUNITY_HOURS_SHORT else set()
        if not months and not weeks:
            raise ValueError(f"{kind} is not judged over a period")
        return await self._judge(months, weeks, cause, Scope(frozenset({kind})))

    async def recheck_compliance(self, officer_id: str, day: date, cause: str) -> None:
        """A late log: re-judge the officer's open compliance findings whose period holds its day."""
        months: set[DateRange] = set()
        weeks: set[DateRange] = set()
        for finding in await self._open_compliance_findings(officer_id):
            period = finding.condition.period
            if period is not None and period.contains(day):
                (months if finding.condition.kind is FindingKind.VILLAGE_DAYS_SHORT else weeks).add(period)
        if months or weeks:
            scope = Scope(COMPLIANCE_KINDS, officer_id=officer_id)
            await self._judge(months, weeks, cause, scope, officer_ids=frozenset({officer_id}))

    async def _judge(
        self,
        months: set[DateRange],
        weeks: set[DateRange],
        cause: str,
        scope: Scope,
        officer_ids: frozenset[str] | None = None,
    ) -> tuple[list[Finding], list[Finding]]:
        work = self._kit.policy.work
        officers = {
            o.officer_id: o for o in await self._officers.select(OfficerQuery(officer_ids=officer_ids))
        }
        conditions: list[Condition] = []
        for period in sorted(months | weeks):
            postings = await self._postings.select(PostingQuery(officer_ids=officer_ids, held_during=period))
            # A day's margin before the week: a night shift that began on Sunday counts into Monday.
            margin = DateRange(period.start - timedelta(days=1), period.end)
            logs = await self._logs.select(LogQuery(officer_ids=officer_ids, started_in=margin))
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
            as_of or self._kit.today(), "EvaluateStaffing", station_id=station_id
        )
        open_now = await self._findings.count_matching(
            FindingQuery(status=FindingStatus.OPEN, station_id=station_id)
        )
        return raised + more_raised, resolved + more_resolved, open_now

    # --- findings raised, resolved, re-measured -------------------------------------------------------

    def _event(self, message_type: Callable[..., Message], finding: Finding) -> Outgoing:
        """StaffingFindingRaised / Resolved / Updated of ``finding``, keyed by its id."""
        kit = self._kit
        message = message_type(
            district_code=kit.district, finding=finding_to_proto(finding), occur_time=kit.events.occur_time()
        )
        return kit.events(message, key=finding.finding_id)

    async def _apply(
        self, conditions: Sequence[Condition], scope: Scope, cause: str
    ) -> tuple[list[Finding], list[Finding]]:
        kit = self._kit
        open_findings = await self._findings.select(
            FindingQuery(kinds=scope.kinds, status=FindingStatus.OPEN)
        )
        plan = reconcile(open_findings, conditions, scope)
        now = kit.now()
        # A breach raised again after it was resolved is a new finding: a fresh id (the one open finding
        # per breach is the repository's unique open key, not the id). All of them in one write.
        new = [
            raise_finding(condition, finding_id=Ids.time_ordered(now, kit.ids.new()[:8]), at=now)
            for condition in plan.to_raise
        ]
        # Left out: another evaluation raised the same breach a moment ago (one open finding per breach).
        raised = await self._findings.add_all(
            [(finding, [self._event(events_pb2.StaffingFindingRaised, finding)]) for finding in new]
        )
        for finding in raised:
            log.info("staffing finding raised", extra={"finding": finding.condition.key, "cause": cause})
        resolved: list[Finding] = []
        resolution = f"condition cleared ({cause})"
        for finding in plan.to_resolve:

            def resolve(current: Finding) -> Decision[Finding]:
                done = current.resolve(kit.now(), resolution)
                return (
                    None if done is None else (done, [self._event(events_pb2.StaffingFindingResolved, done)])
                )

            outcome = await change(
                self._findings, finding.finding_id, resolve, what=f"finding {finding.finding_id}"
            )
            if outcome is not None and outcome.changed:
                resolved.append(outcome.aggregate)
        for measured in plan.to_update:

            def remeasure(current: Finding, measured: Finding = measured) -> Decision[Finding]:
                updated = current.remeasured(measured.condition)
                return (
                    None
                    if updated is None
                    else (updated, [self._event(events_pb2.StaffingFindingUpdated, updated)])
                )

            await change(
                self._findings, measured.finding_id, remeasure, what=f"finding {measured.finding_id}"
            )
        return raised, resolved

    # --- queries --------------------------------------------------------------------------------------

    async def get(self, finding_id: str) -> Finding:
        finding = await self._findings.get(finding_id)
        if finding is None:
            raise NotFound("staffing finding", finding_id)
        return finding

    async def list_findings(
        self,
        *,
        kind: FindingKind | None,
        status: FindingStatus | None,
        station_id: str,
        room_id: str,
        village_id: str,
        officer_id: str,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Finding], str]:
        """Newest first."""
        limit = page_limit(page_size)
        findings = await self._findings.select(
            FindingQuery(
                kinds=frozenset({kind}) if kind is not None else frozenset(),
                status=status,
                station_id=station_id,
                room_id=room_id,
                village_id=village_id,
                officer_id=officer_id,
                before_id=page_token,
                limit=limit,
            )
        )
        return findings, next_page_token(findings, limit, key=lambda f: f.finding_id)


class ChecksByEvents:
    """``StaffingChecks`` of the running service. A command's structural check is left to the event the
    command wrote: personnel's own events are consumed in batches together with the registry's
    (entrypoints/event_handlers.py) and judged once per batch, so a burst of commands costs one
    evaluation instead of one each, and no command waits for one. GetStatus counts that consumer's lag:
    "caught up" includes the evaluation. A late log's compliance re-check (only that officer's open
    findings) still runs at once."""

    def __init__(self, staffing: StaffingApplication) -> None:
        self._staffing = staffing

    async def evaluate_structural(self, cause: str, kinds: frozenset[FindingKind] = STRUCTURAL_KINDS) -> None:
        return None  # the command's event asks for it (see the class docstring)

    async def recheck_compliance(self, officer_id: str, day: date, cause: str) -> None:
        await self._staffing.recheck_compliance(officer_id, day, cause)

"""Daily joint patrols of the mass-prevention teams (R-PAT-4), and the golden-hour visit slots served
to community officers (R-PAT-5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit

from jingwu_patrol.adapters.proto_mapping import joint_patrol_to_proto
from jingwu_patrol.application.ports import (
    FindingQuery,
    FindingRepository,
    JointPatrolQuery,
    JointPatrolRepository,
)
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import joint_patrols as rules
from jingwu_patrol.domain.common import Audit
from jingwu_patrol.domain.findings import FindingKind, PatrolFinding, finding_id
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.golden_hours import GoldenSlot, golden_slots
from jingwu_patrol.domain.joint_patrols import MAX_GAP_DAYS, Gap, JointPatrol
from jingwu_patrol.domain.policy import PatrolPolicy

MAX_GOLDEN_DAYS = 92


class JointPatrolApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        joint_patrols: JointPatrolRepository,
        findings: FindingRepository,
        territory: TerritoryApplication,
        policy: PatrolPolicy,
    ) -> None:
        self._kit = kit
        self._joint = joint_patrols
        self._findings = findings
        self._territory = territory
        self._policy = policy

    async def record(
        self,
        *,
        village_id: str,
        day: date | None,
        start: datetime | None,
        end: datetime | None,
        leader_officer_id: str,
        participant_ids: Sequence[str],
        participant_count: int,
        route: Sequence[GeoPoint],
        notes: str,
        caller: Caller,
        request_id: str,
    ) -> JointPatrol:
        joint_id = self._kit.ids.for_request("joint-patrol", request_id)
        existing = await self._joint.get(joint_id)
        if existing is not None:
            return existing
        village = await self._territory.village(village_id) if village_id else None
        count = participant_count or len(participant_ids)
        rules.validate(
            village=village,
            village_id=village_id,
            day=day,
            today=self._kit.today(),
            start=start,
            end=end,
            participant_ids=participant_ids,
            participant_count=count,
            route=route,
            notes=notes,
        )
        assert village is not None and day is not None
        joint = JointPatrol(
            joint_patrol_id=joint_id,
            village_id=village_id,
            zone_code=village.zone_code,
            day=day,
            start=start,
            end=end,
            leader_officer_id=leader_officer_id.strip(),
            participant_ids=tuple(participant_ids),
            participant_count=count,
            route=tuple(route),
            notes=notes.strip(),
            audit=Audit.new(caller.subject, self._kit.now()),
            order_key=f"{day.isoformat()}/{joint_id}",
        )
        event = events_pb2.JointPatrolRecorded(
            district_code=self._kit.district,
            joint_patrol=joint_patrol_to_proto(joint),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._joint.insert(joint, [self._kit.events(event, village_id)]):
            stored = await self._joint.get(joint_id)
            assert stored is not None
            return stored
        return joint

    async def list_joint_patrols(
        self,
        *,
        village_id: str,
        zone_code: str,
        first: date | None,
        last: date | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[JointPatrol], str]:
        limit = page_limit(page_size)
        found = await self._joint.select(
            JointPatrolQuery(
                village_id=village_id,
                zone_code=zone_code,
                first=first,
                last=last,
                before_id=page_token,
                limit=limit,
            )
        )
        return found, next_page_token(found, limit, lambda j: j.order_key)

    async def gaps(
        self, *, village_id: str, zone_code: str, station_id: str, first: date | None, last: date | None
    ) -> list[Gap]:
        """R-PAT-4: days of [first, last] (up to yesterday: today is not over) without a joint patrol."""
        v = Validator()
        v.check(first is not None, "period.start", "is required")
        v.check(last is not None, "period.end", "is required")
        if first and last and v.check(first <= last, "period.end", "must not be before the start"):
            v.check((last - first).days < MAX_GAP_DAYS, "period", f"at most {MAX_GAP_DAYS} days")
        v.raise_if_any()
        assert first is not None and last is not None
        last = min(last, self._kit.today() - timedelta(days=1))
        if village_id:
            village = await self._territory.village(village_id)
            villages = [village] if village else []
        else:
            villages = await self._territory.villages([zone_code] if zone_code else (), station_id)
        if not villages or last < first:
            return []
        done = await self._joint.select(
            JointPatrolQuery(village_ids=tuple(v.village_id for v in villages), first=first, last=last)
        )
        return rules.gaps(villages, {(j.village_id, j.day) for j in done}, first, last)

    async def check_day(self, period: Period) -> int:
        """The daily schedule (R-PAT-4): every team without a joint patrol on the day that ended is a
        finding and a JointPatrolMissed event, once per team and day."""
        day = period.start
        villages = await self._territory.villages()
        done = await self._joint.select(JointPatrolQuery(first=day, last=day))
        raised = 0
        for gap in rules.gaps(villages, {(j.village_id, j.day) for j in done}, day, day):
            finding = PatrolFinding(
                finding_id=finding_id(FindingKind.JOINT_PATROL_MISSED, gap.village_id, day),
                kind=FindingKind.JOINT_PATROL_MISSED,
                day=day,
                raised_at=self._kit.now(),
                zone_code=gap.zone_code,
                village_id=gap.village_id,
                detail=f"{day.isoformat()} 群防群治队伍未开展联合巡逻 (R-PAT-4)",
            )
            event = events_pb2.JointPatrolMissed(
                district_code=self._kit.district,
                village_id=gap.village_id,
                zone_code=gap.zone_code,
                date=local_date_to_proto(day),
                occur_time=self._kit.events.occur_time(),
            )
            if await self._findings.insert(finding, [self._kit.events(event, gap.village_id)]):
                raised += 1
        return raised

    async def findings(
        self,
        *,
        kind: FindingKind | None,
        zone_code: str,
        first: date | None,
        last: date | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[PatrolFinding], str]:
        limit = page_limit(page_size)
        found = await self._findings.select(FindingQuery(kind, zone_code, first, last, page_token, limit))
        return found, next_page_token(found, limit, lambda f: f.finding_id)

    def golden_hours(self, first: date | None, last: date | None) -> list[GoldenSlot]:
        """R-PAT-5 from the district's policy (golden hours, holidays) and the rest-day hours."""
        v = Validator()
        v.check(first is not None, "period.start", "is required")
        v.check(last is not None, "period.end", "is required")
        if first and last and v.check(first <= last, "period.end", "must not be before the start"):
            v.check((last - first).days < MAX_GOLDEN_DAYS, "period", f"at most {MAX_GOLDEN_DAYS} days")
        v.raise_if_any()
        assert first is not None and last is not None
        work = self._kit.policy.work
        return golden_slots(
            first,
            last,
            working_day_hours=work.golden_hours,
            rest_day_hours=self._policy.rest_day_hours,
            holidays=work.holidays,
        )

"""Patrol plans (R-PAT-2): created by hand or from the hot-spot recommendation, edited, cancelled; read
with the checkpoint duties of their vehicle in the period (R-PAT-3, R-ROOM-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_patrol.adapters.proto_mapping import plan_to_proto
from jingwu_patrol.application.hotspots import HotSpotApplication
from jingwu_patrol.application.ports import PlanQuery, PlanRepository, VehicleQuery, VehicleRepository
from jingwu_patrol.application.prevention import PreventionApplication
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import plans as rules
from jingwu_patrol.domain.common import Audit
from jingwu_patrol.domain.hotspots import RankingWindow, Recommendation
from jingwu_patrol.domain.plans import PatrolPlan, PlannedSection, PlanStatus
from jingwu_patrol.domain.policy import HotSpotRules
from jingwu_patrol.domain.prevention import CheckpointDuty
from jingwu_patrol.domain.slots import TimeSlot, day_window
from jingwu_patrol.domain.vehicles import VehicleStatus, check_zone

MAX_TOP = 50


@dataclass(frozen=True)
class PlanView:
    """A plan as read: with the checkpoint duties of its vehicle in its period."""

    plan: PatrolPlan
    duties: tuple[CheckpointDuty, ...] = ()


class PlanApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        plans: PlanRepository,
        vehicles: VehicleRepository,
        hotspots: HotSpotApplication,
        prevention: PreventionApplication,
        territory: TerritoryApplication,
        rules_: HotSpotRules,
    ) -> None:
        self._kit = kit
        self._plans = plans
        self._vehicles = vehicles
        self._hotspots = hotspots
        self._prevention = prevention
        self._territory = territory
        self._rules = rules_

    async def _validate(self, plan: PatrolPlan, prefix: str = "") -> None:
        vehicles = await self._vehicles.get_many([plan.vehicle_id]) if plan.vehicle_id else {}
        hotspots = await self._hotspots.by_ids([s.hotspot_id for s in plan.sections])
        rules.validate(
            plan,
            district=self._kit.district,
            zones=await self._territory.district_map(),
            vehicles=vehicles,
            hotspots=hotspots,
            checkpoint_ids=await self._prevention.checkpoint_ids(),
            prefix=prefix,
        )

    async def create(self, plan: PatrolPlan, *, caller: Caller, request_id: str) -> PlanView:
        """``plan`` carries the request's fields (its id, status and audit are set here)."""
        plan_id = self._kit.ids.for_request("plan", request_id)
        existing = await self._plans.get(plan_id)
        if existing is not None:
            return await self.view(existing)
        plan = replace(
            plan, plan_id=plan_id, status=PlanStatus.ACTIVE, audit=Audit.new(caller.subject, self._kit.now())
        )
        await self._validate(plan)
        event = events_pb2.PatrolPlanned(
            district_code=self._kit.district,
            plan=plan_to_proto(plan),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._plans.add(plan, [self._kit.events(event, plan_id)]):
            stored = await self._plans.get(plan_id)
            assert stored is not None
            plan = stored
        return await self.view(plan)

    async def create_from_hotspots(
        self,
        *,
        zone_code: str,
        vehicle_id: str,
        first: date | None,
        last: date | None,
        officer_ids: Sequence[str],
        shift: TimeSlot | None,
        top: int,
        required_minutes: int,
        window: RankingWindow,
        checkpoint_ids: Sequence[str],
        caller: Caller,
        request_id: str,
    ) -> tuple[PlanView, list[Recommendation]]:
        """R-PAT-2: the zone's top slots by case density become the plan's sections; candidate cells are
        registered as hot spots first. A repeat of ``request_id`` answers the first plan."""
        plan_id = self._kit.ids.for_request("plan", request_id)
        existing = await self._plans.get(plan_id)
        if existing is not None:
            return await self.view(existing), []
        v = Validator()
        top = top or self._rules.plan_top
        v.check(1 <= top <= MAX_TOP, "top", f"must be 1..{MAX_TOP}, got {top}")
        required_minutes = required_minutes or self._rules.plan_required_minutes
        v.check(1 <= required_minutes <= 60, "required_minutes", f"must be 1..60, got {required_minutes}")
        v.check(first is not None, "period.start", "is required")
        v.check(last is not None, "period.end", "is required")
        check_zone(v, "zone_code", zone_code, self._kit.district, await self._territory.district_map())
        v.raise_if_any()
        assert first is not None and last is not None
        if not vehicle_id:
            vehicles = await self._vehicles.select(
                VehicleQuery(zone_code=zone_code, status=VehicleStatus.IN_SERVICE)
            )
            if not vehicles:
                raise RuleViolation(
                    "R-PAT-1", f"zones/{zone_code}", "the zone has no in-service patrol vehicle to plan"
                )
            vehicle_id = vehicles[0].vehicle_id
        ranking = await self._hotspots.recommend(zone_code=zone_code, window=window, limit=top, categories=())
        if not ranking.recommendations:
            raise RuleViolation(
                "R-PAT-2",
                f"zones/{zone_code}",
                f"no hot spot has {self._rules.min_cases} or more cases in one slot in "
                f"{window.start.isoformat()}..{window.as_of.isoformat()}: nothing to plan from",
            )
        cells = await self._hotspots.register_candidates(ranking.recommendations, caller)
        plan = PatrolPlan(
            plan_id=plan_id,
            zone_code=zone_code,
            start=first,
            end=last,
            vehicle_id=vehicle_id,
            officer_ids=tuple(officer_ids),
            sections=rules.sections_from(ranking.recommendations, cells, required_minutes),
            checkpoint_ids=tuple(checkpoint_ids),
            shift=shift,
            source="hotspot_recommendation",
        )
        return await self.create(plan, caller=caller, request_id=request_id), ranking.recommendations

    async def update(self, changes: PatrolPlan, paths: Sequence[str], *, caller: Caller) -> PlanView:
        v = Validator()
        v.check(bool(paths), "update_mask", "name the fields to change")
        for index, path in enumerate(paths):
            v.check(
                path in rules.UPDATABLE,
                f"update_mask.paths[{index}]",
                f"{path!r} cannot be changed (one of {', '.join(rules.UPDATABLE)})",
            )
        v.raise_if_any()

        async def attempt() -> PatrolPlan | None:
            plan = await self.get(changes.plan_id)
            changed = rules.edited(plan, changes, paths, caller.subject, self._kit.now())
            await self._validate(changed, prefix="patrol_plan.")
            event = events_pb2.PatrolPlanUpdated(
                district_code=self._kit.district,
                plan=plan_to_proto(changed),
                changed_fields=list(paths),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._plans.save(changed, [self._kit.events(event, plan.plan_id)])

        return await self.view(await retry_on_conflict(attempt, f"plan {changes.plan_id}"))

    async def cancel(self, plan_id: str, reason: str, *, caller: Caller) -> PlanView:
        async def attempt() -> PatrolPlan | None:
            plan = await self.get(plan_id)
            changed = rules.cancelled(plan, reason, caller.subject, self._kit.now())
            if changed is plan:
                return plan
            event = events_pb2.PatrolPlanCancelled(
                district_code=self._kit.district,
                plan_id=plan_id,
                reason=changed.cancel_reason,
                occur_time=self._kit.events.occur_time(),
            )
            return await self._plans.save(changed, [self._kit.events(event, plan_id)])

        return await self.view(await retry_on_conflict(attempt, f"plan {plan_id}"))

    async def get(self, plan_id: str) -> PatrolPlan:
        plan = await self._plans.get(plan_id) if plan_id else None
        if plan is None:
            raise NotFound("patrol plan", plan_id)
        return plan

    async def view(self, plan: PatrolPlan) -> PlanView:
        if not plan.vehicle_id:
            return PlanView(plan)
        vehicle = await self._vehicles.get(plan.vehicle_id)
        start, _ = day_window(plan.start)
        _, end = day_window(plan.end)
        duties = await self._prevention.duties_of(
            plan.vehicle_id, vehicle.room_id if vehicle else "", start, end
        )
        return PlanView(plan, tuple(duties))

    async def list_plans(
        self,
        *,
        zone_code: str,
        vehicle_id: str,
        first: date | None,
        last: date | None,
        status: PlanStatus | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[PlanView], str]:
        limit = page_limit(page_size)
        found = await self._plans.select(
            PlanQuery(
                zone_code=zone_code,
                vehicle_id=vehicle_id,
                status=status,
                first=first,
                last=last,
                after_id=page_token,
                limit=limit,
            )
        )
        return [await self.view(p) for p in found], next_page_token(found, limit, lambda p: p.plan_id)

    async def on_day(self, day: date, *, vehicle_id: str = "", officer_id: str = "") -> list[PatrolPlan]:
        """Active plans applying on ``day`` to a vehicle or naming an officer."""
        query = PlanQuery(
            vehicle_id=vehicle_id, officer_id=officer_id, status=PlanStatus.ACTIVE, first=day, last=day
        )
        return [p for p in await self._plans.select(query) if p.applies_on(day)]


def sections_of(plans: Sequence[PatrolPlan], day: date) -> list[tuple[PatrolPlan, PlannedSection]]:
    return [(plan, section) for plan in plans for section in plan.sections_on(day)]

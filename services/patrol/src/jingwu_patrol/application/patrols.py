"""Patrols as run: started and finished (optionally under a plan); their crews are credited with the
vehicle's evidence (R-PAT-6, R-PER-11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_patrol.adapters.proto_mapping import patrol_to_proto
from jingwu_patrol.application.ports import PatrolQuery, PatrolRepository, PlanRepository, VehicleRepository
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain.common import Audit, check_ids, check_text, order_key
from jingwu_patrol.domain.patrols import Patrol, PatrolMode, PatrolStatus
from jingwu_patrol.domain.vehicles import check_zone


class PatrolApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        patrols: PatrolRepository,
        plans: PlanRepository,
        vehicles: VehicleRepository,
        territory: TerritoryApplication,
    ) -> None:
        self._kit = kit
        self._patrols = patrols
        self._plans = plans
        self._vehicles = vehicles
        self._territory = territory

    async def start(
        self,
        *,
        plan_id: str,
        mode: PatrolMode | None,
        vehicle_id: str,
        zone_code: str,
        officer_ids: Sequence[str],
        start: datetime | None,
        caller: Caller,
        request_id: str,
    ) -> Patrol:
        patrol_id = self._kit.ids.for_request("patrol", request_id)
        existing = await self._patrols.get(patrol_id)
        if existing is not None:
            return existing
        v = Validator()
        plan = await self._plans.get(plan_id) if plan_id else None
        if plan_id:
            v.check(plan is not None, "plan_id", f"no patrol plan {plan_id!r}")
        vehicle = await self._vehicles.get(vehicle_id) if vehicle_id else None
        if vehicle_id:
            v.check(vehicle is not None, "vehicle_id", f"no patrol vehicle {vehicle_id!r}")
        mode = mode or (PatrolMode.VEHICLE if vehicle_id else None)
        v.check(mode is not None, "mode", "is required: vehicle, foot or bicycle")
        if mode is PatrolMode.VEHICLE:
            v.check(bool(vehicle_id), "vehicle_id", "a vehicle patrol names its vehicle")
        zone_code = zone_code or (plan.zone_code if plan else "") or (vehicle.zone_code if vehicle else "")
        check_zone(v, "zone_code", zone_code, self._kit.district, await self._territory.district_map())
        officers = (
            tuple(officer_ids)
            or (plan.officer_ids if plan else ())
            or (vehicle.officer_ids if vehicle else ())
        )
        check_ids(v, "officer_ids", officers)
        now = self._kit.now()
        at = start or now
        v.check(at <= now, "start_time", "is in the future")
        v.raise_if_any()
        assert mode is not None
        patrol = Patrol(
            patrol_id=patrol_id,
            zone_code=zone_code,
            mode=mode,
            start=at,
            plan_id=plan_id,
            vehicle_id=vehicle_id,
            officer_ids=officers,
            audit=Audit.new(caller.subject, now),
            order_key=order_key(at, patrol_id),
        )
        event = events_pb2.PatrolStarted(
            district_code=self._kit.district,
            patrol=patrol_to_proto(patrol),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._patrols.add(patrol, [self._kit.events(event, patrol_id)]):
            stored = await self._patrols.get(patrol_id)
            assert stored is not None
            return stored
        return patrol

    async def finish(self, patrol_id: str, *, end: datetime | None, notes: str, caller: Caller) -> Patrol:
        v = Validator()
        check_text(v, "notes", notes, 1000)
        v.raise_if_any()

        async def attempt() -> Patrol | None:
            patrol = await self._patrols.get(patrol_id) if patrol_id else None
            if patrol is None:
                raise NotFound("patrol", patrol_id)
            finished = patrol.finished(end or self._kit.now(), notes.strip(), caller.subject)
            if finished is patrol:
                return patrol
            event = events_pb2.PatrolFinished(
                district_code=self._kit.district,
                patrol=patrol_to_proto(finished),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._patrols.save(finished, [self._kit.events(event, patrol_id)])

        return await retry_on_conflict(attempt, f"patrol {patrol_id}")

    async def list_patrols(
        self,
        *,
        zone_code: str,
        vehicle_id: str,
        start: datetime | None,
        end: datetime | None,
        status: PatrolStatus | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Patrol], str]:
        limit = page_limit(page_size)
        found = await self._patrols.select(
            PatrolQuery(zone_code, vehicle_id, status, start, end, before_id=page_token, limit=limit)
        )
        return found, next_page_token(found, limit, lambda p: p.order_key)

    async def of_vehicle(self, vehicle_id: str, start: datetime, end: datetime) -> list[Patrol]:
        return await self._patrols.select(PatrolQuery(vehicle_id=vehicle_id, start=start, end=end))

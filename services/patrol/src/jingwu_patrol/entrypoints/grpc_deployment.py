"""PatrolService RPCs of deployment: vehicles (R-PAT-1), incidents, hot spots and plans (R-PAT-2),
patrols as run. Translate, call the use case, translate back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jingwu.patrol.v1 import patrol_pb2
from jingwu_platform.auth import current_caller
from jingwu_platform.errors import Validator
from jingwu_platform.grpc_server import Context

from jingwu_patrol.adapters.proto_mapping import (
    HOT_SPOT_KIND,
    INCIDENT_CATEGORY,
    PATROL_MODE,
    PATROL_STATUS,
    PLAN_STATUS,
    VEHICLE_STATUS,
    date_range_to_proto,
    hotspot_from_proto,
    hotspot_to_proto,
    incident_to_proto,
    patrol_to_proto,
    plan_to_proto,
    recommendation_to_proto,
    report_from_proto,
    section_from_proto,
    slot_from_proto,
    vehicle_to_proto,
    when,
)
from jingwu_patrol.application.hotspots import HotSpotApplication
from jingwu_patrol.application.incidents import IncidentApplication
from jingwu_patrol.application.patrols import PatrolApplication
from jingwu_patrol.application.plans import PlanApplication, PlanView
from jingwu_patrol.application.vehicles import VehicleApplication
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind
from jingwu_patrol.domain.plans import PatrolPlan
from jingwu_patrol.entrypoints.requests import day, period


@dataclass(frozen=True)
class DeploymentUseCases:
    vehicles: VehicleApplication
    incidents: IncidentApplication
    hotspots: HotSpotApplication
    plans: PlanApplication
    patrols: PatrolApplication


def view_to_proto(view: PlanView) -> patrol_pb2.PatrolPlan:
    return plan_to_proto(view.plan, list(view.duties))


def _plan_from_proto(
    message: patrol_pb2.PatrolPlan | patrol_pb2.CreatePatrolPlanRequest, v: Validator, field: str
) -> PatrolPlan:
    first, last = period(v, field, message.period, message.HasField("period"), required=True)
    return PatrolPlan(
        plan_id=getattr(message, "plan_id", ""),
        zone_code=message.zone_code,
        start=first or date.min,
        end=last or date.min,
        vehicle_id=message.vehicle_id.strip(),
        officer_ids=tuple(o.strip() for o in message.officer_ids),
        sections=tuple(section_from_proto(s) for s in message.sections),
        checkpoint_ids=tuple(message.checkpoint_ids),
        shift=slot_from_proto(message.shift) if message.HasField("shift") else None,
    )


class DeploymentApi:
    def __init__(self, use_cases: DeploymentUseCases) -> None:
        self._deploy = use_cases

    # --- vehicles (R-PAT-1) ---------------------------------------------------------------------

    async def RegisterVehicle(  # noqa: N802 - gRPC method names are PascalCase
        self, request: patrol_pb2.RegisterVehicleRequest, context: Context
    ) -> patrol_pb2.RegisterVehicleResponse:
        vehicle = await self._deploy.vehicles.register(
            plate=request.plate,
            zone_code=request.zone_code,
            device_id=request.device_id,
            room_id=request.room_id,
            officer_ids=list(request.officer_ids),
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.RegisterVehicleResponse(vehicle=vehicle_to_proto(vehicle))

    async def AssignVehicle(  # noqa: N802
        self, request: patrol_pb2.AssignVehicleRequest, context: Context
    ) -> patrol_pb2.AssignVehicleResponse:
        vehicle = await self._deploy.vehicles.reassign(
            request.vehicle_id,
            zone_code=request.zone_code,
            device_id=request.device_id,
            status=VEHICLE_STATUS.from_proto(request.status),
            officer_ids=list(request.officer_ids),
            reason=request.reason,
            caller=current_caller(),
        )
        return patrol_pb2.AssignVehicleResponse(vehicle=vehicle_to_proto(vehicle))

    async def GetVehicle(  # noqa: N802
        self, request: patrol_pb2.GetVehicleRequest, context: Context
    ) -> patrol_pb2.GetVehicleResponse:
        return patrol_pb2.GetVehicleResponse(
            vehicle=vehicle_to_proto(await self._deploy.vehicles.get(request.vehicle_id))
        )

    async def ListVehicles(  # noqa: N802
        self, request: patrol_pb2.ListVehiclesRequest, context: Context
    ) -> patrol_pb2.ListVehiclesResponse:
        found, token = await self._deploy.vehicles.list_vehicles(
            zone_code=request.zone_code,
            station_id=request.station_id,
            status=VEHICLE_STATUS.from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListVehiclesResponse(vehicles=[vehicle_to_proto(v) for v in found])
        response.page.next_page_token = token
        return response

    async def GetVehicleCoverage(  # noqa: N802
        self, request: patrol_pb2.GetVehicleCoverageRequest, context: Context
    ) -> patrol_pb2.GetVehicleCoverageResponse:
        found = await self._deploy.vehicles.coverage(request.station_id)
        return patrol_pb2.GetVehicleCoverageResponse(
            zone_count=found.zone_count,
            covered_zone_count=len(found.covered),
            uncovered_zone_codes=list(found.uncovered),
        )

    # --- incidents (R-PAT-2, R-NOT-5) -------------------------------------------------------------

    async def RecordIncident(  # noqa: N802
        self, request: patrol_pb2.RecordIncidentRequest, context: Context
    ) -> patrol_pb2.RecordIncidentResponse:
        incident, duplicate = await self._deploy.incidents.record(
            report_from_proto(request.report), channel="grpc", prefix="report."
        )
        return patrol_pb2.RecordIncidentResponse(incident=incident_to_proto(incident), duplicate=duplicate)

    async def ListIncidents(  # noqa: N802
        self, request: patrol_pb2.ListIncidentsRequest, context: Context
    ) -> patrol_pb2.ListIncidentsResponse:
        found, token = await self._deploy.incidents.list_incidents(
            zone_code=request.zone_code,
            category=INCIDENT_CATEGORY.from_proto(request.category),
            start=when(request.start_time, request.HasField("start_time")),
            end=when(request.end_time, request.HasField("end_time")),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListIncidentsResponse(incidents=[incident_to_proto(i) for i in found])
        response.page.next_page_token = token
        return response

    # --- hot spots (R-PAT-2) ------------------------------------------------------------------------

    async def CreateHotSpot(  # noqa: N802
        self, request: patrol_pb2.CreateHotSpotRequest, context: Context
    ) -> patrol_pb2.CreateHotSpotResponse:
        kind = HOT_SPOT_KIND.from_proto(request.kind)
        message = patrol_pb2.HotSpot(
            name=request.name,
            zone_code=request.zone_code,
            path=request.path,
            location=request.location if request.HasField("location") else None,
            radius_m=request.radius_m,
            area=request.area if request.HasField("area") else None,
            time_slots=request.time_slots,
            case_count=request.case_count,
            source=request.source,
        )
        spot = await self._deploy.hotspots.create(
            hotspot_from_proto(message, kind or HotSpotKind.PLACE),
            kind,
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.CreateHotSpotResponse(hotspot=hotspot_to_proto(spot))

    async def UpdateHotSpot(  # noqa: N802
        self, request: patrol_pb2.UpdateHotSpotRequest, context: Context
    ) -> patrol_pb2.UpdateHotSpotResponse:
        changes: HotSpot = hotspot_from_proto(request.hotspot, HotSpotKind.PLACE)
        spot = await self._deploy.hotspots.update(
            changes, list(request.update_mask.paths), caller=current_caller()
        )
        return patrol_pb2.UpdateHotSpotResponse(hotspot=hotspot_to_proto(spot))

    async def ListHotSpots(  # noqa: N802
        self, request: patrol_pb2.ListHotSpotsRequest, context: Context
    ) -> patrol_pb2.ListHotSpotsResponse:
        found, token = await self._deploy.hotspots.list_hotspots(
            zone_code=request.zone_code,
            include_inactive=request.include_inactive,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListHotSpotsResponse(hotspots=[hotspot_to_proto(s) for s in found])
        response.page.next_page_token = token
        return response

    async def RecommendHotSpots(  # noqa: N802
        self, request: patrol_pb2.RecommendHotSpotsRequest, context: Context
    ) -> patrol_pb2.RecommendHotSpotsResponse:
        v = Validator()
        as_of = day(v, "as_of", request.as_of, request.HasField("as_of"), required=False)
        categories = []
        for index, number in enumerate(request.categories):
            category = INCIDENT_CATEGORY.from_proto(number)
            if v.check(category is not None, f"categories[{index}]", "is not a known category"):
                assert category is not None
                categories.append(category)
        v.raise_if_any()
        window = self._deploy.hotspots.window(
            as_of=as_of,
            weeks=request.window_weeks,
            half_life=request.half_life.ToTimedelta() if request.HasField("half_life") else None,
        )
        ranking = await self._deploy.hotspots.recommend(
            zone_code=request.zone_code, window=window, limit=request.limit, categories=categories
        )
        response = patrol_pb2.RecommendHotSpotsResponse(
            recommendations=[recommendation_to_proto(r) for r in ranking.recommendations],
            incident_count=ranking.incident_count,
        )
        response.window.CopyFrom(date_range_to_proto(window.start, window.as_of))
        response.half_life.FromTimedelta(window.half_life)
        return response

    # --- plans (R-PAT-2) ------------------------------------------------------------------------------

    async def CreatePatrolPlan(  # noqa: N802
        self, request: patrol_pb2.CreatePatrolPlanRequest, context: Context
    ) -> patrol_pb2.CreatePatrolPlanResponse:
        v = Validator()
        plan = _plan_from_proto(request, v, "period")
        v.raise_if_any()
        view = await self._deploy.plans.create(
            plan, caller=current_caller(), request_id=request.request_id.strip()
        )
        return patrol_pb2.CreatePatrolPlanResponse(patrol_plan=view_to_proto(view))

    async def CreatePatrolPlanFromHotSpots(  # noqa: N802
        self, request: patrol_pb2.CreatePatrolPlanFromHotSpotsRequest, context: Context
    ) -> patrol_pb2.CreatePatrolPlanFromHotSpotsResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=True)
        v.raise_if_any()
        window = self._deploy.hotspots.window(
            as_of=None,
            weeks=request.window_weeks,
            half_life=request.half_life.ToTimedelta() if request.HasField("half_life") else None,
        )
        view, recommendations = await self._deploy.plans.create_from_hotspots(
            zone_code=request.zone_code,
            vehicle_id=request.vehicle_id.strip(),
            first=first,
            last=last,
            officer_ids=[o.strip() for o in request.officer_ids],
            shift=slot_from_proto(request.shift) if request.HasField("shift") else None,
            top=request.top,
            required_minutes=request.required_minutes,
            window=window,
            checkpoint_ids=list(request.checkpoint_ids),
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.CreatePatrolPlanFromHotSpotsResponse(
            patrol_plan=view_to_proto(view),
            recommendations=[recommendation_to_proto(r) for r in recommendations],
        )

    async def UpdatePatrolPlan(  # noqa: N802
        self, request: patrol_pb2.UpdatePatrolPlanRequest, context: Context
    ) -> patrol_pb2.UpdatePatrolPlanResponse:
        paths = list(request.update_mask.paths)
        v = Validator()
        if "period" in paths:
            changes = _plan_from_proto(request.patrol_plan, v, "patrol_plan.period")
        else:
            message = patrol_pb2.PatrolPlan()
            message.CopyFrom(request.patrol_plan)
            message.ClearField("period")
            changes = _plan_from_proto(message, Validator(), "patrol_plan.period")
        v.raise_if_any()
        view = await self._deploy.plans.update(changes, paths, caller=current_caller())
        return patrol_pb2.UpdatePatrolPlanResponse(patrol_plan=view_to_proto(view))

    async def GetPatrolPlan(  # noqa: N802
        self, request: patrol_pb2.GetPatrolPlanRequest, context: Context
    ) -> patrol_pb2.GetPatrolPlanResponse:
        plans = self._deploy.plans
        return patrol_pb2.GetPatrolPlanResponse(
            patrol_plan=view_to_proto(await plans.view(await plans.get(request.plan_id)))
        )

    async def ListPatrolPlans(  # noqa: N802
        self, request: patrol_pb2.ListPatrolPlansRequest, context: Context
    ) -> patrol_pb2.ListPatrolPlansResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=False)
        v.raise_if_any()
        found, token = await self._deploy.plans.list_plans(
            zone_code=request.zone_code,
            vehicle_id=request.vehicle_id,
            first=first,
            last=last,
            status=PLAN_STATUS.from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListPatrolPlansResponse(patrol_plans=[view_to_proto(p) for p in found])
        response.page.next_page_token = token
        return response

    async def CancelPatrolPlan(  # noqa: N802
        self, request: patrol_pb2.CancelPatrolPlanRequest, context: Context
    ) -> patrol_pb2.CancelPatrolPlanResponse:
        view = await self._deploy.plans.cancel(request.plan_id, request.reason, caller=current_caller())
        return patrol_pb2.CancelPatrolPlanResponse(patrol_plan=view_to_proto(view))

    # --- patrols as run ---------------------------------------------------------------------------------

    async def StartPatrol(  # noqa: N802
        self, request: patrol_pb2.StartPatrolRequest, context: Context
    ) -> patrol_pb2.StartPatrolResponse:
        patrol = await self._deploy.patrols.start(
            plan_id=request.plan_id,
            mode=PATROL_MODE.from_proto(request.mode),
            vehicle_id=request.vehicle_id,
            zone_code=request.zone_code,
            officer_ids=[o.strip() for o in request.officer_ids],
            start=when(request.start_time, request.HasField("start_time")),
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.StartPatrolResponse(patrol=patrol_to_proto(patrol))

    async def FinishPatrol(  # noqa: N802
        self, request: patrol_pb2.FinishPatrolRequest, context: Context
    ) -> patrol_pb2.FinishPatrolResponse:
        patrol = await self._deploy.patrols.finish(
            request.patrol_id,
            end=when(request.end_time, request.HasField("end_time")),
            notes=request.notes,
            caller=current_caller(),
        )
        return patrol_pb2.FinishPatrolResponse(patrol=patrol_to_proto(patrol))

    async def ListPatrols(  # noqa: N802
        self, request: patrol_pb2.ListPatrolsRequest, context: Context
    ) -> patrol_pb2.ListPatrolsResponse:
        found, token = await self._deploy.patrols.list_patrols(
            zone_code=request.zone_code,
            vehicle_id=request.vehicle_id,
            start=when(request.start_time, request.HasField("start_time")),
            end=when(request.end_time, request.HasField("end_time")),
            status=PATROL_STATUS.from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListPatrolsResponse(patrols=[patrol_to_proto(p) for p in found])
        response.page.next_page_token = token
        return response

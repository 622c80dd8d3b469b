"""PatrolService RPCs of prevention: rings, checkpoints, duty orders and interception (R-PAT-3,
R-ROOM-5), joint patrols (R-PAT-4), golden hours (R-PAT-5)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from jingwu.patrol.v1 import patrol_pb2
from jingwu_platform.auth import current_caller
from jingwu_platform.errors import Validator
from jingwu_platform.grpc_server import Context
from jingwu_platform.proto_values import EnumMap, local_date_to_proto

from jingwu_patrol.adapters.proto_mapping import (
    CHECKPOINT_KIND,
    RING_LEVEL,
    checkpoint_to_proto,
    duty_to_proto,
    joint_patrol_to_proto,
    point_from_proto,
    polygon_from_proto,
    ring_to_proto,
    when,
)
from jingwu_patrol.adapters.rooms_client import RegistryUnavailable
from jingwu_patrol.application.joint_patrols import JointPatrolApplication
from jingwu_patrol.application.prevention import PreventionApplication
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.golden_hours import GoldenReason
from jingwu_patrol.entrypoints.requests import day, period

GOLDEN_REASON = EnumMap(GoldenReason, patrol_pb2.GoldenHourReason, "GOLDEN_HOUR_REASON")


@dataclass(frozen=True)
class PreventionUseCases:
    prevention: PreventionApplication
    joint_patrols: JointPatrolApplication


class PreventionApi:
    def __init__(self, use_cases: PreventionUseCases) -> None:
        self._prevent = use_cases

    # --- rings and checkpoints (R-PAT-3) --------------------------------------------------------

    async def DefinePreventionRing(  # noqa: N802 - gRPC method names are PascalCase
        self, request: patrol_pb2.DefinePreventionRingRequest, context: Context
    ) -> patrol_pb2.DefinePreventionRingResponse:
        ring = await self._prevent.prevention.define_ring(
            name=request.name,
            level=RING_LEVEL.from_proto(request.level),
            boundary=polygon_from_proto(request.boundary),
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.DefinePreventionRingResponse(prevention_ring=ring_to_proto(ring))

    async def ListPreventionRings(  # noqa: N802
        self, request: patrol_pb2.ListPreventionRingsRequest, context: Context
    ) -> patrol_pb2.ListPreventionRingsResponse:
        found, token = await self._prevent.prevention.list_rings(
            level=RING_LEVEL.from_proto(request.level),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListPreventionRingsResponse(prevention_rings=[ring_to_proto(r) for r in found])
        response.page.next_page_token = token
        return response

    async def RegisterCheckpoint(  # noqa: N802
        self, request: patrol_pb2.RegisterCheckpointRequest, context: Context
    ) -> patrol_pb2.RegisterCheckpointResponse:
        checkpoint = await self._prevent.prevention.register_checkpoint(
            name=request.name,
            kind=CHECKPOINT_KIND.from_proto(request.kind),
            location=point_from_proto(request.location, request.HasField("location")),
            ring_id=request.ring_id.strip(),
            zone_code=request.zone_code.strip(),
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.RegisterCheckpointResponse(checkpoint=checkpoint_to_proto(checkpoint))

    async def ListCheckpoints(  # noqa: N802
        self, request: patrol_pb2.ListCheckpointsRequest, context: Context
    ) -> patrol_pb2.ListCheckpointsResponse:
        found, token = await self._prevent.prevention.list_checkpoints(
            ring_id=request.ring_id,
            zone_code=request.zone_code,
            kind=CHECKPOINT_KIND.from_proto(request.kind),
            include_inactive=request.include_inactive,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListCheckpointsResponse(checkpoints=[checkpoint_to_proto(c) for c in found])
        response.page.next_page_token = token
        return response

    async def OrderCheckpointDuty(  # noqa: N802
        self, request: patrol_pb2.OrderCheckpointDutyRequest, context: Context
    ) -> patrol_pb2.OrderCheckpointDutyResponse:
        duty = await self._prevent.prevention.order_duty(
            checkpoint_id=request.checkpoint_id.strip(),
            vehicle_id=request.vehicle_id.strip(),
            officer_ids=[o.strip() for o in request.officer_ids],
            start=when(request.start_time, request.HasField("start_time")),
            end=when(request.end_time, request.HasField("end_time")),
            reason=request.reason,
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.OrderCheckpointDutyResponse(checkpoint_duty=duty_to_proto(duty))

    async def IssueInterceptionOrder(  # noqa: N802
        self, request: patrol_pb2.IssueInterceptionOrderRequest, context: Context
    ) -> patrol_pb2.IssueInterceptionOrderResponse:
        location = request.location
        try:
            duty = await self._prevent.prevention.intercept(
                location=GeoPoint(location.longitude, location.latitude)
                if request.HasField("location")
                else None,
                checkpoint_id=request.checkpoint_id.strip(),
                incident_id=request.incident_id,
                reason=request.reason,
                caller=current_caller(),
                request_id=request.request_id.strip(),
            )
        except RegistryUnavailable as unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"{unavailable}; retry with the same request_id")
        return patrol_pb2.IssueInterceptionOrderResponse(checkpoint_duty=duty_to_proto(duty))

    async def ListCheckpointDuties(  # noqa: N802
        self, request: patrol_pb2.ListCheckpointDutiesRequest, context: Context
    ) -> patrol_pb2.ListCheckpointDutiesResponse:
        found, token = await self._prevent.prevention.list_duties(
            checkpoint_id=request.checkpoint_id,
            vehicle_id=request.vehicle_id,
            start=when(request.start_time, request.HasField("start_time")),
            end=when(request.end_time, request.HasField("end_time")),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListCheckpointDutiesResponse(
            checkpoint_duties=[duty_to_proto(d) for d in found]
        )
        response.page.next_page_token = token
        return response

    # --- joint patrols (R-PAT-4) -------------------------------------------------------------------

    async def RecordJointPatrol(  # noqa: N802
        self, request: patrol_pb2.RecordJointPatrolRequest, context: Context
    ) -> patrol_pb2.RecordJointPatrolResponse:
        v = Validator()
        on = day(v, "date", request.date, request.HasField("date"), required=True)
        v.raise_if_any()
        joint = await self._prevent.joint_patrols.record(
            village_id=request.village_id.strip(),
            day=on,
            start=when(request.start_time, request.HasField("start_time")),
            end=when(request.end_time, request.HasField("end_time")),
            leader_officer_id=request.leader_officer_id,
            participant_ids=[p.strip() for p in request.participant_ids],
            participant_count=request.participant_count,
            route=[GeoPoint(p.longitude, p.latitude) for p in request.route],
            notes=request.notes,
            caller=current_caller(),
            request_id=request.request_id.strip(),
        )
        return patrol_pb2.RecordJointPatrolResponse(joint_patrol=joint_patrol_to_proto(joint))

    async def ListJointPatrols(  # noqa: N802
        self, request: patrol_pb2.ListJointPatrolsRequest, context: Context
    ) -> patrol_pb2.ListJointPatrolsResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=False)
        v.raise_if_any()
        found, token = await self._prevent.joint_patrols.list_joint_patrols(
            village_id=request.village_id,
            zone_code=request.zone_code,
            first=first,
            last=last,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListJointPatrolsResponse(
            joint_patrols=[joint_patrol_to_proto(j) for j in found]
        )
        response.page.next_page_token = token
        return response

    async def GetJointPatrolGaps(  # noqa: N802
        self, request: patrol_pb2.GetJointPatrolGapsRequest, context: Context
    ) -> patrol_pb2.GetJointPatrolGapsResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=True)
        v.raise_if_any()
        gaps = await self._prevent.joint_patrols.gaps(
            village_id=request.village_id,
            zone_code=request.zone_code,
            station_id=request.station_id,
            first=first,
            last=last,
        )
        return patrol_pb2.GetJointPatrolGapsResponse(
            gaps=[
                patrol_pb2.JointPatrolGap(
                    village_id=g.village_id,
                    zone_code=g.zone_code,
                    missed_dates=[local_date_to_proto(d) for d in g.missed],
                )
                for g in gaps
            ]
        )

    # --- golden hours (R-PAT-5) --------------------------------------------------------------------

    async def ListGoldenHourSlots(  # noqa: N802
        self, request: patrol_pb2.ListGoldenHourSlotsRequest, context: Context
    ) -> patrol_pb2.ListGoldenHourSlotsResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=True)
        v.raise_if_any()
        slots = self._prevent.joint_patrols.golden_hours(first, last)
        return patrol_pb2.ListGoldenHourSlotsResponse(
            slots=[
                patrol_pb2.GoldenHourSlot(
                    date=local_date_to_proto(s.day),
                    start_minute=s.start_minute,
                    end_minute=s.end_minute,
                    reason=GOLDEN_REASON.to_proto(s.reason),
                )
                for s in slots
            ]
        )

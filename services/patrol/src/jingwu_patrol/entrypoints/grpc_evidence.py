"""PatrolService RPCs of evidence (R-PAT-6, R-PER-11), street visibility (R-PAT-2) and findings
(R-PAT-1, R-PAT-4)."""

from __future__ import annotations

import grpc
from jingwu.patrol.v1 import patrol_pb2
from jingwu_platform.errors import Validator
from jingwu_platform.grpc_server import Context

from jingwu_patrol.adapters.evidence_mapping import SUBJECT_KIND, evidence_to_proto, visibility_to_proto
from jingwu_patrol.adapters.proto_mapping import FINDING_KIND, finding_to_proto
from jingwu_patrol.adapters.telemetry_client import TelemetryUnavailable
from jingwu_patrol.application.evidence import EvidenceApplication
from jingwu_patrol.application.joint_patrols import JointPatrolApplication
from jingwu_patrol.application.ports import EvidenceQuery
from jingwu_patrol.entrypoints.requests import day, period


def _subject(v: Validator, vehicle_id: str, device_id: str) -> tuple[str, bool]:
    """(subject id, is a handheld): exactly one of vehicle_id and device_id."""
    v.check(
        bool(vehicle_id) != bool(device_id),
        "vehicle_id",
        "name a vehicle_id, or a handheld's device_id (not both)",
    )
    return (device_id, True) if device_id else (vehicle_id, False)


class EvidenceApi:
    def __init__(self, evidence: EvidenceApplication, findings: JointPatrolApplication) -> None:
        self._evidence = evidence
        self._findings = findings

    async def ComputePatrolEvidence(  # noqa: N802 - gRPC method names are PascalCase
        self, request: patrol_pb2.ComputePatrolEvidenceRequest, context: Context
    ) -> patrol_pb2.ComputePatrolEvidenceResponse:
        v = Validator()
        subject, handheld = _subject(v, request.vehicle_id.strip(), request.device_id.strip())
        on = day(v, "date", request.date, request.HasField("date"), required=True)
        v.raise_if_any()
        try:
            if handheld:
                evidence = await self._evidence.compute_handheld(subject, on)
            else:
                evidence = await self._evidence.compute_vehicle(subject, on)
        except TelemetryUnavailable as unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(unavailable))
        return patrol_pb2.ComputePatrolEvidenceResponse(patrol_evidence=evidence_to_proto(evidence))

    async def GetPatrolEvidence(  # noqa: N802
        self, request: patrol_pb2.GetPatrolEvidenceRequest, context: Context
    ) -> patrol_pb2.GetPatrolEvidenceResponse:
        v = Validator()
        subject, _ = _subject(v, request.vehicle_id.strip(), request.device_id.strip())
        on = day(v, "date", request.date, request.HasField("date"), required=True)
        v.raise_if_any()
        evidence = await self._evidence.get(subject, on)
        return patrol_pb2.GetPatrolEvidenceResponse(patrol_evidence=evidence_to_proto(evidence))

    async def ListPatrolEvidence(  # noqa: N802
        self, request: patrol_pb2.ListPatrolEvidenceRequest, context: Context
    ) -> patrol_pb2.ListPatrolEvidenceResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=False)
        v.raise_if_any()
        query = EvidenceQuery(
            zone_code=request.zone_code,
            station_id=request.station_id,
            vehicle_id=request.vehicle_id,
            device_id=request.device_id,
            officer_id=request.officer_id,
            subject_kind=SUBJECT_KIND.from_proto(request.subject_kind),
            first=first,
            last=last,
            after_id=request.page.page_token,
        )
        found, token = await self._evidence.list_evidence(query, request.page.page_size)
        response = patrol_pb2.ListPatrolEvidenceResponse(
            patrol_evidence=[evidence_to_proto(e) for e in found]
        )
        response.page.next_page_token = token
        return response

    async def GetStreetVisibility(  # noqa: N802
        self, request: patrol_pb2.GetStreetVisibilityRequest, context: Context
    ) -> patrol_pb2.GetStreetVisibilityResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=True)
        v.raise_if_any()
        zones = await self._evidence.street_visibility(
            zone_code=request.zone_code, station_id=request.station_id, first=first, last=last
        )
        return patrol_pb2.GetStreetVisibilityResponse(zones=[visibility_to_proto(z) for z in zones])

    async def ListPatrolFindings(  # noqa: N802
        self, request: patrol_pb2.ListPatrolFindingsRequest, context: Context
    ) -> patrol_pb2.ListPatrolFindingsResponse:
        v = Validator()
        first, last = period(v, "period", request.period, request.HasField("period"), required=False)
        v.raise_if_any()
        found, token = await self._findings.findings(
            kind=FINDING_KIND.from_proto(request.kind),
            zone_code=request.zone_code,
            first=first,
            last=last,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = patrol_pb2.ListPatrolFindingsResponse(findings=[finding_to_proto(f) for f in found])
        response.page.next_page_token = token
        return response

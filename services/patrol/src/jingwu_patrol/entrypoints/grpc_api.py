"""gRPC entry point of the patrol service: who may call what (ACCESS), and the servicer, whose RPCs
live by topic in grpc_deployment.py, grpc_prevention.py and grpc_evidence.py."""

from __future__ import annotations

from jingwu.patrol.v1 import patrol_pb2, patrol_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.authz import READ, AccessPolicy, allow

from jingwu_patrol.application.evidence import EvidenceApplication
from jingwu_patrol.entrypoints.grpc_deployment import DeploymentApi, DeploymentUseCases
from jingwu_patrol.entrypoints.grpc_evidence import EvidenceApi
from jingwu_patrol.entrypoints.grpc_prevention import PreventionApi, PreventionUseCases

# Who may call what. Station leaders and the district's administrators register vehicles, hot spots,
# rings and checkpoints, make plans and order duties; the bureau (district_admin) and the command
# centre, as a Jingwu service, issue interception orders (R-ROOM-5). Other police systems record
# incidents as a service (R-NOT-5). Officers run patrols and record their teams' joint patrols. Reads
# are open to every caller of the district (no personal data is served here).
_LEADERS = (Role.SUPERVISOR, Role.DISTRICT_ADMIN)
_STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    patrol_pb2.DESCRIPTOR.services_by_name["PatrolService"],
    {
        "RegisterVehicle": allow(*_LEADERS, idempotency_key="request_id"),
        "AssignVehicle": allow(*_LEADERS),
        "GetVehicle": READ,
        "ListVehicles": READ,
        "GetVehicleCoverage": READ,
        "CreateHotSpot": allow(*_LEADERS, idempotency_key="request_id"),
        "UpdateHotSpot": allow(*_LEADERS),
        "ListHotSpots": READ,
        "RecommendHotSpots": READ,
        "CreatePatrolPlan": allow(*_LEADERS, idempotency_key="request_id"),
        "CreatePatrolPlanFromHotSpots": allow(*_LEADERS, idempotency_key="request_id"),
        "UpdatePatrolPlan": allow(*_LEADERS),
        "GetPatrolPlan": READ,
        "ListPatrolPlans": READ,
        "CancelPatrolPlan": allow(*_LEADERS),
        # The sender's (source_system, source_incident_id) inside the report makes a repeat harmless.
        "RecordIncident": allow(Role.SERVICE, Role.DISTRICT_ADMIN, idempotency_key="report"),
        "ListIncidents": READ,
        "StartPatrol": allow(*_STAFF, idempotency_key="request_id"),
        "FinishPatrol": allow(*_STAFF),
        "ListPatrols": READ,
        "DefinePreventionRing": allow(*_LEADERS, idempotency_key="request_id"),
        "ListPreventionRings": READ,
        "RegisterCheckpoint": allow(*_LEADERS, idempotency_key="request_id"),
        "ListCheckpoints": READ,
        "OrderCheckpointDuty": allow(*_LEADERS, idempotency_key="request_id"),
        "IssueInterceptionOrder": allow(Role.DISTRICT_ADMIN, Role.SERVICE, idempotency_key="request_id"),
        "ListCheckpointDuties": READ,
        "RecordJointPatrol": allow(*_STAFF, idempotency_key="request_id"),
        "ListJointPatrols": READ,
        "GetJointPatrolGaps": READ,
        "ListGoldenHourSlots": READ,
        "ComputePatrolEvidence": allow(*_LEADERS, Role.SERVICE),
        "GetPatrolEvidence": READ,
        "ListPatrolEvidence": READ,
        "GetStreetVisibility": READ,
        "ListPatrolFindings": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


class PatrolServicer(DeploymentApi, PreventionApi, EvidenceApi, patrol_pb2_grpc.PatrolServiceServicer):
    def __init__(
        self, deployment: DeploymentUseCases, prevention: PreventionUseCases, evidence: EvidenceApplication
    ) -> None:
        DeploymentApi.__init__(self, deployment)
        PreventionApi.__init__(self, prevention)
        EvidenceApi.__init__(self, evidence, prevention.joint_patrols)

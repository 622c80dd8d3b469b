"""The patrol use cases wired to their repositories and clients — the same for the process (main.py,
Mongo adapters and gRPC clients) and for application tests (in-memory fakes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jingwu_platform.usecase import UseCaseKit

from jingwu_patrol.application.evidence import EvidenceApplication
from jingwu_patrol.application.hotspots import HotSpotApplication
from jingwu_patrol.application.incidents import IncidentApplication
from jingwu_patrol.application.joint_patrols import JointPatrolApplication
from jingwu_patrol.application.patrols import PatrolApplication
from jingwu_patrol.application.plans import PlanApplication
from jingwu_patrol.application.ports import (
    CheckpointRepository,
    DutyRepository,
    EvidenceRepository,
    FindingRepository,
    HotSpotRepository,
    IncidentRepository,
    JointPatrolRepository,
    PatrolRepository,
    PlanRepository,
    PositionSource,
    RingRepository,
    RoomOrders,
    TrackSource,
    VehicleRepository,
)
from jingwu_patrol.application.prevention import PreventionApplication
from jingwu_patrol.application.territory import Directories, TerritoryApplication
from jingwu_patrol.application.vehicles import VehicleApplication
from jingwu_patrol.domain.policy import PatrolPolicy
from jingwu_patrol.entrypoints.grpc_deployment import DeploymentUseCases
from jingwu_patrol.entrypoints.grpc_prevention import PreventionUseCases


@dataclass(frozen=True)
class Repositories:
    vehicles: VehicleRepository
    hotspots: HotSpotRepository
    plans: PlanRepository
    patrols: PatrolRepository
    rings: RingRepository
    checkpoints: CheckpointRepository
    duties: DutyRepository
    incidents: IncidentRepository
    joint_patrols: JointPatrolRepository
    findings: FindingRepository
    evidence: EvidenceRepository
    directories: Directories

    def indexed(self) -> list[Any]:
        """The Mongo adapters with indexes to ensure at start (fakes have none)."""
        d = self.directories
        parts: list[Any] = [
            self.vehicles, self.hotspots, self.plans, self.patrols, self.rings, self.checkpoints, self.duties,
            self.incidents, self.joint_patrols, self.findings, self.evidence,
            d.zones, d.villages, d.rooms, d.devices, d.crossings,
        ]  # fmt: skip
        return [p for p in parts if hasattr(p, "ensure_indexes")]


@dataclass(frozen=True)
class PatrolApplications:
    territory: TerritoryApplication
    vehicles: VehicleApplication
    incidents: IncidentApplication
    hotspots: HotSpotApplication
    plans: PlanApplication
    patrols: PatrolApplication
    prevention: PreventionApplication
    joint_patrols: JointPatrolApplication
    evidence: EvidenceApplication

    def deployment(self) -> DeploymentUseCases:
        return DeploymentUseCases(self.vehicles, self.incidents, self.hotspots, self.plans, self.patrols)

    def prevention_use_cases(self) -> PreventionUseCases:
        return PreventionUseCases(self.prevention, self.joint_patrols)


def applications(
    kit: UseCaseKit,
    r: Repositories,
    *,
    policy: PatrolPolicy,
    tracks: TrackSource,
    positions: PositionSource,
    room_orders: RoomOrders,
) -> PatrolApplications:
    territory = TerritoryApplication(r.directories)
    vehicles = VehicleApplication(kit, r.vehicles, r.findings, territory)
    incidents = IncidentApplication(kit, r.incidents, territory, policy.incidents)
    hotspots = HotSpotApplication(kit, r.hotspots, incidents, territory, policy.hotspots)
    prevention = PreventionApplication(
        kit,
        rings=r.rings,
        checkpoints=r.checkpoints,
        duties=r.duties,
        vehicles=r.vehicles,
        territory=territory,
        room_orders=room_orders,
        positions=positions,
        policy=policy,
    )
    plans = PlanApplication(
        kit,
        plans=r.plans,
        vehicles=r.vehicles,
        hotspots=hotspots,
        prevention=prevention,
        territory=territory,
        rules_=policy.hotspots,
    )
    patrols = PatrolApplication(kit, r.patrols, r.plans, r.vehicles, territory)
    joint_patrols = JointPatrolApplication(kit, r.joint_patrols, r.findings, territory, policy)
    evidence = EvidenceApplication(
        kit,
        evidence=r.evidence,
        vehicles=r.vehicles,
        crossings=r.directories.crossings,
        tracks=tracks,
        territory=territory,
        plans=plans,
        patrols=patrols,
        hotspots=hotspots,
        prevention=prevention,
        policy=policy,
    )
    return PatrolApplications(
        territory, vehicles, incidents, hotspots, plans, patrols, prevention, joint_patrols, evidence
    )

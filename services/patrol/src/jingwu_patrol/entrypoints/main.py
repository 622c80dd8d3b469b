"""Process entry point: ``jingwu-patrol`` (settings from JINGWU_* environment variables, the service's
own from JINGWU_PATROL_*, see options.py).

The process runs: the gRPC API (PatrolService); two consumers, each on a group of its own — reactions
to the room registry's and telemetry's events (read models, crossings, checkpoint duties), and the
incident feed other police systems produce to (jingwu.<district>.patrol.incidents.v1); and the
calendar rules (entrypoints/schedules.py). It calls the room registry (interception orders) and
telemetry (tracks, latest positions) as a Jingwu service.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from jingwu.patrol.v1 import patrol_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import Clock, UseCaseKit

from jingwu_patrol.adapters.directory import (
    MongoCrossingLog,
    MongoDeviceDirectory,
    MongoMobileRoomDirectory,
    MongoVillageDirectory,
    MongoZoneDirectory,
)
from jingwu_patrol.adapters.records import (
    MongoDutyRepository,
    MongoEvidenceRepository,
    MongoFindingRepository,
    MongoIncidentRepository,
    MongoJointPatrolRepository,
)
from jingwu_patrol.adapters.repository import (
    MongoCheckpointRepository,
    MongoHotSpotRepository,
    MongoPatrolRepository,
    MongoPlanRepository,
    MongoRingRepository,
    MongoVehicleRepository,
)
from jingwu_patrol.adapters.rooms_client import GrpcRoomOrders
from jingwu_patrol.adapters.service_token import ServiceToken
from jingwu_patrol.adapters.telemetry_client import GrpcTelemetry
from jingwu_patrol.application.ports import PositionSource, RoomOrders, TrackSource
from jingwu_patrol.application.territory import SERVICE, Directories
from jingwu_patrol.entrypoints import grpc_api
from jingwu_patrol.entrypoints.event_handlers import (
    IncidentFeedHandlers,
    RoomEventHandlers,
    TelemetryEventHandlers,
)
from jingwu_patrol.entrypoints.incident_feed import SingleTypeConsumer, incidents_topic
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_patrol.entrypoints.schedules import (
    JOINT_PATROL_CHECK,
    PATROL_EVIDENCE,
    SCHEDULES,
    VEHICLE_COVERAGE,
)
from jingwu_patrol.entrypoints.wiring import PatrolApplications, Repositories, applications

__all__ = ["SCHEDULES", "build", "run"]

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("0c5e2b7a-3f61-4d8e-a4b9-7d2e91c6f053")
CONSUMED_DOMAINS = ("rooms", "telemetry")


@dataclass
class PatrolProcess:
    """The runtime and the parts tests look at."""

    runtime: ServiceRuntime
    reactions: EventConsumer
    incident_feed: EventConsumer
    apps: PatrolApplications


def build(
    settings: ServiceSettings,
    options: PatrolOptions | None = None,
    *,
    clock: Clock | None = None,
    tracks: TrackSource | None = None,
    positions: PositionSource | None = None,
    room_orders: RoomOrders | None = None,
) -> PatrolProcess:
    """``tracks``, ``positions``, ``room_orders``: the gRPC clients of telemetry and the room registry
    unless given (tests that run without telemetry pass tracks they constructed)."""
    options = options or PatrolOptions()
    district = settings.district
    connections = connect(settings)
    db, outbox = connections.database, connections.outbox
    kit = UseCaseKit.create(district, SERVICE, ID_NAMESPACE, clock=clock, policy=DistrictPolicy.from_env())
    token = ServiceToken(settings.auth_secret.get_secret_value(), district)
    telemetry = GrpcTelemetry(options.telemetry_target, token)
    orders = room_orders or GrpcRoomOrders(options.rooms_target, token)
    repositories = Repositories(
        vehicles=MongoVehicleRepository(db, outbox),
        hotspots=MongoHotSpotRepository(db, outbox),
        plans=MongoPlanRepository(db, outbox),
        patrols=MongoPatrolRepository(db, outbox),
        rings=MongoRingRepository(db, outbox),
        checkpoints=MongoCheckpointRepository(db, outbox),
        duties=MongoDutyRepository(db, outbox),
        incidents=MongoIncidentRepository(db, outbox),
        joint_patrols=MongoJointPatrolRepository(db, outbox),
        findings=MongoFindingRepository(db, outbox),
        evidence=MongoEvidenceRepository(db, outbox),
        directories=Directories(
            zones=MongoZoneDirectory(db),
            villages=MongoVillageDirectory(db),
            rooms=MongoMobileRoomDirectory(db),
            devices=MongoDeviceDirectory(db),
            crossings=MongoCrossingLog(db),
        ),
    )
    apps = applications(
        kit,
        repositories,
        policy=options.policy(),
        tracks=tracks or telemetry,
        positions=positions or telemetry,
        room_orders=orders,
    )
    dlq = dead_letter_topic(district, SERVICE)
    consumed = [domain_topic(district, d) for d in CONSUMED_DOMAINS]
    reactions = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(db, consumer=f"{SERVICE}.reactions"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=consumed,
        dead_letter_topic=dlq,
        handlers=[
            *RoomEventHandlers(apps.territory, apps.prevention).handlers(),
            *TelemetryEventHandlers(apps.territory).handlers(),
        ],
    )
    feed_topic = incidents_topic(district)
    incident_feed = SingleTypeConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(db, consumer=f"{SERVICE}.incidents"),
        group_id=f"jingwu-{district}-{SERVICE}-incidents",
        topics=[feed_topic],
        dead_letter_topic=dlq,
        handlers=IncidentFeedHandlers(apps.incidents).handlers(),
    )
    registrations = [
        ServiceRegistration(
            grpc_api.ACCESS,
            grpc_api.PatrolServicer(apps.deployment(), apps.prevention_use_cases(), apps.evidence),
            patrol_pb2_grpc.add_PatrolServiceServicer_to_server,
        )
    ]

    async def close_clients() -> None:
        await telemetry.close()
        if isinstance(orders, GrpcRoomOrders):
            await orders.close()

    runtime = connections.runtime(
        registrations,
        topics=sorted({*consumed, domain_topic(district, SERVICE), feed_topic, dlq}),
        on_started=[r.ensure_indexes for r in repositories.indexed()],
        components=[_Closer("patrol-clients", close_clients)],
        schedules=[
            VEHICLE_COVERAGE.bind(apps.vehicles.check_coverage),
            JOINT_PATROL_CHECK.bind(apps.joint_patrols.check_day),
            PATROL_EVIDENCE.bind(apps.evidence.compute_day),
        ],
        clock=kit.clock,
    )
    return PatrolProcess(runtime, reactions, incident_feed, apps)


class _Closer:
    """Closes the service's own gRPC clients when the process stops."""

    def __init__(self, name: str, close: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._close = close

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self._close()


def run() -> None:
    run_service(SERVICE, lambda settings: build(settings).runtime)


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-rooms`` (settings from JINGWU_* environment variables, policy from
JINGWU_POLICY_JSON)."""

from __future__ import annotations

import uuid

from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import UseCaseKit

from jingwu_rooms.adapters.postings_repository import MongoPostingRepository
from jingwu_rooms.adapters.redivision_repository import MongoRedivisionRepository
from jingwu_rooms.adapters.room_repository import MongoRoomRepository
from jingwu_rooms.adapters.rota_repository import MongoRotaRepository
from jingwu_rooms.adapters.territory_repository import (
    MongoStationRepository,
    MongoVillageRepository,
    MongoZoneRepository,
)
from jingwu_rooms.application.ports import Repositories
from jingwu_rooms.application.registry import SERVICE, RoomRegistry
from jingwu_rooms.entrypoints.event_handlers import PersonnelEventHandlers
from jingwu_rooms.entrypoints.grpc_api import ACCESS, RoomRegistryServicer

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("6f1d3c1e-5b0a-4f43-9a43-2f4f2b0c9e11")


def build(
    settings: ServiceSettings, policy: DistrictPolicy | None = None
) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of personnel events (exposed for its counters)."""
    district = settings.district
    connections = connect(settings)
    database, outbox = connections.database, connections.outbox
    rooms = MongoRoomRepository(database, outbox)
    zones = MongoZoneRepository(database, outbox)
    villages = MongoVillageRepository(database, outbox)
    redivisions = MongoRedivisionRepository(database, outbox)
    postings = MongoPostingRepository(database)
    repositories = Repositories(
        rooms=rooms,
        stations=MongoStationRepository(database, outbox),
        zones=zones,
        villages=villages,
        redivisions=redivisions,
        rotas=MongoRotaRepository(database, outbox),
        postings=postings,
    )
    kit = UseCaseKit.create(district, SERVICE, ID_NAMESPACE, policy=policy or DistrictPolicy.from_env())
    registry = RoomRegistry.create(kit, repositories)
    personnel_topic = domain_topic(district, "personnel")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(database, consumer=f"{SERVICE}.personnel"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[personnel_topic],
        dead_letter_topic=dlq,
        handlers=PersonnelEventHandlers(registry.postings).handlers(),
    )
    runtime = connections.runtime(
        [
            ServiceRegistration(
                ACCESS,
                RoomRegistryServicer(registry),
                rooms_pb2_grpc.add_RoomRegistryServiceServicer_to_server,
            )
        ],
        topics=[domain_topic(district, SERVICE), personnel_topic, dlq],
        on_started=[
            rooms.ensure_indexes,
            zones.ensure_indexes,
            villages.ensure_indexes,
            redivisions.ensure_indexes,
            postings.ensure_indexes,
            # Multi-document commands interrupted by a crash are completed before serving on.
            registry.complete_interrupted_commands,
        ],
    )
    return runtime, consumer


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    return build(settings)[0]


def run() -> None:
    run_service(SERVICE, build_runtime)


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-rooms`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.events import domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings

from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.application.rooms import SERVICE, RoomApplication
from jingwu_rooms.entrypoints.grpc_api import SERVICE_NAME, RoomRegistryServicer


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    connections = connect(settings)
    repository = MongoRoomRepository(connections.database)
    relay = connections.outbox_relay([repository.collection])
    application = RoomApplication(settings.district, repository, relay)
    servicer = RoomRegistryServicer(application)  # type: ignore[abstract]  # unimplemented RPCs: UNIMPLEMENTED
    return connections.runtime(
        [
            ServiceRegistration(
                SERVICE_NAME, servicer, rooms_pb2_grpc.add_RoomRegistryServiceServicer_to_server
            )
        ],
        relay=relay,
        topics=[domain_topic(settings.district, SERVICE)],
        on_started=[repository.ensure_indexes],
    )


def run() -> None:
    run_service(SERVICE, build_runtime)


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-rooms`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import asyncio

from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.events import domain_topic
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventPublisher, create_broker
from jingwu_platform.logs import configure_logging
from jingwu_platform.mongo import create_client, district_database
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.runtime import ServiceRuntime
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.tracing import configure_tracing

from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.application.rooms import SERVICE, RoomApplication
from jingwu_rooms.entrypoints.grpc_api import SERVICE_NAME, RoomRegistryServicer


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    configure_tracing(settings)
    mongo = create_client(settings.mongo_url, f"jingwu-{SERVICE}")
    database = district_database(mongo, settings.district)
    repository = MongoRoomRepository(database)
    broker = create_broker(settings.kafka_bootstrap, client_id=f"jingwu-{SERVICE}-{settings.district}")
    relay = OutboxRelay(
        [repository.collection],
        EventPublisher(broker),
        poll_interval_s=settings.outbox_poll_interval_s,
        failpoints=Failpoints(settings.failpoints),
    )
    application = RoomApplication(settings.district, repository, relay)
    return ServiceRuntime(
        settings=settings,
        mongo=mongo,
        broker=broker,
        registrations=[
            ServiceRegistration(
                SERVICE_NAME,
                # The generated base marks every RPC abstract; those not implemented yet answer UNIMPLEMENTED.
                RoomRegistryServicer(application),  # type: ignore[abstract]
                rooms_pb2_grpc.add_RoomRegistryServiceServicer_to_server,
            )
        ],
        relay=relay,
        topics=[domain_topic(settings.district, SERVICE)],
        on_started=[repository.ensure_indexes],
    )


def run() -> None:
    settings = ServiceSettings(service_name=SERVICE)  # type: ignore[call-arg]  # the rest comes from env
    configure_logging(SERVICE, settings.district, settings.log_level)
    asyncio.run(build_runtime(settings).run_until_signal())


if __name__ == "__main__":
    run()

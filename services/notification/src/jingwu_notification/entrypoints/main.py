"""Process entry point: ``jingwu-notification`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import asyncio

from jingwu.notification.v1 import notification_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, EventHandler, EventPublisher, Inbox, create_broker
from jingwu_platform.logs import configure_logging
from jingwu_platform.mongo import create_client, district_database
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.runtime import ServiceRuntime
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.tracing import configure_tracing

from jingwu_notification.adapters.repository import MongoNoticeRepository
from jingwu_notification.application.notices import SERVICE, NoticeApplication
from jingwu_notification.entrypoints.grpc_api import SERVICE_NAME, NotificationServicer


def build_runtime(settings: ServiceSettings) -> tuple[ServiceRuntime, EventConsumer]:
    configure_tracing(settings)
    district = settings.district
    mongo = create_client(settings.mongo_url, f"jingwu-{SERVICE}")
    database = district_database(mongo, district)
    repository = MongoNoticeRepository(database)
    broker = create_broker(settings.kafka_bootstrap, client_id=f"jingwu-{SERVICE}-{district}")
    publisher = EventPublisher(broker)
    relay = OutboxRelay(
        [repository.collection],
        publisher,
        poll_interval_s=settings.outbox_poll_interval_s,
        failpoints=Failpoints(settings.failpoints),
    )
    application = NoticeApplication(district, repository, relay)
    rooms_topic = domain_topic(district, "rooms")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=broker,
        publisher=publisher,
        inbox=Inbox(database, consumer=f"{SERVICE}.rooms"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(room_events.RoomOpened, application.on_room_opened)],
    )
    runtime = ServiceRuntime(
        settings=settings,
        mongo=mongo,
        broker=broker,
        registrations=[
            ServiceRegistration(
                SERVICE_NAME,
                # The generated base marks every RPC abstract; those not implemented yet answer UNIMPLEMENTED.
                NotificationServicer(application),  # type: ignore[abstract]
                notification_pb2_grpc.add_NotificationServiceServicer_to_server,
            )
        ],
        relay=relay,
        topics=[domain_topic(district, SERVICE), rooms_topic, dlq],
        on_started=[repository.ensure_indexes],
    )
    return runtime, consumer


def run() -> None:
    settings = ServiceSettings(service_name=SERVICE)  # type: ignore[call-arg]  # the rest comes from env
    configure_logging(SERVICE, settings.district, settings.log_level)
    runtime, _consumer = build_runtime(settings)
    asyncio.run(runtime.run_until_signal())


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-notification`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import uuid

from jingwu.notification.v1 import notification_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import UseCaseKit

from jingwu_notification.adapters.repository import MongoNoticeRepository
from jingwu_notification.application.notices import SERVICE, NoticeApplication
from jingwu_notification.entrypoints.event_handlers import RoomEventHandlers
from jingwu_notification.entrypoints.grpc_api import ACCESS, NotificationServicer

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("3f6c2a91-8d4e-4b7a-9e15-6a0c2d7b4e83")


def build_runtime(settings: ServiceSettings) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of room events (exposed for its counters)."""
    district = settings.district
    connections = connect(settings)
    notices = MongoNoticeRepository(connections.database, connections.outbox)
    application = NoticeApplication(UseCaseKit.create(district, SERVICE, ID_NAMESPACE), notices)
    rooms_topic = domain_topic(district, "rooms")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.rooms"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic],
        dead_letter_topic=dlq,
        handlers=RoomEventHandlers(application).handlers(),
    )
    servicer = NotificationServicer(application)  # type: ignore[abstract]  # unimplemented RPCs: UNIMPLEMENTED
    runtime = connections.runtime(
        [
            ServiceRegistration(
                ACCESS, servicer, notification_pb2_grpc.add_NotificationServiceServicer_to_server
            )
        ],
        topics=[domain_topic(district, SERVICE), rooms_topic, dlq],
        on_started=[notices.ensure_indexes],
    )
    return runtime, consumer


def run() -> None:
    run_service(SERVICE, lambda settings: build_runtime(settings)[0])


if __name__ == "__main__":
    run()

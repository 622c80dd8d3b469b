"""Process entry point: ``jingwu-notification`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

from jingwu.notification.v1 import notification_pb2_grpc
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, EventHandler, Inbox
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings

from jingwu_notification.adapters.repository import MongoNoticeRepository
from jingwu_notification.application.notices import SERVICE, NoticeApplication
from jingwu_notification.entrypoints.grpc_api import ACCESS, NotificationServicer


def build_runtime(settings: ServiceSettings) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of room events (exposed for its counters)."""
    district = settings.district
    connections = connect(settings)
    repository = MongoNoticeRepository(connections.database)
    relay = connections.outbox_relay([repository.collection])
    application = NoticeApplication(district, repository, relay)
    rooms_topic = domain_topic(district, "rooms")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.rooms"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic],
        dead_letter_topic=dlq,
        handlers=[EventHandler(room_events.RoomOpened, application.on_room_opened)],
    )
    servicer = NotificationServicer(application)  # type: ignore[abstract]  # unimplemented RPCs: UNIMPLEMENTED
    runtime = connections.runtime(
        [
            ServiceRegistration(
                ACCESS, servicer, notification_pb2_grpc.add_NotificationServiceServicer_to_server
            )
        ],
        relay=relay,
        topics=[domain_topic(district, SERVICE), rooms_topic, dlq],
        on_started=[repository.ensure_indexes],
    )
    return runtime, consumer


def run() -> None:
    run_service(SERVICE, lambda settings: build_runtime(settings)[0])


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-notification`` (settings from JINGWU_* environment variables, the
service's own from JINGWU_NOTIFICATION_*, see options.py).

The process runs: the gRPC API (NotificationService, SubscriptionService); three consumers, each on a
group of its own — reactions to the other services' events (read models, notices, reminders), the
deliveries that follow from its own events, and the fan-out to subscribers' webhooks; the delivery
worker; the online police room (HTTP); and the calendar rules below.

The consumers are ``BatchConsumer``s whose per-event handlers run one by one in each batch
(``jingwu_platform.event_batches``): one inbox read, one inbox write and one commit per poll instead of
two store round trips per event. Their group ids and inbox names are the ones the one-at-a-time
consumers had, so a service upgraded in place goes on where it stood.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jingwu.notification.v1 import notification_pb2_grpc, subscriptions_pb2_grpc
from jingwu_platform.batch import BatchConsumer, BatchLimits
from jingwu_platform.event_batches import events_one_by_one
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventHandler, Inbox
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import Clock, UseCaseKit

from jingwu_notification.adapters.delivery_repository import (
    MongoDeliveryRepository,
    MongoSubscriptionRepository,
)
from jingwu_notification.adapters.directory import (
    MongoContactDirectory,
    MongoFactRepository,
    MongoPostingDirectory,
    MongoRoomDirectory,
)
from jingwu_notification.adapters.email import EmailSender, SmtpSettings
from jingwu_notification.adapters.event_payloads import EVENT_MODULES
from jingwu_notification.adapters.group_chat import GroupChatSender
from jingwu_notification.adapters.repository import (
    MongoAppointmentRepository,
    MongoFindingRepository,
    MongoFollowUpRepository,
    MongoMatterRepository,
    MongoMeetingRepository,
    MongoNoticeRepository,
    MongoReminderRepository,
    MongoUnmaskedReadRepository,
)
from jingwu_notification.adapters.webhooks import WebhookSender
from jingwu_notification.application.channels import MessageSender
from jingwu_notification.application.deliveries import DeliveryApplication
from jingwu_notification.application.notices import SERVICE
from jingwu_notification.application.subscriptions import SubscriptionApplication
from jingwu_notification.domain.deliveries import ChannelKind
from jingwu_notification.entrypoints import grpc_api, subscriptions_grpc
from jingwu_notification.entrypoints.delivery_worker import DeliveryWorker
from jingwu_notification.entrypoints.event_handlers import (
    PatrolEventHandlers,
    PersonnelEventHandlers,
    PopulationEventHandlers,
    RoomEventHandlers,
)
from jingwu_notification.entrypoints.fanout import FanOutHandlers
from jingwu_notification.entrypoints.options import NotificationOptions
from jingwu_notification.entrypoints.own_events import OwnEventHandlers
from jingwu_notification.entrypoints.resident_api import ResidentApi
from jingwu_notification.entrypoints.schedules import (
    CALLBACK_ESCALATION,
    MEETING_CHECK,
    SCHEDULES,
    WEEKLY_NOTICE_CHECK,
    WEEKLY_NOTICE_DRAFT,
)
from jingwu_notification.entrypoints.wiring import Repositories, applications

__all__ = ["SCHEDULES", "build", "build_runtime", "run"]

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("3f6c2a91-8d4e-4b7a-9e15-6a0c2d7b4e83")


# The other services' topics this service reacts to (its own is consumed apart: deliveries follow from
# its events, on a group of their own, so a slow channel never holds up the read models).
CONSUMED_DOMAINS = ("rooms", "personnel", "population", "patrol")

# Command-rate streams: a lone event is handled within a poll's wait; a catch-up takes a few hundred
# records a poll, handled one by one (each a few store round trips), well inside the stop grace period.
CONSUMER_LIMITS = BatchLimits(max_records=300, max_wait_ms=200)


@dataclass
class NotificationProcess:
    """The runtime and the parts tests look at."""

    runtime: ServiceRuntime
    reactions: BatchConsumer
    outgoing: BatchConsumer
    fan_out: BatchConsumer
    deliveries: DeliveryApplication
    resident_api: ResidentApi
    use_cases: grpc_api.NotificationUseCases
    subscriptions: SubscriptionApplication


def senders(
    options: NotificationOptions,
) -> tuple[dict[ChannelKind, MessageSender], list[WebhookSender | GroupChatSender]]:
    webhook = WebhookSender(timeout_s=options.webhook_timeout_s)
    channels: dict[ChannelKind, MessageSender] = {ChannelKind.WEBHOOK: webhook}
    closable: list[WebhookSender | GroupChatSender] = [webhook]
    if options.smtp_host:
        channels[ChannelKind.EMAIL] = EmailSender(
            SmtpSettings(
                host=options.smtp_host,
                port=options.smtp_port,
                sender=options.smtp_sender,
                username=options.smtp_username,
                password=options.smtp_password.get_secret_value(),
                starttls=options.smtp_starttls,
            )
        )
    if options.group_api_url:
        group = GroupChatSender(options.group_api_url, timeout_s=options.webhook_timeout_s)
        channels[ChannelKind.GROUP] = group
        closable.append(group)
    return channels, closable


def build(
    settings: ServiceSettings, options: NotificationOptions | None = None, *, clock: Clock | None = None
) -> NotificationProcess:
    options = options or NotificationOptions()
    district = settings.district
    connections = connect(settings)
    db, outbox = connections.database, connections.outbox
    kit = UseCaseKit.create(district, SERVICE, ID_NAMESPACE, clock=clock)

    repositories = Repositories(
        notices=MongoNoticeRepository(db, outbox),
        meetings=MongoMeetingRepository(db, outbox),
        follow_ups=MongoFollowUpRepository(db, outbox),
        matters=MongoMatterRepository(db, outbox),
        appointments=MongoAppointmentRepository(db, outbox),
        unmasked_reads=MongoUnmaskedReadRepository(db, outbox),
        reminders=MongoReminderRepository(db, outbox),
        findings=MongoFindingRepository(db, outbox),
        subscriptions=MongoSubscriptionRepository(db, outbox),
        deliveries=MongoDeliveryRepository(db, outbox),
        rooms=MongoRoomDirectory(db),
        postings=MongoPostingDirectory(db),
        facts=MongoFactRepository(db),
        contacts=MongoContactDirectory(db),
    )
    channels, closable = senders(options)
    apps = applications(
        kit,
        repositories,
        channels=channels,
        policy=options.retry_policy(),
        holder=settings.instance_id,
        failpoints=Failpoints(settings.failpoints),
    )
    use_cases = apps.use_cases()

    dlq = dead_letter_topic(district, SERVICE)
    consumed = [domain_topic(district, d) for d in CONSUMED_DOMAINS]

    def consumer(
        name: str, *, group: str, topics: list[str], handlers: list[EventHandler[Any]]
    ) -> BatchConsumer:
        return BatchConsumer(
            bootstrap=settings.kafka_bootstrap,
            group_id=group,
            topics=topics,
            dead_letter_topic=dlq,
            handler=events_one_by_one(handlers),
            inbox=Inbox(db, consumer=f"{SERVICE}.{name}"),
            limits=CONSUMER_LIMITS,
            client_id=f"jingwu-{SERVICE}-{district}-{name}",
        )

    reactions = consumer(
        "reactions",
        group=f"jingwu-{district}-{SERVICE}",
        topics=consumed,
        handlers=[
            *RoomEventHandlers(apps.notices, apps.directory).handlers(),
            *PersonnelEventHandlers(apps.directory, apps.reminders).handlers(),
            *PopulationEventHandlers(apps.directory, apps.reminders).handlers(),
            *PatrolEventHandlers(apps.directory, apps.reminders).handlers(),
        ],
    )
    own_topic = domain_topic(district, SERVICE)
    outgoing = consumer(
        "outgoing",
        group=f"jingwu-{district}-{SERVICE}-outgoing",
        topics=[own_topic],
        handlers=OwnEventHandlers(apps.deliveries, apps.reminders).handlers(),
    )
    fan_out_topics = [domain_topic(district, d) for d in EVENT_MODULES]
    fan_out = consumer(
        "subscriptions",
        group=f"jingwu-{district}-{SERVICE}-subscriptions",
        topics=fan_out_topics,
        handlers=FanOutHandlers(apps.subscriptions).handlers(),
    )
    worker = DeliveryWorker(
        apps.deliveries,
        kit.clock,
        poll_interval_s=options.delivery_poll_interval_s,
        closers=[c.close for c in closable],
    )
    resident_api = ResidentApi(apps.notices, apps.matters, district=district, options=options)
    registrations = [
        ServiceRegistration(
            grpc_api.ACCESS,
            grpc_api.NotificationServicer(use_cases),
            notification_pb2_grpc.add_NotificationServiceServicer_to_server,
        ),
        ServiceRegistration(
            subscriptions_grpc.ACCESS,
            subscriptions_grpc.SubscriptionServicer(apps.subscriptions, apps.deliveries),
            subscriptions_pb2_grpc.add_SubscriptionServiceServicer_to_server,
        ),
    ]
    runtime = connections.runtime(
        registrations,
        topics=sorted({*consumed, own_topic, *fan_out_topics, dlq}),
        on_started=[repository.ensure_indexes for repository in repositories.indexed()],
        # The consumers after the worker and the online room: started after them, stopped before them.
        components=[worker, resident_api, reactions, outgoing, fan_out],
        schedules=[
            WEEKLY_NOTICE_DRAFT.bind(apps.notices.draft_week),
            WEEKLY_NOTICE_CHECK.bind(apps.checks.check_weekly_notices),
            MEETING_CHECK.bind(apps.checks.check_meetings),
            CALLBACK_ESCALATION.bind(apps.checks.daily_callbacks),
        ],
        clock=kit.clock,
    )
    return NotificationProcess(
        runtime, reactions, outgoing, fan_out, apps.deliveries, resident_api, use_cases, apps.subscriptions
    )


def build_runtime(settings: ServiceSettings) -> tuple[ServiceRuntime, BatchConsumer]:
    """The runtime, and its consumer of the district's events (exposed for its counters)."""
    process = build(settings)
    return process.runtime, process.reactions


def run() -> None:
    run_service(SERVICE, lambda settings: build(settings).runtime)


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-telemetry`` (settings from JINGWU_* environment variables). One
district: the device registry (gRPC), the consumer of the district's fixes (batch path), the room
events it tracks zones and stops from, and the position queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from jingwu.telemetry.v1 import telemetry_pb2_grpc
from jingwu_platform.batch import BatchConsumer, BatchLimits
from jingwu_platform.events import dead_letter_topic, domain_topic, telemetry_fixes_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.runtime import Component, ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import UseCaseKit

from jingwu_telemetry.adapters.kafka_topics import make_compacted
from jingwu_telemetry.adapters.positions import MongoGeography, MongoLatestPositions, MongoMovementEvents
from jingwu_telemetry.adapters.repository import MongoDeviceRepository
from jingwu_telemetry.adapters.tracks import MongoTrackStore
from jingwu_telemetry.application.devices import SERVICE, DeviceApplication, directory_topic
from jingwu_telemetry.application.fixes import FixIngest, GeographyView
from jingwu_telemetry.application.geography import GeographyUpdates
from jingwu_telemetry.application.positions import PositionQueries
from jingwu_telemetry.domain.credentials import AuthCodes
from jingwu_telemetry.entrypoints.event_handlers import RoomEventHandlers
from jingwu_telemetry.entrypoints.fix_consumer import FixHandler
from jingwu_telemetry.entrypoints.grpc_api import ACCESS, TelemetryServicer
from jingwu_telemetry.entrypoints.sealer import TrackSealer
from jingwu_telemetry.settings import TelemetrySettings

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("7b1e4c2a-5d93-4f60-8a27-c3e9d0f41b56")
FIXES_DLQ = "telemetry.fixes"


@dataclass
class Telemetry:
    """The runtime and the parts tests and benchmarks look at."""

    runtime: ServiceRuntime
    devices: DeviceApplication
    fixes: FixHandler
    fix_consumer: BatchConsumer
    rooms_consumer: EventConsumer
    tracks: MongoTrackStore
    sealer: TrackSealer
    geography: GeographyView


def build(settings: ServiceSettings, telemetry: TelemetrySettings | None = None) -> Telemetry:
    telemetry = telemetry or TelemetrySettings()
    district = settings.district
    connections = connect(settings)
    database = connections.database
    kit = UseCaseKit.create(district, SERVICE, ID_NAMESPACE)
    devices = MongoDeviceRepository(database, connections.outbox)
    registry = DeviceApplication(kit, devices, AuthCodes(telemetry.code_key(settings.auth_secret), district))
    tracks = MongoTrackStore(database, timedelta(minutes=telemetry.bucket_minutes))
    latest = MongoLatestPositions(database)
    movements = MongoMovementEvents(database, connections.outbox)
    geography = MongoGeography(database)
    view = GeographyView(geography)
    fixes = FixHandler(
        FixIngest(kit, tracks=tracks, latest=latest, movements=movements, devices=devices, geography=view)
    )
    positions = PositionQueries(
        kit,
        tracks=tracks,
        latest=latest,
        movements=movements,
        stale_after=timedelta(seconds=telemetry.stale_after_s),
    )
    fixes_topic, fixes_dlq = telemetry_fixes_topic(district), dead_letter_topic(district, FIXES_DLQ)
    fix_consumer = BatchConsumer(
        bootstrap=settings.kafka_bootstrap,
        group_id=f"jingwu-{district}-{SERVICE}-fixes",
        topics=[fixes_topic],
        dead_letter_topic=fixes_dlq,
        handler=fixes.handler(),
        inbox=None,  # idempotent by key: device + fix time, event ids (adapters/tracks.py)
        limits=BatchLimits(max_records=telemetry.batch_max_records, max_wait_ms=telemetry.batch_max_wait_ms),
    )
    rooms_topic = domain_topic(district, "rooms")
    rooms_consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(database, consumer=f"{SERVICE}.rooms"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic],
        dead_letter_topic=dead_letter_topic(district, SERVICE),
        handlers=RoomEventHandlers(GeographyUpdates(geography, view)).handlers(),
    )
    sealer = TrackSealer(
        tracks, interval_s=telemetry.seal_interval_s, delay=timedelta(seconds=telemetry.seal_delay_s)
    )
    directory = directory_topic(district)

    async def compact_directory() -> None:
        if settings.kafka_create_topics:
            await make_compacted(settings.kafka_bootstrap, [directory])

    components: list[Component] = [fix_consumer, sealer] if telemetry.consume_fixes else []
    servicer = TelemetryServicer(registry, positions)
    runtime = connections.runtime(
        [ServiceRegistration(ACCESS, servicer, telemetry_pb2_grpc.add_TelemetryServiceServicer_to_server)],
        topics=[
            domain_topic(district, SERVICE),
            directory,
            fixes_topic,
            fixes_dlq,
            rooms_topic,
            dead_letter_topic(district, SERVICE),
        ],
        on_started=[
            devices.ensure_indexes,
            tracks.ensure_indexes,
            latest.ensure_indexes,
            movements.ensure_indexes,
            compact_directory,
            view.refresh,
        ],
        components=components,
    )
    return Telemetry(runtime, registry, fixes, fix_consumer, rooms_consumer, tracks, sealer, view)


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    return build(settings).runtime


def run() -> None:
    run_service(SERVICE, build_runtime)


if __name__ == "__main__":
    run()

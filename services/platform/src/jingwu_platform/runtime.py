"""Process lifecycle of a Jingwu service: start Kafka, gRPC and the outbox relay; stop them on a signal.

Entry points build their adapters and application, then hand the pieces to ``ServiceRuntime``. The
order matters: topics exist before consumers subscribe; the broker is connected before the relay
publishes; on shutdown the gRPC server stops taking calls first, then the relay, then the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import grpc
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_platform.consumer_groups import ConsumerGroup, groups_of
from jingwu_platform.failpoints import Failpoints
from jingwu_platform.grpc_server import GrpcServer, ServiceRegistration
from jingwu_platform.kafka import EventPublisher, create_broker, ensure_topics
from jingwu_platform.lease import Leases
from jingwu_platform.logs import configure_logging
from jingwu_platform.metrics import LoopLagProbe, MetricsEndpoint, install_metrics
from jingwu_platform.mongo import Document, create_client, district_database
from jingwu_platform.outbox import OutboxRegistry, OutboxRelay
from jingwu_platform.rpc_metrics import RpcMetricsInterceptor
from jingwu_platform.schedule import Schedule
from jingwu_platform.schedule_cli import schedule_command
from jingwu_platform.schedule_runs import MongoScheduleRuns
from jingwu_platform.scheduler import Scheduler, default_holder
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.status import StatusProbe
from jingwu_platform.status_service import status_registration
from jingwu_platform.store_guard import ReplicaConflict, ReplicaLock, guard_replica
from jingwu_platform.tracing import configure_tracing
from jingwu_platform.usecase import Clock, SystemClock

log = logging.getLogger(__name__)


class Component(Protocol):
    """A part of the process with a lifecycle of its own (a metrics endpoint, a scheduler, a batch
    consumer): started after the store, Kafka, the gRPC server and the ``on_started`` hooks, stopped
    (in reverse order) before them."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    mongo: AsyncMongoClient[Document]
    broker: KafkaBroker
    registrations: Sequence[ServiceRegistration]
    relay: OutboxRelay | None = None
    topics: Sequence[str] = ()
    on_started: Sequence[Callable[[], Awaitable[None]]] = ()
    components: list[Component] = field(default_factory=list)
    interceptors: list[grpc.aio.ServerInterceptor] = field(default_factory=list)
    # The service's calendar rules (also in ``components``); `schedule run <name>` uses it directly.
    scheduler: Scheduler | None = None
    grpc: GrpcServer | None = field(default=None, init=False)
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)
    # Lag and outbox backlog for jingwu.platform.v1.StatusService (served on every service's server).
    status: StatusProbe | None = field(default=None, init=False)
    _replica_lock: ReplicaLock | None = field(default=None, init=False)

    async def start(self) -> int:
        """Start everything; returns the bound gRPC port."""
        settings = self.settings
        if settings.kafka_create_topics and self.topics:
            await ensure_topics(settings.kafka_bootstrap, self.topics, settings.kafka_topic_partitions)
        await self.mongo.admin.command("ping")
        # On a local FerretDB one replica per service and district (docs/adr/0003); MongoDB: no lock.
        self._replica_lock = await guard_replica(
            self.mongo, settings.mongo_url, settings.service_name, settings.district
        )
        await self.broker.start()
        if self.relay is not None:
            await self.relay.ensure_indexes()
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        self.status = StatusProbe(
            bootstrap=settings.kafka_bootstrap,
            service=settings.service_name,
            district=settings.district,
            groups=self.consumer_groups,
            relay=self.relay,
        )
        await self.status.start()
        self.grpc = GrpcServer(
            district=settings.district,
            auth_secret=settings.auth_secret.get_secret_value(),
            registrations=[*self.registrations, status_registration(self.status)],
            host=settings.grpc_host,
            port=settings.grpc_port,
            interceptors=self.interceptors,
        )
        port = await self.grpc.start()
        for hook in self.on_started:
            await hook()
        for component in self.components:
            await component.start()
        log.info(
            "service started",
            extra={"grpc_port": port, "metrics_port": self.metrics_port, "topics": list(self.topics)},
        )
        return port

    async def stop(self) -> None:
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:
                log.exception("component did not stop cleanly", extra={"component": component.name})
        if self.grpc is not None:
            await self.grpc.stop()
        if self.status is not None:
            await self.status.stop()
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        await self.broker.stop()
        await self.mongo.close()
        if self._replica_lock is not None:
            self._replica_lock.release()
            self._replica_lock = None
        log.info("service stopped")

    @property
    def metrics_port(self) -> int | None:
        """The bound port of the metrics endpoint (jingwu_platform.metrics), once started."""
        for component in self.components:
            if isinstance(component, MetricsEndpoint) and component.port:
                return component.port
        return None

    def consumer_groups(self) -> list[ConsumerGroup]:
        """The service's consumer groups: its EventConsumers' (registered on its broker) and those of
        components that consume (a BatchConsumer exposes ``consumer_group``)."""
        groups = groups_of(self.broker)
        for component in self.components:
            group = getattr(component, "consumer_group", None)
            if isinstance(group, ConsumerGroup):
                groups.append(group)
        return groups

    async def run_until_signal(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        # One line on stdout for humans and supervisors (`make run` prints it); logs go to stderr.
        print(  # noqa: T201 - the one human-facing line; logs go to stderr
            f"jingwu-{self.settings.service_name} district={self.settings.district} "
            f"grpc=127.0.0.1:{self.grpc.port if self.grpc else 0}"
            + (f" metrics=http://127.0.0.1:{self.metrics_port}/metrics" if self.metrics_port else "")
            + " ready",
            flush=True,
        )
        await stop.wait()
        await self.stop()


@dataclass(frozen=True)
class Connections:
    """What every service wires first: tracing, the district's database, the Kafka broker, and the
    registry of outbox collections its repositories write events into."""

    settings: ServiceSettings
    mongo: AsyncMongoClient[Document]
    database: AsyncDatabase[Document]
    broker: KafkaBroker
    publisher: EventPublisher
    outbox: OutboxRegistry = field(default_factory=OutboxRegistry)

    def outbox_relay(self, collections: Sequence[AsyncCollection[Document]] = ()) -> OutboxRelay:
        """The relay of the given collections, or of every collection the repositories registered."""
        relay = OutboxRelay(
            list(collections) or self.outbox.collections,
            self.publisher,
            poll_interval_s=self.settings.outbox_poll_interval_s,
            failpoints=Failpoints(self.settings.failpoints),
            # One replica relays a collection at a time (docs/adr/0029).
            leases=Leases(
                self.database,
                holder=self.settings.instance_id or None,
                ttl_s=self.settings.outbox_lease_ttl_s,
            ),
        )
        self.outbox.listen(relay.notify)
        return relay

    def runtime(
        self,
        registrations: Sequence[ServiceRegistration],
        *,
        topics: Sequence[str],
        relay: OutboxRelay | None = None,
        on_started: Sequence[Callable[[], Awaitable[None]]] = (),
        components: Sequence[Component] = (),
        schedules: Sequence[Schedule] = (),
        clock: Clock | None = None,
    ) -> ServiceRuntime:
        """The service's runtime; its outbox relay covers every collection repositories registered
        (pass ``relay`` only for one built by hand). ``schedules`` (``SPEC.bind(handler)``) run on
        ``clock`` (the use-case kit's), each period once (jingwu_platform.scheduler)."""
        if relay is None and self.outbox.collections:
            relay = self.outbox_relay()
        scheduler = self.scheduler(schedules, clock) if schedules else None
        return ServiceRuntime(
            settings=self.settings,
            mongo=self.mongo,
            broker=self.broker,
            registrations=registrations,
            relay=relay,
            topics=topics,
            on_started=on_started,
            # Every service: /metrics with the loop's lag, and RPC metrics outside the district scope
            # (refused calls are counted with their code; docs/adr/0022).
            components=[
                MetricsEndpoint.from_settings(self.settings),
                LoopLagProbe(),
                *components,
                *([scheduler] if scheduler else []),
            ],
            interceptors=[RpcMetricsInterceptor()],
            scheduler=scheduler,
        )

    def scheduler(self, schedules: Sequence[Schedule], clock: Clock | None = None) -> Scheduler:
        """The schedules' runner on the district database; its timer runs only with JINGWU_SCHEDULES=local."""
        settings = self.settings
        return Scheduler(
            schedules,
            MongoScheduleRuns(self.database),
            clock or SystemClock(),
            run_locally=settings.schedules == "local",
            holder=f"{settings.instance_id}/{default_holder()}" if settings.instance_id else None,
            poll_interval_s=settings.schedule_poll_interval_s,
        )


def connect(settings: ServiceSettings) -> Connections:
    """Tracing first (pymongo instrumentation applies to clients created afterwards), then the clients."""
    configure_tracing(settings)
    install_metrics(settings)  # before any instrument records: the API's proxies bind to it
    service, district = settings.service_name, settings.district
    mongo = create_client(settings.mongo_url, f"jingwu-{service}")
    broker = create_broker(settings.kafka_bootstrap, client_id=f"jingwu-{service}-{district}")
    return Connections(settings, mongo, district_database(mongo, district), broker, EventPublisher(broker))


def run_service(service: str, build: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    """The body of every ``jingwu-<service>`` command: settings from the environment, JSON logs, run.
    ``jingwu-<service> schedule run <name>`` runs one schedule's due period instead (a CronJob's pod)."""
    settings = ServiceSettings(service_name=service)  # type: ignore[call-arg]  # the rest comes from env
    configure_logging(service, settings.district, settings.log_level)
    if sys.argv[1:2] == ["schedule"]:
        raise SystemExit(schedule_command(settings, build, sys.argv[2:]))
    try:
        asyncio.run(build(settings).run_until_signal())
    except ReplicaConflict as conflict:
        log.critical("refusing to start: %s", conflict)
        raise SystemExit(1) from None

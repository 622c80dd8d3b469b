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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import grpc
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_platform.failpoints import Failpoints
from jingwu_platform.grpc_server import GrpcServer, ServiceRegistration
from jingwu_platform.kafka import EventPublisher, create_broker, ensure_topics
from jingwu_platform.logs import configure_logging
from jingwu_platform.mongo import Document, create_client, district_database
from jingwu_platform.outbox import OutboxRegistry, OutboxRelay
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.tracing import configure_tracing

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
    grpc: GrpcServer | None = field(default=None, init=False)
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> int:
        """Start everything; returns the bound gRPC port."""
        settings = self.settings
        if settings.kafka_create_topics and self.topics:
            await ensure_topics(settings.kafka_bootstrap, self.topics, settings.kafka_topic_partitions)
        await self.mongo.admin.command("ping")
        await self.broker.start()
        if self.relay is not None:
            await self.relay.ensure_indexes()
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        self.grpc = GrpcServer(
            district=settings.district,
            auth_secret=settings.auth_secret.get_secret_value(),
            registrations=self.registrations,
            host=settings.grpc_host,
            port=settings.grpc_port,
            interceptors=self.interceptors,
        )
        port = await self.grpc.start()
        for hook in self.on_started:
            await hook()
        for component in self.components:
            await component.start()
        log.info("service started", extra={"grpc_port": port, "topics": list(self.topics)})
        return port

    async def stop(self) -> None:
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:
                log.exception("component did not stop cleanly", extra={"component": component.name})
        if self.grpc is not None:
            await self.grpc.stop()
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        await self.broker.stop()
        await self.mongo.close()
        log.info("service stopped")

    async def run_until_signal(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        # One line on stdout for humans and supervisors (`make run` prints it); logs go to stderr.
        print(  # noqa: T201 - the one human-facing line; logs go to stderr
            f"jingwu-{self.settings.service_name} district={self.settings.district} "
            f"grpc=127.0.0.1:{self.grpc.port if self.grpc else 0} ready",
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
    ) -> ServiceRuntime:
        """The service's runtime; its outbox relay covers every collection repositories registered
        (pass ``relay`` only for one built by hand)."""
        if relay is None and self.outbox.collections:
            relay = self.outbox_relay()
        return ServiceRuntime(
            settings=self.settings,
            mongo=self.mongo,
            broker=self.broker,
            registrations=registrations,
            relay=relay,
            topics=topics,
            on_started=on_started,
            components=list(components),
        )


def connect(settings: ServiceSettings) -> Connections:
    """Tracing first (pymongo instrumentation applies to clients created afterwards), then the clients."""
    configure_tracing(settings)
    service, district = settings.service_name, settings.district
    mongo = create_client(settings.mongo_url, f"jingwu-{service}")
    broker = create_broker(settings.kafka_bootstrap, client_id=f"jingwu-{service}-{district}")
    return Connections(settings, mongo, district_database(mongo, district), broker, EventPublisher(broker))


def run_service(service: str, build: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    """The body of every ``jingwu-<service>`` command: settings from the environment, JSON logs, run."""
    settings = ServiceSettings(service_name=service)  # type: ignore[call-arg]  # the rest comes from env
    configure_logging(service, settings.district, settings.log_level)
    asyncio.run(build(settings).run_until_signal())

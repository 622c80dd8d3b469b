"""Process entry points of the city gateways: ``jingwu-jt808-gateway`` and ``jingwu-handheld-gateway``
(settings from JINGWU_GATEWAY_* environment variables)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jingwu_platform.gc_tuning import freeze_startup_objects, relax_collection
from jingwu_platform.logs import configure_logging

from jingwu_telemetry.gateway.counters import GatewayCounters
from jingwu_telemetry.gateway.directory import DeviceDirectory, DirectoryFeed
from jingwu_telemetry.gateway.handheld import HandheldGateway
from jingwu_telemetry.gateway.jt808_server import Jt808Gateway, Jt808Limits
from jingwu_telemetry.gateway.publisher import FixPublisher
from jingwu_telemetry.gateway.registry_client import RegistryClients
from jingwu_telemetry.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


class Part(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class GatewayProcess:
    """The parts of one gateway process, started in order and stopped in reverse."""

    parts: Sequence[Part]
    registry: RegistryClients | None = None
    started: list[Part] = field(default_factory=list)

    async def start(self) -> None:
        for part in self.parts:
            await part.start()
            self.started.append(part)

    async def stop(self) -> None:
        for part in reversed(self.started):
            try:
                await part.stop()
            except Exception:
                log.exception("gateway part did not stop cleanly", extra={"part": part.name})
        self.started.clear()
        if self.registry is not None:
            await self.registry.close()


def jt808_gateway(settings: GatewaySettings) -> tuple[GatewayProcess, Jt808Gateway]:
    directory = DeviceDirectory()
    publisher = FixPublisher(
        settings.kafka_bootstrap,
        client_id="jingwu-jt808-gateway",
        source="jingwu/city/jt808-gateway",
        linger_ms=settings.linger_ms,
        max_pending=settings.max_pending_fixes,
    )
    registry = RegistryClients(
        targets=settings.registry_targets,
        default_secret=settings.auth_secret.get_secret_value(),
        secrets=settings.secrets(),
        subject="system:jt808-gateway",
    )
    gateway = Jt808Gateway(
        directory=directory,
        registry=registry,
        publisher=publisher,
        counters=GatewayCounters("jt808"),
        host=settings.jt808_host,
        port=settings.jt808_port,
        limits=Jt808Limits(
            idle_timeout_s=settings.idle_timeout_s,
            rate=settings.rate_per_s,
            burst=settings.burst,
            reassembly_timeout_s=settings.reassembly_timeout_s,
        ),
    )
    feed = DirectoryFeed(settings.kafka_bootstrap, directory)
    return GatewayProcess([publisher, feed, gateway], registry), gateway


def handheld_gateway(settings: GatewaySettings) -> tuple[GatewayProcess, HandheldGateway]:
    directory = DeviceDirectory()
    publisher = FixPublisher(
        settings.kafka_bootstrap,
        client_id="jingwu-handheld-gateway",
        source="jingwu/city/handheld-gateway",
        linger_ms=settings.linger_ms,
        max_pending=settings.max_pending_fixes,
    )
    gateway = HandheldGateway(
        directory=directory,
        publisher=publisher,
        counters=GatewayCounters("handheld"),
        host=settings.http_host,
        port=settings.http_port,
        osmand_require_secret=settings.osmand_require_secret,
    )
    feed = DirectoryFeed(settings.kafka_bootstrap, directory)
    return GatewayProcess([publisher, feed, gateway]), gateway


def _serve(name: str, process: GatewayProcess, port: Callable[[], int]) -> None:
    """Run a gateway process until SIGINT or SIGTERM; print ``<name> port=<port> ready`` once serving."""
    relax_collection()  # many live sessions: the default GC schedule halved what a gateway answers

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await process.start()
        freeze_startup_objects()
        print(f"{name} port={port()} ready", flush=True)  # noqa: T201
        await stop.wait()
        await process.stop()

    asyncio.run(main())


def run_jt808() -> None:
    settings = GatewaySettings()
    configure_logging("jt808-gateway", "city", settings.log_level)
    process, gateway = jt808_gateway(settings)
    _serve("jingwu-jt808-gateway", process, lambda: gateway.port)


def run_handheld() -> None:
    settings = GatewaySettings()
    configure_logging("handheld-gateway", "city", settings.log_level)
    process, gateway = handheld_gateway(settings)
    _serve("jingwu-handheld-gateway", process, lambda: gateway.port)

"""The JT/T 808 gateway's TCP server (asyncio streams), one process per city.

Per connection: read, split into frames (``FrameSplitter``: frames cut across reads or several in one
read), rate-limit, hand each frame to its ``Jt808Session`` and write the answers. A connection idle for
``idle_timeout_s`` is closed (terminals send heartbeats), so is one that keeps flooding past its rate
limit. Nothing a terminal sends can end the server's loop: a session's failure closes that connection
only, and is counted. A housekeeping task asks for missing packets of sub-packaged messages (0x8003).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from jingwu_telemetry.gateway.counters import GatewayCounters
from jingwu_telemetry.gateway.directory import DeviceDirectory
from jingwu_telemetry.gateway.jt808_session import Jt808Session
from jingwu_telemetry.gateway.publisher import FixPublisher
from jingwu_telemetry.gateway.ratelimit import TokenBucket
from jingwu_telemetry.gateway.registry_client import RegistryClients
from jingwu_telemetry.jt808 import FrameSplitter, Jt808Error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Jt808Limits:
    idle_timeout_s: float = 300.0
    # Frames a second per connection, and the burst (a 0x0704 of many packets arrives at once).
    rate: float = 20.0
    burst: float = 200.0
    # Frames dropped over the limit before the connection is closed.
    flood_drops: int = 500
    reassembly_timeout_s: float = 10.0
    read_size: int = 64 * 1024


class Jt808Gateway:
    name = "jt808-gateway"

    def __init__(
        self,
        *,
        directory: DeviceDirectory,
        registry: RegistryClients,
        publisher: FixPublisher,
        counters: GatewayCounters,
        host: str = "0.0.0.0",  # noqa: S104 - terminals connect from anywhere
        port: int = 0,
        limits: Jt808Limits | None = None,
    ) -> None:
        self._directory = directory
        self._registry = registry
        self._publisher = publisher
        self.counters = counters
        self._host = host
        self._port = port
        self.limits = limits or Jt808Limits()
        self._server: asyncio.Server | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._connections: dict[Jt808Session, asyncio.StreamWriter] = {}
        self._by_device: dict[str, Jt808Session] = {}
        self.port = 0

    @property
    def sessions(self) -> list[Jt808Session]:
        return list(self._connections)

    def session_of(self, device_id: str) -> Jt808Session | None:
        return self._by_device.get(device_id)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        self._housekeeping = asyncio.create_task(self._tick(), name="jt808-housekeeping")
        log.info("jt808 gateway listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections.values()):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    def _authenticated(self, session: Jt808Session) -> None:
        """One connection per device: a terminal that reconnected replaces its old connection."""
        assert session.device is not None
        old = self._by_device.get(session.device.device_id)
        if old is not None and old is not session:
            writer = self._connections.get(old)
            if writer is not None:
                writer.close()
            self.counters.connections["replaced"] += 1
        self._by_device[session.device.device_id] = session

    async def query_position(self, device_id: str) -> bool:
        """Send 0x8201 to a connected terminal; its 0x0201 answer is published as a fix."""
        session = self._by_device.get(device_id)
        writer = self._connections.get(session) if session else None
        frame = session.position_query() if session else None
        if writer is None or frame is None:
            return False
        writer.write(frame)
        await writer.drain()
        return True

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for session, writer in list(self._connections.items()):
                if len(session.reassembler):
                    for frame in session.expire():
                        writer.write(frame)

    async def _frames(
        self,
        session: Jt808Session,
        items: list[bytes | Jt808Error],
        bucket: TokenBucket,
        writer: asyncio.StreamWriter,
        dropped: int,
    ) -> int:
        """Handle the frames of one read; returns the count of frames dropped over the rate limit."""
        for item in items:
            if isinstance(item, Jt808Error):
                self.counters.rejected[item.reason.value] += 1
                continue
            if not bucket.take(time.monotonic()):
                self.counters.refused["rate_limited"] += 1
                dropped += 1
                if dropped > self.limits.flood_drops:
                    self.counters.connections["flood"] += 1
                    session.closing = True
                    break
                continue
            try:
                answers = await session.on_frame(item)
            except Exception:
                self.counters.rejected["internal_error"] += 1
                log.exception("frame handling failed", extra={"peer": session.peer})
                continue
            for answer in answers:
                writer.write(answer)
        return dropped

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        limits = self.limits
        session = Jt808Session(
            directory=self._directory,
            registry=self._registry,
            publisher=self._publisher,
            counters=self.counters,
            peer=f"{peer[0]}:{peer[1]}" if peer else "",
            reassembly_timeout_s=limits.reassembly_timeout_s,
            on_authenticated=self._authenticated,
        )
        self._connections[session] = writer
        self.counters.connections["opened"] += 1
        splitter = FrameSplitter()
        bucket = TokenBucket(limits.rate, limits.burst)
        dropped = 0
        try:
            while not session.closing:
                try:
                    async with asyncio.timeout(limits.idle_timeout_s):
                        data = await reader.read(limits.read_size)
                except TimeoutError:
                    self.counters.connections["idle_timeout"] += 1
                    break
                if not data:
                    break
                dropped = await self._frames(session, splitter.feed(data), bucket, writer, dropped)
                if writer.transport.get_write_buffer_size():
                    await writer.drain()
        except (ConnectionError, OSError):
            self.counters.connections["reset"] += 1
        finally:
            self._connections.pop(session, None)
            if session.device is not None and self._by_device.get(session.device.device_id) is session:
                del self._by_device[session.device.device_id]
            self.counters.connections["closed"] += 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

"""A TCP proxy a test controls: latency and partitions between a client and one server.

Put it between a service and what it talks to (the fault tests put it in front of a Kafka broker whose
advertised listener is the proxy's port, so every connection the clients open goes through it), then::

    proxy = TcpProxy("127.0.0.1", broker_port)
    await proxy.start()            # listens on 127.0.0.1:proxy.port
    proxy.delay_s = 0.2            # every chunk arrives 200 ms after it was read, both directions
    await proxy.partition()        # every open connection is cut; new ones are accepted, then cut
    proxy.heal()                   # new connections go through again
    await proxy.stop()

Latency is per chunk and pipelined: a chunk read at ``t`` is written at ``t + delay_s`` (``delay_s`` as
it was when the chunk was read), while later chunks are already being read, so the delay adds latency
without capping the throughput at one chunk per delay; order is kept per direction. Up to
``QUEUE_CHUNKS`` chunks wait per direction: past that the proxy stops reading (back-pressure).

A partition here is *connection loss*, not a blackhole: the open connections are reset (both sides'
sockets aborted, so each peer sees ECONNRESET or EOF at once) and, until ``heal()``, a new connection is
accepted and then reset straight away (accept-then-close), without the server ever being dialled. A
client therefore learns of the partition immediately and retries with its own back-off; the proxy does
not model packets that silently vanish (timeouts). Connections opened after ``heal()`` are forwarded
as before; the ones cut stay cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
QUEUE_CHUNKS = 256
STOP_GRACE_S = 2.0

_Queue = asyncio.Queue[tuple[float, bytes] | None]  # (when to write it, chunk); None: end of stream


class TcpProxy:
    """Forwards connections on ``listen_host:listen_port`` (0: a free port, see ``port``) to
    ``upstream_host:upstream_port``, with ``delay_s`` of added latency and partitions on demand."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        listen_port: int = 0,
        *,
        listen_host: str = "127.0.0.1",
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.listen_host = listen_host
        self._listen_port = listen_port
        self.delay_s = 0.0
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._partitioned = False
        self._links: set[_Link] = set()
        self._accepting: set[asyncio.Task[object]] = set()
        # Counters, for tests to check the proxy was on the path and what a partition did.
        self.connections = 0  # accepted and forwarded to the upstream
        self.refused = 0  # accepted during a partition and reset at once (or the upstream refused)
        self.dropped = 0  # open connections a partition cut
        self.forwarded_bytes = 0  # both directions

    @property
    def port(self) -> int:
        """The port the proxy listens on (the kernel's choice for ``listen_port=0``)."""
        if self._port is None:
            raise RuntimeError("the proxy is not started")
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` to give clients instead of the upstream's."""
        return f"{self.listen_host}:{self.port}"

    @property
    def partitioned(self) -> bool:
        return self._partitioned

    @property
    def open_connections(self) -> int:
        return len(self._links)

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the proxy is already started")
        self._server = await asyncio.start_server(self._accept, self.listen_host, self._listen_port)
        self._port = int(self._server.sockets[0].getsockname()[1])
        log.info(
            "tcp proxy started",
            extra={"listen": self.address, "upstream": f"{self.upstream_host}:{self.upstream_port}"},
        )

    async def stop(self) -> None:
        """Stop listening and cut every connection (also the ones still dialling the upstream)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for link in list(self._links):
            link.abort()
        if self._accepting:  # cut links end at once; a connection still dialling gets a moment
            _, pending = await asyncio.wait(set(self._accepting), timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()

    async def partition(self) -> None:
        """Cut every open connection; until ``heal()``, accept new ones and reset them at once."""
        self._partitioned = True
        links = list(self._links)
        for link in links:
            link.abort()
        self.dropped += len(links)
        await asyncio.sleep(0)  # let the links' tasks see they are cancelled
        log.info("tcp proxy partitioned", extra={"listen": self.address, "cut": len(links)})

    def heal(self) -> None:
        """Forward new connections again."""
        self._partitioned = False
        log.info("tcp proxy healed", extra={"listen": self.address})

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._accepting.add(task)
        try:
            await self._serve(client_reader, client_writer)
        except asyncio.CancelledError:
            # stop() gave up waiting for it. Ended, not cancelled: asyncio's stream protocol logs an
            # error for a connection task that ends cancelled.
            client_writer.transport.abort()
        finally:
            self._accepting.discard(task)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._partitioned:
            self.refused += 1
            client_writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self.refused += 1
            client_writer.transport.abort()
            return
        if self._partitioned or self._server is None:  # partitioned or stopped while dialling
            self.refused += 1
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        self.connections += 1
        link = _Link(self, client_reader, client_writer, upstream_reader, upstream_writer)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)


class _Link:
    """One proxied connection: two directions, each a reader filling a queue and a writer emptying it
    once each chunk's time has come."""

    def __init__(
        self,
        proxy: TcpProxy,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        upstream_reader: asyncio.StreamReader,
        upstream_writer: asyncio.StreamWriter,
    ) -> None:
        self._proxy = proxy
        self._writers = (client_writer, upstream_writer)
        self._readers = (client_reader, upstream_reader)
        self._tasks: list[asyncio.Task[None]] = []
        self._aborted = False

    async def run(self) -> None:
        client_reader, upstream_reader = self._readers
        client_writer, upstream_writer = self._writers
        to_upstream: _Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        to_client: _Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self._tasks = [
            asyncio.create_task(self._guarded(self._read(client_reader, to_upstream))),
            asyncio.create_task(self._guarded(self._write(to_upstream, upstream_writer))),
            asyncio.create_task(self._guarded(self._read(upstream_reader, to_client))),
            asyncio.create_task(self._guarded(self._write(to_client, client_writer))),
        ]
        if self._aborted:  # cut before it started
            for task in self._tasks:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self._aborted:  # both directions ended with an EOF, forwarded: close politely
            for writer in self._writers:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    def abort(self) -> None:
        """Reset both sockets and stop forwarding (what was queued is dropped)."""
        if self._aborted:
            return
        self._aborted = True
        for writer in self._writers:
            writer.transport.abort()
        for task in self._tasks:
            task.cancel()

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except (OSError, EOFError, RuntimeError):  # a reset, a broken pipe: both directions are over
            self.abort()

    async def _read(self, source: asyncio.StreamReader, queue: _Queue) -> None:
        loop = asyncio.get_running_loop()
        while chunk := await source.read(CHUNK_BYTES):
            await queue.put((loop.time() + self._proxy.delay_s, chunk))
        await queue.put(None)

    async def _write(self, queue: _Queue, sink: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        while (item := await queue.get()) is not None:
            due, chunk = item
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            sink.write(chunk)
            await sink.drain()
            self._proxy.forwarded_bytes += len(chunk)
        if sink.can_write_eof():
            sink.write_eof()  # half-close: the other direction may still carry the answer

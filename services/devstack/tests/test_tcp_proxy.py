"""The test-controlled TCP proxy (jingwu_devstack.tcp_proxy) in front of a real local echo server:
bytes pass through unchanged, ``delay_s`` adds latency, a partition cuts open connections and resets
new ones, ``heal()`` lets new ones through again."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest
from jingwu_devstack.tcp_proxy import TcpProxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        writer.write_eof()  # the client half-closed: answer with our own end of stream
    except OSError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    proxy = TcpProxy("127.0.0.1", int(server.sockets[0].getsockname()[1]))
    await proxy.start()
    yield proxy
    await proxy.stop()
    server.close()
    await server.wait_closed()


async def _connect(proxy: TcpProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def _round_trip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> bytes:
    writer.write(data)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(data)), timeout=10)


async def _cut(reader: asyncio.StreamReader) -> bool:
    """True if the connection ends (EOF or reset) within a few seconds."""
    try:
        return await asyncio.wait_for(reader.read(1), timeout=5) == b""
    except (ConnectionError, asyncio.IncompleteReadError):
        return True


async def test_bytes_pass_through_unchanged_both_ways(proxy: TcpProxy) -> None:
    data = os.urandom(1_000_000)
    reader, writer = await _connect(proxy)
    sending = asyncio.create_task(_send_and_half_close(writer, data))
    echoed = await asyncio.wait_for(reader.read(), timeout=20)  # to the server's EOF
    await sending
    writer.close()
    assert echoed == data
    assert proxy.connections == 1 and proxy.forwarded_bytes == 2 * len(data)


async def _send_and_half_close(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()
    writer.write_eof()


async def test_delay_adds_latency_in_both_directions(proxy: TcpProxy) -> None:
    reader, writer = await _connect(proxy)
    started = time.monotonic()
    assert await _round_trip(reader, writer, b"ping") == b"ping"
    direct = time.monotonic() - started

    proxy.delay_s = 0.3
    started = time.monotonic()
    assert await _round_trip(reader, writer, b"ping") == b"ping"
    delayed = time.monotonic() - started
    assert delayed >= 0.5  # 0.3 s each way, loosely
    assert delayed > direct

    # Pipelined: twenty chunks in flight at once take about one delay each way, not twenty.
    proxy.delay_s = 0.2
    started = time.monotonic()
    for n in range(20):
        writer.write(b"x%d;" % n)
        await writer.drain()
        await asyncio.sleep(0.01)
    expected = b"".join(b"x%d;" % n for n in range(20))
    assert await asyncio.wait_for(reader.readexactly(len(expected)), timeout=10) == expected
    assert time.monotonic() - started < 3.0  # serialised it would be ≥ 4 s

    proxy.delay_s = 0.0
    assert await _round_trip(reader, writer, b"pong") == b"pong"
    writer.close()


async def test_partition_cuts_open_connections_and_resets_new_ones_until_healed(proxy: TcpProxy) -> None:
    reader, writer = await _connect(proxy)
    assert await _round_trip(reader, writer, b"before") == b"before"

    await proxy.partition()
    assert await _cut(reader)  # the open connection is gone
    writer.close()
    assert proxy.dropped == 1 and proxy.open_connections == 0

    new_reader, new_writer = await _connect(proxy)  # accepted…
    assert await _cut(new_reader)  # …then reset, without reaching the server
    new_writer.close()
    assert proxy.refused >= 1 and proxy.connections == 1

    proxy.heal()
    reader, writer = await _connect(proxy)
    assert await _round_trip(reader, writer, b"after") == b"after"
    assert proxy.connections == 2
    writer.close()


async def test_stop_cuts_connections_and_stops_listening(proxy: TcpProxy) -> None:
    reader, writer = await _connect(proxy)
    assert await _round_trip(reader, writer, b"x") == b"x"
    port = proxy.port
    await proxy.stop()
    assert await _cut(reader)
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)

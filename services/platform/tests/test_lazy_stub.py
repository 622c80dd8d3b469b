"""``LazyStub``: a client built before the event loop runs (as every service's ``main`` builds its parts)
works once the loop runs, because its channel opens on first use, on that loop."""

from __future__ import annotations

import asyncio
import socket

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from jingwu_platform.grpc_client import LazyStub


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve(port: int) -> grpc.aio.Server:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server


def test_a_stub_made_before_the_loop_calls_on_the_loop_that_runs() -> None:
    port = _free_port()
    remote: LazyStub[health_pb2_grpc.HealthAsyncStub] = LazyStub(
        f"127.0.0.1:{port}", health_pb2_grpc.HealthStub
    )

    async def scenario() -> int:
        server = await _serve(port)
        try:
            first = remote.stub
            reply = await first.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert remote.stub is first  # opened once, then reused
            await remote.close()
            # Closed: the next use opens a new channel rather than calling on a closed one.
            again = await remote.stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert again.status == reply.status
            await remote.close()
            return int(reply.status)
        finally:
            await server.stop(None)

    assert asyncio.run(scenario()) == health_pb2.HealthCheckResponse.SERVING

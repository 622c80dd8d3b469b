"""RPC metrics (jingwu_platform.rpc_metrics) on a real gRPC server, with the district-scope interceptor
behind it as every Jingwu server has: unary and server-streaming calls are counted and timed by method
and final status code, refusals of authentication (no credential) and authorization (R-POP-6: another
district; a role the method does not allow) included, domain errors with the code they map to, and a
cancelled stream as CANCELLED. The instruments are read through a meter provider of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.authz import READ, allow
from jingwu_platform.errors import NotFound, RuleViolation
from jingwu_platform.grpc_server import DistrictScopeInterceptor
from jingwu_platform.rpc_metrics import CALLS, DURATION, RpcInstruments, RpcMetricsInterceptor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint

pytestmark = pytest.mark.timeout(60)

SECRET = "rpc-metrics-test-secret"
DISTRICT = "07"
SERVICE = "toy.v1.ToyService"


async def get(request: bytes, context: Any) -> bytes:
    return b"ok"


async def change(request: bytes, context: Any) -> bytes:
    return b"changed"


async def find(request: bytes, context: Any) -> bytes:
    raise NotFound("room", request.decode())


async def watch(request: bytes, context: Any) -> AsyncIterator[bytes]:
    for item in (b"a", b"b", b"c"):
        yield item


async def watch_then_refuse(request: bytes, context: Any) -> AsyncIterator[bytes]:
    yield b"first"
    raise RuleViolation("R-ROOM-2", "room-1", "a closed room is not watched")


def _identity(value: bytes) -> bytes:
    return value


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, InMemoryMetricReader]]:
    reader = InMemoryMetricReader()
    instruments = RpcInstruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    rules = {
        f"/{SERVICE}/Get": READ,
        f"/{SERVICE}/Change": allow(Role.DISTRICT_ADMIN),
        f"/{SERVICE}/Find": READ,
        f"/{SERVICE}/Watch": READ,
        f"/{SERVICE}/WatchThenRefuse": READ,
    }
    # The order GrpcServer builds: the metrics interceptor first, the district scope last.
    server = grpc.aio.server(
        interceptors=[RpcMetricsInterceptor(instruments), DistrictScopeInterceptor(DISTRICT, SECRET, rules)]
    )
    unary = {"Get": get, "Change": change, "Find": find}
    streams = {"Watch": watch, "WatchThenRefuse": watch_then_refuse}
    handlers = {
        **{n: grpc.unary_unary_rpc_method_handler(f, _identity, _identity) for n, f in unary.items()},
        **{n: grpc.unary_stream_rpc_method_handler(f, _identity, _identity) for n, f in streams.items()},
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    try:
        yield f"127.0.0.1:{port}", reader
    finally:
        await server.stop(0)


def _recorded(reader: InMemoryMetricReader) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """(calls counter, histogram count) by (method, code); every point has exactly the three attributes."""
    calls: dict[tuple[str, str], int] = {}
    durations: dict[tuple[str, str], int] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    attributes = dict(point.attributes or {})
                    assert set(attributes) == {"rpc.system.name", "rpc.method", "rpc.response.status_code"}
                    assert attributes["rpc.system.name"] == "grpc"
                    key = (str(attributes["rpc.method"]), str(attributes["rpc.response.status_code"]))
                    if metric.name == CALLS:
                        assert isinstance(point, NumberDataPoint)
                        calls[key] = int(point.value)
                    elif metric.name == DURATION:
                        assert isinstance(point, HistogramDataPoint) and metric.unit == "s"
                        assert point.sum >= 0
                        durations[key] = point.count
    return calls, durations


def _bearer(district: str, *roles: Role) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {issue_token(SECRET, 'officer-7', district, roles)}"),)


async def _code(call: Any) -> grpc.StatusCode:
    try:
        result = await call if not hasattr(call, "__aiter__") else [item async for item in call]
    except grpc.aio.AioRpcError as error:
        return error.code()
    assert result is not None
    return grpc.StatusCode.OK


async def test_calls_are_counted_and_timed_by_method_and_final_code(
    server: tuple[str, InMemoryMetricReader],
) -> None:
    target, reader = server
    officer = _bearer(DISTRICT, Role.OFFICER)
    admin = _bearer(DISTRICT, Role.DISTRICT_ADMIN)
    async with grpc.aio.insecure_channel(target) as channel:

        def unary(name: str) -> Any:
            return channel.unary_unary(f"/{SERVICE}/{name}", _identity, _identity)

        def stream(name: str) -> Any:
            return channel.unary_stream(f"/{SERVICE}/{name}", _identity, _identity)

        outcomes = [
            await _code(unary("Get")(b"", metadata=officer)),
            await _code(unary("Get")(b"", metadata=officer)),
            await _code(unary("Get")(b"")),  # no credential
            await _code(unary("Get")(b"", metadata=_bearer("08", Role.OFFICER))),  # R-POP-6
            await _code(unary("Change")(b"", metadata=officer)),  # a role Change does not allow
            await _code(unary("Change")(b"", metadata=admin)),
            await _code(unary("Find")(b"room-9", metadata=officer)),
            await _code(stream("Watch")(b"", metadata=officer)),
            await _code(stream("WatchThenRefuse")(b"", metadata=officer)),
            await _code(stream("Watch")(b"")),
        ]
        assert outcomes == [
            grpc.StatusCode.OK,
            grpc.StatusCode.OK,
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.OK,
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.OK,
            grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.UNAUTHENTICATED,
        ]
        # A server stream the client walks away from (grpc health's Watch writes with context.write).
        watching = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
        first = await watching.read()
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        watching.cancel()
        health_watch = ("grpc.health.v1.Health/Watch", "CANCELLED")
        for _ in range(100):  # the server side ends the call after the client cancelled
            if health_watch in _recorded(reader)[0]:
                break
            await asyncio.sleep(0.05)

    expected = {
        (f"{SERVICE}/Get", "OK"): 2,
        (f"{SERVICE}/Get", "UNAUTHENTICATED"): 1,
        (f"{SERVICE}/Get", "PERMISSION_DENIED"): 1,
        (f"{SERVICE}/Change", "PERMISSION_DENIED"): 1,
        (f"{SERVICE}/Change", "OK"): 1,
        (f"{SERVICE}/Find", "NOT_FOUND"): 1,
        (f"{SERVICE}/Watch", "OK"): 1,
        (f"{SERVICE}/WatchThenRefuse", "FAILED_PRECONDITION"): 1,
        (f"{SERVICE}/Watch", "UNAUTHENTICATED"): 1,
        health_watch: 1,
    }
    calls, durations = _recorded(reader)
    assert calls == expected
    assert durations == expected

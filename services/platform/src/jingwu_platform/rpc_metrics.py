"""RPC metrics of every gRPC server (meter ``jingwu.rpc``), after the OpenTelemetry RPC semantic
conventions as they stand now (``rpc.server.call.duration`` in seconds, which replaced the deprecated
``rpc.server.duration`` in milliseconds):

- ``rpc.server.call.duration`` (histogram, s): one call, from the handler's start to its status,
  streams included (until the last message is sent);
- ``jingwu.rpc.server.calls`` (counter, {call}): the same calls counted (the semantic conventions have
  no call counter; this one exists so dashboards and alerts read a plain counter).

Both carry ``rpc.system.name`` = ``grpc``, ``rpc.method`` = the fully-qualified method
(``jingwu.rooms.v1.RoomService/OpenRoom``) and ``rpc.response.status_code`` = the status name (``OK``,
``PERMISSION_DENIED``, ...). Nothing else: no caller, no district, no request field — the label sets
are bounded by (registered methods × 17 codes). Methods the server does not serve are answered
UNIMPLEMENTED by gRPC itself and never reach an interceptor, so an arbitrary path cannot add a series.

The interceptor goes first in the server's chain (``ServiceRuntime.interceptors``), outside the
district-scope interceptor, so calls refused by authentication or authorization are counted with their
code (docs/adr/0022).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias, cast

import grpc
from opentelemetry import metrics
from opentelemetry.metrics import Counter, Histogram, Meter

METER_NAME = "jingwu.rpc"
DURATION = "rpc.server.call.duration"
CALLS = "jingwu.rpc.server.calls"
# The boundaries the semantic conventions recommend for rpc.server.call.duration (seconds).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def status_of(context: Context, error: BaseException | None) -> grpc.StatusCode:
    """The status a finished call answers with: what the handler (or an inner interceptor) set or
    aborted with; UNKNOWN for an exception gRPC turns into one; CANCELLED for a cancelled call."""
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return grpc.StatusCode.CANCELLED
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return grpc.StatusCode.UNKNOWN  # what gRPC answers for an exception a handler let out
    # What set_code or abort stored; None (despite the stubs) when nothing did: the call succeeded.
    code = cast("grpc.StatusCode | None", context.code())
    return code if code is not None else grpc.StatusCode.OK


class RpcInstruments:
    """The two instruments, with one attribute dict per (method, code) built once and reused."""

    def __init__(self, meter: Meter | None = None) -> None:
        meter = meter or metrics.get_meter(METER_NAME)
        self.duration: Histogram = meter.create_histogram(
            DURATION,
            unit="s",
            description="Measures the duration of an incoming Remote Procedure Call (RPC).",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.calls: Counter = meter.create_counter(
            CALLS, unit="{call}", description="Incoming RPCs by method and status code."
        )
        self._attributes: dict[tuple[str, grpc.StatusCode], dict[str, str]] = {}

    def record(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        attributes = self._attributes.get((method, code))
        if attributes is None:
            attributes = self._attributes[(method, code)] = {
                "rpc.system.name": "grpc",
                "rpc.method": method,
                "rpc.response.status_code": code.name,
            }
        self.duration.record(seconds, attributes)
        self.calls.add(1, attributes)


class RpcMetricsInterceptor(grpc.aio.ServerInterceptor):
    """Times and counts every unary and server-streaming call by method and final status code."""

    def __init__(self, instruments: RpcInstruments | None = None) -> None:
        self._instruments = instruments or RpcInstruments()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = str(handler_call_details.method).removeprefix("/")
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(cast("Callable[[Any, Context], Awaitable[Any]]", handler.unary_unary), method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(cast("Callable[[Any, Context], Any]", handler.unary_stream), method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # client streaming (server reflection): not a Jingwu RPC, not measured

    def _unary(
        self, behavior: Callable[[Any, Context], Awaitable[Any]], method: str
    ) -> Callable[[Any, Context], Awaitable[Any]]:
        async def measured(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._instruments.record(method, status_of(context, error), time.perf_counter() - started)

        return measured

    def _stream(self, behavior: Callable[[Any, Context], Any], method: str) -> Callable[..., Any]:
        async def measured(request: Any, context: Context) -> AsyncIterator[Any]:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                result = behavior(request, context)
                if inspect.isasyncgen(result):
                    async for item in result:
                        yield item
                else:  # a coroutine that writes with context.write (grpc health's Watch)
                    await result
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._instruments.record(method, status_of(context, error), time.perf_counter() - started)

        return measured

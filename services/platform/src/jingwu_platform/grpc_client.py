"""Client channels that carry the caller's credential and the current trace context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.instrumentation.grpc import aio_client_interceptors


class _BearerToken(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
):
    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = list(details.metadata or ())
        metadata.append(self._header)
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*metadata),
            details.credentials,
            details.wait_for_ready,
        )

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(self._with_token(details), request)

    async def intercept_unary_stream(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(self._with_token(details), request)


# gRPC's reconnect backoff grows to 120 s by default; while it waits, every call fails UNAVAILABLE at
# once. Between a district's services (one network, a handful of clients per service) a restarted
# service is tried again within 2 s instead.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
)


def open_channel(target: str, token: str | None) -> grpc.aio.Channel:
    """An insecure channel (TLS is the mesh's job in clusters) with tracing and, if given, a credential;
    a peer that went away is tried again within 2 s of coming back (``CHANNEL_OPTIONS``)."""
    interceptors: list[Any] = list(aio_client_interceptors())  # type: ignore[no-untyped-call]
    if token is not None:
        interceptors.append(_BearerToken(token))
    return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS, interceptors=interceptors)


S = TypeVar("S")


class LazyStub(Generic[S]):
    """A stub whose channel opens on first use, on the running loop. A process builds its parts before
    ``asyncio.run`` starts, and a ``grpc.aio`` channel opened then belongs to another loop: every call
    on it fails INTERNAL."""

    def __init__(self, target: str, make: Callable[[grpc.aio.Channel], S], token: str | None = None) -> None:
        self._target, self._make, self._token = target, make, token
        self._channel: grpc.aio.Channel | None = None
        self._stub: S | None = None

    @property
    def stub(self) -> S:
        if self._stub is None:
            self._channel = open_channel(self._target, self._token)
            self._stub = self._make(self._channel)
        return self._stub

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel, self._stub = None, None


D = TypeVar("D", bound=Message)
_DETAILS_KEY = "grpc-status-details-bin"


def error_details(error: grpc.aio.AioRpcError, kind: type[D]) -> list[D]:
    """The ``kind`` details (google.rpc.BadRequest, PreconditionFailure, ...) a failed call carries."""
    found: list[D] = []
    for key, value in error.trailing_metadata() or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            continue
        for packed in status.details:
            detail = kind()
            if packed.Unpack(detail):
                found.append(detail)
    return found


def field_violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """(field, description) of each field violation of an INVALID_ARGUMENT answer, in order."""
    return [
        (v.field, v.description)
        for detail in error_details(error, error_details_pb2.BadRequest)
        for v in detail.field_violations
    ]


def rule_violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """(rule id, description) of each precondition failure of a FAILED_PRECONDITION answer."""
    return [
        (v.type, v.description)
        for detail in error_details(error, error_details_pb2.PreconditionFailure)
        for v in detail.violations
    ]

"""Asyncio gRPC server bootstrap shared by every service.

Every server gets: standard health checking, server reflection, OpenTelemetry spans with trace context
from the caller, and the district-scope wrapper, which
- authenticates the caller's credential (``authorization: Bearer <token>``, see jingwu_platform.auth),
- refuses callers whose credential names another district (PERMISSION_DENIED),
- maps domain errors to status codes with machine-readable details (google.rpc error details).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from jingwu_platform.auth import (
    Caller,
    InvalidCredential,
    reset_current_caller,
    set_current_caller,
    verify_token,
)
from jingwu_platform.authz import READ, Access, AccessPolicy
from jingwu_platform.availability import is_unavailable
from jingwu_platform.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ValidationFailed,
)
from jingwu_platform.proto_values import invalid_value_fields

log = logging.getLogger(__name__)

# The servicer context every Jingwu RPC receives (request/response types vary per method).
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

# Strings: grpc's classes are generic only in their type stubs, not at run time.
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
UnaryBehavior: TypeAlias = "Callable[[Any, Context], Awaitable[Any]]"
StreamBehavior: TypeAlias = "Callable[[Any, Context], AsyncIterator[Any]]"

# Infrastructure endpoints that probes and tools call without a credential.
_OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class ServiceRegistration:
    """A servicer, how to add it (``add`` is the generated ``add_XServicer_to_server``) and the access
    rule of each of its methods (jingwu_platform.authz)."""

    access: AccessPolicy
    servicer: object
    add: Callable[[Any, grpc.aio.Server], None]

    @property
    def full_name(self) -> str:
        return self.access.full_name


def _status(code: int, message: str, detail: Any | None = None) -> grpc.Status:
    status = status_pb2.Status(code=code, message=message)
    if detail is not None:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    converted: grpc.Status = rpc_status.to_status(status)
    return converted


# Errors whose message says all there is: no machine-readable details.
_PLAIN_CODES: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, code_pb2.NOT_FOUND),
    (AlreadyExists, code_pb2.ALREADY_EXISTS),
    (Conflict, code_pb2.ABORTED),
    (PermissionDenied, code_pb2.PERMISSION_DENIED),
)


def status_for(error: DomainError) -> grpc.Status:
    """Translate a domain error into a gRPC status with standard error details."""
    if isinstance(error, ValidationFailed):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        return _status(code_pb2.INVALID_ARGUMENT, str(error), bad_request)
    if isinstance(error, RuleViolation):
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=error.rule_id, subject=error.subject, description=str(error)
                )
            ]
        )
        return _status(code_pb2.FAILED_PRECONDITION, str(error), failure)
    for error_type, code in _PLAIN_CODES:
        if isinstance(error, error_type):
            return _status(code, str(error))
    return _status(code_pb2.INTERNAL, "internal error")


def _check_values(request: Any) -> None:
    """A Timestamp or Duration no datetime can hold, or a NaN / infinite float (found by fuzzing: nanos
    -1 made ToDatetime raise, an infinite longitude made the store refuse the write, both INTERNAL) is
    the caller's error: INVALID_ARGUMENT naming the field, for every method at once."""
    if not isinstance(request, Message):
        return  # a method served on raw bytes has no fields to check
    violations = invalid_value_fields(request)
    if violations:
        raise ValidationFailed(violations)


class DistrictScopeInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call, confines it to this server's district, checks the method's declared
    access rule, and maps domain errors."""

    def __init__(self, district: str, auth_secret: str, rules: dict[str, Access] | None = None) -> None:
        self._district = district
        self._secret = auth_secret
        self._rules = rules or {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(_OPEN_METHOD_PREFIXES):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                # On an aio server the behaviours are coroutine functions of aio contexts.
                self._guard_unary(cast("UnaryBehavior", handler.unary_unary), metadata, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._guard_stream(cast("StreamBehavior", handler.unary_stream), metadata, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        raise NotImplementedError(f"{method}: client-streaming methods are not used by Jingwu")

    async def _authorize(self, metadata: dict[str, Any], context: Context, method: str) -> object:
        header = metadata.get("authorization", "")
        if not isinstance(header, str) or not header.startswith("Bearer "):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing 'authorization: Bearer <token>'")
        try:
            caller = verify_token(self._secret, header.removeprefix("Bearer "))
        except InvalidCredential as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, f"invalid credential: {exc}")
        if caller.district != self._district and not caller.city_wide:
            # R-POP-6: one district's credential never reads another district's data. A city-level
            # reader's is accepted by every district, for reads only (R-NOT-5, _check_access).
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"credential of district {caller.district} may not access district {self._district}",
            )
        await self._check_access(caller, method, context)
        return set_current_caller(caller)

    async def _check_access(self, caller: Caller, method: str, context: Context) -> None:
        access = self._rules.get(method)
        if access is None:
            # Deny by default: a method nobody declared a rule for is not served.
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method}: no access rule is declared")
        if caller.city_wide and access != READ:
            # R-NOT-5: the city-level credential reads what any caller of the district may read, nothing more.
            name = method.rsplit("/", 1)[-1]
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{name}: a city-level credential only reads; this needs {access.describe()}",
            )
        if not access.permits(caller):
            held = ", ".join(sorted(r.value for r in caller.roles)) or "none"
            name = method.rsplit("/", 1)[-1]
            log.info("request refused", extra={"method": method, "code": "PERMISSION_DENIED"})
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{name} needs {access.describe()} (caller {caller.subject} has: {held})",
            )

    async def _abort_for(self, error: Exception, method: str, context: Context) -> None:
        if isinstance(error, DomainError):
            status = status_for(error)
            log.info(
                "request refused", extra={"method": method, "code": status.code.name, "reason": str(error)}
            )
        elif is_unavailable(error):
            # The store or broker is away (ADR 0009): the request may well succeed if sent again, and
            # a command carries its idempotency key, so UNAVAILABLE (retryable), not INTERNAL.
            log.warning(
                "request failed: a dependency is unavailable",
                extra={"method": method, "error": f"{type(error).__name__}: {error}"[:300]},
            )
            status = _status(code_pb2.UNAVAILABLE, "a dependency is unavailable; retry the request")
        else:
            log.exception("request failed", extra={"method": method})
            status = _status(code_pb2.INTERNAL, "internal error")
        await context.abort(status.code, status.details, status.trailing_metadata)

    def _guard_unary(
        self,
        behavior: UnaryBehavior,
        metadata: dict[str, Any],
        method: str,
    ) -> UnaryBehavior:
        async def guarded(request: Any, context: Context) -> Any:
            token = await self._authorize(metadata, context, method)
            try:
                _check_values(request)
                return await behavior(request, context)
            except (DomainError, Exception) as error:
                if isinstance(error, grpc.aio.AbortError):
                    raise
                await self._abort_for(error, method, context)
            finally:
                reset_current_caller(token)

        return guarded

    def _guard_stream(
        self, behavior: StreamBehavior, metadata: dict[str, Any], method: str
    ) -> StreamBehavior:
        async def guarded(request: Any, context: Context) -> AsyncIterator[Any]:
            token = await self._authorize(metadata, context, method)
            try:
                _check_values(request)
                async for item in behavior(request, context):
                    yield item
            except Exception as error:
                if isinstance(error, grpc.aio.AbortError):
                    raise
                await self._abort_for(error, method, context)
            finally:
                reset_current_caller(token)

        return guarded


REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


def enable_reflection(service_names: Sequence[str], server: grpc.aio.Server) -> None:
    """Server reflection under both ``grpc.reflection.v1`` (current grpcurl, Postman) and
    ``grpc.reflection.v1alpha`` (older tools).

    grpcio-reflection implements only v1alpha; v1 is the same protocol under a new package name (same
    messages, same field numbers), so the v1 method is served by the v1alpha servicer with v1alpha's
    message classes, which read and write the identical wire format.
    """
    names = [*service_names, reflection.SERVICE_NAME, REFLECTION_V1]
    servicer = reflection.aio.ReflectionServicer(names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1_handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(REFLECTION_V1, {"ServerReflectionInfo": v1_handler}),)
    )


class GrpcServer:
    """A started asyncio gRPC server with health, reflection, tracing and the district scope."""

    def __init__(
        self,
        *,
        district: str,
        auth_secret: str,
        registrations: Sequence[ServiceRegistration],
        host: str = "127.0.0.1",
        port: int = 0,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    ) -> None:
        self._registrations = list(registrations)
        self._address = f"{host}:{port}"
        rules: dict[str, Access] = {}
        for registration in self._registrations:
            rules.update(registration.access.by_path())
        tracing = aio_server_interceptor()  # type: ignore[no-untyped-call]  # untyped library function
        self._server = grpc.aio.server(
            interceptors=[*interceptors, tracing, DistrictScopeInterceptor(district, auth_secret, rules)]
        )
        self._health = health.aio.HealthServicer()
        self.port = 0

    async def start(self) -> int:
        for registration in self._registrations:
            registration.add(registration.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        names = [r.full_name for r in self._registrations]
        enable_reflection([*names, health.SERVICE_NAME], self._server)
        self.port = self._server.add_insecure_port(self._address)
        await self._server.start()
        for name in ["", *names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self.port

    async def stop(self, grace_s: float = 5.0) -> None:
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace_s)

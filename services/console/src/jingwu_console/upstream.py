"""Calls to the district's services with the signed-in user's credential, and their failures as the
console's JSON errors.

One channel per service (``jingwu_platform.grpc_client.open_channel``, with tracing); the user's token
goes with each call as ``authorization`` metadata, so every service checks its own declared rules
against the person, never against the console. A failure becomes :class:`UpstreamError`, which names
the service, so the page can say which part is unavailable while the rest keeps working.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from jingwu_platform.grpc_client import field_violations, open_channel, rule_violations

from jingwu_console.services import LABELS, Service
from jingwu_console.settings import ConsoleSettings

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)
T = TypeVar("T")

# Stop paging after this many records: a page for people, not an export.
MAX_RECORDS = 5_000

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def _message(service: Service, code: grpc.StatusCode, details: str) -> str:  # noqa: PLR0911 - one per code
    label = LABELS[service]
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return f"{label}暂不可用，请稍后再试"
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return f"{label}尚未提供此功能"
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return f"{label}拒绝了此操作：{details}"
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return "登录凭证已失效，请重新登录"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return f"{label}不接受该请求"
    if code == grpc.StatusCode.NOT_FOUND:
        return f"未找到：{details}"
    return f"{label}：{details}"


class UpstreamError(Exception):
    """A service's answer that is not a success, as the page shows it."""

    def __init__(
        self,
        service: Service,
        code: str,
        status: int,
        message: str,
        *,
        details: str = "",
        violations: Sequence[tuple[str, str]] = (),
        rules: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.service = service
        self.code = code
        self.status = status
        self.message = message
        self.details = details
        self.violations = list(violations)
        self.rules = list(rules)

    @classmethod
    def from_grpc(cls, service: Service, error: grpc.aio.AioRpcError) -> UpstreamError:
        code = error.code()
        details = error.details() or ""
        return cls(
            service,
            code.name,
            _HTTP_STATUS.get(code, 502),
            _message(service, code, details),
            details=details,
            violations=field_violations(error) if code == grpc.StatusCode.INVALID_ARGUMENT else (),
            rules=rule_violations(error) if code == grpc.StatusCode.FAILED_PRECONDITION else (),
        )

    @property
    def unavailable(self) -> bool:
        return self.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED", "UNIMPLEMENTED")

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "service": self.service,
                "service_label": LABELS[self.service],
                "code": self.code,
                "message": self.message,
                "details": self.details,
                "unavailable": self.unavailable,
                "violations": [{"field": f, "description": d} for f, d in self.violations],
                "rules": [{"rule": r, "description": d} for r, d in self.rules],
            }
        }


class Upstreams:
    """The console's channels to the district's services, opened on first use."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        self._channels: dict[Service, grpc.aio.Channel] = {}

    def channel(self, service: Service) -> grpc.aio.Channel:
        if service not in self._channels:
            self._channels[service] = open_channel(self._settings.address(service), None)
        return self._channels[service]

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    async def call(
        self,
        service: Service,
        method: Callable[..., Awaitable[Resp]],
        request: Message,
        token: str,
        *,
        timeout_s: float | None = None,
    ) -> Resp:
        """One RPC as the signed-in user; any failure raises :class:`UpstreamError`."""
        try:
            return await method(
                request,
                timeout=timeout_s or self._settings.upstream_timeout_s,
                metadata=(("authorization", f"Bearer {token}"),),
            )
        except grpc.aio.AioRpcError as error:
            raise UpstreamError.from_grpc(service, error) from error


async def collect(fetch: Callable[[str], Awaitable[tuple[Sequence[T], str]]]) -> list[T]:
    """Every page of a List RPC: ``fetch(page_token)`` answers (items, next_page_token)."""
    items: list[T] = []
    token = ""
    while True:
        page, token = await fetch(token)
        items.extend(page)
        if not token or len(items) >= MAX_RECORDS:
            return items


def as_json(message: Message) -> dict[str, Any]:
    """A proto message as the SPA reads it: proto field names, every field present, enums by name."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )

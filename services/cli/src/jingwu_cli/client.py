"""The client layer: one channel per service, each call with a deadline, gRPC failures turned into
CliErrors that say what to do (field violations, which credential was refused, which address is down)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, TypeVar

import grpc
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.grpc_client import field_violations, open_channel, rule_violations

from jingwu_cli.config import Target
from jingwu_cli.errors import EXIT_CREDENTIAL, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, CliError

ServiceName = Literal["rooms", "personnel"]
Req = TypeVar("Req")
Resp = TypeVar("Resp")
T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0
# Stop paging after this many records: a CLI table is for people.
MAX_RECORDS = 20_000


class Clients:
    """Channels to the district's services, opened on first use and closed on exit."""

    def __init__(self, target: Target, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.target = target
        self._timeout_s = timeout_s
        # (service, carries the tool's credential) → channel
        self._channels: dict[tuple[ServiceName, bool], grpc.aio.Channel] = {}

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    def address(self, service: ServiceName) -> str:
        return self.target.rooms_addr if service == "rooms" else self.target.personnel_addr

    def _channel(self, service: ServiceName, credential: bool = True) -> grpc.aio.Channel:
        key = (service, credential)
        if key not in self._channels:
            token = self.target.credential.token if credential else None
            self._channels[key] = open_channel(self.address(service), token)
        return self._channels[key]

    @property
    def rooms(self) -> rooms_pb2_grpc.RoomRegistryServiceAsyncStub:
        return rooms_pb2_grpc.RoomRegistryServiceStub(self._channel("rooms"))

    @property
    def personnel(self) -> personnel_pb2_grpc.PersonnelServiceAsyncStub:
        return personnel_pb2_grpc.PersonnelServiceStub(self._channel("personnel"))

    @property
    def personnel_bare(self) -> personnel_pb2_grpc.PersonnelServiceAsyncStub:
        """Personnel without the tool's credential: each call passes its own ``token``."""
        return personnel_pb2_grpc.PersonnelServiceStub(self._channel("personnel", credential=False))

    async def call(
        self,
        service: ServiceName,
        method: grpc.aio.UnaryUnaryMultiCallable[Req, Resp],
        request: Req,
        token: str | None = None,
        timeout_s: float | None = None,
    ) -> Resp:
        """One RPC with the tool's deadline; failures become CliErrors. ``token`` replaces the tool's
        credential for this call (the demo loader acts as individual officers)."""
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        try:
            return await method(request, timeout=timeout_s or self._timeout_s, metadata=metadata)
        except grpc.aio.AioRpcError as error:
            translated = translate(error, service, self.address(service), self.target)
            translated.status = error.code().name
            raise translated from error


async def collect(fetch: Callable[[str], Awaitable[tuple[Sequence[T], str]]]) -> list[T]:
    """Every page of a List RPC: ``fetch(page_token)`` answers (items, next_page_token)."""
    items: list[T] = []
    token = ""
    while True:
        page, token = await fetch(token)
        items.extend(page)
        if not token or len(items) >= MAX_RECORDS:
            return items


def translate(  # noqa: PLR0911 - one answer per status code
    error: grpc.aio.AioRpcError, service: ServiceName, address: str, target: Target
) -> CliError:
    code = error.code()
    details = error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        violations = field_violations(error)
        lines = [f"{field}: {description}" for field, description in violations] or [details]
        return CliError(f"{service} service rejected the request:", EXIT_USAGE, lines)
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        verb = "refused" if code == grpc.StatusCode.PERMISSION_DENIED else "did not accept"
        return CliError(
            f"{service} service at {address} {verb} the credential for district {target.district} "
            f"({target.credential.source}): {details}",
            EXIT_CREDENTIAL,
        )
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return CliError(
            f"{service} service not reachable at {address} — is `make run` running? ({code.name.lower()})",
            EXIT_UNREACHABLE,
        )
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return CliError(f"{service} service at {address} does not implement this yet: {details}", EXIT_FAILED)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        rules = [f"{rule}: {description}" for rule, description in rule_violations(error)]
        return CliError(f"refused by {service} service: {details}", EXIT_FAILED, rules)
    if code == grpc.StatusCode.NOT_FOUND:
        return CliError(f"not found: {details}", EXIT_FAILED)
    return CliError(f"{service} service error ({code.name}): {details}", EXIT_FAILED)

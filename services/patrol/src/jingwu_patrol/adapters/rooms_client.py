"""The room registry's IssueCheckpointOrder over gRPC, as a Jingwu service (R-ROOM-5): how an
interception order reaches the mobile room. The registry's errors come back as the domain's: its field
violations and rule violations are the caller's to see, an unreachable registry is UNAVAILABLE."""

from __future__ import annotations

from datetime import UTC

import grpc
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.errors import FieldViolation, NotFound, RuleViolation, ValidationFailed
from jingwu_platform.grpc_client import LazyStub, field_violations, rule_violations

from jingwu_patrol.adapters.service_token import ServiceToken
from jingwu_patrol.application.ports import RoomOrder
from jingwu_patrol.domain.geo import GeoPoint

TIMEOUT_S = 10.0


class RegistryUnavailable(ConnectionError):
    """The room registry could not be reached (availability.is_unavailable treats it as such)."""


class GrpcRoomOrders:
    def __init__(self, target: str, token: ServiceToken) -> None:
        self._remote: LazyStub[rooms_pb2_grpc.RoomRegistryServiceAsyncStub] = LazyStub(
            target, rooms_pb2_grpc.RoomRegistryServiceStub
        )
        self._token = token

    @property
    def _stub(self) -> rooms_pb2_grpc.RoomRegistryServiceAsyncStub:
        return self._remote.stub

    async def close(self) -> None:
        await self._remote.close()

    async def issue(
        self, *, checkpoint_name: str, location: GeoPoint, room_id: str, request_id: str
    ) -> RoomOrder:
        request = rooms_pb2.IssueCheckpointOrderRequest(
            checkpoint_name=checkpoint_name,
            checkpoint_location=common_pb2.GeoPoint(longitude=location.longitude, latitude=location.latitude),
            room_id=room_id,
            request_id=request_id,
        )
        try:
            reply = await self._stub.IssueCheckpointOrder(
                request, timeout=TIMEOUT_S, metadata=self._token.metadata()
            )
        except grpc.aio.AioRpcError as error:
            raise _translated(error) from error
        order = reply.checkpoint_order
        issued = order.issue_time.ToDatetime(tzinfo=UTC)
        return RoomOrder(
            order_id=order.order_id,
            room_id=order.room_id,
            checkpoint_name=order.checkpoint_name,
            checkpoint_location=GeoPoint(
                order.checkpoint_location.longitude, order.checkpoint_location.latitude
            ),
            issued_at=issued.replace(microsecond=issued.microsecond // 1000 * 1000),
            issued_by=order.issued_by,
        )


def _translated(error: grpc.aio.AioRpcError) -> Exception:
    code = error.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        found = field_violations(error)
        return ValidationFailed(
            [FieldViolation(f"room_registry.{f}", d) for f, d in found]
            or [FieldViolation("room_registry", error.details() or "")]
        )
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        rules = rule_violations(error)
        rule, text = rules[0] if rules else ("R-ROOM-5", error.details() or "")
        return RuleViolation(rule, "room_registry", text)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound("mobile room", error.details() or "")
    return RegistryUnavailable(f"room registry: {code.name}: {error.details()}")

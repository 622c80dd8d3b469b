"""Declared authorization: a policy must cover its service exactly, creating RPCs name their idempotency
key, and a real gRPC server refuses a caller without the method's role with PERMISSION_DENIED naming
it, while serving callers who hold it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.authz import READ, AccessPolicy, UndeclaredAccess, allow
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.grpc_server import Context, GrpcServer, ServiceRegistration
from jingwu_platform.testing import token_for

SERVICE = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"]
SECRET = "test-secret-of-at-least-32-bytes-long!"


def rules(**overrides: object) -> dict[str, object]:
    table: dict[str, object] = {m.name: READ for m in SERVICE.methods}
    table.update(
        PublishNotice=allow(Role.OFFICER, idempotency_key="request_id"),
        ScheduleResidentMeeting=allow(Role.OFFICER, idempotency_key="request_id"),
        EntrustMatter=allow(Role.OFFICER, idempotency_key="request_id"),
        BookAppointment=allow(Role.OFFICER, idempotency_key="request_id"),
        PublishNoticeDraft=allow(Role.OFFICER, idempotency_key="notice_id"),
        RecordMeetingMinutes=allow(Role.OFFICER, idempotency_key="meeting_id"),
        RecordSatisfaction=allow(Role.OFFICER, idempotency_key="matter_id"),
    )
    table.update(overrides)
    return table


def test_a_policy_without_a_rule_for_every_method_is_refused() -> None:
    table = rules()
    del table["AnswerMatter"]
    with pytest.raises(UndeclaredAccess, match="no rule for AnswerMatter"):
        AccessPolicy(SERVICE, table)  # type: ignore[arg-type]


def test_a_rule_for_a_method_the_service_lacks_is_refused() -> None:
    with pytest.raises(UndeclaredAccess, match="methods the service does not have: DeleteEverything"):
        AccessPolicy(SERVICE, rules(DeleteEverything=READ))  # type: ignore[arg-type]


def test_a_creating_rpc_must_name_its_idempotency_key() -> None:
    with pytest.raises(UndeclaredAccess, match="PublishNotice creates or appends"):
        AccessPolicy(SERVICE, rules(PublishNotice=allow(Role.OFFICER)))  # type: ignore[arg-type]
    with pytest.raises(UndeclaredAccess, match="'ticket' is not a request field"):
        AccessPolicy(SERVICE, rules(PublishNotice=allow(Role.OFFICER, idempotency_key="ticket")))  # type: ignore[arg-type]


class Notices(notification_pb2_grpc.NotificationServiceServicer):
    async def GetNotice(  # noqa: N802
        self, request: notification_pb2.GetNoticeRequest, context: Context
    ) -> notification_pb2.GetNoticeResponse:
        return notification_pb2.GetNoticeResponse(notice=notification_pb2.Notice(notice_id=request.notice_id))

    async def AnswerMatter(  # noqa: N802
        self, request: notification_pb2.AnswerMatterRequest, context: Context
    ) -> notification_pb2.AnswerMatterResponse:
        return notification_pb2.AnswerMatterResponse()


@pytest.fixture
async def server() -> AsyncIterator[int]:
    policy = AccessPolicy(
        SERVICE,
        rules(AnswerMatter=allow(Role.SUPERVISOR, Role.DISTRICT_ADMIN)),  # type: ignore[arg-type]
    )
    grpc_server = GrpcServer(
        district="07",
        auth_secret=SECRET,
        registrations=[
            ServiceRegistration(
                policy,
                Notices(),  # type: ignore[abstract]  # only two methods are called
                notification_pb2_grpc.add_NotificationServiceServicer_to_server,
            )
        ],
    )
    port = await grpc_server.start()
    yield port
    await grpc_server.stop(0)


async def test_the_server_checks_the_declared_role(server: int) -> None:
    officer = open_channel(f"127.0.0.1:{server}", token_for(SECRET, "07", Role.OFFICER, subject="o-1"))
    leader = open_channel(f"127.0.0.1:{server}", token_for(SECRET, "07", Role.SUPERVISOR))
    try:
        as_officer = notification_pb2_grpc.NotificationServiceStub(officer)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await as_officer.AnswerMatter(notification_pb2.AnswerMatterRequest(matter_id="m-1"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert refused.value.details() == (
            "AnswerMatter needs one of the roles: district_admin, supervisor (caller o-1 has: officer)"
        )
        # A READ method is open to the same officer.
        answer = await as_officer.GetNotice(notification_pb2.GetNoticeRequest(notice_id="n-1"))
        assert answer.notice.notice_id == "n-1"
        await notification_pb2_grpc.NotificationServiceStub(leader).AnswerMatter(
            notification_pb2.AnswerMatterRequest(matter_id="m-1")
        )
    finally:
        await officer.close()
        await leader.close()


async def test_reflection_is_served_under_v1_and_v1alpha(server: int) -> None:
    from grpc_reflection.v1alpha import reflection_pb2

    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server}")
    try:
        for package in ("grpc.reflection.v1", "grpc.reflection.v1alpha"):
            call = channel.stream_stream(
                f"/{package}.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
            )

            async def one_request() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
                yield reflection_pb2.ServerReflectionRequest(list_services="")

            responses = [r async for r in call(one_request())]
            names = {s.name for s in responses[0].list_services_response.service}
            assert SERVICE.full_name in names, package
            assert "grpc.reflection.v1.ServerReflection" in names
    finally:
        await channel.close()

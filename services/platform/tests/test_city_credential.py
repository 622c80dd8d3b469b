"""The city-level credential (R-NOT-5): other police systems read across districts with one credential
(district ``*``, role city_reader) — every district's server accepts it for methods declared READ and
refuses it for everything else, writes above all. A district credential still opens its own district
only (R-POP-6), whatever roles it lists."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import jwt
import pytest
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu_platform.auth import CITY_WIDE, InvalidCredential, Role, issue_token, verify_token
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.grpc_server import Context, GrpcServer, ServiceRegistration

SERVICE = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"]
SECRET = "test-secret-of-at-least-32-bytes-long!"
CREATING = {
    "PublishNotice": "request_id",
    "ScheduleResidentMeeting": "request_id",
    "EntrustMatter": "request_id",
    "BookAppointment": "request_id",
    "PublishNoticeDraft": "notice_id",
    "RecordMeetingMinutes": "meeting_id",
    "RecordSatisfaction": "matter_id",
}


def policy() -> AccessPolicy:
    rules = {m.name: READ for m in SERVICE.methods}
    rules.update({name: allow(Role.OFFICER, idempotency_key=key) for name, key in CREATING.items()})
    rules["AnswerMatter"] = allow(Role.SUPERVISOR, Role.CITY_READER)  # even naming the role: a write
    rules["ListOpenMatters"] = allow(Role.SUPERVISOR)  # a read, but not an open one
    return AccessPolicy(SERVICE, rules)


class Notices(notification_pb2_grpc.NotificationServiceServicer):
    async def GetNotice(  # noqa: N802
        self, request: notification_pb2.GetNoticeRequest, context: Context
    ) -> notification_pb2.GetNoticeResponse:
        return notification_pb2.GetNoticeResponse(notice=notification_pb2.Notice(notice_id=request.notice_id))

    async def AnswerMatter(  # noqa: N802
        self, request: notification_pb2.AnswerMatterRequest, context: Context
    ) -> notification_pb2.AnswerMatterResponse:
        return notification_pb2.AnswerMatterResponse()

    async def ListOpenMatters(  # noqa: N802
        self, request: notification_pb2.ListOpenMattersRequest, context: Context
    ) -> notification_pb2.ListOpenMattersResponse:
        return notification_pb2.ListOpenMattersResponse()


@pytest.fixture
async def districts() -> AsyncIterator[dict[str, int]]:
    """Two districts' servers, 07 and 08."""
    servers = {
        code: GrpcServer(
            district=code,
            auth_secret=SECRET,
            registrations=[
                ServiceRegistration(
                    policy(),
                    Notices(),  # type: ignore[abstract]  # only three methods are called
                    notification_pb2_grpc.add_NotificationServiceServicer_to_server,
                )
            ],
        )
        for code in ("07", "08")
    }
    ports = {code: await server.start() for code, server in servers.items()}
    yield ports
    for server in servers.values():
        await server.stop()


def city_token(*roles: Role) -> str:
    return issue_token(SECRET, "command-centre", CITY_WIDE, roles or (Role.CITY_READER,))


async def call(port: int, token: str, method: str, request: object) -> object:
    async with open_channel(f"127.0.0.1:{port}", token) as channel:
        stub = notification_pb2_grpc.NotificationServiceStub(channel)
        return await getattr(stub, method)(request)


async def test_the_city_reader_reads_every_district(districts: dict[str, int]) -> None:
    for code, port in districts.items():
        reply = await call(
            port, city_token(), "GetNotice", notification_pb2.GetNoticeRequest(notice_id=f"n-{code}")
        )
        assert reply.notice.notice_id == f"n-{code}"  # type: ignore[attr-defined]


async def test_the_city_reader_is_refused_every_write_whatever_roles_it_lists(
    districts: dict[str, int],
) -> None:
    token = city_token(Role.CITY_READER, Role.SUPERVISOR, Role.DISTRICT_ADMIN)
    for method, request in (
        ("AnswerMatter", notification_pb2.AnswerMatterRequest(matter_id="m-1")),
        ("PublishNotice", notification_pb2.PublishNoticeRequest(room_id="r-1")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(districts["07"], token, method, request)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert f"{method}: a city-level credential only reads" in (refused.value.details() or "")


async def test_the_city_reader_gets_only_the_open_reads(districts: dict[str, int]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(
            districts["08"], city_token(), "ListOpenMatters", notification_pb2.ListOpenMattersRequest()
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "needs one of the roles: supervisor" in (refused.value.details() or "")


async def test_a_district_credential_with_the_city_role_still_opens_its_own_district_only(
    districts: dict[str, int],
) -> None:
    token = issue_token(SECRET, "cc-06", "06", [Role.CITY_READER, Role.SUPERVISOR])
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(districts["07"], token, "GetNotice", notification_pb2.GetNoticeRequest(notice_id="n"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "credential of district 06 may not access district 07" in (refused.value.details() or "")


async def test_a_city_wide_credential_must_be_a_city_reader(districts: dict[str, int]) -> None:
    token = issue_token(SECRET, "someone", CITY_WIDE, [Role.SUPERVISOR])
    with pytest.raises(InvalidCredential, match="city_reader"):
        verify_token(SECRET, token)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(districts["07"], token, "GetNotice", notification_pb2.GetNoticeRequest(notice_id="n"))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    forged = jwt.encode(
        {"iss": "jingwu", "sub": "x", "district": CITY_WIDE, "roles": ["city_reader"], "exp": 2**40}, "wrong"
    )
    with pytest.raises(InvalidCredential):
        verify_token(SECRET, forged)


def test_a_city_wide_credential_is_only_a_reader_whatever_else_it_lists() -> None:
    """R-POP-6: a city reader that also lists pii_reader must not unmask any district's personal data."""
    token = issue_token(SECRET, "city-desk", CITY_WIDE, [Role.CITY_READER, Role.PII_READER, Role.SUPERVISOR])
    caller = verify_token(SECRET, token)
    assert caller.district == CITY_WIDE
    assert caller.roles == frozenset({Role.CITY_READER})

"""gRPC entry point of the notification service."""

from __future__ import annotations

from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.grpc_server import Context

from jingwu_notification.adapters.proto_mapping import kind_from_proto, notice_to_proto
from jingwu_notification.application.notices import NoticeApplication

# Who may call what. Reads are open to every caller of the district; room officers and their leaders
# publish notices, hold meetings and answer matters; the residents' online police room enters matters
# as a Jingwu service on the resident's behalf.
_ROOM_STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    notification_pb2.DESCRIPTOR.services_by_name["NotificationService"],
    {
        "PublishNotice": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="request_id"),
        "GetNotice": READ,
        "ListNotices": READ,
        "ScheduleResidentMeeting": allow(*_ROOM_STAFF, idempotency_key="request_id"),
        "ListResidentMeetings": READ,
        "EntrustMatter": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="request_id"),
        "AnswerMatter": allow(*_ROOM_STAFF),
        "ListOpenMatters": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    """Notice queries; the other commands answer UNIMPLEMENTED until their issue lands."""

    def __init__(self, application: NoticeApplication) -> None:
        self._app = application

    async def GetNotice(  # noqa: N802 - gRPC method names are PascalCase
        self, request: notification_pb2.GetNoticeRequest, context: Context
    ) -> notification_pb2.GetNoticeResponse:
        return notification_pb2.GetNoticeResponse(
            notice=notice_to_proto(await self._app.get_notice(request.notice_id))
        )

    async def ListNotices(  # noqa: N802
        self, request: notification_pb2.ListNoticesRequest, context: Context
    ) -> notification_pb2.ListNoticesResponse:
        notices, next_token = await self._app.list_notices(
            room_id=request.room_id,
            kind=kind_from_proto(request.kind),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = notification_pb2.ListNoticesResponse(notices=[notice_to_proto(n) for n in notices])
        response.page.next_page_token = next_token
        return response

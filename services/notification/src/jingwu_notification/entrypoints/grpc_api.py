"""gRPC entry point of the notification service."""

from __future__ import annotations

from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu_platform.grpc_server import Context

from jingwu_notification.adapters.proto_mapping import kind_from_proto, notice_to_proto
from jingwu_notification.application.notices import NoticeApplication

SERVICE_NAME = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name


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

"""Waiting on "caught up" instead of polling for a result: every service process answers
``jingwu.platform.v1.StatusService/GetStatus`` (served by the platform), and once the rooms and the
notification processes both report caught up twice in a row, the notice for an opened room is there."""

from __future__ import annotations

import grpc
import pytest
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import token_for, wait_caught_up

from .conftest import StartService
from .test_skeleton import open_request

pytestmark = pytest.mark.e2e


async def test_once_both_services_caught_up_the_notice_exists(
    start_service: StartService, district: str, auth_secret: str, channels: list[grpc.aio.Channel]
) -> None:
    rooms_service = start_service("rooms", district)
    notification_service = start_service("notification", district)
    targets = [rooms_service.target, notification_service.target]
    token = token_for(auth_secret, district, Role.SUPERVISOR)
    channels += [open_channel(target, token) for target in targets]

    room = (await rooms_pb2_grpc.RoomRegistryServiceStub(channels[0]).OpenRoom(open_request(district))).room
    replies = await wait_caught_up(targets, token, timeout_s=60)

    # One read, no polling: caught up means the event was relayed, consumed, and its notice written.
    notices = await notification_pb2_grpc.NotificationServiceStub(channels[1]).ListNotices(
        notification_pb2.ListNoticesRequest(room_id=room.room_id)
    )
    assert len(notices.notices) == 1
    by_service = {reply.service: reply for reply in replies}
    assert set(by_service) == {"rooms", "notification"}
    groups = by_service["notification"].consumer_groups
    assert groups and all(group.lag == 0 for group in groups)
    assert any(f"jingwu.{district}.rooms.v1" in group.topics for group in groups)

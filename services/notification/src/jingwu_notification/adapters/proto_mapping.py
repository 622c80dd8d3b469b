"""Translation between the notification domain and the jingwu.notification.v1 contract."""

from __future__ import annotations

from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2
from jingwu_platform.proto_values import EnumMap, timestamp

from jingwu_notification.domain.notices import Channel, Notice, NoticeKind

NOTICE_KIND = EnumMap(NoticeKind, notification_pb2.NoticeKind, "NOTICE_KIND")
CHANNEL = EnumMap(Channel, notification_pb2.Channel, "CHANNEL")


def kind_from_proto(kind: int) -> NoticeKind | None:
    return NOTICE_KIND.from_proto(kind)


def notice_to_proto(notice: Notice) -> notification_pb2.Notice:
    publish_time = timestamp(notice.publish_time)
    return notification_pb2.Notice(
        notice_id=notice.notice_id,
        kind=NOTICE_KIND.to_proto(notice.kind),
        room_id=notice.room_id,
        title=notice.title,
        body=notice.body,
        channels=[CHANNEL.to_proto(c) for c in notice.channels],
        publish_time=publish_time,
        source_event_id=notice.source_event_id,
        audit=common_pb2.AuditInfo(created_by=notice.created_by, create_time=publish_time),
    )

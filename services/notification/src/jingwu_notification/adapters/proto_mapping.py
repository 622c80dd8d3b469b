"""Translation between the notification domain and the jingwu.notification.v1 contract."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2

from jingwu_notification.domain.notices import Channel, Notice, NoticeKind

_KIND_TO_PROTO = {
    NoticeKind.WEEKLY_SITUATION: notification_pb2.NOTICE_KIND_WEEKLY_SITUATION,
    NoticeKind.BULLETIN: notification_pb2.NOTICE_KIND_BULLETIN,
    NoticeKind.SERVICE: notification_pb2.NOTICE_KIND_SERVICE,
}
_KIND_FROM_PROTO: dict[int, NoticeKind] = {value: key for key, value in _KIND_TO_PROTO.items()}
_CHANNEL_TO_PROTO = {
    Channel.NOTICE_BOARD: notification_pb2.CHANNEL_NOTICE_BOARD,
    Channel.BROADCAST: notification_pb2.CHANNEL_BROADCAST,
    Channel.RESIDENT_GROUP: notification_pb2.CHANNEL_RESIDENT_GROUP,
    Channel.ONLINE_ROOM: notification_pb2.CHANNEL_ONLINE_ROOM,
}


def kind_from_proto(kind: int) -> NoticeKind | None:
    return _KIND_FROM_PROTO.get(kind)


def notice_to_proto(notice: Notice) -> notification_pb2.Notice:
    publish_time = Timestamp()
    publish_time.FromDatetime(notice.publish_time)
    return notification_pb2.Notice(
        notice_id=notice.notice_id,
        kind=_KIND_TO_PROTO[notice.kind],
        room_id=notice.room_id,
        title=notice.title,
        body=notice.body,
        channels=[_CHANNEL_TO_PROTO[c] for c in notice.channels],
        publish_time=publish_time,
        source_event_id=notice.source_event_id,
        audit=common_pb2.AuditInfo(created_by=notice.created_by, create_time=publish_time),
    )

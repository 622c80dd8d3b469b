"""Translation between the rooms domain and the jingwu.rooms.v1 contract. Pure functions."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import rooms_pb2

from jingwu_rooms.domain.model import GeoPoint, Room, RoomDraft, RoomKind, RoomStatus

_KIND_TO_PROTO = {
    RoomKind.URBAN_HOME_STYLE: rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE,
    RoomKind.URBAN_ONE_ZONE_ONE_OFFICER: rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER,
    RoomKind.RURAL_LINKED_CLUSTER: rooms_pb2.ROOM_KIND_RURAL_LINKED_CLUSTER,
    RoomKind.KEY_VILLAGE: rooms_pb2.ROOM_KIND_KEY_VILLAGE,
    RoomKind.VILLAGE_CONTACT_POINT: rooms_pb2.ROOM_KIND_VILLAGE_CONTACT_POINT,
    RoomKind.AUXILIARY_WORKROOM: rooms_pb2.ROOM_KIND_AUXILIARY_WORKROOM,
    RoomKind.MOBILE: rooms_pb2.ROOM_KIND_MOBILE,
}
_KIND_FROM_PROTO: dict[int, RoomKind] = {value: key for key, value in _KIND_TO_PROTO.items()}
_STATUS_TO_PROTO = {
    RoomStatus.PLANNED: rooms_pb2.ROOM_STATUS_PLANNED,
    RoomStatus.ACTIVE: rooms_pb2.ROOM_STATUS_ACTIVE,
    RoomStatus.MERGED: rooms_pb2.ROOM_STATUS_MERGED,
    RoomStatus.CLOSED: rooms_pb2.ROOM_STATUS_CLOSED,
}
_STATUS_FROM_PROTO: dict[int, RoomStatus] = {value: key for key, value in _STATUS_TO_PROTO.items()}


def timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def kind_from_proto(kind: int) -> RoomKind | None:
    return _KIND_FROM_PROTO.get(kind)


def status_from_proto(status: int) -> RoomStatus | None:
    return _STATUS_FROM_PROTO.get(status)


def draft_from_request(request: rooms_pb2.OpenRoomRequest | rooms_pb2.PlanRoomRequest) -> RoomDraft:
    return RoomDraft(
        name=request.name,
        kind=kind_from_proto(request.kind),
        station_id=request.station_id,
        zone_codes=tuple(request.zone_codes),
        location=GeoPoint(longitude=request.location.longitude, latitude=request.location.latitude),
        address=request.address,
        village_id=request.village_id,
        vehicle_plate=request.vehicle_plate,
    )


def room_to_proto(room: Room) -> rooms_pb2.Room:
    return rooms_pb2.Room(
        room_id=room.room_id,
        name=room.name,
        kind=_KIND_TO_PROTO[room.kind],
        status=_STATUS_TO_PROTO[room.status],
        station_id=room.station_id,
        zone_codes=list(room.zone_codes),
        village_id=room.village_id,
        address=room.address,
        location=common_pb2.GeoPoint(longitude=room.location.longitude, latitude=room.location.latitude),
        vehicle_plate=room.vehicle_plate,
        open_time=timestamp(room.open_time),
        audit=common_pb2.AuditInfo(
            created_by=room.created_by,
            create_time=timestamp(room.created_at),
            updated_by=room.updated_by,
            update_time=timestamp(room.updated_at),
        ),
    )

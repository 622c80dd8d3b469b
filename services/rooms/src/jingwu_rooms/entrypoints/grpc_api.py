"""gRPC entry point of the room registry: decode requests, call the application, encode answers."""

from __future__ import annotations

from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.auth import current_caller
from jingwu_platform.grpc_server import Context

from jingwu_rooms.adapters.proto_mapping import (
    draft_from_request,
    kind_from_proto,
    room_to_proto,
    status_from_proto,
)
from jingwu_rooms.application.rooms import RoomApplication

SERVICE_NAME = rooms_pb2.DESCRIPTOR.services_by_name["RoomRegistryService"].full_name


class RoomRegistryServicer(rooms_pb2_grpc.RoomRegistryServiceServicer):
    """Implements the room commands and queries that exist so far; the rest answer UNIMPLEMENTED."""

    def __init__(self, application: RoomApplication) -> None:
        self._app = application

    async def OpenRoom(  # noqa: N802 - gRPC method names are PascalCase
        self, request: rooms_pb2.OpenRoomRequest, context: Context
    ) -> rooms_pb2.OpenRoomResponse:
        caller = current_caller()
        if request.room_id:
            room = await self._app.activate_planned_room(request.room_id, caller=caller)
        else:
            room = await self._app.open_room(
                draft_from_request(request), caller=caller, request_id=request.request_id
            )
        return rooms_pb2.OpenRoomResponse(room=room_to_proto(room))

    async def GetRoom(  # noqa: N802
        self, request: rooms_pb2.GetRoomRequest, context: Context
    ) -> rooms_pb2.GetRoomResponse:
        return rooms_pb2.GetRoomResponse(room=room_to_proto(await self._app.get_room(request.room_id)))

    async def ListRooms(  # noqa: N802
        self, request: rooms_pb2.ListRoomsRequest, context: Context
    ) -> rooms_pb2.ListRoomsResponse:
        rooms, next_token = await self._app.list_rooms(
            station_id=request.station_id,
            zone_code=request.zone_code,
            kind=kind_from_proto(request.kind),
            status=status_from_proto(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = rooms_pb2.ListRoomsResponse(rooms=[room_to_proto(r) for r in rooms])
        response.page.next_page_token = next_token
        return response

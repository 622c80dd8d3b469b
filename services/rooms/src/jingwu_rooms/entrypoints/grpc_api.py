"""gRPC entry point of the room registry: decode requests, call the application, encode answers."""

from __future__ import annotations

from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_platform.auth import Role, current_caller
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.grpc_server import Context
from jingwu_platform.proto_values import local_date_from_proto, local_date_to_proto

from jingwu_rooms.adapters.proto_mapping import (
    coverage_to_proto,
    draft_from_request,
    facilities_from_proto,
    gaps_to_proto,
    handover_to_proto,
    kind_from_proto,
    level_from_proto,
    order_to_proto,
    point,
    room_to_proto,
    rota_to_proto,
    station_draft,
    station_to_proto,
    status_from_proto,
    stops_from_proto,
    village_draft,
    village_to_proto,
    zone_draft,
    zone_to_proto,
)
from jingwu_rooms.application.registry import RoomRegistry
from jingwu_rooms.domain.model import Room
from jingwu_rooms.domain.rota import GapKind

# Who may call what. Reads are open to every caller of the district. The bureau (district_admin)
# decides the territory (R-ORG-1..5, re-division included), consolidation — merging and closing rooms
# (R-ROOM-2) —, naming a room after an officer (R-ROOM-7) and interception orders (R-ROOM-5). Station
# leaders (supervisor) run their rooms: plan and open them, record facilities, set mobile stops and the
# duty rota; the bureau may do so too. Other Jingwu services act as ``service``: the patrol service
# relays the bureau's interception orders. Officers read.
_BUREAU = (Role.DISTRICT_ADMIN,)
_LEADERS = (Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    rooms_pb2.DESCRIPTOR.services_by_name["RoomRegistryService"],
    {
        "CreateStation": allow(*_BUREAU, idempotency_key="station_id"),
        "ListStations": READ,
        "CreateZone": allow(*_BUREAU, idempotency_key="zone_code"),
        "GetZone": READ,
        "ListZones": READ,
        "RedivideZones": allow(*_BUREAU),
        "RegisterVillage": allow(*_BUREAU, idempotency_key="village_id"),
        "ListVillages": READ,
        "PlanRoom": allow(*_LEADERS, idempotency_key="request_id"),
        "OpenRoom": allow(*_LEADERS, idempotency_key="request_id"),
        "GetRoom": READ,
        "ListRooms": READ,
        "MergeRooms": allow(*_BUREAU),
        "CloseRoom": allow(*_BUREAU),
        "RecordFacilities": allow(*_LEADERS, idempotency_key="room_id"),
        "NameRoom": allow(*_BUREAU),
        "GetCoverageReport": READ,
        "SetMobileStops": allow(*_LEADERS),
        "ReassignMobileStop": allow(*_LEADERS),
        "IssueCheckpointOrder": allow(*_BUREAU, Role.SERVICE, idempotency_key="request_id"),
        "SetDutyRota": allow(*_LEADERS),
        "GetRotaGaps": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


class RoomRegistryServicer(rooms_pb2_grpc.RoomRegistryServiceServicer):
    """Every RPC of jingwu.rooms.v1.RoomRegistryService."""

    def __init__(self, registry: RoomRegistry) -> None:
        self._app = registry.rooms
        self._territory = registry.territory
        self._redivisions = registry.redivisions
        self._rotas = registry.rotas
        self._coverage = registry.coverage

    async def _room(self, room: Room) -> rooms_pb2.Room:
        """A room with its current officers (from personnel's events)."""
        postings = await self._app.postings_of([room])
        return room_to_proto(room, postings.get(room.room_id, ()))

    # --- territory ----------------------------------------------------------------------------------

    async def CreateStation(  # noqa: N802 - gRPC method names are PascalCase
        self, request: rooms_pb2.CreateStationRequest, context: Context
    ) -> rooms_pb2.CreateStationResponse:
        station = await self._territory.create_station(
            station_draft(request), request.station_id, caller=current_caller()
        )
        return rooms_pb2.CreateStationResponse(station=station_to_proto(station))

    async def ListStations(  # noqa: N802
        self, request: rooms_pb2.ListStationsRequest, context: Context
    ) -> rooms_pb2.ListStationsResponse:
        stations, token = await self._territory.list_stations(
            page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = rooms_pb2.ListStationsResponse(stations=[station_to_proto(s) for s in stations])
        response.page.next_page_token = token
        return response

    async def CreateZone(  # noqa: N802
        self, request: rooms_pb2.CreateZoneRequest, context: Context
    ) -> rooms_pb2.CreateZoneResponse:
        zone = await self._territory.create_zone(zone_draft(request), caller=current_caller())
        return rooms_pb2.CreateZoneResponse(zone=zone_to_proto(zone))

    async def GetZone(  # noqa: N802
        self, request: rooms_pb2.GetZoneRequest, context: Context
    ) -> rooms_pb2.GetZoneResponse:
        return rooms_pb2.GetZoneResponse(
            zone=zone_to_proto(await self._territory.get_zone(request.zone_code))
        )

    async def ListZones(  # noqa: N802
        self, request: rooms_pb2.ListZonesRequest, context: Context
    ) -> rooms_pb2.ListZonesResponse:
        zones, token = await self._territory.list_zones(
            station_id=request.station_id,
            include_retired=request.include_retired,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = rooms_pb2.ListZonesResponse(zones=[zone_to_proto(z) for z in zones])
        response.page.next_page_token = token
        return response

    async def RedivideZones(  # noqa: N802
        self, request: rooms_pb2.RedivideZonesRequest, context: Context
    ) -> rooms_pb2.RedivideZonesResponse:
        plan = await self._redivisions.redivide_zones(
            list(request.from_zone_codes),
            [zone_draft(z) for z in request.to_zones],
            request.reason,
            caller=current_caller(),
        )
        return rooms_pb2.RedivideZonesResponse(
            redivision_id=plan.redivision_id,
            new_zones=[zone_to_proto(z) for z in plan.new_zones],
            handover=handover_to_proto(plan.handover),
        )

    async def RegisterVillage(  # noqa: N802
        self, request: rooms_pb2.RegisterVillageRequest, context: Context
    ) -> rooms_pb2.RegisterVillageResponse:
        village = await self._territory.register_village(
            village_draft(request), request.village_id, caller=current_caller()
        )
        return rooms_pb2.RegisterVillageResponse(village=village_to_proto(village))

    async def ListVillages(  # noqa: N802
        self, request: rooms_pb2.ListVillagesRequest, context: Context
    ) -> rooms_pb2.ListVillagesResponse:
        villages, token = await self._territory.list_villages(
            zone_code=request.zone_code,
            station_id=request.station_id,
            level=level_from_proto(request.level),
            parent_village_id=request.parent_village_id,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = rooms_pb2.ListVillagesResponse(villages=[village_to_proto(v) for v in villages])
        response.page.next_page_token = token
        return response

    # --- rooms --------------------------------------------------------------------------------------

    async def PlanRoom(  # noqa: N802
        self, request: rooms_pb2.PlanRoomRequest, context: Context
    ) -> rooms_pb2.PlanRoomResponse:
        room = await self._app.plan_room(
            draft_from_request(request), caller=current_caller(), request_id=request.request_id
        )
        return rooms_pb2.PlanRoomResponse(room=await self._room(room))

    async def OpenRoom(  # noqa: N802
        self, request: rooms_pb2.OpenRoomRequest, context: Context
    ) -> rooms_pb2.OpenRoomResponse:
        caller = current_caller()
        if request.room_id:
            room = await self._app.activate_planned_room(request.room_id, caller=caller)
        else:
            room = await self._app.open_room(
                draft_from_request(request), caller=caller, request_id=request.request_id
            )
        return rooms_pb2.OpenRoomResponse(room=await self._room(room))

    async def GetRoom(  # noqa: N802
        self, request: rooms_pb2.GetRoomRequest, context: Context
    ) -> rooms_pb2.GetRoomResponse:
        return rooms_pb2.GetRoomResponse(room=await self._room(await self._app.get_room(request.room_id)))

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
        postings = await self._app.postings_of(rooms)
        response = rooms_pb2.ListRoomsResponse(
            rooms=[room_to_proto(r, postings.get(r.room_id, ())) for r in rooms]
        )
        response.page.next_page_token = next_token
        return response

    async def MergeRooms(  # noqa: N802
        self, request: rooms_pb2.MergeRoomsRequest, context: Context
    ) -> rooms_pb2.MergeRoomsResponse:
        survivor, handover = await self._app.merge_rooms(
            list(request.merged_room_ids), request.surviving_room_id, request.reason, caller=current_caller()
        )
        return rooms_pb2.MergeRoomsResponse(
            surviving_room=await self._room(survivor), handover=handover_to_proto(handover)
        )

    async def CloseRoom(  # noqa: N802
        self, request: rooms_pb2.CloseRoomRequest, context: Context
    ) -> rooms_pb2.CloseRoomResponse:
        room = await self._app.close_room(request.room_id, request.reason, caller=current_caller())
        return rooms_pb2.CloseRoomResponse(room=await self._room(room))

    async def RecordFacilities(  # noqa: N802
        self, request: rooms_pb2.RecordFacilitiesRequest, context: Context
    ) -> rooms_pb2.RecordFacilitiesResponse:
        room = await self._app.record_facilities(
            request.room_id, facilities_from_proto(request.facilities), caller=current_caller()
        )
        return rooms_pb2.RecordFacilitiesResponse(room=await self._room(room))

    async def NameRoom(  # noqa: N802
        self, request: rooms_pb2.NameRoomRequest, context: Context
    ) -> rooms_pb2.NameRoomResponse:
        room = await self._app.name_room(
            request.room_id, request.honorary_officer_name, request.citation, caller=current_caller()
        )
        return rooms_pb2.NameRoomResponse(room=await self._room(room))

    async def GetCoverageReport(  # noqa: N802
        self, request: rooms_pb2.GetCoverageReportRequest, context: Context
    ) -> rooms_pb2.GetCoverageReportResponse:
        report = await self._coverage.coverage_report(request.station_id)
        return rooms_pb2.GetCoverageReportResponse(coverage_report=coverage_to_proto(report))

    # --- mobile rooms -------------------------------------------------------------------------------

    async def SetMobileStops(  # noqa: N802
        self, request: rooms_pb2.SetMobileStopsRequest, context: Context
    ) -> rooms_pb2.SetMobileStopsResponse:
        room = await self._app.set_mobile_stops(
            request.room_id, stops_from_proto(request.stops), caller=current_caller()
        )
        return rooms_pb2.SetMobileStopsResponse(room=await self._room(room))

    async def ReassignMobileStop(  # noqa: N802
        self, request: rooms_pb2.ReassignMobileStopRequest, context: Context
    ) -> rooms_pb2.ReassignMobileStopResponse:
        room = await self._app.reassign_mobile_stop(
            request.room_id, request.stop_id, request.reason, caller=current_caller()
        )
        return rooms_pb2.ReassignMobileStopResponse(room=await self._room(room))

    async def IssueCheckpointOrder(  # noqa: N802
        self, request: rooms_pb2.IssueCheckpointOrderRequest, context: Context
    ) -> rooms_pb2.IssueCheckpointOrderResponse:
        order = await self._app.issue_checkpoint_order(
            request.checkpoint_name,
            point(request.checkpoint_location),
            request.room_id,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return rooms_pb2.IssueCheckpointOrderResponse(checkpoint_order=order_to_proto(order))

    # --- duty rota ----------------------------------------------------------------------------------

    async def SetDutyRota(  # noqa: N802
        self, request: rooms_pb2.SetDutyRotaRequest, context: Context
    ) -> rooms_pb2.SetDutyRotaResponse:
        start, end = local_date_from_proto(request.period.start), local_date_from_proto(request.period.end)
        rota, gaps = await self._rotas.set_duty_rota(
            request.room_id,
            start,
            end,
            [(local_date_from_proto(d.date), d.officer_id) for d in request.days],
            [local_date_from_proto(h) for h in request.holidays],
            caller=current_caller(),
        )
        assert start is not None and end is not None  # validated by set_duty_rota
        return rooms_pb2.SetDutyRotaResponse(
            duty_rota=rota_to_proto(rota, start, end), gaps=gaps_to_proto(gaps)
        )

    async def GetRotaGaps(  # noqa: N802
        self, request: rooms_pb2.GetRotaGapsRequest, context: Context
    ) -> rooms_pb2.GetRotaGapsResponse:
        gaps = await self._rotas.rota_gaps(
            request.room_id,
            local_date_from_proto(request.period.start),
            local_date_from_proto(request.period.end),
        )
        return rooms_pb2.GetRotaGapsResponse(
            uncovered_days=[local_date_to_proto(g.day) for g in gaps if g.kind is GapKind.UNCOVERED],
            gaps=gaps_to_proto(gaps),
        )

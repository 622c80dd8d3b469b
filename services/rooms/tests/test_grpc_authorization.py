"""Declared authorization through the real gRPC server (ACCESS in entrypoints/grpc_api.py): an officer
reads but changes nothing; station leaders (supervisor) open rooms; the bureau (district_admin) merges,
closes and re-divides; another service may issue a checkpoint order (R-ROOM-5). A refusal is
PERMISSION_DENIED naming the roles, and leaves every record as it was."""

from __future__ import annotations

import grpc
import pytest
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.testing import refused

from .support import RoomsService, point

pytestmark = pytest.mark.integration


def denied(error: grpc.aio.AioRpcError, method: str, roles: str) -> bool:
    return error.code() == grpc.StatusCode.PERMISSION_DENIED and (
        f"{method} needs one of the roles: {roles} (caller officer-1 has: officer)" == error.details()
    )


async def test_an_officer_changes_nothing_and_the_roles_the_rules_name_do(
    rooms_service: RoomsService,
) -> None:
    svc = rooms_service
    d = svc.district
    officer = svc.calling_as("officer-1", Role.OFFICER)
    await svc.station()
    zone = await svc.zone("020301", community_ids=["c-1"])
    survivor = await svc.room(("020301",))
    merged = await svc.room(("020302",), name="汴河二警务室")
    before = {
        r.room_id: r for r in (await officer.ListRooms(rooms_pb2.ListRoomsRequest())).rooms
    }  # reads: any caller
    stored_before = await svc.db["rooms.rooms"].count_documents({})

    close = rooms_pb2.CloseRoomRequest(room_id=survivor.room_id, reason="场所拆迁")
    merge = rooms_pb2.MergeRoomsRequest(
        merged_room_ids=[merged.room_id], surviving_room_id=survivor.room_id, reason="整合"
    )
    redivide = rooms_pb2.RedivideZonesRequest(
        from_zone_codes=[zone.zone_code],
        to_zones=[svc.zone_request("020309", community_ids=["c-1"])],
        reason="r",
    )
    open_room = rooms_pb2.OpenRoomRequest(
        name="新警务室",
        kind=rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE,
        station_id="st-bianhe",
        zone_codes=[f"{d}020303"],
        location=point(116.98, 33.63),
        request_id="officer-open",
    )
    assert denied(await refused(officer.CloseRoom(close)), "CloseRoom", "district_admin")
    assert denied(await refused(officer.MergeRooms(merge)), "MergeRooms", "district_admin")
    assert denied(await refused(officer.RedivideZones(redivide)), "RedivideZones", "district_admin")
    assert denied(await refused(officer.OpenRoom(open_room)), "OpenRoom", "district_admin, supervisor")

    # nothing changed: the rooms as they were, no room opened, the zone active, no new zone
    after = {r.room_id: r for r in (await svc.stub.ListRooms(rooms_pb2.ListRoomsRequest())).rooms}
    assert after == before and await svc.db["rooms.rooms"].count_documents({}) == stored_before
    assert not (await svc.stub.GetZone(rooms_pb2.GetZoneRequest(zone_code=zone.zone_code))).zone.retired
    assert await svc.db["rooms.zones"].find_one({"_id": f"{d}020309"}) is None

    # a station leader opens rooms but does not close them; the bureau does
    leader_close = await refused(svc.stub.CloseRoom(close))
    assert leader_close.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "needs one of the roles: district_admin" in (leader_close.details() or "")
    opened = (await svc.stub.OpenRoom(open_room)).room
    assert opened.status == rooms_pb2.ROOM_STATUS_ACTIVE
    reply = await svc.bureau.MergeRooms(merge)
    assert list(reply.surviving_room.absorbed_room_ids) == [merged.room_id]
    assert (
        await svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=opened.room_id, reason="r"))
    ).room.status == (rooms_pb2.ROOM_STATUS_CLOSED)
    redivided = await svc.bureau.RedivideZones(redivide)
    assert [z.zone_code for z in redivided.new_zones] == [f"{d}020309"]


async def test_another_service_may_issue_a_checkpoint_order_and_an_officer_may_not(
    rooms_service: RoomsService,
) -> None:
    # R-ROOM-5: the patrol service relays the bureau's interception orders
    svc = rooms_service
    car = await svc.room(name="流动警务室", kind=rooms_pb2.ROOM_KIND_MOBILE, vehicle_plate="皖L·J0106")
    request = rooms_pb2.IssueCheckpointOrderRequest(
        checkpoint_name="G3出口卡口", checkpoint_location=point(117.0, 33.6), request_id="patrol-1"
    )
    officer = svc.calling_as("officer-1", Role.OFFICER)
    assert denied(
        await refused(officer.IssueCheckpointOrder(request)),
        "IssueCheckpointOrder",
        "district_admin, service",
    )
    assert (await svc.get(car.room_id)).current_checkpoint_order.order_id == ""
    patrol = svc.calling_as("system:patrol", Role.SERVICE)
    order = (await patrol.IssueCheckpointOrder(request)).checkpoint_order
    assert (order.room_id, order.issued_by) == (car.room_id, "system:patrol")

"""Room commands over the real gRPC server, FerretDB and Kafka: planning, consolidation, closing,
grading, naming, mobile rooms (R-ROOM-1..3, 5, 7), each stored and published, bad input and rule
breaches refused with the field names or the rule id."""

from __future__ import annotations

import grpc
import pytest
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.testing import field_violations, refused, rule_violations

from .support import RoomsService, point, precondition_subjects

pytestmark = pytest.mark.integration


async def test_planned_room_opens_later(rooms_service: RoomsService) -> None:
    # R-ROOM-1: planned → active
    svc = rooms_service
    request = rooms_pb2.PlanRoomRequest(
        name="张庄村警务室",
        kind=rooms_pb2.ROOM_KIND_KEY_VILLAGE,
        station_id="st-1",
        zone_codes=[f"{svc.district}110201"],
        village_id="v-zz",
        location=point(117.05, 33.58),
        request_id="plan-zz",
    )
    planned = (await svc.stub.PlanRoom(request)).room
    assert planned.status == rooms_pb2.ROOM_STATUS_PLANNED
    assert (await svc.stub.PlanRoom(request)).room.room_id == planned.room_id  # idempotent
    await svc.events(events_pb2.RoomPlanned, planned.room_id)
    opened = (await svc.stub.OpenRoom(rooms_pb2.OpenRoomRequest(room_id=planned.room_id))).room
    assert opened.status == rooms_pb2.ROOM_STATUS_ACTIVE
    assert [h.action for h in opened.history] == ["planned", "opened"]
    await svc.events(events_pb2.RoomOpened, planned.room_id)


async def test_merge_moves_zones_keeps_history_and_publishes(rooms_service: RoomsService) -> None:
    # R-ROOM-2: consolidation
    svc = rooms_service
    survivor = await svc.room(("020301",))
    merged_a = await svc.room(("020302",), name="汴河二警务室")
    merged_b = await svc.room(("020303",), name="汴河三警务室")
    reply = await svc.bureau.MergeRooms(
        rooms_pb2.MergeRoomsRequest(
            merged_room_ids=[merged_a.room_id, merged_b.room_id],
            surviving_room_id=survivor.room_id,
            reason="警务室整合（51→32）",
        )
    )
    d = svc.district
    assert list(reply.surviving_room.zone_codes) == [f"{d}020301", f"{d}020302", f"{d}020303"]
    assert list(reply.surviving_room.absorbed_room_ids) == [merged_a.room_id, merged_b.room_id]
    assert {(i.record_type, i.record_id, i.from_room_id) for i in reply.handover} == {
        ("zone", f"{d}020302", merged_a.room_id),
        ("zone", f"{d}020303", merged_b.room_id),
    }
    gone = await svc.get(merged_a.room_id)
    assert gone.status == rooms_pb2.ROOM_STATUS_MERGED and gone.merged_into_room_id == survivor.room_id
    assert [h.action for h in gone.history] == ["opened", "merged_into"] and gone.close_time.seconds > 0
    (record,) = await svc.events(events_pb2.RoomsMerged, survivor.room_id)
    event = events_pb2.RoomsMerged.FromString(record.value or b"")
    assert list(event.merged_room_ids) == [merged_a.room_id, merged_b.room_id]
    assert event.reason == "警务室整合（51→32）" and len(event.handover) == 2
    # the history is kept: merged rooms are still listed, as merged
    merged = await svc.stub.ListRooms(rooms_pb2.ListRoomsRequest(status=rooms_pb2.ROOM_STATUS_MERGED))
    assert {r.room_id for r in merged.rooms} == {merged_a.room_id, merged_b.room_id}

    # merging a merged room again is refused with the rule id
    again = rooms_pb2.MergeRoomsRequest(
        merged_room_ids=[merged_a.room_id], surviving_room_id=merged_b.room_id, reason="again"
    )
    assert "R-ROOM-2" in rule_violations(await refused(svc.bureau.MergeRooms(again)))


async def test_merge_into_a_closed_room_or_itself_is_refused(rooms_service: RoomsService) -> None:
    # R-ROOM-2
    svc = rooms_service
    closed = await svc.room(("020301",))
    await svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=closed.room_id, reason="场所拆迁"))
    other = await svc.room(("020302",))
    into_closed = rooms_pb2.MergeRoomsRequest(
        merged_room_ids=[other.room_id], surviving_room_id=closed.room_id, reason="r"
    )
    error = await refused(svc.bureau.MergeRooms(into_closed))
    assert precondition_subjects(error) == {"R-ROOM-2": f"rooms/{closed.room_id}"}
    assert (await svc.get(other.room_id)).status == rooms_pb2.ROOM_STATUS_ACTIVE  # nothing changed

    into_itself = rooms_pb2.MergeRoomsRequest(
        merged_room_ids=[other.room_id], surviving_room_id=other.room_id, reason="r"
    )
    assert "itself" in rule_violations(await refused(svc.bureau.MergeRooms(into_itself)))["R-ROOM-2"]

    fields = field_violations(await refused(svc.bureau.MergeRooms(rooms_pb2.MergeRoomsRequest())))
    assert set(fields) == {"surviving_room_id", "merged_room_ids", "reason"}
    missing = rooms_pb2.MergeRoomsRequest(
        merged_room_ids=["nope"], surviving_room_id=other.room_id, reason="r"
    )
    assert (await refused(svc.bureau.MergeRooms(missing))).code() == grpc.StatusCode.NOT_FOUND


async def test_close_publishes_the_released_zones(rooms_service: RoomsService) -> None:
    svc = rooms_service
    room = await svc.room(("020301", "020302"))
    closed = (
        await svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=room.room_id, reason="场所拆迁"))
    ).room
    assert closed.status == rooms_pb2.ROOM_STATUS_CLOSED
    (record,) = await svc.events(events_pb2.RoomClosed, room.room_id)
    event = events_pb2.RoomClosed.FromString(record.value or b"")
    assert list(event.released_zone_codes) == list(room.zone_codes) and event.reason == "场所拆迁"
    assert set(
        field_violations(await refused(svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id="x"))))
    ) == {"reason"}
    again = rooms_pb2.CloseRoomRequest(room_id=room.room_id, reason="again")
    assert "R-ROOM-2" in rule_violations(await refused(svc.bureau.CloseRoom(again)))


async def test_facilities_are_graded_against_the_district_standard(rooms_service: RoomsService) -> None:
    # R-ROOM-3: office 29.9 m² is "basic", the rest being there; 30 m² is "standard"
    svc = rooms_service
    room = await svc.room()
    required = [
        "office", "rest_area", "signage", "desk", "cabinet", "phone",
        "police_network_computer", "laptop", "camera", "handheld", "briefcase", "badge",
    ]  # fmt: skip

    def facilities(office: float) -> list[rooms_pb2.Facility]:
        return [rooms_pb2.Facility(code=c, quantity=office if c == "office" else 1) for c in required]

    small = await svc.stub.RecordFacilities(
        rooms_pb2.RecordFacilitiesRequest(room_id=room.room_id, facilities=facilities(29.9))
    )
    assert small.room.grade == "basic"
    full = await svc.stub.RecordFacilities(
        rooms_pb2.RecordFacilitiesRequest(room_id=room.room_id, facilities=facilities(30.0))
    )
    assert full.room.grade == "standard" and len(full.room.facilities) == len(required)
    repeated = rooms_pb2.RecordFacilitiesRequest(room_id=room.room_id, facilities=facilities(30.0))
    assert (await svc.stub.RecordFacilities(repeated)).room == full.room  # a repeat records nothing new
    first, second = await svc.events(events_pb2.RoomGraded, room.room_id, count=2)
    assert list(events_pb2.RoomGraded.FromString(first.value or b"").missing_facility_codes) == ["office"]
    assert events_pb2.RoomGraded.FromString(second.value or b"").grade == "standard"
    bad = rooms_pb2.RecordFacilitiesRequest(
        room_id=room.room_id, facilities=[rooms_pb2.Facility(code="Office!", quantity=-1)]
    )
    assert set(field_violations(await refused(svc.stub.RecordFacilities(bad)))) == {
        "facilities[0].code",
        "facilities[0].quantity",
    }


async def test_room_named_after_an_officer(rooms_service: RoomsService) -> None:
    # R-ROOM-7
    svc = rooms_service
    room = await svc.room()
    named = await svc.bureau.NameRoom(
        rooms_pb2.NameRoomRequest(
            room_id=room.room_id, honorary_officer_name="杨立新", citation="全国优秀社区民警"
        )
    )
    assert named.room.honorary_officer_name == "杨立新" and named.room.honorary_citation == "全国优秀社区民警"
    (record,) = await svc.events(events_pb2.RoomNamed, room.room_id)
    assert events_pb2.RoomNamed.FromString(record.value or b"").honorary_officer_name == "杨立新"
    fields = field_violations(
        await refused(svc.bureau.NameRoom(rooms_pb2.NameRoomRequest(room_id=room.room_id)))
    )
    assert set(fields) == {"honorary_officer_name"}


async def test_mobile_room_stops_reassignment_and_checkpoint_order(rooms_service: RoomsService) -> None:
    # R-ROOM-5
    svc = rooms_service
    near = await svc.room(
        name="流动警务室一号",
        kind=rooms_pb2.ROOM_KIND_MOBILE,
        vehicle_plate="皖L·J0106",
        location=point(117.30, 33.60),
    )
    far = await svc.room(
        name="流动警务室二号",
        kind=rooms_pb2.ROOM_KIND_MOBILE,
        vehicle_plate="皖L·J0107",
        location=point(117.20, 33.60),
    )
    stops = [
        rooms_pb2.MobileStop(
            stop_id="s-square", name="银河广场", location=point(117.01, 33.60), radius_m=150
        ),
        rooms_pb2.MobileStop(stop_id="s-station", name="火车站", location=point(117.40, 33.60), radius_m=150),
    ]
    reply = await svc.stub.SetMobileStops(rooms_pb2.SetMobileStopsRequest(room_id=near.room_id, stops=stops))
    assert [s.stop_id for s in reply.room.stops] == ["s-square", "s-station"]
    moved = await svc.stub.ReassignMobileStop(
        rooms_pb2.ReassignMobileStopRequest(room_id=near.room_id, stop_id="s-square", reason="夜市人流高峰")
    )
    assert moved.room.current_stop_id == "s-square"
    changes = await svc.events(events_pb2.MobileStopsChanged, near.room_id, count=2)
    assert events_pb2.MobileStopsChanged.FromString(changes[1].value or b"").reason == "夜市人流高峰"

    # no room named: the nearest active mobile room, counted from where it stands (its current stop)
    request = rooms_pb2.IssueCheckpointOrderRequest(
        checkpoint_name="G3出口卡口", checkpoint_location=point(117.0, 33.6), request_id="order-7"
    )
    order = (await svc.bureau.IssueCheckpointOrder(request)).checkpoint_order
    assert order.room_id == near.room_id and order.issued_by == "chief-1"
    (record,) = await svc.events(events_pb2.CheckpointOrderIssued, near.room_id)
    assert events_pb2.CheckpointOrderIssued.FromString(record.value or b"").order.order_id == order.order_id
    on_duty = await svc.get(near.room_id)
    assert on_duty.current_checkpoint_order.checkpoint_name == "G3出口卡口"
    assert far.room_id != order.room_id
    # a repeated request (the client retried) answers the first order and records nothing new: the event
    # is written with the room's history entry, in the same write
    assert (await svc.bureau.IssueCheckpointOrder(request)).checkpoint_order == order
    history = [h.action for h in (await svc.get(near.room_id)).history]
    assert history.count("checkpoint_order") == 1

    unknown_stop = rooms_pb2.ReassignMobileStopRequest(room_id=near.room_id, stop_id="s-none", reason="r")
    assert "R-ROOM-5" in rule_violations(await refused(svc.stub.ReassignMobileStop(unknown_stop)))
    fixed = await svc.room()
    not_mobile = rooms_pb2.SetMobileStopsRequest(room_id=fixed.room_id, stops=stops)
    assert "R-ROOM-5" in rule_violations(await refused(svc.stub.SetMobileStops(not_mobile)))
    bad_stop = rooms_pb2.SetMobileStopsRequest(
        room_id=near.room_id, stops=[rooms_pb2.MobileStop(stop_id="x")]
    )
    assert set(field_violations(await refused(svc.stub.SetMobileStops(bad_stop)))) == {
        "stops[0].name",
        "stops[0].location",
        "stops[0].radius_m",
    }


async def test_checkpoint_order_without_any_mobile_room_is_refused(rooms_service: RoomsService) -> None:
    svc = rooms_service
    request = rooms_pb2.IssueCheckpointOrderRequest(
        checkpoint_name="卡口", checkpoint_location=point(117.0, 33.6)
    )
    assert "R-ROOM-5" in rule_violations(await refused(svc.bureau.IssueCheckpointOrder(request)))
    fields = field_violations(
        await refused(svc.bureau.IssueCheckpointOrder(rooms_pb2.IssueCheckpointOrderRequest()))
    )
    assert set(fields) == {"checkpoint_name", "checkpoint_location"}

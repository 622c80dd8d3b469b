"""Prevention rings, checkpoints and duties on fakes (R-PAT-3), and the bureau's interception order: the
nearest mobile room to the nearest checkpoint, ordered through the room registry, shown in the vehicle's
plan, relieved when the room is sent back to a stop (R-ROOM-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jingwu.patrol.v1 import events_pb2
from jingwu_patrol.application.ports import RoomOrder
from jingwu_patrol.domain.geo import Polygon
from jingwu_patrol.domain.plans import PatrolPlan
from jingwu_patrol.domain.prevention import CheckpointKind, DutySource, RingLevel
from jingwu_patrol.domain.territory import MobileRoomView
from jingwu_platform.errors import ValidationFailed
from jingwu_platform.testing import violations_of

from .fakes import ADMIN, LEADER, World, seeded
from .samples import DAY, NOW, ZONE_A, at_m, square


async def checkpoints(w: World) -> tuple[str, str]:
    ring = await w.apps.prevention.define_ring(
        name="城区外环",
        level=RingLevel.OUTER,
        boundary=square(-1000, -1000, 6000),
        caller=LEADER,
        request_id="ring-1",
    )
    west = await w.apps.prevention.register_checkpoint(
        name="G3 西出口卡口",
        kind=CheckpointKind.CHECKPOINT,
        location=at_m(50, 50),
        ring_id=ring.ring_id,
        zone_code="",
        caller=LEADER,
        request_id="cp-west",
    )
    east = await w.apps.prevention.register_checkpoint(
        name="东环治安检查站",
        kind=CheckpointKind.SECURITY_CHECK_STATION,
        location=at_m(3900, 1900),
        ring_id="",
        zone_code="",
        caller=LEADER,
        request_id="cp-east",
    )
    assert west.zone_code == ZONE_A  # placed in its zone from the location
    return west.checkpoint_id, east.checkpoint_id


async def mobile_vehicle(w: World) -> str:
    found = await w.apps.vehicles.register(
        plate="皖L·J0009",
        zone_code=ZONE_A,
        device_id="d-room",
        room_id="room-m",
        officer_ids=["o-1"],
        caller=LEADER,
        request_id="veh-room",
    )
    return found.vehicle_id


async def test_a_ring_that_is_not_a_closed_polygon_is_refused() -> None:
    w = await seeded()
    open_ring = Polygon((square(0, 0, 100).outer[:-1],))
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.prevention.define_ring(
            name="", level=None, boundary=open_ring, caller=LEADER, request_id=""
        )
    found = violations_of(refused.value)
    assert set(found) == {"name", "level", "boundary.rings[0].points"}
    assert "closed" in found["boundary.rings[0].points"]
    ring = await w.apps.prevention.define_ring(
        name="核心圈", level=RingLevel.CORE, boundary=square(0, 0, 100), caller=LEADER, request_id="r-1"
    )
    assert (
        await w.apps.prevention.define_ring(
            name="again", level=RingLevel.OUTER, boundary=open_ring, caller=LEADER, request_id="r-1"
        )
        == ring
    )
    assert len(w.outbox.of_type(events_pb2.PreventionRingDefined)) == 1


async def test_rings_list_core_first() -> None:
    w = await seeded()
    for n, level in enumerate((RingLevel.OUTER, RingLevel.CORE, RingLevel.INNER, RingLevel.CENTRE)):
        await w.apps.prevention.define_ring(
            name=f"r{n}", level=level, boundary=square(0, 0, 100 + n), caller=LEADER, request_id=f"r{n}"
        )
    page, token = await w.apps.prevention.list_rings(level=None, page_size=2, page_token="")
    rest, token = await w.apps.prevention.list_rings(level=None, page_size=2, page_token=token)
    assert [r.level for r in page + rest] == [
        RingLevel.CORE,
        RingLevel.CENTRE,
        RingLevel.INNER,
        RingLevel.OUTER,
    ]
    assert await w.apps.prevention.list_rings(level=None, page_size=2, page_token=token) == ([], "")


async def test_an_interception_order_sends_the_nearest_mobile_room_and_shows_in_the_vehicles_plan() -> None:
    w = await seeded()
    west, _ = await checkpoints(w)
    vehicle_id = await mobile_vehicle(w)
    await w.apps.territory.mobile_room_seen(
        MobileRoomView("room-far", "二号", active=True, location=at_m(3900, 1900))
    )
    plan = await w.apps.plans.create(
        PatrolPlan("", ZONE_A, DAY, DAY + timedelta(days=2), vehicle_id=vehicle_id),
        caller=LEADER,
        request_id="p-1",
    )
    assert plan.duties == ()
    # The room's vehicle reports from near the west exit; the far room sits at the east station.
    w.positions.positions["d-room"] = at_m(300, 300)
    duty = await w.apps.prevention.intercept(
        location=at_m(200, 100),
        checkpoint_id="",
        incident_id="i-9",
        reason="抢劫嫌疑人驾车西逃",
        caller=ADMIN,
        request_id="int-1",
    )
    assert (duty.checkpoint_id, duty.room_id, duty.vehicle_id) == (west, "room-m", vehicle_id)
    assert (
        duty.source is DutySource.INTERCEPTION and duty.incident_id == "i-9" and duty.issued_by == "admin-1"
    )
    assert duty.distance_m == pytest.approx(354, abs=5)
    (order,) = w.orders.orders.values()
    assert order.room_id == "room-m" and order.checkpoint_name == "G3 西出口卡口"
    assert list(w.orders.orders) == ["patrol-interception:int-1"]
    (ordered,) = w.outbox.of_type(events_pb2.CheckpointDutyOrdered)
    assert ordered.duty.room_order_id == order.order_id
    # It shows in the vehicle's plan, and the room is believed to be at the checkpoint now.
    shown = await w.apps.plans.view(plan.plan)
    assert [d.duty_id for d in shown.duties] == [duty.duty_id]
    assert (await w.apps.territory.mobile_rooms())["room-m"].order_id == order.order_id
    # A retry answers the first duty; the registry's own event for the order changes nothing.
    again = await w.apps.prevention.intercept(
        location=at_m(3000, 1000),
        checkpoint_id="",
        incident_id="",
        reason="",
        caller=ADMIN,
        request_id="int-1",
    )
    assert again == duty
    await w.apps.prevention.registry_ordered(order)
    assert len(w.outbox.of_type(events_pb2.CheckpointDutyOrdered)) == 1


async def test_the_registrys_event_first_then_the_interception_keeps_the_orders_details() -> None:
    w = await seeded()
    await checkpoints(w)
    await mobile_vehicle(w)
    order = RoomOrder("order-1", "room-m", "G3 西出口卡口", at_m(50, 50), NOW, "system:patrol")
    w.orders.orders["patrol-interception:int-2"] = order
    await w.apps.prevention.registry_ordered(order)  # consumed before the use case wrote its duty
    duty = await w.apps.prevention.intercept(
        location=at_m(0, 0),
        checkpoint_id="",
        incident_id="i-2",
        reason="堵控",
        caller=ADMIN,
        request_id="int-2",
    )
    stored = await w.apps.prevention.get_duty(duty.duty_id)
    assert (
        stored.source is DutySource.INTERCEPTION and stored.reason == "堵控" and stored.incident_id == "i-2"
    )


async def test_an_order_from_the_registry_becomes_the_vehicles_duty_until_the_room_is_back_at_a_stop() -> (
    None
):
    w = await seeded()
    west, _ = await checkpoints(w)
    vehicle_id = await mobile_vehicle(w)
    order = RoomOrder("order-7", "room-m", "西卡口", at_m(60, 40), NOW - timedelta(hours=2), "chief-1")
    await w.apps.prevention.registry_ordered(order)
    duties = await w.apps.prevention.duties_of(vehicle_id, "room-m", NOW - timedelta(hours=3), NOW)
    assert [(d.checkpoint_id, d.source, d.end) for d in duties] == [(west, DutySource.ROOM_REGISTRY, None)]
    await w.apps.prevention.room_back_at_stop("room-m", NOW - timedelta(hours=1))
    (relieved,) = await w.apps.prevention.duties_of(vehicle_id, "room-m", NOW - timedelta(hours=3), NOW)
    assert relieved.end == NOW - timedelta(hours=1)
    assert await w.apps.prevention.duties_of(vehicle_id, "room-m", NOW - timedelta(minutes=30), NOW) == []


async def test_a_manual_duty_order_and_its_refusals() -> None:
    w = await seeded()
    west, _ = await checkpoints(w)
    duty = await w.apps.prevention.order_duty(
        checkpoint_id=west,
        vehicle_id="",
        officer_ids=["o-1", "o-2"],
        start=None,
        end=NOW + timedelta(hours=4),
        reason="节日安保",
        caller=LEADER,
        request_id="d-1",
    )
    assert duty.source is DutySource.MANUAL and duty.start == NOW and duty.checkpoint_name == "G3 西出口卡口"
    with pytest.raises(ValidationFailed) as refused:
        await w.apps.prevention.order_duty(
            checkpoint_id="cp-none",
            vehicle_id="v-none",
            officer_ids=[],
            start=NOW,
            end=NOW - timedelta(hours=1),
            reason="",
            caller=LEADER,
            request_id="d-2",
        )
    assert set(violations_of(refused.value)) == {"checkpoint_id", "vehicle_id", "end_time"}

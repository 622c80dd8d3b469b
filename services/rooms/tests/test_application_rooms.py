"""Room use cases on the in-memory repositories with a fake clock (R-ROOM-1..3, 5, 7): what each command
stores, which event it writes, and that a repeat writes nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC

import pytest
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.errors import NotFound, RuleViolation, ValidationFailed
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.testing import violations_of
from jingwu_platform.usecase import Outgoing
from jingwu_rooms.adapters.memory import InMemoryRoomRepository
from jingwu_rooms.domain.model import (
    Facility,
    GeoPoint,
    HistoryEntry,
    MobileStop,
    Room,
    RoomDraft,
    RoomKind,
    RoomStatus,
)
from jingwu_rooms.domain.staff import RoomPosting

from .fakes import BUREAU, IDS, LEADER, FakeRoomRegistry, fake_registry
from .samples import AT, room_draft, zone


def mobile_draft(plate: str, longitude: float) -> RoomDraft:
    return room_draft(
        name=f"流动警务室{plate}",
        kind=RoomKind.MOBILE,
        vehicle_plate=plate,
        location=GeoPoint(longitude, 33.6),
    )


async def open_room(fake: FakeRoomRegistry, zones: tuple[str, ...] = ("01020301",), **draft: object) -> Room:
    return await fake.app.rooms.open_room(room_draft(zone_codes=zones, **draft), caller=LEADER)


# --- opening and planning (R-ROOM-1) -------------------------------------------------------------------


async def test_an_opened_room_is_stored_with_one_event_and_a_repeated_request_returns_it() -> None:
    fake = fake_registry()
    room = await fake.app.rooms.open_room(room_draft(), caller=LEADER, request_id="req-1")
    assert room.status is RoomStatus.ACTIVE and room.open_time == AT and room.audit.created_by == "leader-1"
    assert await fake.stores.rooms.get(room.room_id) == room
    (opened,) = fake.outbox.of_type(events_pb2.RoomOpened)
    assert opened.room.room_id == room.room_id and opened.district_code == "01"
    assert opened.occur_time.ToDatetime(tzinfo=UTC) == AT and fake.outbox.events[0].time == AT

    fake.clock.advance(minutes=5)
    again = await fake.app.rooms.open_room(room_draft(name="别的名字"), caller=LEADER, request_id="req-1")
    assert again == room and fake.types() == ["RoomOpened"]
    other = await fake.app.rooms.open_room(room_draft(), caller=LEADER)  # no request id: a new room
    assert other.room_id != room.room_id and fake.types() == ["RoomOpened", "RoomOpened"]


async def test_a_planned_room_opens_later_and_only_once() -> None:
    fake = fake_registry()
    planned = await fake.app.rooms.plan_room(room_draft(), caller=LEADER, request_id="req-1")
    assert planned.status is RoomStatus.PLANNED and planned.open_time is None
    assert await fake.app.rooms.plan_room(room_draft(), caller=LEADER, request_id="req-1") == planned
    fake.clock.advance(days=30)
    opened = await fake.app.rooms.activate_planned_room(planned.room_id, caller=BUREAU)
    assert opened.status is RoomStatus.ACTIVE and opened.open_time == fake.clock.now()
    assert [h.action for h in opened.history] == ["planned", "opened"] and opened.version == 1
    assert fake.types() == ["RoomPlanned", "RoomOpened"]
    with pytest.raises(RuleViolation) as exc:
        await fake.app.rooms.activate_planned_room(planned.room_id, caller=BUREAU)
    assert exc.value.rule_id == "R-ROOM-2"
    # Opening and planning are different commands: the same request id names two rooms.
    opened_directly = await fake.app.rooms.open_room(room_draft(), caller=LEADER, request_id="req-1")
    assert opened_directly.room_id != planned.room_id


async def test_no_room_opens_in_a_dissolved_zone() -> None:
    # R-ORG-3; codes not registered yet are accepted (territory and rooms in either order)
    fake = fake_registry()
    await fake.stores.zones.add(zone("01020301", retired=True, successor_zone_codes=("01020302",)))
    with pytest.raises(RuleViolation) as exc:
        await open_room(fake, ("01020301",))
    assert exc.value.rule_id == "R-ORG-3" and "01020302" in str(exc.value)
    assert (await open_room(fake, ("01020399",))).zone_codes == ("01020399",)


async def test_rooms_are_listed_by_filter_and_a_bad_zone_code_is_refused() -> None:
    # R-ORG-2: the zone filter is 8 digits of this district
    fake = fake_registry()
    first = await open_room(fake, ("01020301",))
    await open_room(fake, ("01020302",))
    found, token = await fake.app.rooms.list_rooms(
        station_id="", zone_code="01020301", kind=None, status=None, page_size=0, page_token=""
    )
    assert found == [first] and token == ""
    for bad, message in (("0102030", "8 digits"), ("99020301", "does not belong to district 01")):
        with pytest.raises(ValidationFailed) as exc:
            await fake.app.rooms.list_rooms(
                station_id="", zone_code=bad, kind=None, status=None, page_size=0, page_token=""
            )
        assert message in violations_of(exc.value)["zone_code"]


# --- consolidation and closing (R-ROOM-2) ------------------------------------------------------------


async def test_a_merge_moves_zones_to_the_survivor_once() -> None:
    fake = fake_registry()
    survivor = await open_room(fake, ("01020301",))
    merged = await open_room(fake, ("01020302",), name="汴河二警务室")
    await fake.app.postings.officer_posted(
        RoomPosting("p-1", "o-1", merged.room_id, "community_officer"), event_id="e-1", at=AT
    )
    after, handover = await fake.app.rooms.merge_rooms(
        [merged.room_id], survivor.room_id, "整合", caller=BUREAU
    )
    assert after.zone_codes == ("01020301", "01020302") and after.absorbed_room_ids == (merged.room_id,)
    assert {(i.record_type, i.record_id) for i in handover} == {("zone", "01020302"), ("posting", "p-1")}
    gone = await fake.stores.rooms.get(merged.room_id)
    assert (
        gone is not None and gone.status is RoomStatus.MERGED and gone.merged_into_room_id == survivor.room_id
    )
    (event,) = fake.outbox.of_type(events_pb2.RoomsMerged)
    assert list(event.merged_room_ids) == [merged.room_id] and event.reason == "整合"

    repeated, nothing = await fake.app.rooms.merge_rooms(
        [merged.room_id], survivor.room_id, "整合", caller=BUREAU
    )
    assert repeated == after and nothing == () and len(fake.outbox.of_type(events_pb2.RoomsMerged)) == 1


async def test_a_merge_cut_short_after_marking_is_completed_at_start() -> None:
    fake = fake_registry()
    survivor = await open_room(fake, ("01020301",))
    merged = await open_room(fake, ("01020302",))
    # the crash came after the merged room was marked, before the survivor took its zones
    marking = HistoryEntry(AT, "merged_into", "chief-1", f"{survivor.room_id}: 整合（51→32）")
    marked = replace(
        merged,
        status=RoomStatus.MERGED,
        merged_into_room_id=survivor.room_id,
        history=(*merged.history, marking),
    )
    await fake.stores.rooms.save(marked)
    await fake.app.complete_interrupted_commands()
    after = await fake.app.rooms.get_room(survivor.room_id)
    assert after.absorbed_room_ids == (merged.room_id,) and "01020302" in after.zone_codes
    (event,) = fake.outbox.of_type(events_pb2.RoomsMerged)
    assert list(event.merged_room_ids) == [merged.room_id] and event.reason == "整合（51→32）"
    assert after.history[-1].by == "system:rooms"
    await fake.app.complete_interrupted_commands()  # nothing left to complete
    assert len(fake.outbox.of_type(events_pb2.RoomsMerged)) == 1


class SurvivorClosedMeanwhile(InMemoryRoomRepository):
    """Closes the survivor right after the first merged room is marked: a concurrent CloseRoom."""

    survivor_id = ""  # set by the test once the rooms exist

    async def save(self, room: Room, events: Sequence[Outgoing] = ()) -> Room | None:
        saved = await super().save(room, events)
        if room.status is RoomStatus.MERGED and self.survivor_id:
            survivor = self.items[self.survivor_id]
            self.survivor_id = ""
            await super().save(survivor.close(reason="拆迁", at=AT, by="other", posted_staff=0))
        return saved


async def test_a_merge_refused_after_marking_puts_the_marked_rooms_back() -> None:
    fake = fake_registry(rooms=SurvivorClosedMeanwhile)
    survivor = await open_room(fake, ("01020301",))
    merged = await open_room(fake, ("01020302",))
    assert isinstance(fake.stores.rooms, SurvivorClosedMeanwhile)
    fake.stores.rooms.survivor_id = survivor.room_id
    with pytest.raises(RuleViolation) as exc:
        await fake.app.rooms.merge_rooms([merged.room_id], survivor.room_id, "整合", caller=BUREAU)
    assert exc.value.rule_id == "R-ROOM-2"
    back = await fake.app.rooms.get_room(merged.room_id)
    assert back.status is RoomStatus.ACTIVE and back.merged_into_room_id == ""
    assert fake.outbox.of_type(events_pb2.RoomsMerged) == []


async def test_a_room_with_posted_staff_is_not_closed_until_they_leave() -> None:
    fake = fake_registry()
    room = await open_room(fake, ("01020301", "01020302"))
    staff = RoomPosting("p-1", "o-1", room.room_id, "community_officer")
    await fake.app.postings.officer_posted(staff, event_id="e-1", at=AT)
    with pytest.raises(RuleViolation) as exc:
        await fake.app.rooms.close_room(room.room_id, "场所拆迁", caller=BUREAU)
    assert exc.value.rule_id == "R-ROOM-2" and "posting" in str(exc.value)
    await fake.app.postings.posting_ended(staff, event_id="e-2", at=AT)
    closed = await fake.app.rooms.close_room(room.room_id, "场所拆迁", caller=BUREAU)
    assert closed.status is RoomStatus.CLOSED and closed.close_time == AT
    (event,) = fake.outbox.of_type(events_pb2.RoomClosed)
    assert list(event.released_zone_codes) == ["01020301", "01020302"] and event.reason == "场所拆迁"
    with pytest.raises(ValidationFailed) as bad:
        await fake.app.rooms.close_room(room.room_id, " ", caller=BUREAU)
    assert set(violations_of(bad.value)) == {"reason"}
    with pytest.raises(NotFound):
        await fake.app.rooms.close_room("r-404", "r", caller=BUREAU)


# --- grading and naming (R-ROOM-3, R-ROOM-7) -----------------------------------------------------------


async def test_facilities_are_graded_and_a_repeat_publishes_nothing() -> None:
    fake = fake_registry()
    room = await open_room(fake)
    required = DistrictPolicy().rooms.required_facilities
    facilities = tuple(Facility(code, 29.9 if code == "office" else 1) for code in required)
    graded = await fake.app.rooms.record_facilities(room.room_id, facilities, caller=LEADER)
    assert graded.grade == "basic"
    again = await fake.app.rooms.record_facilities(room.room_id, facilities, caller=LEADER)
    assert again == graded and len(fake.outbox.of_type(events_pb2.RoomGraded)) == 1
    bigger = tuple(replace(f, quantity=30.0) if f.code == "office" else f for f in facilities)
    assert (await fake.app.rooms.record_facilities(room.room_id, bigger, caller=LEADER)).grade == "standard"
    first, second = fake.outbox.of_type(events_pb2.RoomGraded)
    assert list(first.missing_facility_codes) == ["office"] and second.grade == "standard"


async def test_a_room_is_named_after_an_officer() -> None:
    fake = fake_registry()
    room = await open_room(fake)
    named = await fake.app.rooms.name_room(room.room_id, " 杨立新 ", "全国优秀社区民警", caller=BUREAU)
    assert (named.honorary_officer_name, named.honorary_citation) == ("杨立新", "全国优秀社区民警")
    (event,) = fake.outbox.of_type(events_pb2.RoomNamed)
    assert event.honorary_officer_name == "杨立新"


# --- mobile rooms (R-ROOM-5) ---------------------------------------------------------------------------


STOPS = (
    MobileStop("s-square", "银河广场", GeoPoint(117.01, 33.6), 150.0),
    MobileStop("s-station", "火车站", GeoPoint(117.40, 33.6), 150.0),
)


async def test_stops_are_set_and_reassigned_with_a_reason() -> None:
    fake = fake_registry()
    car = await fake.app.rooms.open_room(mobile_draft("皖L1", 117.3), caller=LEADER)
    with_stops = await fake.app.rooms.set_mobile_stops(car.room_id, STOPS, caller=LEADER)
    assert with_stops.stops == STOPS
    moved = await fake.app.rooms.reassign_mobile_stop(car.room_id, "s-square", "夜市人流高峰", caller=LEADER)
    assert moved.current_stop_id == "s-square"
    first, second = fake.outbox.of_type(events_pb2.MobileStopsChanged)
    assert (first.reason, second.reason, second.current_stop_id) == ("stops set", "夜市人流高峰", "s-square")
    fixed = await open_room(fake)
    with pytest.raises(RuleViolation) as exc:
        await fake.app.rooms.set_mobile_stops(fixed.room_id, STOPS, caller=LEADER)
    assert exc.value.rule_id == "R-ROOM-5"


async def test_a_checkpoint_order_goes_to_the_nearest_mobile_room_and_a_repeat_returns_it() -> None:
    fake = fake_registry()
    near = await fake.app.rooms.open_room(mobile_draft("皖L1", 117.3), caller=LEADER)
    far = await fake.app.rooms.open_room(mobile_draft("皖L2", 117.5), caller=LEADER)
    await fake.app.rooms.set_mobile_stops(near.room_id, STOPS, caller=LEADER)
    await fake.app.rooms.reassign_mobile_stop(near.room_id, "s-square", "巡逻", caller=LEADER)
    checkpoint = GeoPoint(117.0, 33.6)
    order = await fake.app.rooms.issue_checkpoint_order(
        "G3出口卡口", checkpoint, "", caller=BUREAU, request_id="q-1"
    )
    assert order.room_id == near.room_id and order.issued_by == "chief-1" and order.issued_at == AT
    assert order.order_id == IDS.for_request("checkpoint-order", "q-1")
    (issued,) = fake.outbox.of_type(events_pb2.CheckpointOrderIssued)
    assert issued.order.order_id == order.order_id

    # The room goes back to a stop far from the checkpoint; the repeated order still answers the first.
    await fake.app.rooms.reassign_mobile_stop(near.room_id, "s-station", "任务结束", caller=LEADER)
    fake.clock.advance(minutes=3)
    repeated = await fake.app.rooms.issue_checkpoint_order(
        "G3出口卡口", checkpoint, "", caller=BUREAU, request_id="q-1"
    )
    assert repeated == order and len(fake.outbox.of_type(events_pb2.CheckpointOrderIssued)) == 1
    assert (await fake.app.rooms.get_room(near.room_id)).current_order is None

    named = await fake.app.rooms.issue_checkpoint_order("卡口二", checkpoint, far.room_id, caller=BUREAU)
    assert named.room_id == far.room_id and named.order_id != order.order_id
    assert (await fake.app.rooms.get_room(far.room_id)).current_order == named


async def test_a_checkpoint_order_without_any_mobile_room_is_refused() -> None:
    fake = fake_registry()
    await open_room(fake)
    with pytest.raises(RuleViolation) as exc:
        await fake.app.rooms.issue_checkpoint_order("卡口", GeoPoint(117.0, 33.6), "", caller=BUREAU)
    assert exc.value.rule_id == "R-ROOM-5"
    with pytest.raises(ValidationFailed) as bad:
        await fake.app.rooms.issue_checkpoint_order("", GeoPoint(0, 0), "", caller=BUREAU)
    assert set(violations_of(bad.value)) == {"checkpoint_name", "checkpoint_location"}
    assert fake.outbox.of_type(events_pb2.CheckpointOrderIssued) == []

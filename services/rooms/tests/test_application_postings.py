"""Personnel's events → who staffs which room, and what follows from it, on the in-memory repositories:
the coverage report (R-ROOM-4). The handlers are the ones the consumer runs (entrypoints/event_handlers);
test_personnel_events.py runs the same over the real Kafka."""

from __future__ import annotations

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu_platform.events import Event, EventRejected, new_event
from jingwu_rooms.domain.coverage import Finding, MustBuild
from jingwu_rooms.domain.model import RoomKind
from jingwu_rooms.entrypoints.event_handlers import PersonnelEventHandlers

from .fakes import BUREAU, LEADER, FakeRoomRegistry, fake_registry
from .samples import STATION, room_draft, village_draft, zone


def posting(
    posting_id: str,
    room_id: str,
    officer_id: str = "o-1",
    role: personnel_pb2.OfficerRole.ValueType = personnel_pb2.OFFICER_ROLE_COMMUNITY_OFFICER,
) -> personnel_pb2.Posting:
    return personnel_pb2.Posting(
        posting_id=posting_id,
        officer_id=officer_id,
        role=role,
        room_id=room_id,
        full_time=True,
        start_date=common_pb2.LocalDate(year=2026, month=11, day=1),
    )


def as_event(payload: personnel_events.OfficerPosted | personnel_events.PostingEnded) -> Event:
    return new_event(payload, key=payload.posting.officer_id, district="01", service="personnel")


async def officers(fake: FakeRoomRegistry, room_id: str) -> list[str]:
    return sorted(
        p.officer_id for p in (await fake.stores.postings.current_by_room([room_id])).get(room_id, ())
    )


async def test_postings_follow_the_events_and_a_replay_changes_nothing() -> None:
    fake = fake_registry()
    handlers = PersonnelEventHandlers(fake.app.postings)
    room = await fake.app.rooms.open_room(room_draft(), caller=LEADER)
    posted = personnel_events.OfficerPosted(district_code="01", posting=posting("p-1", room.room_id))
    await handlers.on_officer_posted(as_event(posted), posted)
    await handlers.on_officer_posted(as_event(posted), posted)  # a replay under a new event id
    assert await officers(fake, room.room_id) == ["o-1"]
    (staff,) = (await fake.app.rooms.postings_of([room]))[room.room_id]
    assert (staff.role, staff.police_officer, staff.full_time) == ("community_officer", True, True)

    ended = personnel_events.PostingEnded(district_code="01", posting=posting("p-1", room.room_id))
    await handlers.on_posting_ended(as_event(ended), ended)
    await handlers.on_officer_posted(as_event(posted), posted)  # replayed after the end: stays ended
    assert await officers(fake, room.room_id) == []

    elsewhere = personnel_events.OfficerPosted(district_code="01", posting=posting("p-2", ""))
    await handlers.on_officer_posted(as_event(elsewhere), elsewhere)  # to a station only: no room changes
    assert await fake.stores.postings.current_by_room() == {}


async def test_a_deactivated_officer_leaves_every_room() -> None:
    fake = fake_registry()
    handlers = PersonnelEventHandlers(fake.app.postings)
    for posting_id, room_id in (("p-1", "r-1"), ("p-2", "r-2")):
        payload = personnel_events.OfficerPosted(district_code="01", posting=posting(posting_id, room_id))
        await handlers.on_officer_posted(as_event(payload), payload)
    deactivated = personnel_events.OfficerDeactivated(
        district_code="01", officer_id="o-1", ended_posting_ids=["p-1", "p-2"], reason="退休"
    )
    event = new_event(deactivated, key="o-1", district="01", service="personnel")
    await handlers.on_officer_deactivated(event, deactivated)
    assert await fake.stores.postings.current_by_room() == {}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (personnel_events.OfficerPosted(district_code="01"), "posting_id"),
        (personnel_events.PostingEnded(district_code="01"), "posting_id"),
        (personnel_events.OfficerDeactivated(district_code="01"), "officer_id"),
    ],
)
async def test_a_malformed_personnel_event_is_rejected_for_the_dead_letter_topic(
    payload: personnel_events.OfficerPosted, reason: str
) -> None:
    fake = fake_registry()
    handlers = PersonnelEventHandlers(fake.app.postings)
    handle = {
        "OfficerPosted": handlers.on_officer_posted,
        "PostingEnded": handlers.on_posting_ended,
        "OfficerDeactivated": handlers.on_officer_deactivated,
    }[type(payload).__name__]
    with pytest.raises(EventRejected, match=reason):
        await handle(new_event(payload, key="k", district="01", service="personnel"), payload)  # type: ignore[operator]


async def test_coverage_counts_must_build_villages_and_rooms_without_an_officer() -> None:
    # R-ROOM-4 (a)(b)(c): each flag requires a room proper; 一室一警: every active room has an officer
    fake = fake_registry()
    handlers = PersonnelEventHandlers(fake.app.postings)
    await fake.app.territory.create_station(STATION, "st-bianhe", caller=BUREAU)
    await fake.stores.zones.add(zone("01110201", community="朱仙庄镇", community_ids=()))
    flags = {
        "v-central": "security_complex_central",
        "v-seat": "former_township_seat",
        "v-remote": "remote_from_station",
    }
    for village_id, flag in flags.items():
        await fake.app.territory.register_village(
            village_draft("01110201", **{flag: True}), village_id, caller=BUREAU
        )
    await fake.app.territory.register_village(village_draft("01110201"), "v-plain", caller=BUREAU)
    report = await fake.app.coverage.coverage_report("st-bianhe")
    assert (report.villages_requiring_room, report.villages_covered, report.coverage_ratio) == (3, 0, 0.0)
    assert {g.village_id: g.reasons for g in report.gaps} == {
        "v-central": (MustBuild.SECURITY_COMPLEX_CENTRAL,),
        "v-remote": (MustBuild.REMOTE_FROM_STATION,),
        "v-seat": (MustBuild.FORMER_TOWNSHIP_SEAT,),
    }

    room = await fake.app.rooms.open_room(
        room_draft(zone_codes=("01110201",), kind=RoomKind.KEY_VILLAGE, village_id="v-central"), caller=LEADER
    )
    report = await fake.app.coverage.coverage_report("st-bianhe")
    assert report.villages_covered == 1 and report.coverage_ratio == pytest.approx(1 / 3)
    assert (Finding.ROOM_WITHOUT_OFFICER, room.room_id) in {(g.finding, g.room_id) for g in report.gaps}

    auxiliary = personnel_events.OfficerPosted(
        district_code="01", posting=posting("p-a", room.room_id, "a-1", personnel_pb2.OFFICER_ROLE_AUXILIARY)
    )
    await handlers.on_officer_posted(as_event(auxiliary), auxiliary)  # an auxiliary is not an officer
    assert room.room_id in {g.room_id for g in (await fake.app.coverage.coverage_report("")).gaps}
    officer = personnel_events.OfficerPosted(district_code="01", posting=posting("p-o", room.room_id, "o-9"))
    await handlers.on_officer_posted(as_event(officer), officer)
    assert room.room_id not in {g.room_id for g in (await fake.app.coverage.coverage_report("")).gaps}
    assert (await fake.app.coverage.coverage_report("st-other")).villages_requiring_room == 0

"""The duty rota (R-ROOM-6) on the in-memory repositories: gaps against the room's police officers and
the district calendar, a period replaced at a time, one calendar per room."""

from __future__ import annotations

from datetime import date

import pytest
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.errors import NotFound, RuleViolation, ValidationFailed
from jingwu_platform.policy import DistrictPolicy, WorkStandard
from jingwu_platform.testing import violations_of
from jingwu_rooms.domain.rota import GapKind
from jingwu_rooms.domain.staff import RoomPosting

from .fakes import BUREAU, LEADER, FakeRoomRegistry, fake_registry
from .samples import AT, room_draft


def day(d: int) -> date:
    return date(2026, 11, d)


async def staffed_room(fake: FakeRoomRegistry, *officer_ids: str) -> str:
    room = await fake.app.rooms.open_room(room_draft(), caller=LEADER)
    for officer_id in officer_ids:
        staff = RoomPosting(f"p-{officer_id}", officer_id, room.room_id, "community_officer")
        await fake.app.postings.officer_posted(staff, event_id=f"e-{officer_id}", at=AT)
    return room.room_id


async def test_gaps_are_uncovered_days_and_working_days_without_one_of_the_officers() -> None:
    # 2026-11-02 (Mon) .. 11-08 (Sun); the weekend is left open; Wednesday a holiday named by the request
    fake = fake_registry()
    room_id = await staffed_room(fake, "o-1", "o-2")
    days = [(day(2), "o-1"), (day(3), "aux-1"), (day(4), "aux-1"), (day(5), "o-2"), (day(6), "o-1")]
    rota, gaps = await fake.app.rotas.set_duty_rota(room_id, day(2), day(8), days, [day(4)], caller=LEADER)
    assert {(g.day.day, g.kind) for g in gaps} == {
        (3, GapKind.NO_COMMUNITY_OFFICER),
        (7, GapKind.UNCOVERED),
        (8, GapKind.UNCOVERED),
    }
    assert rota.version == 0 and rota.days_in(day(2), day(8)) == dict(days)
    (event,) = fake.outbox.of_type(events_pb2.DutyRotaSet)
    assert [d.day for d in event.uncovered_days] == [7, 8] and len(event.gaps) == 3

    # the weekend filled in a second request: that period only is replaced
    weekend = [(day(7), "aux-1"), (day(8), "o-2")]
    rota, _ = await fake.app.rotas.set_duty_rota(room_id, day(7), day(8), weekend, [], caller=LEADER)
    assert rota.version == 1 and rota.days_in(day(2), day(8))[day(2)] == "o-1"
    left = await fake.app.rotas.rota_gaps(room_id, day(2), day(8))
    assert [(g.day.day, g.kind) for g in left] == [(3, GapKind.NO_COMMUNITY_OFFICER)]


async def test_with_one_officer_anyone_on_duty_will_do_and_the_district_calendar_counts() -> None:
    # R-ROOM-6: the officers' rule applies from policy.work.room_duty_min_officers (seed 003: 2)
    policy = DistrictPolicy(work=WorkStandard(holidays=(day(3),)))
    fake = fake_registry(policy)
    room_id = await staffed_room(fake, "o-1")
    _, gaps = await fake.app.rotas.set_duty_rota(
        room_id, day(2), day(3), [(day(2), "aux-1")], [], caller=LEADER
    )
    assert [(g.day.day, g.kind) for g in gaps] == [(3, GapKind.UNCOVERED)]
    assert "holiday" in gaps[0].detail  # the district's holiday, not named by the request


async def test_a_bad_rota_names_each_field_and_a_closed_room_takes_none() -> None:
    fake = fake_registry()
    room_id = await staffed_room(fake)
    with pytest.raises(ValidationFailed) as exc:
        await fake.app.rotas.set_duty_rota(room_id, day(8), day(2), [(None, "o-1")], [], caller=LEADER)
    assert set(violations_of(exc.value)) == {"period.end", "days[0].date"}
    with pytest.raises(NotFound):
        await fake.app.rotas.rota_gaps("r-404", day(2), day(8))
    await fake.app.rooms.close_room(room_id, "场所拆迁", caller=BUREAU)
    with pytest.raises(RuleViolation) as closed:
        await fake.app.rotas.set_duty_rota(room_id, day(2), day(2), [(day(2), "o-1")], [], caller=LEADER)
    assert closed.value.rule_id == "R-ROOM-2"
    assert fake.outbox.of_type(events_pb2.DutyRotaSet) == []

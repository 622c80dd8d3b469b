"""The room registry learns postings from personnel's events (real Kafka): coverage (R-ROOM-4) and the
duty rota (R-ROOM-6) follow; a re-delivered event changes nothing; a malformed one is dead-lettered."""

from __future__ import annotations

import uuid

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_platform.testing import field_violations, read_topic, refused, rule_violations, wait_until

from .support import RoomsService, point

pytestmark = pytest.mark.integration


def posting(
    room_id: str,
    officer_id: str,
    role: personnel_pb2.OfficerRole.ValueType = personnel_pb2.OFFICER_ROLE_COMMUNITY_OFFICER,
) -> personnel_pb2.Posting:
    return personnel_pb2.Posting(
        posting_id=f"post-{uuid.uuid4()}",
        officer_id=officer_id,
        role=role,
        room_id=room_id,
        full_time=True,
        start_date=common_pb2.LocalDate(year=2026, month=11, day=1),
    )


async def post(svc: RoomsService, p: personnel_pb2.Posting, *, event_id: str = "") -> str:
    return await svc.send_personnel(
        personnel_events.OfficerPosted(district_code=svc.district, posting=p), p.officer_id, event_id=event_id
    )


async def officers(svc: RoomsService, room_id: str) -> list[str]:
    return sorted(o.officer_id for o in (await svc.get(room_id)).officers)


async def gaps(svc: RoomsService) -> set[tuple[str, str, str]]:
    report = (await svc.stub.GetCoverageReport(rooms_pb2.GetCoverageReportRequest())).coverage_report
    return {(g.finding, g.village_id, g.room_id) for g in report.gaps}


async def test_postings_change_coverage_and_redelivery_changes_nothing(rooms_service: RoomsService) -> None:
    # R-ROOM-4: every room has at least one officer; a posting changes coverage
    svc = rooms_service
    room = await svc.room()
    assert ("room_without_officer", "", room.room_id) in await gaps(svc)

    first = posting(room.room_id, "o-zhang")
    event_id = await post(svc, first)

    async def posted() -> bool:
        return await officers(svc, room.room_id) == ["o-zhang"]

    await wait_until(posted, what="posting learnt")
    assert ("room_without_officer", "", room.room_id) not in await gaps(svc)
    (officer,) = (await svc.get(room.room_id)).officers
    assert (officer.role, officer.police_officer, officer.full_time) == ("community_officer", True, True)

    # the same event again (same ce_id): dropped by the inbox
    duplicates = svc.consumer.duplicates
    await post(svc, first, event_id=event_id)
    await wait_until(lambda: svc.consumer.duplicates > duplicates, what="duplicate seen")
    # the same posting under a new event id (a replay): the handler itself is idempotent
    processed = svc.consumer.processed
    await post(svc, first)
    await wait_until(lambda: svc.consumer.processed > processed, what="replay processed")
    assert await officers(svc, room.room_id) == ["o-zhang"]
    assert await svc.db["rooms.postings"].count_documents({"room_id": room.room_id}) == 1

    # an auxiliary staffs the room but is not an officer
    await post(svc, posting(room.room_id, "a-li", personnel_pb2.OFFICER_ROLE_AUXILIARY))
    ended = personnel_events.PostingEnded(district_code=svc.district, posting=first)
    ended.posting.end_reason = "调任"
    await svc.send_personnel(ended, "o-zhang")

    async def only_auxiliary_left() -> bool:
        return await officers(svc, room.room_id) == ["a-li"]

    await wait_until(only_auxiliary_left, what="posting ended")
    assert ("room_without_officer", "", room.room_id) in await gaps(svc)

    # an OfficerPosted replayed after the end does not revive the posting
    processed = svc.consumer.processed
    await post(svc, first)
    await wait_until(lambda: svc.consumer.processed > processed, what="late replay processed")
    assert await officers(svc, room.room_id) == ["a-li"]


async def test_deactivated_officer_leaves_the_room(rooms_service: RoomsService) -> None:
    svc = rooms_service
    room = await svc.room()
    p = posting(room.room_id, "o-wang")
    await post(svc, p)

    async def count(n: int) -> bool:
        return len(await officers(svc, room.room_id)) == n

    await wait_until(lambda: count(1), what="posted")
    await svc.send_personnel(
        personnel_events.OfficerDeactivated(
            district_code=svc.district, officer_id="o-wang", ended_posting_ids=[p.posting_id], reason="退休"
        ),
        "o-wang",
    )
    await wait_until(lambda: count(0), what="deactivated")


async def test_a_malformed_personnel_event_is_dead_lettered(rooms_service: RoomsService) -> None:
    svc = rooms_service
    await svc.send_personnel(personnel_events.OfficerPosted(district_code=svc.district), "nobody")
    records = await read_topic(
        svc.kafka_bootstrap, f"jingwu.{svc.district}.rooms.dlq.v1", until=lambda rs: len(rs) >= 1
    )
    assert "posting_id" in records[0].headers["dlq_reason"]


async def test_must_build_villages_need_a_room(rooms_service: RoomsService) -> None:
    # R-ROOM-4 (a)(b)(c): each flag requires a room; a key-village room in the village covers it
    svc = rooms_service
    await svc.station()
    await svc.zone("110201", community="朱仙庄镇")
    await svc.village("v-central", "110201", name="朱仙庄村", security_complex_central=True)
    await svc.village("v-seat", "110201", name="老集村", former_township_seat=True)
    await svc.village("v-remote", "110201", name="大湖村", remote_from_station=True)
    await svc.village("v-plain", "110201", name="小李村")
    report = (
        await svc.stub.GetCoverageReport(rooms_pb2.GetCoverageReportRequest(station_id="st-bianhe"))
    ).coverage_report
    assert (report.villages_requiring_room, report.villages_covered) == (3, 0)
    reasons = {g.village_id: list(g.reasons) for g in report.gaps}
    assert reasons == {
        "v-central": ["security_complex_central"],
        "v-remote": ["remote_from_station"],
        "v-seat": ["former_township_seat"],
    }
    room = await svc.room(
        ("110201",), name="朱仙庄村警务室", kind=rooms_pb2.ROOM_KIND_KEY_VILLAGE, village_id="v-central"
    )
    report = (
        await svc.stub.GetCoverageReport(rooms_pb2.GetCoverageReportRequest(station_id="st-bianhe"))
    ).coverage_report
    assert report.villages_covered == 1 and report.coverage_ratio == pytest.approx(1 / 3)
    assert ("room_without_officer", room.room_id) in {(g.finding, g.room_id) for g in report.gaps}


def day(d: int) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=2026, month=11, day=d)


async def test_duty_rota_gaps(rooms_service: RoomsService) -> None:
    # R-ROOM-6: 2026-11-02 (Mon) .. 11-08 (Sun); the weekend is left open, Wednesday is a holiday
    svc = rooms_service
    room = await svc.room()
    for officer in ("o-1", "o-2"):
        await post(svc, posting(room.room_id, officer))

    async def two_officers() -> bool:
        return len(await officers(svc, room.room_id)) == 2

    await wait_until(two_officers, what="two officers posted")
    period = common_pb2.DateRange(start=day(2), end=day(8))
    rota = [("o-1", 2), ("aux-1", 3), ("aux-1", 4), ("o-2", 5), ("o-1", 6)]
    reply = await svc.stub.SetDutyRota(
        rooms_pb2.SetDutyRotaRequest(
            room_id=room.room_id,
            period=period,
            days=[rooms_pb2.RotaDay(date=day(d), officer_id=o) for o, d in rota],
            holidays=[day(4)],
        )
    )
    found = {(g.date.day, g.kind) for g in reply.gaps}
    # Tuesday: an auxiliary while two officers serve the room; Wednesday is a holiday, so he may
    assert found == {(3, "no_community_officer"), (7, "uncovered"), (8, "uncovered")}
    assert [d.date.day for d in reply.duty_rota.days] == [2, 3, 4, 5, 6]
    (record,) = await svc.events(events_pb2.DutyRotaSet, room.room_id)
    assert [d.day for d in events_pb2.DutyRotaSet.FromString(record.value or b"").uncovered_days] == [7, 8]

    # fill the weekend: only the Tuesday remains
    weekend = rooms_pb2.SetDutyRotaRequest(
        room_id=room.room_id,
        period=common_pb2.DateRange(start=day(7), end=day(8)),
        days=[
            rooms_pb2.RotaDay(date=day(7), officer_id="aux-1"),
            rooms_pb2.RotaDay(date=day(8), officer_id="o-2"),
        ],
    )
    await svc.stub.SetDutyRota(weekend)
    left = await svc.stub.GetRotaGaps(rooms_pb2.GetRotaGapsRequest(room_id=room.room_id, period=period))
    assert [(g.date.day, g.kind) for g in left.gaps] == [(3, "no_community_officer")]
    assert list(left.uncovered_days) == []

    bad = rooms_pb2.SetDutyRotaRequest(
        room_id=room.room_id,
        period=common_pb2.DateRange(start=day(8), end=day(2)),
        days=[rooms_pb2.RotaDay(date=common_pb2.LocalDate(year=2026, month=2, day=30), officer_id="o-1")],
    )
    assert set(field_violations(await refused(svc.stub.SetDutyRota(bad)))) == {"period.end", "days[0].date"}
    closed = await svc.room()
    await svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=closed.room_id, reason="r"))
    weekend.room_id = closed.room_id
    assert "R-ROOM-2" in rule_violations(await refused(svc.stub.SetDutyRota(weekend)))


async def test_a_room_with_posted_staff_is_not_closed(rooms_service: RoomsService) -> None:
    # R-ROOM-2: staff are never dropped silently
    svc = rooms_service
    room = await svc.room(location=point(117.0, 33.6))
    await post(svc, posting(room.room_id, "o-3"))

    async def posted() -> bool:
        return await officers(svc, room.room_id) == ["o-3"]

    await wait_until(posted, what="posted")
    error = await refused(svc.bureau.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=room.room_id, reason="r")))
    assert "posting" in rule_violations(error)["R-ROOM-2"]

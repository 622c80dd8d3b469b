"""Notice use cases on the in-memory repositories and a fake clock (R-NOT-1, R-NOT-4): announcements,
bulletins and tips, the weekly notice drafted from the week's facts, reviewed and published, and the
weekly finding. The same RoomOpened path on the real Kafka and store is in test_room_opened_notice.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from jingwu.notification.v1 import events_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_notification.domain.findings import FindingKind
from jingwu_notification.domain.notices import Channel, NoticeKind, NoticeStatus, notice_id_for_event
from jingwu_notification.domain.weekly import FactKind, WeekFact, weekly_notice_id
from jingwu_notification.entrypoints.event_handlers import RoomEventHandlers
from jingwu_platform.calendar import week_of
from jingwu_platform.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from jingwu_platform.events import EventRejected, new_event
from jingwu_platform.schedule import MONDAY, Period, weekly
from jingwu_platform.testing import violations_of

from .fakes import AT, LEADER, OFFICER, ROOM, STRANGER, world

WEEK = week_of(date(2026, 3, 2))  # Monday 2 – Sunday 8 March 2026
CHECK = weekly(weekday=MONDAY, covers="previous")


def check_period(after_week_ends: int = 0) -> Period:
    """The period the Monday check runs for: the week that just ended."""
    monday_after = WEEK.end + timedelta(days=1 + 7 * after_week_ends)
    return CHECK.latest_due(
        AT.replace(year=monday_after.year, month=monday_after.month, day=monday_after.day, hour=2)
    )


async def test_a_room_opening_becomes_one_notice_and_one_event_even_when_redelivered() -> None:
    """R-NOT-4: residents are told where the new room is; a re-delivered RoomOpened changes nothing."""
    w = world()
    first = await w.notice_app.announce_room_opened(
        event_id="e-1", room_id="r-1", room_name="汴河社区警务室", address="汴河路88号"
    )
    w.clock.advance(minutes=5)
    again = await w.notice_app.announce_room_opened(
        event_id="e-1", room_id="r-1", room_name="汴河社区警务室", address="汴河路88号"
    )
    assert again == first and first.notice_id == notice_id_for_event("e-1")
    assert first.publish_time == AT and first.title == "汴河社区警务室正式启用"
    (published,) = w.outbox.of_type(events_pb2.NoticePublished)
    assert published.notice.notice_id == first.notice_id
    assert published.occur_time.ToDatetime(tzinfo=AT.tzinfo) == AT


async def test_queries_page_and_filter() -> None:
    w = world()
    for n in range(3):
        await w.notice_app.announce_room_opened(
            event_id=f"e-{n}", room_id="r-1", room_name=f"第{n}警务室", address=""
        )
    page, token = await w.notice_app.list_notices(room_id="r-1", kind=None, page_size=2, page_token="")
    rest, last = await w.notice_app.list_notices(room_id="r-1", kind=None, page_size=2, page_token=token)
    assert len(page) == 2 and len(rest) == 1 and last == ""
    assert await w.notice_app.list_notices(
        room_id="r-1", kind=NoticeKind.BULLETIN, page_size=0, page_token=""
    ) == (
        [],
        "",
    )
    with pytest.raises(NotFound):
        await w.notice_app.get_notice("evt-missing")


async def test_a_room_opened_without_a_name_is_rejected_for_the_dead_letter_topic() -> None:
    w = world()
    payload = room_events.RoomOpened(district_code="01", room=rooms_pb2.Room(room_id="r-1"))
    event = new_event(payload, key="r-1", district="01", service="rooms")
    with pytest.raises(EventRejected, match=r"without room\.room_id or room\.name"):
        await RoomEventHandlers(w.notice_app, w.directory).on_room_opened(event, payload)
    assert w.outbox.events == []


async def test_an_officer_publishes_a_tip_for_his_room_only_and_a_repeat_returns_the_first() -> None:
    w = world()
    await w.with_room()
    tip = await w.notice_app.publish_notice(
        kind=NoticeKind.TIP, room_id=ROOM.room_id, title="防范电信诈骗", body="不轻信陌生来电。",
        channels=(), caller=OFFICER, request_id="req-1",
    )  # fmt: skip
    again = await w.notice_app.publish_notice(
        kind=NoticeKind.TIP, room_id=ROOM.room_id, title="防范电信诈骗", body="不轻信陌生来电。",
        channels=(), caller=OFFICER, request_id="req-1",
    )  # fmt: skip
    assert again == tip and tip.status is NoticeStatus.PUBLISHED
    assert Channel.RESIDENT_GROUP in tip.channels  # the default channels
    assert len(w.outbox.of_type(events_pb2.NoticePublished)) == 1
    with pytest.raises(PermissionDenied, match="not posted to room room-1"):
        await w.notice_app.publish_notice(
            kind=NoticeKind.BULLETIN, room_id=ROOM.room_id, title="t", body="b", channels=(), caller=STRANGER
        )
    with pytest.raises(ValidationFailed) as invalid:
        await w.notice_app.publish_notice(
            kind=NoticeKind.WEEKLY_SITUATION,
            room_id=ROOM.room_id,
            title="",
            body="b",
            channels=(),
            caller=LEADER,
        )
    assert set(violations_of(invalid.value)) == {"kind", "title"}


async def week_of_facts(w) -> None:  # type: ignore[no-untyped-def]
    zone, other_zone, outside = "01020301", "01020302", "01990101"
    facts = [
        WeekFact("f1", FactKind.INFORMATION, zone, date(2026, 3, 3), category="dispute"),
        WeekFact("f2", FactKind.INFORMATION, other_zone, date(2026, 3, 4), category="dispute"),
        WeekFact("f3", FactKind.INFORMATION, zone, date(2026, 3, 5), category="security_hazard"),
        WeekFact("f4", FactKind.INFORMATION, zone, date(2026, 3, 5), category="intelligence"),
        WeekFact("f5", FactKind.PATROL, zone, date(2026, 3, 6), hours=2.5),
        WeekFact("f6", FactKind.PATROL, other_zone, date(2026, 3, 7), hours=1.0),
        WeekFact("f7", FactKind.JOINT_PATROL, zone, date(2026, 3, 8)),
        WeekFact(
            "f8", FactKind.INFORMATION, outside, date(2026, 3, 3), category="dispute"
        ),  # not the room's zone
        WeekFact("f9", FactKind.INFORMATION, zone, date(2026, 3, 9), category="dispute"),  # the next week
    ]
    for fact in facts:
        await w.facts.put(fact)


async def test_the_weekly_notice_is_drafted_from_the_weeks_facts_then_edited_and_published() -> None:
    """R-NOT-1: drafted automatically (incidents by category, patrol presence, tips), reviewed and
    edited by the room's officer, then published to the room's channels."""
    w = world()
    await w.with_room()
    await week_of_facts(w)
    w.clock.advance(hours=1)
    await w.notice_app.publish_notice(
        kind=NoticeKind.TIP, room_id=ROOM.room_id, title="防范电信诈骗", body="…", channels=(), caller=OFFICER
    )
    draft = await w.notice_app.draft_weekly_notice(
        room_id=ROOM.room_id, week_of_day=date(2026, 3, 4), caller=OFFICER
    )
    assert draft.notice_id == weekly_notice_id(ROOM.room_id, WEEK) and draft.status is NoticeStatus.DRAFT
    facts = draft.facts
    assert facts is not None
    assert [(c.category, c.count) for c in facts.incidents] == [("dispute", 2), ("security_hazard", 1)]
    assert (facts.patrols, facts.patrol_hours, facts.joint_patrols, facts.resident_tips) == (2, 3.5, 1, 1)
    assert facts.police_tips == ("防范电信诈骗",)
    assert "矛盾纠纷2起" in draft.body and "民警巡逻2次，共3.5小时" in draft.body
    (drafted,) = w.outbox.of_type(events_pb2.NoticeDrafted)
    assert drafted.notice.facts.patrols == 2
    assert (
        await w.notice_app.public_notices(room_id=ROOM.room_id, kind=NoticeKind.WEEKLY_SITUATION, limit=10)
        == []
    )

    edited = await w.notice_app.edit_draft(
        notice_id=draft.notice_id,
        title=draft.title,
        body=draft.body + "\n请居民关好门窗。",
        channels=(),
        caller=OFFICER,
    )
    assert edited.body.endswith("请居民关好门窗。") and edited.updated_by == "officer-1"
    assert (
        await w.notice_app.draft_weekly_notice(room_id=ROOM.room_id, week_of_day=WEEK.end, caller=OFFICER)
        == edited
    )

    w.clock.advance(hours=2)
    published = await w.notice_app.publish_draft(notice_id=draft.notice_id, caller=OFFICER)
    assert published.status is NoticeStatus.PUBLISHED and published.publish_time == w.clock.now()
    assert (
        await w.notice_app.publish_draft(notice_id=draft.notice_id, caller=OFFICER) == published
    )  # a repeat
    weekly_published = [
        p for p in w.outbox.of_type(events_pb2.NoticePublished) if p.notice.notice_id == draft.notice_id
    ]
    assert len(weekly_published) == 1
    with pytest.raises(RuleViolation, match="R-NOT-1"):
        await w.notice_app.edit_draft(
            notice_id=draft.notice_id, title="x", body="y", channels=(), caller=OFFICER
        )
    with pytest.raises(PermissionDenied):
        await w.notice_app.edit_draft(
            notice_id=draft.notice_id, title="x", body="y", channels=(), caller=STRANGER
        )
    public = await w.notice_app.public_notices(room_id=ROOM.room_id, kind=None, limit=10)
    assert [n.kind for n in public] == [NoticeKind.WEEKLY_SITUATION, NoticeKind.TIP]  # newest first


async def test_the_schedule_drafts_for_every_active_room() -> None:
    w = world()
    await w.with_room()
    await w.rooms.put(replace(ROOM, room_id="room-2", name="闭室", active=False))
    friday = weekly(weekday=4).latest_due(AT + timedelta(days=5))
    drafts = await w.notice_app.draft_week(friday)
    assert [d.room_id for d in drafts] == [ROOM.room_id] and drafts[0].week == WEEK
    assert await w.notice_app.draft_week(friday) == drafts  # the period again: the same drafts


async def test_a_week_without_a_published_notice_is_a_finding_once() -> None:
    """R-NOT-1 on the fake clock: the Monday check for the week that ended."""
    w = world()
    await w.with_room()
    await w.rooms.put(
        replace(ROOM, room_id="room-new", opened_on=date(2026, 3, 4))
    )  # opened mid-week: owes none
    published_room = replace(ROOM, room_id="room-ok")
    await w.with_room(published_room)
    draft = await w.notice_app.draft_weekly_notice(room_id="room-ok", week_of_day=WEEK.start, caller=LEADER)
    await w.notice_app.publish_draft(notice_id=draft.notice_id, caller=LEADER)
    await w.notice_app.draft_weekly_notice(
        room_id=ROOM.room_id, week_of_day=WEEK.start, caller=LEADER
    )  # never published

    period = check_period()
    assert period.dates == WEEK and period.key == "2026-W10"
    w.clock.set(period.due)
    (finding,) = await w.checks.check_weekly_notices(period)
    assert (finding.kind, finding.rule_id, finding.room_id, finding.period) == (
        FindingKind.NO_WEEKLY_NOTICE, "R-NOT-1", ROOM.room_id, WEEK,
    )  # fmt: skip
    assert finding.finding_id == f"no_weekly_notice/{ROOM.room_id}/2026-W10"
    assert await w.checks.check_weekly_notices(period) == []  # judged again: raised once
    assert [f.finding.room_id for f in w.outbox.of_type(events_pb2.NotificationFindingRaised)] == [
        ROOM.room_id
    ]


async def test_a_bulletin_published_during_the_week_meets_the_rule() -> None:
    """R-NOT-1: "a weekly police-situation notice or police bulletin"."""
    w = world()
    await w.with_room()
    w.clock.set(AT + timedelta(days=2))
    await w.notice_app.publish_notice(
        kind=NoticeKind.BULLETIN,
        room_id=ROOM.room_id,
        title="警务公告",
        body="…",
        channels=(),
        caller=OFFICER,
    )
    period = check_period()
    w.clock.set(period.due)
    assert await w.checks.check_weekly_notices(period) == []
    next_period = check_period(after_week_ends=1)
    w.clock.set(next_period.due)
    assert [f.room_id for f in await w.checks.check_weekly_notices(next_period)] == [ROOM.room_id]

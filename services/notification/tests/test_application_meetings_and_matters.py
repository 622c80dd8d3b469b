"""Resident meetings (R-NOT-2) and the callback pledge (R-NOT-3) on the in-memory repositories and a
fake clock: follow-ups with owners, the overdue-meeting finding, owners and due dates of matters,
escalation to the station, the satisfaction rating that feeds personnel (R-PER-11), appointments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from jingwu.notification.v1 import events_pb2
from jingwu_notification.domain.findings import FindingKind
from jingwu_notification.domain.matters import AnswerMethod, MatterStatus
from jingwu_notification.domain.meetings import FollowUpStatus, MeetingStatus, Opinion
from jingwu_notification.domain.reminders import ReminderKind
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from jingwu_platform.schedule import daily, every_months
from jingwu_platform.testing import violations_of

from .fakes import AT, IDS, LEADER, OFFICER, ROOM, STRANGER, World, world

MEETINGS = every_months(2, covers="previous")
OWNER_2 = Caller("officer-2", "01", frozenset({Role.OFFICER}))
DAILY = daily()


async def held_meeting(w: World, held: datetime) -> str:
    meeting = await w.meeting_app.schedule(
        room_id=ROOM.room_id,
        start_time=held,
        agenda="通报警务室工作，听取意见",
        caller=OFFICER,
        request_id="m-1",
    )
    await w.meeting_app.record_minutes(
        meeting_id=meeting.meeting_id,
        attendees=["张三", "李四"],
        minutes="通报了一季度工作。",
        opinions=[
            Opinion("小区东门路灯坏了", "officer-1", date(2026, 3, 20)),
            Opinion("夜间电动车被盗", "officer-2"),
        ],
        held_time=None,
        caller=OFFICER,
    )
    return meeting.meeting_id


async def test_a_meeting_is_held_with_attendees_minutes_and_follow_ups_with_owners() -> None:
    w = world()
    await w.with_room()
    meeting_id = await held_meeting(w, AT - timedelta(hours=2))
    meeting = await w.meeting_app.get(meeting_id)
    assert meeting.status is MeetingStatus.HELD and meeting.attendees == ("张三", "李四")
    follow_ups = await w.meeting_app.follow_ups_of(meeting)
    assert [(f.opinion, f.owner_officer_id, f.due_date) for f in follow_ups] == [
        ("小区东门路灯坏了", "officer-1", date(2026, 3, 20)),
        ("夜间电动车被盗", "officer-2", date(2026, 4, 1)),  # a month after the meeting by default
    ]
    assert [o.follow_up_id for o in meeting.opinions] == [f.follow_up_id for f in follow_ups]
    (held,) = w.outbox.of_type(events_pb2.ResidentMeetingHeld)
    assert len(held.follow_ups) == 2 and held.meeting.minutes == "通报了一季度工作。"
    # Recording again returns the first record and writes nothing.
    again, _ = await w.meeting_app.record_minutes(
        meeting_id=meeting_id, attendees=["王五"], minutes="x", opinions=[], held_time=None, caller=OFFICER
    )
    assert again == meeting and len(w.outbox.of_type(events_pb2.ResidentMeetingHeld)) == 1

    closed = await w.meeting_app.close_follow_up(
        follow_up_id=follow_ups[1].follow_up_id,
        resolution="已加装监控",
        caller=OWNER_2,
    )
    assert closed.status is FollowUpStatus.CLOSED
    with pytest.raises(RuleViolation, match="R-NOT-2"):
        await w.meeting_app.close_follow_up(follow_up_id=closed.follow_up_id, resolution="x", caller=LEADER)
    with pytest.raises(PermissionDenied):
        await w.meeting_app.close_follow_up(
            follow_up_id=follow_ups[0].follow_up_id, resolution="x", caller=STRANGER
        )


async def test_minutes_are_refused_without_attendees_or_owners_and_before_the_meeting() -> None:
    w = world()
    await w.with_room()
    meeting = await w.meeting_app.schedule(
        room_id=ROOM.room_id, start_time=AT + timedelta(days=3), agenda="a", caller=LEADER
    )
    with pytest.raises(ValidationFailed) as invalid:
        await w.meeting_app.record_minutes(
            meeting_id=meeting.meeting_id, attendees=[" "], minutes="m", opinions=[Opinion("x", "")],
            held_time=None, caller=LEADER,
        )  # fmt: skip
    assert set(violations_of(invalid.value)) == {"attendees", "opinions[0].owner_officer_id"}
    with pytest.raises(RuleViolation, match="once the meeting was held"):
        await w.meeting_app.record_minutes(
            meeting_id=meeting.meeting_id,
            attendees=["张三"],
            minutes="m",
            opinions=[],
            held_time=None,
            caller=LEADER,
        )


async def test_a_two_month_period_without_a_held_meeting_is_a_finding() -> None:
    """R-NOT-2 on the fake clock: judged on 1 May for March–April; a scheduled meeting is not enough."""
    w = world()
    await w.with_room()
    quiet = ROOM.__class__("room-2", "安静警务室", "st-1", ("01020309",), True, date(2026, 1, 5))
    await w.with_room(quiet, officer="officer-3")
    await held_meeting(w, AT)  # room-1 held one on 2 March
    await w.meeting_app.schedule(
        room_id="room-2", start_time=AT + timedelta(days=60), agenda="a", caller=LEADER
    )
    period = MEETINGS.latest_due(datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    assert (period.key, period.start, period.end) == ("2026-03..04", date(2026, 3, 1), date(2026, 4, 30))
    w.clock.set(period.due)
    (finding,) = await w.checks.check_meetings(period)
    assert (finding.kind, finding.rule_id, finding.room_id) == (
        FindingKind.MEETING_OVERDUE,
        "R-NOT-2",
        "room-2",
    )
    assert await w.checks.check_meetings(period) == []


async def test_a_matter_gets_the_rooms_officer_and_the_pledged_due_date() -> None:
    w = world()
    await w.with_room()
    matter = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="王大妈", resident_phone="138 0013 8000", description="楼道堆物",
        owner_officer_id="", due_date=None, caller=LEADER, request_id="r-1",
    )  # fmt: skip
    assert matter.owner_officer_id == "officer-1" and matter.station_id == "st-1"
    assert matter.due_date == date(2026, 3, 5) and matter.resident_phone == "13800138000"
    assert matter.matter_id == IDS.for_request("matter", "r-1") and len(matter.reference) == 12
    (entrusted,) = w.outbox.of_type(events_pb2.MatterEntrusted)
    assert entrusted.owner_officer_id == "officer-1"
    assert b"13800138000" not in w.outbox.events[0].payload  # R-POP-6: no phone on the bus
    again = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="王大妈", resident_phone="13800138000", description="楼道堆物",
        owner_officer_id="", due_date=None, caller=LEADER, request_id="r-1",
    )  # fmt: skip
    assert again == matter and len(w.outbox.of_type(events_pb2.MatterEntrusted)) == 1
    with pytest.raises(ValidationFailed) as invalid:
        await w.matter_app.entrust(
            room_id=ROOM.room_id, resident_name="", resident_phone="12ab", description="x",
            owner_officer_id="", due_date=date(2026, 3, 1), caller=LEADER,
        )  # fmt: skip
    assert set(violations_of(invalid.value)) == {"resident_name", "resident_phone", "due_date"}
    with pytest.raises(NotFound):
        await w.matter_app.entrust(
            room_id="nowhere", resident_name="a", resident_phone="13800138000", description="x",
            owner_officer_id="", due_date=None, caller=LEADER,
        )  # fmt: skip


async def test_answering_back_then_the_residents_rating_feeds_personnel() -> None:
    """R-NOT-3 closed with the answer and how; the rating becomes CallbackSatisfactionRated (R-PER-11)."""
    w = world()
    await w.with_room()
    matter = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="王大妈", resident_phone="13800138000", description="楼道堆物",
        owner_officer_id="", due_date=None, caller=LEADER,
    )  # fmt: skip
    with pytest.raises(RuleViolation, match="after it was answered"):
        await w.matter_app.rate(matter_id=matter.matter_id, rating=4)
    with pytest.raises(ValidationFailed, match="method"):
        await w.matter_app.answer(matter_id=matter.matter_id, answer="已清理", method=None, caller=OFFICER)
    with pytest.raises(PermissionDenied):
        await w.matter_app.answer(
            matter_id=matter.matter_id, answer="已清理", method=AnswerMethod.PHONE, caller=STRANGER
        )
    answered = await w.matter_app.answer(
        matter_id=matter.matter_id, answer="已清理", method=AnswerMethod.VISIT, caller=OFFICER
    )
    assert answered.status is MatterStatus.ANSWERED and answered.answer_method is AnswerMethod.VISIT
    (answer_event,) = w.outbox.of_type(events_pb2.MatterAnswered)
    assert answer_event.method == 2 and not answer_event.late
    rated = await w.matter_app.rate(matter_id=matter.matter_id, rating=4)
    assert rated.satisfaction == 4
    assert await w.matter_app.rate(matter_id=matter.matter_id, rating=4) == rated  # a repeat
    with pytest.raises(RuleViolation, match="rated already"):
        await w.matter_app.rate(matter_id=matter.matter_id, rating=1)
    (rating,) = w.outbox.of_type(events_pb2.CallbackSatisfactionRated)
    assert (rating.officer_id, rating.matter_id, rating.rating, rating.score) == (
        "officer-1",
        matter.matter_id,
        4,
        75.0,
    )
    assert w.outbox.events[-1].key == "officer-1"  # keyed by the officer, for personnel's ordering


async def test_an_overdue_callback_escalates_to_the_station_once_and_owners_are_reminded() -> None:
    """R-NOT-3 on the fake clock: the daily run after the due date."""
    w = world()
    await w.with_room()
    late = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="甲", resident_phone="13800138000", description="噪音",
        owner_officer_id="", due_date=None, caller=LEADER,
    )  # fmt: skip
    soon = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="乙", resident_phone="13900139000", description="占道",
        owner_officer_id="officer-1", due_date=date(2026, 3, 7), caller=LEADER,
    )  # fmt: skip
    run = DAILY.latest_due(datetime(2026, 3, 6, 2, 0, tzinfo=UTC))  # 6 March: the first was due on the 5th
    w.clock.set(run.due)
    await w.checks.daily_callbacks(run)
    (escalated,) = w.outbox.of_type(events_pb2.MatterEscalated)
    assert (escalated.matter_id, escalated.station_id, escalated.owner_officer_id) == (
        late.matter_id,
        "st-1",
        "officer-1",
    )
    assert (await w.matter_app.get(late.matter_id)).escalate_time == run.due
    reminders = {r.subject_id: r.kind for r in w.reminders.all()}
    assert reminders == {late.matter_id: ReminderKind.CALLBACK_DUE, soon.matter_id: ReminderKind.CALLBACK_DUE}
    await w.checks.daily_callbacks(run)  # the same day again: nothing new
    assert len(w.outbox.of_type(events_pb2.MatterEscalated)) == 1 and len(w.reminders.all()) == 2


async def test_a_resident_opens_only_their_own_matter_with_reference_and_phone() -> None:
    w = world()
    await w.with_room()
    mine = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="甲", resident_phone="13800138000", description="噪音",
        owner_officer_id="", due_date=None, caller=LEADER,
    )  # fmt: skip
    other = await w.matter_app.entrust(
        room_id=ROOM.room_id, resident_name="乙", resident_phone="13900139000", description="占道",
        owner_officer_id="", due_date=None, caller=LEADER,
    )  # fmt: skip
    assert (
        await w.matter_app.resident_matter(reference=mine.reference.lower(), phone="+86 138-0013-8000")
        == mine
    )
    assert await w.matter_app.resident_matter(reference=mine.reference, phone="13900139000") is None
    assert await w.matter_app.resident_matter(reference=other.reference, phone="13800138000") is None
    assert await w.matter_app.resident_matter(reference="JW0000000000", phone="13800138000") is None


async def test_appointments_are_booked_in_the_future_idempotently() -> None:
    w = world()
    await w.with_room()
    booked = await w.matter_app.book(
        room_id=ROOM.room_id, resident_name="甲", resident_phone="13800138000", topic="办理居住证",
        start_time=AT + timedelta(days=1), caller=LEADER, request_id="a-1",
    )  # fmt: skip
    again = await w.matter_app.book(
        room_id=ROOM.room_id, resident_name="甲", resident_phone="13800138000", topic="办理居住证",
        start_time=AT + timedelta(days=1), caller=LEADER, request_id="a-1",
    )  # fmt: skip
    assert again == booked and booked.reference.startswith("YY")
    (event,) = w.outbox.of_type(events_pb2.AppointmentBooked)
    assert event.appointment_id == booked.appointment_id
    with pytest.raises(ValidationFailed, match="start_time: must be in the future"):
        await w.matter_app.book(
            room_id=ROOM.room_id, resident_name="甲", resident_phone="13800138000", topic="t",
            start_time=AT - timedelta(hours=1), caller=LEADER,
        )  # fmt: skip

"""Translation between the notification domain and the jingwu.notification.v1 contract (notices,
meetings, matters, appointments, reminders, contact points, findings). Written by hand: it is the public
contract, and names differ on purpose."""

from __future__ import annotations

from datetime import date

from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import notification_pb2
from jingwu_platform.calendar import DateRange
from jingwu_platform.proto_values import EnumMap, local_date_from_proto, local_date_to_proto, timestamp

from jingwu_notification.domain.directory import ContactOwner, ContactPoint
from jingwu_notification.domain.findings import FindingKind, NotificationFinding
from jingwu_notification.domain.matters import (
    AnswerMethod,
    Appointment,
    EntrustedMatter,
    MatterStatus,
)
from jingwu_notification.domain.meetings import (
    FollowUp,
    FollowUpStatus,
    MeetingStatus,
    Opinion,
    ResidentMeeting,
)
from jingwu_notification.domain.notices import Channel, Notice, NoticeKind, NoticeStatus
from jingwu_notification.domain.reminders import Reminder, ReminderKind

NOTICE_KIND = EnumMap(NoticeKind, notification_pb2.NoticeKind, "NOTICE_KIND")
NOTICE_STATUS = EnumMap(NoticeStatus, notification_pb2.NoticeStatus, "NOTICE_STATUS")
CHANNEL = EnumMap(Channel, notification_pb2.Channel, "CHANNEL")
MEETING_STATUS = EnumMap(MeetingStatus, notification_pb2.MeetingStatus, "MEETING_STATUS")
FOLLOW_UP_STATUS = EnumMap(FollowUpStatus, notification_pb2.FollowUpStatus, "FOLLOW_UP_STATUS")
MATTER_STATUS = EnumMap(MatterStatus, notification_pb2.MatterStatus, "MATTER_STATUS")
ANSWER_METHOD = EnumMap(AnswerMethod, notification_pb2.AnswerMethod, "ANSWER_METHOD")
REMINDER_KIND = EnumMap(ReminderKind, notification_pb2.ReminderKind, "REMINDER_KIND")
CONTACT_OWNER = EnumMap(ContactOwner, notification_pb2.ContactOwner, "CONTACT_OWNER")
FINDING_KIND = EnumMap(FindingKind, notification_pb2.NotificationFindingKind, "NOTIFICATION_FINDING_KIND")


def kind_from_proto(kind: int) -> NoticeKind | None:
    return NOTICE_KIND.from_proto(kind)


def date_range_to_proto(period: DateRange | None) -> common_pb2.DateRange | None:
    if period is None:
        return None
    return common_pb2.DateRange(start=local_date_to_proto(period.start), end=local_date_to_proto(period.end))


def optional_date(value: common_pb2.LocalDate, present: bool) -> date | None:
    return local_date_from_proto(value) if present else None


def notice_to_proto(notice: Notice) -> notification_pb2.Notice:
    message = notification_pb2.Notice(
        notice_id=notice.notice_id,
        kind=NOTICE_KIND.to_proto(notice.kind),
        room_id=notice.room_id,
        title=notice.title,
        body=notice.body,
        channels=[CHANNEL.to_proto(c) for c in notice.channels],
        publish_time=timestamp(notice.publish_time),
        source_event_id=notice.source_event_id,
        audit=common_pb2.AuditInfo(
            created_by=notice.created_by,
            create_time=timestamp(notice.create_time or notice.publish_time),
            updated_by=notice.updated_by,
            update_time=timestamp(notice.update_time),
        ),
        status=NOTICE_STATUS.to_proto(notice.status),
        week=date_range_to_proto(notice.week),
        version=notice.version,
    )
    if notice.facts is not None:
        facts = notice.facts
        message.facts.CopyFrom(
            notification_pb2.WeeklyFacts(
                incidents=[
                    notification_pb2.CategoryCount(category=c.category, count=c.count)
                    for c in facts.incidents
                ],
                patrols=facts.patrols,
                patrol_hours=facts.patrol_hours,
                joint_patrols=facts.joint_patrols,
                resident_tips=facts.resident_tips,
                police_tips=list(facts.police_tips),
                zone_codes=list(facts.zone_codes),
            )
        )
    return message


def channels_from_proto(values: list[int]) -> tuple[Channel, ...]:
    return tuple(c for c in (CHANNEL.from_proto(v) for v in values) if c is not None)


def meeting_to_proto(meeting: ResidentMeeting) -> notification_pb2.ResidentMeeting:
    return notification_pb2.ResidentMeeting(
        meeting_id=meeting.meeting_id,
        room_id=meeting.room_id,
        start_time=timestamp(meeting.start_time),
        agenda=meeting.agenda,
        opinions=[o.text for o in meeting.opinions],
        status=MEETING_STATUS.to_proto(meeting.status),
        attendees=list(meeting.attendees),
        minutes=meeting.minutes,
        raised_opinions=[
            notification_pb2.MeetingOpinion(
                text=o.text,
                owner_officer_id=o.owner_officer_id,
                due_date=local_date_to_proto(o.due_date),
                follow_up_id=o.follow_up_id,
            )
            for o in meeting.opinions
        ],
        held_time=timestamp(meeting.held_time),
        version=meeting.version,
        audit=common_pb2.AuditInfo(
            created_by=meeting.created_by,
            create_time=timestamp(meeting.create_time),
            updated_by=meeting.updated_by,
        ),
    )


def opinion_from_proto(message: notification_pb2.MeetingOpinion) -> Opinion:
    due = optional_date(message.due_date, message.HasField("due_date"))
    return Opinion(text=message.text, owner_officer_id=message.owner_officer_id, due_date=due)


def follow_up_to_proto(follow_up: FollowUp) -> notification_pb2.FollowUp:
    return notification_pb2.FollowUp(
        follow_up_id=follow_up.follow_up_id,
        meeting_id=follow_up.meeting_id,
        room_id=follow_up.room_id,
        opinion=follow_up.opinion,
        owner_officer_id=follow_up.owner_officer_id,
        due_date=local_date_to_proto(follow_up.due_date),
        status=FOLLOW_UP_STATUS.to_proto(follow_up.status),
        resolution=follow_up.resolution,
        close_time=timestamp(follow_up.close_time),
        create_time=timestamp(follow_up.create_time),
        version=follow_up.version,
    )


def matter_to_proto(matter: EntrustedMatter) -> notification_pb2.EntrustedMatter:
    """The matter as MatterApplication.present_matters presented it: the phone masked unless the caller
    may see it, an unmasked one audited (R-POP-6)."""
    return notification_pb2.EntrustedMatter(
        matter_id=matter.matter_id,
        room_id=matter.room_id,
        resident_name=matter.resident_name,
        resident_phone=matter.resident_phone,
        description=matter.description,
        entrust_time=timestamp(matter.entrust_time),
        answer=matter.answer,
        answer_time=timestamp(matter.answer_time),
        reference=matter.reference,
        owner_officer_id=matter.owner_officer_id,
        due_date=local_date_to_proto(matter.due_date),
        status=MATTER_STATUS.to_proto(matter.status),
        answer_method=ANSWER_METHOD.to_proto(matter.answer_method),
        answered_by=matter.answered_by,
        satisfaction=matter.satisfaction,
        escalate_time=timestamp(matter.escalate_time),
        station_id=matter.station_id,
        version=matter.version,
    )


def appointment_to_proto(appointment: Appointment) -> notification_pb2.Appointment:
    """The appointment as MatterApplication.present_appointments presented it (R-POP-6)."""
    return notification_pb2.Appointment(
        appointment_id=appointment.appointment_id,
        room_id=appointment.room_id,
        resident_name=appointment.resident_name,
        resident_phone=appointment.resident_phone,
        topic=appointment.topic,
        start_time=timestamp(appointment.start_time),
        status=notification_pb2.APPOINTMENT_STATUS_BOOKED,
        reference=appointment.reference,
        create_time=timestamp(appointment.create_time),
    )


def reminder_to_proto(reminder: Reminder) -> notification_pb2.Reminder:
    return notification_pb2.Reminder(
        reminder_id=reminder.reminder_id,
        officer_id=reminder.officer_id,
        kind=REMINDER_KIND.to_proto(reminder.kind),
        rule_id=reminder.rule_id,
        subject_id=reminder.subject_id,
        text=reminder.text,
        create_time=timestamp(reminder.create_time),
        source_event_id=reminder.source_event_id,
    )


def contact_to_proto(contact: ContactPoint) -> notification_pb2.ContactPoint:
    return notification_pb2.ContactPoint(
        owner=CONTACT_OWNER.to_proto(contact.owner),
        owner_id=contact.owner_id,
        email=contact.email,
        group_key=contact.group_key,
        update_time=timestamp(contact.update_time),
    )


def finding_to_proto(finding: NotificationFinding) -> notification_pb2.NotificationFinding:
    return notification_pb2.NotificationFinding(
        finding_id=finding.finding_id,
        kind=FINDING_KIND.to_proto(finding.kind),
        rule_id=finding.rule_id,
        room_id=finding.room_id,
        station_id=finding.station_id,
        period=date_range_to_proto(finding.period),
        detail=finding.detail,
        raise_time=timestamp(finding.raise_time),
    )

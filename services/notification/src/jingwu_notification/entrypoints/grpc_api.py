"""gRPC entry point of the notification service: translate, call the use case, translate back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
from jingwu_platform.auth import Role, current_caller
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.grpc_server import Context
from jingwu_platform.proto_values import local_date_from_proto

from jingwu_notification.adapters.proto_mapping import (
    ANSWER_METHOD,
    CONTACT_OWNER,
    FINDING_KIND,
    appointment_to_proto,
    channels_from_proto,
    contact_to_proto,
    finding_to_proto,
    follow_up_to_proto,
    kind_from_proto,
    matter_to_proto,
    meeting_to_proto,
    notice_to_proto,
    opinion_from_proto,
    optional_date,
    reminder_to_proto,
)
from jingwu_notification.application.checks import RuleChecks
from jingwu_notification.application.directory import DirectoryApplication
from jingwu_notification.application.matters import MatterApplication
from jingwu_notification.application.meetings import MeetingApplication
from jingwu_notification.application.notices import NoticeApplication
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.domain.matters import EntrustedMatter

# Who may call what. Reads are open to every caller of the district (and to the city-level reader,
# R-NOT-5); room officers and their leaders publish notices, hold meetings and answer matters (which
# rooms an officer acts for is checked per record, application/staff.py); the residents' online police
# room enters matters and appointments as a Jingwu service on the resident's behalf.
_ROOM_STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN)
ACCESS = AccessPolicy(
    notification_pb2.DESCRIPTOR.services_by_name["NotificationService"],
    {
        "PublishNotice": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="request_id"),
        "GetNotice": READ,
        "ListNotices": READ,
        "ScheduleResidentMeeting": allow(*_ROOM_STAFF, idempotency_key="request_id"),
        "ListResidentMeetings": READ,
        "EntrustMatter": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="request_id"),
        "AnswerMatter": allow(*_ROOM_STAFF),
        # Open matters name residents: room staff only, phones masked unless owner or PII reader, and
        # every unmasked answer audited (R-POP-6, MatterApplication.present_matters).
        "ListOpenMatters": allow(*_ROOM_STAFF),
        "DraftWeeklyNotice": allow(*_ROOM_STAFF),
        "EditNoticeDraft": allow(*_ROOM_STAFF),
        "PublishNoticeDraft": allow(*_ROOM_STAFF, idempotency_key="notice_id"),
        "GetResidentMeeting": READ,
        "RecordMeetingMinutes": allow(*_ROOM_STAFF, idempotency_key="meeting_id"),
        "ListFollowUps": READ,
        "CloseFollowUp": allow(*_ROOM_STAFF),
        "GetMatter": allow(*_ROOM_STAFF),
        "RecordSatisfaction": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="matter_id"),
        "BookAppointment": allow(*_ROOM_STAFF, Role.SERVICE, idempotency_key="request_id"),
        "ListAppointments": allow(*_ROOM_STAFF),
        "ListReminders": allow(*_ROOM_STAFF),
        "SetContactPoint": allow(*_ROOM_STAFF),
        "GetContactPoint": allow(*_ROOM_STAFF),
        "ListNotificationFindings": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


@dataclass(frozen=True)
class NotificationUseCases:
    notices: NoticeApplication
    meetings: MeetingApplication
    matters: MatterApplication
    reminders: ReminderApplication
    directory: DirectoryApplication
    checks: RuleChecks


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, use_cases: NotificationUseCases) -> None:
        self._uc = use_cases

    # --- notices ---------------------------------------------------------------------------------

    async def PublishNotice(  # noqa: N802 - gRPC method names are PascalCase
        self, request: notification_pb2.PublishNoticeRequest, context: Context
    ) -> notification_pb2.PublishNoticeResponse:
        notice = await self._uc.notices.publish_notice(
            kind=kind_from_proto(request.kind),
            room_id=request.room_id,
            title=request.title,
            body=request.body,
            channels=channels_from_proto(list(request.channels)),
            caller=current_caller(),
            request_id=request.request_id,
        )
        return notification_pb2.PublishNoticeResponse(notice=notice_to_proto(notice))

    async def GetNotice(  # noqa: N802
        self, request: notification_pb2.GetNoticeRequest, context: Context
    ) -> notification_pb2.GetNoticeResponse:
        return notification_pb2.GetNoticeResponse(
            notice=notice_to_proto(await self._uc.notices.get_notice(request.notice_id))
        )

    async def ListNotices(  # noqa: N802
        self, request: notification_pb2.ListNoticesRequest, context: Context
    ) -> notification_pb2.ListNoticesResponse:
        notices, next_token = await self._uc.notices.list_notices(
            room_id=request.room_id,
            kind=kind_from_proto(request.kind),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = notification_pb2.ListNoticesResponse(notices=[notice_to_proto(n) for n in notices])
        response.page.next_page_token = next_token
        return response

    async def DraftWeeklyNotice(  # noqa: N802
        self, request: notification_pb2.DraftWeeklyNoticeRequest, context: Context
    ) -> notification_pb2.DraftWeeklyNoticeResponse:
        notice = await self._uc.notices.draft_weekly_notice(
            room_id=request.room_id,
            week_of_day=optional_date(request.week_of, request.HasField("week_of")),
            caller=current_caller(),
        )
        return notification_pb2.DraftWeeklyNoticeResponse(notice=notice_to_proto(notice))

    async def EditNoticeDraft(  # noqa: N802
        self, request: notification_pb2.EditNoticeDraftRequest, context: Context
    ) -> notification_pb2.EditNoticeDraftResponse:
        notice = await self._uc.notices.edit_draft(
            notice_id=request.notice_id,
            title=request.title,
            body=request.body,
            channels=channels_from_proto(list(request.channels)),
            caller=current_caller(),
        )
        return notification_pb2.EditNoticeDraftResponse(notice=notice_to_proto(notice))

    async def PublishNoticeDraft(  # noqa: N802
        self, request: notification_pb2.PublishNoticeDraftRequest, context: Context
    ) -> notification_pb2.PublishNoticeDraftResponse:
        notice = await self._uc.notices.publish_draft(notice_id=request.notice_id, caller=current_caller())
        return notification_pb2.PublishNoticeDraftResponse(notice=notice_to_proto(notice))

    # --- meetings (R-NOT-2) ----------------------------------------------------------------------

    async def ScheduleResidentMeeting(  # noqa: N802
        self, request: notification_pb2.ScheduleResidentMeetingRequest, context: Context
    ) -> notification_pb2.ScheduleResidentMeetingResponse:
        meeting = await self._uc.meetings.schedule(
            room_id=request.room_id,
            start_time=request.start_time.ToDatetime(tzinfo=UTC) if request.HasField("start_time") else None,
            agenda=request.agenda,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return notification_pb2.ScheduleResidentMeetingResponse(resident_meeting=meeting_to_proto(meeting))

    async def ListResidentMeetings(  # noqa: N802
        self, request: notification_pb2.ListResidentMeetingsRequest, context: Context
    ) -> notification_pb2.ListResidentMeetingsResponse:
        meetings, token = await self._uc.meetings.list_meetings(
            room_id=request.room_id, page_size=request.page.page_size, page_token=request.page.page_token
        )
        response = notification_pb2.ListResidentMeetingsResponse(
            meetings=[meeting_to_proto(m) for m in meetings]
        )
        response.page.next_page_token = token
        return response

    async def GetResidentMeeting(  # noqa: N802
        self, request: notification_pb2.GetResidentMeetingRequest, context: Context
    ) -> notification_pb2.GetResidentMeetingResponse:
        meeting = await self._uc.meetings.get(request.meeting_id)
        return notification_pb2.GetResidentMeetingResponse(resident_meeting=meeting_to_proto(meeting))

    async def RecordMeetingMinutes(  # noqa: N802
        self, request: notification_pb2.RecordMeetingMinutesRequest, context: Context
    ) -> notification_pb2.RecordMeetingMinutesResponse:
        held_time = request.held_time.ToDatetime(tzinfo=UTC) if request.HasField("held_time") else None
        meeting, follow_ups = await self._uc.meetings.record_minutes(
            meeting_id=request.meeting_id,
            attendees=list(request.attendees),
            minutes=request.minutes,
            opinions=[opinion_from_proto(o) for o in request.opinions],
            held_time=held_time,
            caller=current_caller(),
        )
        return notification_pb2.RecordMeetingMinutesResponse(
            resident_meeting=meeting_to_proto(meeting), follow_ups=[follow_up_to_proto(f) for f in follow_ups]
        )

    async def ListFollowUps(  # noqa: N802
        self, request: notification_pb2.ListFollowUpsRequest, context: Context
    ) -> notification_pb2.ListFollowUpsResponse:
        found, token = await self._uc.meetings.list_follow_ups(
            room_id=request.room_id,
            owner_officer_id=request.owner_officer_id,
            open_only=request.open_only,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = notification_pb2.ListFollowUpsResponse(follow_ups=[follow_up_to_proto(f) for f in found])
        response.page.next_page_token = token
        return response

    async def CloseFollowUp(  # noqa: N802
        self, request: notification_pb2.CloseFollowUpRequest, context: Context
    ) -> notification_pb2.CloseFollowUpResponse:
        closed = await self._uc.meetings.close_follow_up(
            follow_up_id=request.follow_up_id, resolution=request.resolution, caller=current_caller()
        )
        return notification_pb2.CloseFollowUpResponse(follow_up=follow_up_to_proto(closed))

    # --- matters and appointments (R-NOT-3, R-NOT-4) ---------------------------------------------

    async def _shown_matter(self, matter: EntrustedMatter, method: str) -> notification_pb2.EntrustedMatter:
        """R-POP-6: the phone as the caller may see it, an unmasked one audited before it leaves."""
        (shown,) = await self._uc.matters.present_matters(
            [matter], caller=current_caller(), method=f"{SERVICE_NAME}/{method}"
        )
        return matter_to_proto(shown)

    async def EntrustMatter(  # noqa: N802
        self, request: notification_pb2.EntrustMatterRequest, context: Context
    ) -> notification_pb2.EntrustMatterResponse:
        matter = await self._uc.matters.entrust(
            room_id=request.room_id,
            resident_name=request.resident_name,
            resident_phone=request.resident_phone,
            description=request.description,
            owner_officer_id=request.owner_officer_id,
            due_date=local_date_from_proto(request.due_date) if request.HasField("due_date") else None,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return notification_pb2.EntrustMatterResponse(
            entrusted_matter=await self._shown_matter(matter, "EntrustMatter")
        )

    async def AnswerMatter(  # noqa: N802
        self, request: notification_pb2.AnswerMatterRequest, context: Context
    ) -> notification_pb2.AnswerMatterResponse:
        matter = await self._uc.matters.answer(
            matter_id=request.matter_id,
            answer=request.answer,
            method=ANSWER_METHOD.from_proto(request.method),
            caller=current_caller(),
        )
        return notification_pb2.AnswerMatterResponse(
            entrusted_matter=await self._shown_matter(matter, "AnswerMatter")
        )

    async def ListOpenMatters(  # noqa: N802
        self, request: notification_pb2.ListOpenMattersRequest, context: Context
    ) -> notification_pb2.ListOpenMattersResponse:
        found, token = await self._uc.matters.list_open(
            room_id=request.room_id, page_size=request.page.page_size, page_token=request.page.page_token
        )
        shown = await self._uc.matters.present_matters(
            found, caller=current_caller(), method=f"{SERVICE_NAME}/ListOpenMatters"
        )
        response = notification_pb2.ListOpenMattersResponse(matters=[matter_to_proto(m) for m in shown])
        response.page.next_page_token = token
        return response

    async def GetMatter(  # noqa: N802
        self, request: notification_pb2.GetMatterRequest, context: Context
    ) -> notification_pb2.GetMatterResponse:
        matter = await self._uc.matters.get(request.matter_id)
        return notification_pb2.GetMatterResponse(
            entrusted_matter=await self._shown_matter(matter, "GetMatter")
        )

    async def RecordSatisfaction(  # noqa: N802
        self, request: notification_pb2.RecordSatisfactionRequest, context: Context
    ) -> notification_pb2.RecordSatisfactionResponse:
        matter = await self._uc.matters.rate(matter_id=request.matter_id, rating=request.rating)
        return notification_pb2.RecordSatisfactionResponse(
            entrusted_matter=await self._shown_matter(matter, "RecordSatisfaction")
        )

    async def BookAppointment(  # noqa: N802
        self, request: notification_pb2.BookAppointmentRequest, context: Context
    ) -> notification_pb2.BookAppointmentResponse:
        caller = current_caller()
        appointment = await self._uc.matters.book(
            room_id=request.room_id,
            resident_name=request.resident_name,
            resident_phone=request.resident_phone,
            topic=request.topic,
            start_time=request.start_time.ToDatetime(tzinfo=UTC) if request.HasField("start_time") else None,
            caller=caller,
            request_id=request.request_id,
        )
        (shown,) = await self._uc.matters.present_appointments(
            [appointment], caller=caller, method=f"{SERVICE_NAME}/BookAppointment"
        )
        return notification_pb2.BookAppointmentResponse(appointment=appointment_to_proto(shown))

    async def ListAppointments(  # noqa: N802
        self, request: notification_pb2.ListAppointmentsRequest, context: Context
    ) -> notification_pb2.ListAppointmentsResponse:
        found, token = await self._uc.matters.list_appointments(
            room_id=request.room_id, page_size=request.page.page_size, page_token=request.page.page_token
        )
        shown = await self._uc.matters.present_appointments(
            found, caller=current_caller(), method=f"{SERVICE_NAME}/ListAppointments"
        )
        response = notification_pb2.ListAppointmentsResponse(
            appointments=[appointment_to_proto(a) for a in shown]
        )
        response.page.next_page_token = token
        return response

    # --- reminders, contact points, findings -----------------------------------------------------

    async def ListReminders(  # noqa: N802
        self, request: notification_pb2.ListRemindersRequest, context: Context
    ) -> notification_pb2.ListRemindersResponse:
        found, token = await self._uc.reminders.list_reminders(
            officer_id=request.officer_id or current_caller().subject,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = notification_pb2.ListRemindersResponse(reminders=[reminder_to_proto(r) for r in found])
        response.page.next_page_token = token
        return response

    async def SetContactPoint(  # noqa: N802
        self, request: notification_pb2.SetContactPointRequest, context: Context
    ) -> notification_pb2.SetContactPointResponse:
        given = request.contact_point
        contact = await self._uc.directory.set_contact(
            owner=CONTACT_OWNER.from_proto(given.owner),
            owner_id=given.owner_id,
            email=given.email,
            group_key=given.group_key,
            caller=current_caller(),
        )
        return notification_pb2.SetContactPointResponse(contact_point=contact_to_proto(contact))

    async def GetContactPoint(  # noqa: N802
        self, request: notification_pb2.GetContactPointRequest, context: Context
    ) -> notification_pb2.GetContactPointResponse:
        contact = await self._uc.directory.contact(CONTACT_OWNER.from_proto(request.owner), request.owner_id)
        return notification_pb2.GetContactPointResponse(contact_point=contact_to_proto(contact))

    async def ListNotificationFindings(  # noqa: N802
        self, request: notification_pb2.ListNotificationFindingsRequest, context: Context
    ) -> notification_pb2.ListNotificationFindingsResponse:
        found, token = await self._uc.checks.list_findings(
            room_id=request.room_id,
            kind=FINDING_KIND.from_proto(request.kind),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = notification_pb2.ListNotificationFindingsResponse(
            findings=[finding_to_proto(f) for f in found]
        )
        response.page.next_page_token = token
        return response

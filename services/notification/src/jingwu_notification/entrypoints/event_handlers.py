"""Events of other services → notification use cases: check what the payload must carry, translate to
plain values, call. One class per source domain; ``reactions()`` lists them all for the consumer.

- rooms: the room directory, and the notice of a room that opened (R-NOT-4);
- personnel: postings (who acts for a room), staffing findings → officer reminders (R-PER-8, R-PER-9);
- population: information records → the week's facts (R-NOT-1); overdue inspections → reminders (R-POP-3);
- patrol: patrols, incidents and joint patrols → the week's facts (R-NOT-1); a missed joint patrol →
  reminders (R-PAT-4).
"""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.patrol.v1 import patrol_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.calendar import local_date
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler
from jingwu_platform.proto_values import local_date_from_proto

from jingwu_notification.application.directory import DirectoryApplication
from jingwu_notification.application.notices import NoticeApplication
from jingwu_notification.application.reminders import ReminderApplication
from jingwu_notification.domain.directory import PostingView, RoomView
from jingwu_notification.domain.reminders import STAFFING_FINDING_REMINDERS, ReminderKind
from jingwu_notification.domain.weekly import FactKind, WeekFact

Handlers = list[EventHandler[Any]]


def _enum_name(enum: Any, number: int, prefix: str) -> str:
    """``OFFICER_ROLE_COMMUNITY_OFFICER`` → ``community_officer``; "" for unspecified/unknown."""
    try:
        name: str = enum.Name(number)
    except ValueError:
        return ""
    short = name.removeprefix(prefix + "_").lower()
    return "" if short == "unspecified" else short


def _day(event: Event, stamp: Timestamp) -> Any:
    return local_date(stamp.ToDatetime(tzinfo=event.time.tzinfo) if stamp.seconds else event.time)


class RoomEventHandlers:
    """jingwu.<district>.rooms.v1 → the room directory and notices."""

    def __init__(self, notices: NoticeApplication, directory: DirectoryApplication) -> None:
        self._notices = notices
        self._directory = directory

    def _view(self, event: Event, room: rooms_pb2.Room, *, active: bool) -> RoomView:
        opened = (
            room.open_time if room.HasField("open_time") else Timestamp(seconds=int(event.time.timestamp()))
        )
        return RoomView(
            room_id=room.room_id,
            name=room.name,
            station_id=room.station_id,
            zone_codes=tuple(sorted(room.zone_codes)),
            active=active,
            opened_on=_day(event, opened) if active else None,
        )

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        if not payload.room.room_id or not payload.room.name:
            raise EventRejected("RoomOpened without room.room_id or room.name")
        await self._directory.room_seen(self._view(event, payload.room, active=True))
        await self._notices.announce_room_opened(
            event_id=event.event_id,
            room_id=payload.room.room_id,
            room_name=payload.room.name,
            address=payload.room.address,
        )

    async def on_room_planned(self, event: Event, payload: room_events.RoomPlanned) -> None:
        if not payload.room.room_id:
            raise EventRejected("RoomPlanned without room.room_id")
        await self._directory.room_seen(self._view(event, payload.room, active=False))

    async def on_rooms_merged(self, event: Event, payload: room_events.RoomsMerged) -> None:
        if not payload.surviving_room_id:
            raise EventRejected("RoomsMerged without surviving_room_id")
        await self._directory.rooms_merged(payload.surviving_room_id, list(payload.merged_room_ids))

    async def on_room_closed(self, event: Event, payload: room_events.RoomClosed) -> None:
        if not payload.room_id:
            raise EventRejected("RoomClosed without room_id")
        await self._directory.room_closed(payload.room_id)

    async def on_zones_redivided(self, event: Event, payload: room_events.ZonesRedivided) -> None:
        for item in payload.handover:
            if item.record_type == "room" and item.from_zone_code and item.to_zone_code:
                await self._directory.zone_handed_over(item.record_id, item.from_zone_code, item.to_zone_code)

    def handlers(self) -> Handlers:
        return [
            EventHandler(room_events.RoomOpened, self.on_room_opened),
            EventHandler(room_events.RoomPlanned, self.on_room_planned),
            EventHandler(room_events.RoomsMerged, self.on_rooms_merged),
            EventHandler(room_events.RoomClosed, self.on_room_closed),
            EventHandler(room_events.ZonesRedivided, self.on_zones_redivided),
        ]


class PersonnelEventHandlers:
    """jingwu.<district>.personnel.v1 → postings and reminders."""

    def __init__(self, directory: DirectoryApplication, reminders: ReminderApplication) -> None:
        self._directory = directory
        self._reminders = reminders

    @staticmethod
    def _posting(posting: personnel_pb2.Posting, *, current: bool) -> PostingView:
        if not posting.posting_id or not posting.officer_id:
            raise EventRejected("posting without posting_id or officer_id")
        return PostingView(
            posting_id=posting.posting_id,
            officer_id=posting.officer_id,
            role=_enum_name(personnel_pb2.OfficerRole, posting.role, "OFFICER_ROLE"),
            room_id=posting.room_id,
            zone_code=posting.zone_code,
            village_id=posting.village_id,
            station_id=posting.station_id,
            current=current,
        )

    async def on_officer_posted(self, event: Event, payload: personnel_events.OfficerPosted) -> None:
        await self._directory.posting_seen(self._posting(payload.posting, current=True))

    async def on_posting_ended(self, event: Event, payload: personnel_events.PostingEnded) -> None:
        await self._directory.posting_seen(self._posting(payload.posting, current=False))

    async def on_officer_deactivated(
        self, event: Event, payload: personnel_events.OfficerDeactivated
    ) -> None:
        if not payload.officer_id:
            raise EventRejected("OfficerDeactivated without officer_id")
        await self._directory.officer_left(payload.officer_id)

    async def on_staffing_finding(
        self, event: Event, payload: personnel_events.StaffingFindingRaised
    ) -> None:
        finding = payload.finding
        if not finding.finding_id:
            raise EventRejected("StaffingFindingRaised without finding.finding_id")
        name = _enum_name(personnel_pb2.StaffingFindingKind, finding.kind, "STAFFING_FINDING_KIND")
        kind = STAFFING_FINDING_REMINDERS.get(name, ReminderKind.FINDING)
        if finding.officer_id:
            officers = [finding.officer_id]
        elif finding.room_id:
            officers = await self._reminders.officers_of_room(finding.room_id)
        elif finding.village_id:
            officers = await self._reminders.officers_of_village(finding.village_id)
        elif finding.zone_code:
            officers = await self._reminders.officers_of_zone(finding.zone_code)
        else:
            officers = []  # a station- or district-wide finding: for the leaders, not a room's officer
        await self._reminders.remind_all(
            officers,
            kind=kind,
            rule_id=finding.rule_id or "R-PER-2",
            subject_id=finding.finding_id,
            cause="raised",
            text=finding.detail or f"人员配置发现问题：{name}",
            source_event_id=event.event_id,
        )

    def handlers(self) -> Handlers:
        return [
            EventHandler(personnel_events.OfficerPosted, self.on_officer_posted),
            EventHandler(personnel_events.PostingEnded, self.on_posting_ended),
            EventHandler(personnel_events.OfficerDeactivated, self.on_officer_deactivated),
            EventHandler(personnel_events.StaffingFindingRaised, self.on_staffing_finding),
        ]


class PopulationEventHandlers:
    """jingwu.<district>.population.v1 → the week's facts and inspection reminders."""

    def __init__(self, directory: DirectoryApplication, reminders: ReminderApplication) -> None:
        self._directory = directory
        self._reminders = reminders

    async def on_information(self, event: Event, payload: population_events.InformationStageChanged) -> None:
        # A record counts once, in the week it was collected (R-NOT-1); later stages change nothing.
        if payload.stage != population_pb2.INFORMATION_STAGE_COLLECTED:
            return
        category = _enum_name(population_pb2.InformationCategory, payload.category, "INFORMATION_CATEGORY")
        await self._directory.fact_seen(
            WeekFact(
                fact_id=event.event_id,
                kind=FactKind.INFORMATION,
                zone_code=payload.zone_code,
                day=_day(event, payload.occur_time),
                category=category,
            )
        )

    async def on_inspection_overdue(
        self, event: Event, payload: population_events.PlaceInspectionOverdue
    ) -> None:
        if not payload.place_id or not payload.zone_code:
            raise EventRejected("PlaceInspectionOverdue without place_id or zone_code")
        due = local_date_from_proto(payload.due_date)
        due_text = due.isoformat() if due else "?"
        await self._reminders.remind_all(
            await self._reminders.officers_of_zone(payload.zone_code),
            kind=ReminderKind.INSPECTION_DUE,
            rule_id="R-POP-3",
            subject_id=payload.place_id,
            cause=f"due-{due_text}",
            text=f"场所 {payload.place_id} 的月度安全检查已于 {due_text} 到期，请尽快检查并录入结果。",
            source_event_id=event.event_id,
        )

    def handlers(self) -> Handlers:
        return [
            EventHandler(population_events.InformationStageChanged, self.on_information),
            EventHandler(population_events.PlaceInspectionOverdue, self.on_inspection_overdue),
        ]


class PatrolEventHandlers:
    """jingwu.<district>.patrol.v1 → the week's facts and joint-patrol reminders."""

    def __init__(self, directory: DirectoryApplication, reminders: ReminderApplication) -> None:
        self._directory = directory
        self._reminders = reminders

    async def on_patrol_finished(self, event: Event, payload: patrol_events.PatrolFinished) -> None:
        patrol = payload.patrol
        start, end = patrol.start_time, patrol.end_time
        hours = (
            max(0.0, (end.ToSeconds() - start.ToSeconds()) / 3600) if start.seconds and end.seconds else 0.0
        )
        await self._directory.fact_seen(
            WeekFact(
                fact_id=event.event_id,
                kind=FactKind.PATROL,
                zone_code=patrol.zone_code,
                day=_day(event, end),
                hours=hours,
            )
        )

    async def on_incident(self, event: Event, payload: patrol_events.IncidentRecorded) -> None:
        # The week's incidents by category (R-NOT-1), counted in the week the incident happened.
        incident = payload.incident
        if not incident.zone_code:
            return  # outside every zone of the district: no room's week
        await self._directory.fact_seen(
            WeekFact(
                fact_id=event.event_id,
                kind=FactKind.INCIDENT,
                zone_code=incident.zone_code,
                day=_day(event, incident.occur_time),
                category=_enum_name(patrol_pb2.IncidentCategory, incident.category, "INCIDENT_CATEGORY"),
            )
        )

    async def on_joint_patrol(self, event: Event, payload: patrol_events.JointPatrolRecorded) -> None:
        joint = payload.joint_patrol
        day = local_date_from_proto(joint.date) if joint.HasField("date") else None
        await self._directory.fact_seen(
            WeekFact(
                fact_id=event.event_id,
                kind=FactKind.JOINT_PATROL,
                zone_code=joint.zone_code,
                day=day or _day(event, payload.occur_time),
            )
        )

    async def on_joint_patrol_missed(self, event: Event, payload: patrol_events.JointPatrolMissed) -> None:
        if not payload.village_id:
            raise EventRejected("JointPatrolMissed without village_id")
        day = local_date_from_proto(payload.date)
        day_text = day.isoformat() if day else "?"
        officers = await self._reminders.officers_of_village(payload.village_id)
        if not officers and payload.zone_code:
            officers = await self._reminders.officers_of_zone(payload.zone_code)
        await self._reminders.remind_all(
            officers,
            kind=ReminderKind.LOG_MISSING,
            rule_id="R-PAT-4",
            subject_id=payload.village_id,
            cause=day_text,
            text=f"{day_text} 群防群治队伍未记录联合巡逻，请补录或组织巡逻。",
            source_event_id=event.event_id,
        )

    def handlers(self) -> Handlers:
        return [
            EventHandler(patrol_events.PatrolFinished, self.on_patrol_finished),
            EventHandler(patrol_events.IncidentRecorded, self.on_incident),
            EventHandler(patrol_events.JointPatrolRecorded, self.on_joint_patrol),
            EventHandler(patrol_events.JointPatrolMissed, self.on_joint_patrol_missed),
        ]

"""Translation between the patrol domain and the jingwu.patrol.v1 contract. Written by hand: it is the
public contract, and names differ on purpose. Evidence and visibility: evidence_mapping.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu_platform.proto_values import EnumMap, local_date_from_proto, local_date_to_proto, timestamp

from jingwu_patrol.domain.common import Audit
from jingwu_patrol.domain.findings import FindingKind, PatrolFinding
from jingwu_patrol.domain.geo import GeoPoint, Polygon
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind, Recommendation
from jingwu_patrol.domain.incidents import Incident, IncidentCategory, IncidentReport
from jingwu_patrol.domain.joint_patrols import JointPatrol
from jingwu_patrol.domain.patrols import Patrol, PatrolMode, PatrolStatus
from jingwu_patrol.domain.plans import PatrolPlan, PlannedSection, PlanStatus
from jingwu_patrol.domain.prevention import (
    Checkpoint,
    CheckpointDuty,
    CheckpointKind,
    DutySource,
    PreventionRing,
    RingLevel,
)
from jingwu_patrol.domain.slots import TimeSlot
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus

VEHICLE_STATUS = EnumMap(VehicleStatus, patrol_pb2.VehicleStatus, "VEHICLE_STATUS")
HOT_SPOT_KIND = EnumMap(HotSpotKind, patrol_pb2.HotSpotKind, "HOT_SPOT_KIND")
PLAN_STATUS = EnumMap(PlanStatus, patrol_pb2.PatrolPlanStatus, "PATROL_PLAN_STATUS")
PATROL_MODE = EnumMap(PatrolMode, patrol_pb2.PatrolMode, "PATROL_MODE")
PATROL_STATUS = EnumMap(PatrolStatus, patrol_pb2.PatrolStatus, "PATROL_STATUS")
RING_LEVEL = EnumMap(RingLevel, patrol_pb2.RingLevel, "RING_LEVEL")
CHECKPOINT_KIND = EnumMap(CheckpointKind, patrol_pb2.CheckpointKind, "CHECKPOINT_KIND")
DUTY_SOURCE = EnumMap(DutySource, patrol_pb2.DutyOrderSource, "DUTY_ORDER_SOURCE")
INCIDENT_CATEGORY = EnumMap(IncidentCategory, patrol_pb2.IncidentCategory, "INCIDENT_CATEGORY")
FINDING_KIND = EnumMap(FindingKind, patrol_pb2.PatrolFindingKind, "PATROL_FINDING_KIND")


# --- values ---------------------------------------------------------------------------------------


def when(stamp: Timestamp, present: bool) -> datetime | None:
    """A Timestamp field's time (UTC, to the millisecond: the store's precision), None when unset."""
    if not present:
        return None
    at = stamp.ToDatetime(tzinfo=UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def duration(seconds: float) -> Duration:
    value = Duration()
    value.FromMilliseconds(round(seconds * 1000))
    return value


def point_to_proto(point: GeoPoint | None) -> common_pb2.GeoPoint | None:
    if point is None:
        return None
    return common_pb2.GeoPoint(longitude=point.longitude, latitude=point.latitude)


def point_from_proto(point: common_pb2.GeoPoint, present: bool = True) -> GeoPoint | None:
    return GeoPoint(point.longitude, point.latitude) if present else None


def polygon_to_proto(polygon: Polygon) -> common_pb2.Polygon:
    return common_pb2.Polygon(
        rings=[
            common_pb2.LinearRing(
                points=[common_pb2.GeoPoint(longitude=p.longitude, latitude=p.latitude) for p in ring]
            )
            for ring in polygon.rings
        ]
    )


def polygon_from_proto(polygon: common_pb2.Polygon) -> Polygon:
    return Polygon(
        tuple(tuple(GeoPoint(p.longitude, p.latitude) for p in ring.points) for ring in polygon.rings)
    )


def audit_to_proto(audit: Audit) -> common_pb2.AuditInfo:
    return common_pb2.AuditInfo(
        created_by=audit.created_by,
        create_time=timestamp(audit.created_at),
        updated_by=audit.updated_by,
        update_time=timestamp(audit.updated_at),
    )


def slot_to_proto(slot: TimeSlot) -> patrol_pb2.TimeSlot:
    return patrol_pb2.TimeSlot(
        weekdays=list(slot.weekdays), start_minute=slot.start_minute, end_minute=slot.end_minute
    )


def slot_from_proto(slot: patrol_pb2.TimeSlot) -> TimeSlot:
    return TimeSlot(tuple(slot.weekdays), slot.start_minute, slot.end_minute)


def date_range_to_proto(first: date, last: date) -> common_pb2.DateRange:
    return common_pb2.DateRange(start=local_date_to_proto(first), end=local_date_to_proto(last))


def day_from_proto(value: common_pb2.LocalDate, present: bool) -> date | None:
    return local_date_from_proto(value) if present else None


# --- vehicles -------------------------------------------------------------------------------------


def vehicle_to_proto(vehicle: PatrolVehicle) -> patrol_pb2.PatrolVehicle:
    return patrol_pb2.PatrolVehicle(
        vehicle_id=vehicle.vehicle_id,
        plate=vehicle.plate,
        zone_code=vehicle.zone_code,
        station_id=vehicle.station_id,
        device_id=vehicle.device_id,
        room_id=vehicle.room_id,
        status=VEHICLE_STATUS.to_proto(vehicle.status),
        audit=audit_to_proto(vehicle.audit),
        officer_ids=list(vehicle.officer_ids),
    )


# --- hot spots ------------------------------------------------------------------------------------


def hotspot_to_proto(spot: HotSpot) -> patrol_pb2.HotSpot:
    return patrol_pb2.HotSpot(
        hotspot_id=spot.hotspot_id,
        name=spot.name,
        kind=HOT_SPOT_KIND.to_proto(spot.kind),
        zone_code=spot.zone_code,
        path=[common_pb2.GeoPoint(longitude=p.longitude, latitude=p.latitude) for p in spot.path],
        location=point_to_proto(spot.location),
        radius_m=spot.radius_m,
        area=polygon_to_proto(spot.area) if spot.area.rings else None,
        time_slots=[slot_to_proto(s) for s in spot.time_slots],
        case_count=spot.case_count,
        source=spot.source,
        active=spot.active,
        audit=audit_to_proto(spot.audit),
    )


def hotspot_from_proto(message: patrol_pb2.HotSpot, kind: HotSpotKind) -> HotSpot:
    return HotSpot(
        hotspot_id=message.hotspot_id,
        name=message.name.strip(),
        kind=kind,
        zone_code=message.zone_code,
        path=tuple(GeoPoint(p.longitude, p.latitude) for p in message.path),
        location=point_from_proto(message.location, message.HasField("location")),
        radius_m=message.radius_m,
        area=polygon_from_proto(message.area),
        time_slots=tuple(slot_from_proto(s) for s in message.time_slots),
        case_count=message.case_count,
        source=message.source or "manual",
        active=message.active,
    )


def recommendation_to_proto(r: Recommendation) -> patrol_pb2.HotSpotRecommendation:
    return patrol_pb2.HotSpotRecommendation(
        hotspot_id=r.hotspot_id,
        cell_id=r.cell_id,
        name=r.name,
        kind=HOT_SPOT_KIND.to_proto(r.kind),
        zone_code=r.zone_code,
        area=polygon_to_proto(r.area) if r.area.rings else None,
        location=point_to_proto(r.location),
        hour_of_week=r.hour_of_week,
        slot=slot_to_proto(r.slot),
        score=r.score,
        case_count=r.case_count,
        total_case_count=r.total_case_count,
        categories=[
            patrol_pb2.CategoryCount(category=INCIDENT_CATEGORY.to_proto(c), count=n) for c, n in r.categories
        ],
        window=date_range_to_proto(r.window.start, r.window.as_of),
        half_life=duration(r.window.half_life.total_seconds()),
        rank=r.rank,
        density=r.density,
        reason=r.reason,
    )


# --- plans ----------------------------------------------------------------------------------------


def section_to_proto(section: PlannedSection) -> patrol_pb2.PlannedSection:
    return patrol_pb2.PlannedSection(
        hotspot_id=section.hotspot_id,
        slot=slot_to_proto(section.slot),
        required_minutes=section.required_minutes,
        reason=section.reason,
    )


def section_from_proto(section: patrol_pb2.PlannedSection) -> PlannedSection:
    return PlannedSection(
        hotspot_id=section.hotspot_id,
        slot=slot_from_proto(section.slot),
        required_minutes=section.required_minutes,
        reason=section.reason.strip(),
    )


def plan_to_proto(plan: PatrolPlan, duties: list[CheckpointDuty] | None = None) -> patrol_pb2.PatrolPlan:
    return patrol_pb2.PatrolPlan(
        plan_id=plan.plan_id,
        zone_code=plan.zone_code,
        vehicle_id=plan.vehicle_id,
        period=date_range_to_proto(plan.start, plan.end),
        officer_ids=list(plan.officer_ids),
        sections=[section_to_proto(s) for s in plan.sections],
        checkpoint_ids=list(plan.checkpoint_ids),
        status=PLAN_STATUS.to_proto(plan.status),
        cancel_reason=plan.cancel_reason,
        audit=audit_to_proto(plan.audit),
        shift=slot_to_proto(plan.shift) if plan.shift is not None else None,
        checkpoint_duties=[duty_to_proto(d) for d in duties or ()],
        source=plan.source,
    )


# --- rings, checkpoints, duties -------------------------------------------------------------------


def ring_to_proto(ring: PreventionRing) -> patrol_pb2.PreventionRing:
    return patrol_pb2.PreventionRing(
        ring_id=ring.ring_id,
        name=ring.name,
        level=RING_LEVEL.to_proto(ring.level),
        boundary=polygon_to_proto(ring.boundary),
        audit=audit_to_proto(ring.audit),
    )


def checkpoint_to_proto(checkpoint: Checkpoint) -> patrol_pb2.Checkpoint:
    return patrol_pb2.Checkpoint(
        checkpoint_id=checkpoint.checkpoint_id,
        name=checkpoint.name,
        kind=CHECKPOINT_KIND.to_proto(checkpoint.kind),
        location=point_to_proto(checkpoint.location),
        ring_id=checkpoint.ring_id,
        zone_code=checkpoint.zone_code,
        active=checkpoint.active,
        audit=audit_to_proto(checkpoint.audit),
    )


def duty_to_proto(duty: CheckpointDuty) -> patrol_pb2.CheckpointDuty:
    return patrol_pb2.CheckpointDuty(
        duty_id=duty.duty_id,
        checkpoint_id=duty.checkpoint_id,
        checkpoint_name=duty.checkpoint_name,
        checkpoint_location=point_to_proto(duty.checkpoint_location),
        vehicle_id=duty.vehicle_id,
        room_id=duty.room_id,
        officer_ids=list(duty.officer_ids),
        start_time=timestamp(duty.start),
        end_time=timestamp(duty.end),
        source=DUTY_SOURCE.to_proto(duty.source),
        room_order_id=duty.room_order_id,
        incident_id=duty.incident_id,
        reason=duty.reason,
        issued_by=duty.issued_by,
        distance_m=duty.distance_m,
        audit=audit_to_proto(duty.audit),
    )


# --- incidents ------------------------------------------------------------------------------------


def report_from_proto(report: patrol_pb2.IncidentReport) -> IncidentReport:
    return IncidentReport(
        source_system=report.source_system.strip(),
        source_incident_id=report.source_incident_id,
        occur_time=when(report.occur_time, report.HasField("occur_time")),
        location=point_from_proto(report.location, report.HasField("location")),
        category=INCIDENT_CATEGORY.from_proto(report.category),
        address=report.address,
        summary=report.summary,
    )


def incident_to_proto(incident: Incident) -> patrol_pb2.Incident:
    return patrol_pb2.Incident(
        incident_id=incident.incident_id,
        source_system=incident.source_system,
        source_incident_id=incident.source_incident_id,
        occur_time=timestamp(incident.occur_time),
        location=point_to_proto(incident.location),
        category=INCIDENT_CATEGORY.to_proto(incident.category),
        address=incident.address,
        summary=incident.summary,
        zone_code=incident.zone_code,
        receive_time=timestamp(incident.receive_time),
        channel=incident.channel,
    )


# --- patrols, joint patrols, findings -------------------------------------------------------------


def patrol_to_proto(patrol: Patrol) -> patrol_pb2.Patrol:
    return patrol_pb2.Patrol(
        patrol_id=patrol.patrol_id,
        plan_id=patrol.plan_id,
        mode=PATROL_MODE.to_proto(patrol.mode),
        vehicle_id=patrol.vehicle_id,
        zone_code=patrol.zone_code,
        officer_ids=list(patrol.officer_ids),
        start_time=timestamp(patrol.start),
        end_time=timestamp(patrol.end),
        status=PATROL_STATUS.to_proto(patrol.status),
        notes=patrol.notes,
        audit=audit_to_proto(patrol.audit),
    )


def joint_patrol_to_proto(joint: JointPatrol) -> patrol_pb2.JointPatrol:
    return patrol_pb2.JointPatrol(
        joint_patrol_id=joint.joint_patrol_id,
        village_id=joint.village_id,
        zone_code=joint.zone_code,
        date=local_date_to_proto(joint.day),
        start_time=timestamp(joint.start),
        end_time=timestamp(joint.end),
        leader_officer_id=joint.leader_officer_id,
        participant_ids=list(joint.participant_ids),
        participant_count=joint.participant_count,
        route=[common_pb2.GeoPoint(longitude=p.longitude, latitude=p.latitude) for p in joint.route],
        notes=joint.notes,
        audit=audit_to_proto(joint.audit),
    )


def finding_to_proto(finding: PatrolFinding) -> patrol_pb2.PatrolFinding:
    return patrol_pb2.PatrolFinding(
        finding_id=finding.finding_id,
        kind=FINDING_KIND.to_proto(finding.kind),
        rule_id=finding.rule_id,
        zone_code=finding.zone_code,
        village_id=finding.village_id,
        date=local_date_to_proto(finding.day),
        detail=finding.detail,
        raise_time=timestamp(finding.raised_at),
    )

"""Translation of patrol evidence and street visibility to the jingwu.patrol.v1 contract (R-PAT-6)."""

from __future__ import annotations

from jingwu.patrol.v1 import patrol_pb2
from jingwu_platform.proto_values import EnumMap, local_date_to_proto, timestamp

from jingwu_patrol.adapters.proto_mapping import date_range_to_proto, duration
from jingwu_patrol.domain.evidence import PatrolEvidence, SubjectKind
from jingwu_patrol.domain.visibility import ZoneVisibility

SUBJECT_KIND = EnumMap(SubjectKind, patrol_pb2.EvidenceSubjectKind, "EVIDENCE_SUBJECT_KIND")


def evidence_to_proto(evidence: PatrolEvidence) -> patrol_pb2.PatrolEvidence:
    return patrol_pb2.PatrolEvidence(
        vehicle_id=evidence.vehicle_id,
        date=local_date_to_proto(evidence.day),
        zone_code=evidence.zone_code,
        mileage_km=evidence.mileage_km,
        mileage_in_zone_km=evidence.mileage_in_zone_km,
        time_in_zone=duration(evidence.time_in_zone_s),
        moving_time=duration(evidence.moving_s),
        gap_time=duration(evidence.gap_s),
        fix_count=evidence.fix_count,
        hotspot_coverage=[
            patrol_pb2.HotSpotCoverage(
                hotspot_id=c.hotspot_id,
                start_minute=c.start_minute,
                end_minute=c.end_minute,
                required_minutes=c.required_minutes,
                present_minutes=c.present_minutes,
                met=c.met,
                plan_id=c.plan_id,
            )
            for c in evidence.hotspot_coverage
        ],
        stop_compliance=[
            patrol_pb2.StopCompliance(
                room_id=s.room_id,
                stop_id=s.stop_id,
                window_start_minute=s.window_start_minute,
                window_end_minute=s.window_end_minute,
                arrived=s.arrived,
                dwell=duration(s.dwell_s),
                met=s.met,
                left_early=s.left_early,
                missed=s.missed,
                first_arrival_time=timestamp(s.first_arrival),
                last_departure_time=timestamp(s.last_departure),
                required_dwell=duration(s.required_dwell_s),
            )
            for s in evidence.stop_compliance
        ],
        compliance_ratio=evidence.compliance_ratio,
        compute_time=timestamp(evidence.computed_at),
        evidence_id=evidence.evidence_id,
        subject_kind=SUBJECT_KIND.to_proto(evidence.subject_kind),
        device_id=evidence.device_id,
        officer_id=evidence.officer_id,
        officer_ids=list(evidence.officer_ids),
        station_id=evidence.station_id,
        zone_presence=[
            patrol_pb2.ZonePresence(
                zone_code=z.zone_code, time_in_zone=duration(z.seconds), entries=z.entries
            )
            for z in evidence.zone_presence
        ],
        planned_slot_count=evidence.planned_slot_count,
        met_slot_count=evidence.met_slot_count,
        planned_stop_count=evidence.planned_stop_count,
        met_stop_count=evidence.met_stop_count,
        plan_ids=list(evidence.plan_ids),
        outlier_fix_count=evidence.outlier_count,
        raw_mileage_km=evidence.raw_mileage_km,
        revision=evidence.revision,
    )


def visibility_to_proto(zone: ZoneVisibility) -> patrol_pb2.StreetVisibility:
    return patrol_pb2.StreetVisibility(
        zone_code=zone.zone_code,
        period=date_range_to_proto(zone.first, zone.last),
        slots=[
            patrol_pb2.SlotVisibility(
                hour=h.hour, slot_count=h.slot_count, present_count=h.present_count, share=h.share
            )
            for h in zone.hours
        ],
        slot_count=zone.slot_count,
        present_count=zone.present_count,
        share=zone.share,
    )

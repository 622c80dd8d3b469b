"""Translation between the rooms domain and the jingwu.rooms.v1 contract (and the parts of
jingwu.personnel.v1 the room registry reads). Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.proto_values import EnumMap, local_date_to_proto, timestamp

from jingwu_rooms.domain.coverage import CoverageReport
from jingwu_rooms.domain.model import (
    Audit,
    CheckpointOrder,
    Facility,
    GeoPoint,
    HandoverItem,
    MobileStop,
    Room,
    RoomDraft,
    RoomKind,
    RoomStatus,
)
from jingwu_rooms.domain.rota import Rota, RotaGap
from jingwu_rooms.domain.staff import RoomPosting
from jingwu_rooms.domain.territory import (
    OperatingModel,
    Station,
    StationDraft,
    StationKind,
    Village,
    VillageDraft,
    VillageLevel,
    Zone,
    ZoneDraft,
    ZoneWorkload,
)

ROOM_KIND = EnumMap(RoomKind, rooms_pb2.RoomKind, "ROOM_KIND")
ROOM_STATUS = EnumMap(RoomStatus, rooms_pb2.RoomStatus, "ROOM_STATUS")
STATION_KIND = EnumMap(StationKind, rooms_pb2.StationKind, "STATION_KIND")
OPERATING_MODEL = EnumMap(OperatingModel, rooms_pb2.OperatingModel, "OPERATING_MODEL")
VILLAGE_LEVEL = EnumMap(VillageLevel, rooms_pb2.VillageLevel, "VILLAGE_LEVEL")
_ROLE_PREFIX = "OFFICER_ROLE_"


# --- shared values ----------------------------------------------------------------------------------


def point(p: common_pb2.GeoPoint) -> GeoPoint:
    return GeoPoint(longitude=p.longitude, latitude=p.latitude)


def point_to_proto(p: GeoPoint) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=p.longitude, latitude=p.latitude)


def audit_to_proto(audit: Audit) -> common_pb2.AuditInfo:
    return common_pb2.AuditInfo(
        created_by=audit.created_by,
        create_time=timestamp(audit.created_at),
        updated_by=audit.updated_by,
        update_time=timestamp(audit.updated_at),
    )


def kind_from_proto(kind: int) -> RoomKind | None:
    return ROOM_KIND.from_proto(kind)


def status_from_proto(status: int) -> RoomStatus | None:
    return ROOM_STATUS.from_proto(status)


def level_from_proto(level: int) -> VillageLevel | None:
    return VILLAGE_LEVEL.from_proto(level)


# --- rooms ------------------------------------------------------------------------------------------


def draft_from_request(request: rooms_pb2.OpenRoomRequest | rooms_pb2.PlanRoomRequest) -> RoomDraft:
    return RoomDraft(
        name=request.name,
        kind=kind_from_proto(request.kind),
        station_id=request.station_id,
        zone_codes=tuple(request.zone_codes),
        location=point(request.location),
        address=request.address,
        village_id=request.village_id,
        vehicle_plate=request.vehicle_plate,
    )


def facilities_from_proto(facilities: Sequence[rooms_pb2.Facility]) -> tuple[Facility, ...]:
    return tuple(Facility(code=f.code, quantity=f.quantity) for f in facilities)


def stops_from_proto(stops: Sequence[rooms_pb2.MobileStop]) -> tuple[MobileStop, ...]:
    return tuple(
        MobileStop(
            stop_id=s.stop_id,
            name=s.name,
            location=point(s.location),
            radius_m=s.radius_m,
            window_start_minute=s.window_start_minute,
            window_end_minute=s.window_end_minute,
        )
        for s in stops
    )


def stop_to_proto(stop: MobileStop) -> rooms_pb2.MobileStop:
    return rooms_pb2.MobileStop(
        stop_id=stop.stop_id,
        name=stop.name,
        location=point_to_proto(stop.location),
        radius_m=stop.radius_m,
        window_start_minute=stop.window_start_minute,
        window_end_minute=stop.window_end_minute,
    )


def order_to_proto(order: CheckpointOrder) -> rooms_pb2.CheckpointOrder:
    return rooms_pb2.CheckpointOrder(
        order_id=order.order_id,
        room_id=order.room_id,
        checkpoint_name=order.checkpoint_name,
        checkpoint_location=point_to_proto(order.checkpoint_location),
        issue_time=timestamp(order.issued_at),
        issued_by=order.issued_by,
    )


def officer_to_proto(posting: RoomPosting) -> rooms_pb2.RoomOfficer:
    return rooms_pb2.RoomOfficer(
        officer_id=posting.officer_id,
        posting_id=posting.posting_id,
        role=posting.role,
        full_time=posting.full_time,
        police_officer=posting.police_officer,
    )


def room_to_proto(room: Room, postings: Sequence[RoomPosting] = ()) -> rooms_pb2.Room:
    return rooms_pb2.Room(
        room_id=room.room_id,
        name=room.name,
        kind=ROOM_KIND.to_proto(room.kind),
        status=ROOM_STATUS.to_proto(room.status),
        station_id=room.station_id,
        zone_codes=list(room.zone_codes),
        village_id=room.village_id,
        address=room.address,
        location=point_to_proto(room.location),
        facilities=[rooms_pb2.Facility(code=f.code, quantity=f.quantity) for f in room.facilities],
        grade=room.grade,
        honorary_officer_name=room.honorary_officer_name,
        honorary_citation=room.honorary_citation,
        vehicle_plate=room.vehicle_plate,
        stops=[stop_to_proto(s) for s in room.stops],
        current_stop_id=room.current_stop_id,
        current_checkpoint_order=order_to_proto(room.current_order) if room.current_order else None,
        merged_into_room_id=room.merged_into_room_id,
        absorbed_room_ids=list(room.absorbed_room_ids),
        open_time=timestamp(room.open_time),
        close_time=timestamp(room.close_time),
        officers=[officer_to_proto(p) for p in postings],
        history=[
            rooms_pb2.RoomHistoryEntry(time=timestamp(h.at), action=h.action, actor=h.by, detail=h.detail)
            for h in room.history
        ],
        audit=audit_to_proto(room.audit),
    )


def handover_to_proto(items: Sequence[HandoverItem]) -> list[rooms_pb2.HandoverItem]:
    return [
        rooms_pb2.HandoverItem(
            record_type=i.record_type,
            record_id=i.record_id,
            from_zone_code=i.from_zone_code,
            to_zone_code=i.to_zone_code,
            from_room_id=i.from_room_id,
            to_room_id=i.to_room_id,
        )
        for i in items
    ]


def coverage_to_proto(report: CoverageReport) -> rooms_pb2.CoverageReport:
    return rooms_pb2.CoverageReport(
        villages_requiring_room=report.villages_requiring_room,
        villages_covered=report.villages_covered,
        coverage_ratio=report.coverage_ratio,
        gaps=[
            rooms_pb2.CoverageGap(
                finding=g.finding.value,
                village_id=g.village_id,
                room_id=g.room_id,
                reasons=[r.value for r in g.reasons],
                name=g.name,
            )
            for g in report.gaps
        ],
    )


def rota_to_proto(rota: Rota, start: date, end: date) -> rooms_pb2.DutyRota:
    return rooms_pb2.DutyRota(
        room_id=rota.room_id,
        period=common_pb2.DateRange(start=local_date_to_proto(start), end=local_date_to_proto(end)),
        days=[
            rooms_pb2.RotaDay(date=local_date_to_proto(day), officer_id=officer)
            for day, officer in rota.days_in(start, end).items()
        ],
        holidays=[local_date_to_proto(day) for day in rota.holidays_in(start, end)],
    )


def gaps_to_proto(gaps: Sequence[RotaGap]) -> list[rooms_pb2.RotaGap]:
    return [
        rooms_pb2.RotaGap(date=local_date_to_proto(g.day), kind=g.kind.value, detail=g.detail) for g in gaps
    ]


# --- territory --------------------------------------------------------------------------------------


def station_draft(request: rooms_pb2.CreateStationRequest) -> StationDraft:
    return StationDraft(
        name=request.name,
        kind=STATION_KIND.from_proto(request.kind),
        operating_model=OPERATING_MODEL.from_proto(request.operating_model),
        location=point(request.location),
    )


def station_to_proto(station: Station) -> rooms_pb2.Station:
    return rooms_pb2.Station(
        station_id=station.station_id,
        name=station.name,
        kind=STATION_KIND.to_proto(station.kind),
        operating_model=OPERATING_MODEL.to_proto(station.operating_model),
        location=point_to_proto(station.location),
        audit=audit_to_proto(station.audit),
    )


def zone_draft(request: rooms_pb2.CreateZoneRequest) -> ZoneDraft:
    return ZoneDraft(
        zone_code=request.zone_code,
        community_name=request.community_name,
        sequence=request.sequence,
        station_id=request.station_id,
        community_ids=tuple(request.community_ids),
        workload=ZoneWorkload(
            actual_population=request.workload.actual_population,
            area_km2=request.workload.area_km2,
            security_complexity=request.workload.security_complexity,
        ),
        boundary=tuple(tuple(point(p) for p in ring.points) for ring in request.boundary.rings),
    )


def zone_to_proto(zone: Zone) -> rooms_pb2.Zone:
    return rooms_pb2.Zone(
        zone_code=zone.zone_code,
        name=zone.name,
        station_id=zone.station_id,
        community_ids=list(zone.community_ids),
        workload=rooms_pb2.ZoneWorkload(
            actual_population=zone.workload.actual_population,
            area_km2=zone.workload.area_km2,
            security_complexity=zone.workload.security_complexity,
        ),
        boundary=common_pb2.Polygon(
            rings=[common_pb2.LinearRing(points=[point_to_proto(p) for p in ring]) for ring in zone.boundary]
        ),
        retired=zone.retired,
        audit=audit_to_proto(zone.audit),
        community_name=zone.community_name,
        sequence=zone.sequence,
        created_by_redivision_id=zone.created_by_redivision_id,
        retired_by_redivision_id=zone.retired_by_redivision_id,
        successor_zone_codes=list(zone.successor_zone_codes),
    )


def village_draft(request: rooms_pb2.RegisterVillageRequest) -> VillageDraft:
    return VillageDraft(
        name=request.name,
        level=level_from_proto(request.level),
        parent_village_id=request.parent_village_id,
        zone_code=request.zone_code,
        station_id=request.station_id,
        location=point(request.location),
        security_complex_central=request.security_complex_central,
        former_township_seat=request.former_township_seat,
        remote_from_station=request.remote_from_station,
        township=request.township,
        urban_community=request.urban_community,
    )


def village_to_proto(village: Village) -> rooms_pb2.Village:
    return rooms_pb2.Village(
        village_id=village.village_id,
        name=village.name,
        level=VILLAGE_LEVEL.to_proto(village.level),
        parent_village_id=village.parent_village_id,
        zone_code=village.zone_code,
        station_id=village.station_id,
        location=point_to_proto(village.location),
        security_complex_central=village.security_complex_central,
        former_township_seat=village.former_township_seat,
        remote_from_station=village.remote_from_station,
        township=village.township,
        urban_community=village.urban_community,
    )


# --- personnel (read side) ----------------------------------------------------------------------------


def posting_from_personnel(posting: personnel_pb2.Posting) -> RoomPosting:
    """jingwu.personnel.v1.Posting → what the room registry keeps; roles in lower case, e.g. "auxiliary"."""
    role_name = (
        personnel_pb2.OfficerRole.Name(posting.role)
        if posting.role in personnel_pb2.OfficerRole.values()
        else ""
    )
    return RoomPosting(
        posting_id=posting.posting_id,
        officer_id=posting.officer_id,
        room_id=posting.room_id,
        role=role_name.removeprefix(_ROLE_PREFIX).lower() if posting.role else "",
        full_time=posting.full_time,
    )

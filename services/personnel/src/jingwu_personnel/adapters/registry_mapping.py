"""The room registry's events (jingwu.rooms.v1) as personnel's read model keeps them: rooms, stations,
villages, zones and re-divisions, translated by hand. Pure functions."""

from __future__ import annotations

from dataclasses import replace

from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.proto_values import EnumMap

from jingwu_personnel.domain.redivision import HandoverItem, ZoneRedivision
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    VillageView,
    ZoneView,
)

ROOM_KIND = EnumMap(RoomKind, rooms_pb2.RoomKind, "ROOM_KIND")
ROOM_STATUS = EnumMap(RoomStatus, rooms_pb2.RoomStatus, "ROOM_STATUS")
STATION_KIND = EnumMap(StationKind, rooms_pb2.StationKind, "STATION_KIND")


def room_view_from_proto(room: rooms_pb2.Room, status: RoomStatus | None = None) -> RoomView:
    return RoomView(
        room_id=room.room_id,
        kind=ROOM_KIND.from_proto(room.kind),
        status=status or ROOM_STATUS.from_proto(room.status) or RoomStatus.ACTIVE,
        station_id=room.station_id,
        zone_codes=tuple(room.zone_codes),
        village_id=room.village_id,
        name=room.name,
        merged_into_room_id=room.merged_into_room_id,
    )


def station_view_from_proto(station: rooms_pb2.Station) -> StationView:
    return StationView(station.station_id, station.name, STATION_KIND.from_proto(station.kind))


def village_view_from_proto(village: rooms_pb2.Village) -> VillageView:
    return VillageView(
        village_id=village.village_id,
        name=village.name,
        administrative=village.level != rooms_pb2.VILLAGE_LEVEL_NATURAL,
        parent_village_id=village.parent_village_id,
        zone_code=village.zone_code,
        station_id=village.station_id,
        township=village.township,
        urban_community=village.urban_community,
    )


def zone_view_from_proto(zone: rooms_pb2.Zone) -> ZoneView:
    """The registry's fields; its workload figure stands for the actual population until the population
    service measures one (R-PER-4)."""
    return ZoneView(
        zone_code=zone.zone_code,
        station_id=zone.station_id,
        community_ids=tuple(zone.community_ids),
        workload_population=zone.workload.actual_population,
        retired=zone.retired,
    )


def redivision_from_proto(payload: room_events.ZonesRedivided) -> ZoneRedivision:
    return ZoneRedivision(
        redivision_id=payload.redivision_id,
        from_zone_codes=frozenset(payload.from_zone_codes),
        to_zone_codes=tuple(payload.to_zone_codes),
        community_to_zone=dict(payload.community_to_zone),
        handover=tuple(
            HandoverItem(h.record_type, h.record_id, h.from_zone_code, h.to_zone_code)
            for h in payload.handover
        ),
        # New zones are new: whatever ``retired`` says, they are not dissolved.
        new_zones=tuple(replace(zone_view_from_proto(z), retired=False) for z in payload.new_zones),
    )

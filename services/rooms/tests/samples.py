"""Domain records for repository contract and application tests: every field filled, names with a
character outside the BMP, times on whole seconds (the store keeps milliseconds)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from jingwu_rooms.domain.model import (
    Audit,
    CheckpointOrder,
    Facility,
    GeoPoint,
    HandoverItem,
    HistoryEntry,
    MobileStop,
    Room,
    RoomDraft,
    RoomKind,
    RoomStatus,
)
from jingwu_rooms.domain.redivision import Redivision, RoomMove, VillageMove
from jingwu_rooms.domain.rota import Rota
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

DISTRICT = "01"
AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
SUZHOU = GeoPoint(116.98, 33.63)
SQUARE = (
    (GeoPoint(116.97, 33.62), GeoPoint(116.99, 33.62), GeoPoint(116.99, 33.64), GeoPoint(116.97, 33.62)),
)
WORKLOAD = ZoneWorkload(actual_population=5200, area_km2=1.4, security_complexity=3)


def room(n: int = 1, **changes: object) -> Room:
    """An active mobile room with stops, facilities, an order and history: every stored shape."""
    order = CheckpointOrder(f"o-{n}", f"r-{n:03d}", "G3出口卡口", GeoPoint(117.1, 33.7), AT, "chief-1")
    values: dict[str, object] = {
        "room_id": f"r-{n:03d}",
        "name": "汴河流动警务室𠀋",
        "kind": RoomKind.MOBILE,
        "status": RoomStatus.ACTIVE,
        "station_id": "st-bianhe",
        "zone_codes": ("01020301", "01020302"),
        "location": SUZHOU,
        "address": "汴河路88号",
        "vehicle_plate": "皖L·J0106",
        "open_time": AT,
        "audit": Audit.new("chief-1", AT),
        "facilities": (Facility("office", 32.5), Facility("camera", 1)),
        "grade": "basic",
        "stops": (MobileStop("s-square", "银河广场", GeoPoint(117.01, 33.6), 150.0, 480, 1200),),
        "current_stop_id": "s-square",
        "current_order": order,
        "orders": (order,),
        "history": (
            HistoryEntry(AT, "opened", "chief-1"),
            HistoryEntry(AT, "checkpoint_order", "chief-1", "o"),
        ),
    }
    values.update(changes)
    return Room(**values)  # type: ignore[arg-type]


def room_draft(**changes: object) -> RoomDraft:
    values: dict[str, object] = {
        "name": "汴河社区警务室",
        "kind": RoomKind.URBAN_ONE_ZONE_ONE_OFFICER,
        "station_id": "st-bianhe",
        "zone_codes": ("01020301",),
        "location": SUZHOU,
    }
    values.update(changes)
    return RoomDraft(**values)  # type: ignore[arg-type]


def station(station_id: str = "st-bianhe", **changes: object) -> Station:
    base = Station(
        station_id,
        "汴河派出所𠀋",
        StationKind.URBAN,
        OperatingModel.TWO_TEAMS_ONE_GROUP,
        SUZHOU,
        Audit.new("c", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


STATION = StationDraft("汴河派出所", StationKind.URBAN, OperatingModel.TWO_TEAMS_ONE_GROUP, SUZHOU)


def village_draft(zone_code: str = "01020301", **changes: object) -> VillageDraft:
    values: dict[str, object] = {
        "name": "汴河东社区",
        "level": VillageLevel.ADMINISTRATIVE,
        "parent_village_id": "",
        "zone_code": zone_code,
        "station_id": "",
        "location": GeoPoint(117.05, 33.58),
    }
    values.update(changes)
    return VillageDraft(**values)  # type: ignore[arg-type]


def zone_draft(
    code: str = "01020301", community: str = "汴河社区", sequence: int = 0, **kw: object
) -> ZoneDraft:
    values: dict[str, object] = {
        "zone_code": code,
        "community_name": community,
        "sequence": sequence,
        "station_id": "st-bianhe",
        "community_ids": (),
        "workload": WORKLOAD,
        "boundary": SQUARE,
    }
    values.update(kw)
    return ZoneDraft(**values)  # type: ignore[arg-type]


def zone(code: str = "01020301", community: str = "汴河社区", sequence: int = 0, **changes: object) -> Zone:
    base = Zone(
        zone_code=code,
        name=f"{community}{sequence or ''}",
        community_name=community,
        sequence=sequence,
        station_id="st-bianhe",
        community_ids=("c-east", "c.west"),
        workload=WORKLOAD,
        boundary=SQUARE,
        audit=Audit.new("chief-1", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def village(village_id: str = "v-1", zone_code: str = "01020301", **changes: object) -> Village:
    base = Village(
        village_id=village_id,
        name="张庄村𠀋",
        level=VillageLevel.ADMINISTRATIVE,
        parent_village_id="",
        zone_code=zone_code,
        station_id="st-bianhe",
        location=GeoPoint(117.05, 33.58),
        security_complex_central=True,
        township="朱仙庄镇",
        audit=Audit.new("chief-1", AT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rota(room_id: str = "r-001") -> Rota:
    return Rota(
        room_id, {date(2026, 11, 2): "o-1", date(2026, 11, 3): "aux-1"}, frozenset({date(2026, 11, 4)})
    )


def redivision(redivision_id: str = "rd-001") -> Redivision:
    # "c.west": a dot in an id, which a field name could not carry (why the plan's maps are lists)
    move = RoomMove(
        "r-001", ("01020301",), ("01020302", "01020303"), (("01020301", ("01020302", "01020303")),)
    )
    return Redivision(
        redivision_id=redivision_id,
        reason="社区改革",
        from_zone_codes=("01020301",),
        new_zones=(
            zone("01020302", sequence=1, created_by_redivision_id=redivision_id),
            zone("01020303", sequence=2, created_by_redivision_id=redivision_id),
        ),
        community_to_zone={"c-east": "01020302", "c.west": "01020303"},
        successors={"01020301": ("01020302", "01020303")},
        room_moves=(move,),
        village_moves=(VillageMove("c-east", "01020301", "01020302", "st-bianhe"),),
        handover=(HandoverItem("village", "c-east", "01020301", "01020302"), HandoverItem("room", "r-001")),
        created_by="chief-1",
        created_at=AT,
    )

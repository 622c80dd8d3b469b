"""The synthetic demo district (埇桥分局, Yongqiao district of Suzhou, Anhui), built deterministically from a
seed. Pure: no I/O. ``jingwu_cli.demo`` loads it through the services' gRPC APIs.

Besides a realistic everyday picture, the data plants one case of every staffing / coverage finding the
platform raises, each recorded in ``DemoDistrict.planted`` with the rule it exercises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.rooms.v1 import rooms_pb2 as rooms

LOCAL = ZoneInfo("Asia/Shanghai")

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹易常武乔贺龚"
)
MALE = (
    "伟刚勇毅俊峰强军平东文辉力明永健志义兴良海山波宁贵福生龙元全国胜学祥才发武新利"
    "清飞彬富顺杰涛昌成康光天达安岩中进林坚和博诚先振会群豪承乐松善庆磊民友河浩亮政宏鸣斌栋启克翔旭鹏泽晨建家树德"
)
FEMALE = (
    "秀娟英华慧美娜静淑惠玉萍红玲芬芳燕春兰凤洁梅琳云莲雪荣霞香月艳瑞"
    "佳琼珍莉桂晶妍秋婷婉颖露瑶怡丹蓉君琴薇梦岚馨悦冰欣晓丽"
)
VILLAGE_SUFFIXES = "庄集圩楼湖营店寨桥沟岗湾园口"


@dataclass(frozen=True)
class StationSpec:
    station_id: str
    name: str
    kind: rooms.StationKind.ValueType
    model: rooms.OperatingModel.ValueType
    lon: float
    lat: float
    street: str  # 2-digit street part of zone codes (R-ORG-2)
    township: str
    police: int  # officers to register (R-PER-4 floor: urban 20, town 10, township 5)


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    community_name: str
    sequence: int
    station_id: str
    community_ids: tuple[str, ...]
    population: int
    area_km2: float
    complexity: int


@dataclass(frozen=True)
class VillageSpec:
    village_id: str
    name: str
    natural: bool
    parent_id: str
    zone_code: str
    station_id: str
    lon: float
    lat: float
    township: str
    urban: bool = False
    security_complex: bool = False
    former_seat: bool = False
    remote: bool = False
    along_traffic_line: bool = False
    high_crime: bool = False


@dataclass(frozen=True)
class StopSpec:
    stop_id: str
    name: str
    lon: float
    lat: float
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class RoomSpec:
    key: str  # request_id of OpenRoom
    name: str
    kind: rooms.RoomKind.ValueType
    station_id: str
    zone_codes: tuple[str, ...]
    village_id: str
    address: str
    lon: float
    lat: float
    plate: str = ""
    stops: tuple[StopSpec, ...] = ()
    facilities: tuple[tuple[str, float], ...] = ()
    honorary_name: str = ""


@dataclass(frozen=True)
class OfficerSpec:
    key: str  # request_id of RegisterOfficer
    name: str
    roles: tuple[per.OfficerRole.ValueType, ...]
    branch: per.Branch.ValueType
    station_id: str
    badge: str
    id_number: str
    phone: str
    join_date: date
    home_village_id: str = ""
    home_township: str = ""
    previous_workplace: str = ""

    @property
    def police(self) -> bool:
        return per.OFFICER_ROLE_POLICE in self.roles


@dataclass(frozen=True)
class PostingSpec:
    key: str  # request_id of PostOfficer
    officer_key: str
    role: per.OfficerRole.ValueType
    station_id: str
    start: date
    room_key: str = ""
    zone_code: str = ""
    village_id: str = ""
    full_time: bool = False


@dataclass(frozen=True)
class AssignmentSpec:
    village_id: str
    officer_key: str
    start: date
    rotation_due: date | None = None


@dataclass(frozen=True)
class VisitSpec:
    key: str  # request_id of LogVisit
    officer_key: str
    kind: per.VisitLogKind.ValueType
    start: datetime
    end: datetime
    lon: float
    lat: float
    village_id: str = ""
    zone_code: str = ""
    room_key: str = ""
    summary: str = ""
    six_roles: tuple[per.SixRole.ValueType, ...] = ()
    six_does: tuple[per.SixDo.ValueType, ...] = ()


@dataclass(frozen=True)
class RotaSpec:
    room_key: str
    start: date
    end: date
    days: tuple[tuple[date, str], ...]  # (day, officer key)


@dataclass(frozen=True)
class Planted:
    """One deliberately planted finding: what it is, the rule, and where."""

    kind: str
    rule: str
    where: str


@dataclass
class DemoDistrict:
    district: str
    today: date
    stations: list[StationSpec] = field(default_factory=list)
    zones: list[ZoneSpec] = field(default_factory=list)
    villages: list[VillageSpec] = field(default_factory=list)
    rooms: list[RoomSpec] = field(default_factory=list)
    officers: list[OfficerSpec] = field(default_factory=list)
    postings: list[PostingSpec] = field(default_factory=list)
    liaisons: list[AssignmentSpec] = field(default_factory=list)
    auxiliaries: list[AssignmentSpec] = field(default_factory=list)
    # Liaison postings ended without a successor after being assigned: blank villages (R-PER-5).
    reposted_liaisons: list[AssignmentSpec] = field(default_factory=list)
    visits: list[VisitSpec] = field(default_factory=list)
    rotas: list[RotaSpec] = field(default_factory=list)
    # (officer key, leader score, resident score) for the assessment month.
    ratings: list[tuple[str, float, float]] = field(default_factory=list)
    assessment_month: tuple[int, int] = (0, 0)
    planted: list[Planted] = field(default_factory=list)

    def village(self, village_id: str) -> VillageSpec:
        return next(v for v in self.villages if v.village_id == village_id)

    def officer(self, key: str) -> OfficerSpec:
        return next(o for o in self.officers if o.key == key)


# ── territory ────────────────────────────────────────────────────────────────────────────────────

# (id suffix, name, kind, model, lon, lat, street, township, police)
_STATIONS = (
    (
        "bianhe",
        "汴河派出所",
        rooms.STATION_KIND_URBAN,
        rooms.OPERATING_MODEL_THREE_TEAMS_ONE_GROUP,
        116.975,
        33.640,
        "02",
        "汴河街道",
        22,
    ),
    (
        "daodong",
        "道东派出所",
        rooms.STATION_KIND_URBAN,
        rooms.OPERATING_MODEL_THREE_TEAMS_ONE_GROUP,
        117.005,
        33.648,
        "03",
        "道东街道",
        21,
    ),
    (
        "tuohe",
        "沱河派出所",
        rooms.STATION_KIND_URBAN,
        rooms.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
        116.990,
        33.620,
        "04",
        "沱河街道",
        21,
    ),
    (
        "fuli",
        "符离派出所",
        rooms.STATION_KIND_TOWN,
        rooms.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
        116.960,
        33.745,
        "11",
        "符离镇",
        12,
    ),
    (
        "jiagou",
        "夹沟派出所",
        rooms.STATION_KIND_TOWN,
        rooms.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
        117.060,
        33.770,
        "12",
        "夹沟镇",
        11,
    ),
    (
        "shicun",
        "时村派出所",
        rooms.STATION_KIND_TOWN,
        rooms.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP,
        117.170,
        33.590,
        "13",
        "时村镇",
        11,
    ),
    (
        "taogou",
        "桃沟派出所",
        rooms.STATION_KIND_TOWNSHIP,
        rooms.OPERATING_MODEL_ZONE,
        117.120,
        33.530,
        "21",
        "桃沟乡",
        6,
    ),
    # R-PER-4 planted: a township station below its floor of 5 officers.
    (
        "xieji",
        "解集派出所",
        rooms.STATION_KIND_TOWNSHIP,
        rooms.OPERATING_MODEL_ZONE,
        116.915,
        33.560,
        "22",
        "解集乡",
        3,
    ),
)

# Urban communities per station: (name, zones, population). 北关社区: 12,600 residents, one officer (R-PER-4).
_COMMUNITIES = {
    "bianhe": (
        ("汴河社区", 2, 9_400),
        ("淮海社区", 1, 4_600),
        ("银河社区", 1, 4_200),
        ("西关社区", 1, 4_800),
    ),
    "daodong": (
        ("道东社区", 1, 4_700),
        ("南关社区", 1, 4_100),
        ("东关社区", 2, 8_900),
        ("金海社区", 1, 3_900),
    ),
    "tuohe": (
        ("沱河社区", 1, 4_500),
        ("三里社区", 1, 4_300),
        ("城东社区", 1, 4_900),
        ("北关社区", 1, 12_600),
    ),
}
# Rural stations: (administrative villages, zones).
_RURAL = {"fuli": (12, 4), "jiagou": (11, 4), "shicun": (11, 4), "taogou": (9, 3), "xieji": (9, 3)}
NEIGHBOURS = {
    "符离镇": ("夹沟镇", "解集乡"),
    "夹沟镇": ("符离镇", "时村镇"),
    "时村镇": ("夹沟镇", "桃沟乡"),
    "桃沟乡": ("时村镇", "解集乡"),
    "解集乡": ("桃沟乡", "符离镇"),
}
_STREETS = (
    "汴河路",
    "淮海路",
    "银河路",
    "人民路",
    "胜利路",
    "环城路",
    "拂晓大道",
    "浍水路",
    "沱河路",
    "工农路",
)
_STOPS = {
    "bianhe": (
        ("火车站广场", 116.998, 33.633),
        ("汴河路淮海路口", 116.978, 33.641),
        ("宿州学院北门", 116.965, 33.652),
    ),
    "fuli": (
        ("符离集汽车站", 116.958, 33.742),
        ("符离大桥", 116.972, 33.750),
        ("G206符离检查站", 116.945, 33.735),
    ),
}
STANDARD_FACILITIES = (
    ("office", 36.0),
    ("rest_area", 12.0),
    ("signage", 1),
    ("desk", 3),
    ("cabinet", 2),
    ("phone", 1),
    ("police_network_computer", 1),
    ("laptop", 1),
    ("camera", 1),
    ("handheld", 2),
    ("briefcase", 1),
    ("badge", 2),
)
BASIC_FACILITIES = (
    ("office", 32.0),
    ("signage", 1),
    ("desk", 2),
    ("phone", 1),
    ("police_network_computer", 1),
)
BELOW_FACILITIES = (("office", 18.0), ("desk", 1), ("phone", 1))


class _Names:
    """Unique Chinese person names and village names from a seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._people: set[str] = set()
        self._villages: set[str] = set()

    def person(self, female: bool = False) -> str:
        pool = FEMALE if female else MALE
        while True:
            given = self._rng.choice(pool) + (self._rng.choice(pool) if self._rng.random() < 0.7 else "")
            name = self._rng.choice(SURNAMES) + given
            if name not in self._people:
                self._people.add(name)
                return name

    def village(self) -> str:
        while True:
            name = self._rng.choice(SURNAMES[:60]) + self._rng.choice(VILLAGE_SUFFIXES) + "村"
            if name not in self._villages:
                self._villages.add(name)
                return name


def _id_number(rng: random.Random, birth: date) -> str:
    """GB 11643: 341302 (埇桥区) + birth date + sequence + check character."""
    body = f"341302{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _jitter(rng: random.Random, lon: float, lat: float, spread: float) -> tuple[float, float]:
    return round(lon + rng.uniform(-spread, spread), 5), round(lat + rng.uniform(-spread, spread), 5)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


RoomKind: TypeAlias = rooms.RoomKind.ValueType
Role: TypeAlias = per.OfficerRole.ValueType
BranchKind: TypeAlias = per.Branch.ValueType

# "1+X" branches (R-PER-1) and the bureau's own units: (branch, unit name, officers at bureau level).
_BRANCHES: tuple[tuple[BranchKind, str, int], ...] = (
    (per.BRANCH_TRAFFIC, "交警大队", 34),
    (per.BRANCH_CRIMINAL_INVESTIGATION, "刑警大队", 30),
    (per.BRANCH_STATE_SECURITY, "国保大队", 10),
    (per.BRANCH_PUBLIC_ORDER, "治安大队", 22),
    (per.BRANCH_NARCOTICS, "禁毒大队", 12),
)


def _six(rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.sample(range(1, 7), 3))


class _Builder:
    """Builds one DemoDistrict step by step; every step draws from the same seeded stream, so the
    result depends only on (district, today, seed)."""

    def __init__(self, district: str, today: date, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
        self.names = _Names(self.rng)
        self.demo = DemoDistrict(district=district, today=today)
        self.prefix = f"demo-{district}"
        self.today = today
        self.first_of_month = today.replace(day=1)
        self.last_month_end = self.first_of_month - timedelta(days=1)
        self.last_month_start = self.last_month_end.replace(day=1)
        self.demo.assessment_month = (self.last_month_start.year, self.last_month_start.month)
        self.stations: dict[str, StationSpec] = {}
        self.urban_zones: dict[str, list[ZoneSpec]] = {}
        self.community_of_zone: dict[str, VillageSpec] = {}
        self.rural_admin: dict[str, list[VillageSpec]] = {}
        self.zone_of_village: dict[str, ZoneSpec] = {}
        self.room_of_zone: dict[str, RoomSpec] = {}
        self.mobile: list[RoomSpec] = []
        self.community_officers: list[tuple[OfficerSpec, RoomSpec, str]] = []
        self.uncovered_must_build = ""
        self.unstaffed_room = ""
        self.double_posted: OfficerSpec | None = None
        self._serial = iter(range(1, 10_000))

    # ── territory ──
    def territory(self) -> None:
        district = self.demo.district
        for suffix, name, kind, model, lon, lat, street, township, police in _STATIONS:
            station = StationSpec(f"st-{suffix}", name, kind, model, lon, lat, street, township, police)
            self.stations[suffix] = station
            self.demo.stations.append(station)
        # Urban communities and their zones (R-ORG-2: a zone is named after its community, numbered
        # when the community has 2–3 zones).
        for suffix, communities in _COMMUNITIES.items():
            station = self.stations[suffix]
            self.urban_zones[suffix] = []
            for index, (community, zone_count, population) in enumerate(communities, start=1):
                community_code = f"{index + 1:02d}"
                village_id = f"vil-{district}{station.street}{community_code}"
                lon, lat = _jitter(self.rng, station.lon, station.lat, 0.018)
                village = VillageSpec(
                    village_id,
                    community,
                    False,
                    "",
                    f"{district}{station.street}{community_code}01",
                    station.station_id,
                    lon,
                    lat,
                    station.township,
                    urban=True,
                    security_complex=community in ("汴河社区", "东关社区"),
                )
                self.demo.villages.append(village)
                for sequence in range(1, zone_count + 1):
                    zone = ZoneSpec(
                        f"{district}{station.street}{community_code}{sequence:02d}",
                        community,
                        sequence if zone_count > 1 else 0,
                        station.station_id,
                        (village_id,),
                        population // zone_count,
                        round(self.rng.uniform(0.6, 2.2), 1),
                        self.rng.randint(2, 4),
                    )
                    self.demo.zones.append(zone)
                    self.urban_zones[suffix].append(zone)
                    self.community_of_zone[zone.code] = village
        for suffix, (village_count, zone_count) in _RURAL.items():
            self.rural_territory(self.stations[suffix], village_count, zone_count)

    def rural_territory(self, station: StationSpec, village_count: int, zone_count: int) -> None:
        """Administrative villages clustered into zones named after the central village."""
        rng = self.rng
        district = self.demo.district
        suffix = station.station_id.removeprefix("st-")
        village_names = [self.names.village() for _ in range(village_count)]
        groups = [list(range(i, village_count, zone_count)) for i in range(zone_count)]
        self.rural_admin[suffix] = []
        for zone_index, members in enumerate(groups, start=1):
            community_code = f"{zone_index:02d}"
            code = f"{district}{station.street}{community_code}01"
            center_lon, center_lat = _jitter(rng, station.lon, station.lat, 0.04)
            specs = []
            for member in members:
                village_id = f"vil-{district}{station.street}{community_code}{member + 1:02d}"
                lon, lat = _jitter(rng, center_lon, center_lat, 0.015)
                specs.append((village_id, village_names[member], lon, lat))
            zone = ZoneSpec(
                code,
                specs[0][1],
                0,
                station.station_id,
                tuple(s[0] for s in specs),
                sum(rng.randint(1_800, 3_600) for _ in specs),
                round(rng.uniform(8, 22), 1),
                rng.randint(1, 4),
            )
            self.demo.zones.append(zone)
            for position, (village_id, name, lon, lat) in enumerate(specs):
                central = position == 0
                village = VillageSpec(
                    village_id,
                    name,
                    False,
                    "",
                    code,
                    station.station_id,
                    lon,
                    lat,
                    station.township,
                    security_complex=central and zone_index <= 2,
                    former_seat=central and zone_index == 3,
                    remote=position == 1 and zone_index == 1 and suffix in ("taogou", "xieji"),
                    along_traffic_line=rng.random() < 0.3,
                    high_crime=rng.random() < 0.12,
                )
                self.demo.villages.append(village)
                self.rural_admin[suffix].append(village)
                self.zone_of_village[village_id] = zone
                # Natural villages (自然村): 前/后 halves of the administrative village.
                for n, half in enumerate(("前", "后"), start=1):
                    nlon, nlat = _jitter(rng, lon, lat, 0.006)
                    self.demo.villages.append(
                        VillageSpec(
                            f"{village_id}-{n}",
                            half + name.removesuffix("村"),
                            True,
                            village_id,
                            code,
                            station.station_id,
                            nlon,
                            nlat,
                            station.township,
                        )
                    )

    # ── rooms ──
    def room(  # noqa: PLR0917 - one argument per field of the room
        self,
        key: str,
        name: str,
        kind: RoomKind,
        station: StationSpec,
        zones: tuple[str, ...],
        village_id: str,
        lon: float,
        lat: float,
        facilities: tuple[tuple[str, float], ...],
        plate: str = "",
        stops: tuple[StopSpec, ...] = (),
    ) -> RoomSpec:
        street = self.rng.choice(_STREETS)
        spec = RoomSpec(
            f"{self.prefix}-room-{key}",
            name,
            kind,
            station.station_id,
            zones,
            village_id,
            f"宿州市埇桥区{station.township}{street}{self.rng.randint(1, 300)}号",
            lon,
            lat,
            plate=plate,
            stops=stops,
            facilities=facilities,
        )
        self.demo.rooms.append(spec)
        return spec

    def urban_rooms(self) -> None:
        for suffix in _COMMUNITIES:
            station = self.stations[suffix]
            seen: set[str] = set()
            for zone in self.urban_zones[suffix]:
                community = self.community_of_zone[zone.code]
                if community.village_id in seen:
                    self.room_of_zone[zone.code] = self.room_of_zone[f"{zone.code[:6]}01"]
                    continue
                seen.add(community.village_id)
                codes = tuple(
                    z.code for z in self.urban_zones[suffix] if self.community_of_zone[z.code] is community
                )
                kind: RoomKind = (
                    rooms.ROOM_KIND_URBAN_HOME_STYLE
                    if len(seen) % 2 == 0
                    else rooms.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER
                )
                quality = STANDARD_FACILITIES if self.rng.random() < 0.6 else BASIC_FACILITIES
                self.room_of_zone[zone.code] = self.room(
                    zone.code,
                    f"{community.name}警务室",
                    kind,
                    station,
                    codes,
                    community.village_id,
                    community.lon,
                    community.lat,
                    quality,
                )

    def rural_rooms(self) -> None:
        for suffix, villages in self.rural_admin.items():
            station = self.stations[suffix]
            for village in villages:
                must_build = village.security_complex or village.former_seat or village.remote
                kind: RoomKind
                if village.village_id == villages[0].village_id:
                    kind = rooms.ROOM_KIND_RURAL_LINKED_CLUSTER
                    name = f"{station.township}{village.name}联动包片警务室"
                elif village.security_complex:
                    kind, name = rooms.ROOM_KIND_KEY_VILLAGE, f"{village.name}警务室"
                elif must_build:
                    if suffix == "xieji" and village.remote:
                        # R-ROOM-4 planted: a remote village that must have a room and has none.
                        self.uncovered_must_build = village.name
                        continue
                    kind, name = rooms.ROOM_KIND_VILLAGE_CONTACT_POINT, f"{village.name}警务联系点"
                elif village.high_crime or (suffix in ("fuli", "shicun") and village is villages[-1]):
                    kind, name = rooms.ROOM_KIND_AUXILIARY_WORKROOM, f"{village.name}辅警工作室"
                else:
                    continue
                quality = self.rng.choice(
                    (STANDARD_FACILITIES, BASIC_FACILITIES, BASIC_FACILITIES, BELOW_FACILITIES)
                )
                zone = self.zone_of_village[village.village_id]
                self.room(
                    village.village_id,
                    name,
                    kind,
                    station,
                    (zone.code,),
                    village.village_id,
                    village.lon,
                    village.lat,
                    quality,
                )
            if suffix == "xieji":
                # R-ROOM-4 planted: an open contact point nobody is posted to.
                last = villages[-1]
                self.unstaffed_room = self.room(
                    f"{last.village_id}-cp",
                    f"{last.name}警务联系点",
                    rooms.ROOM_KIND_VILLAGE_CONTACT_POINT,
                    station,
                    (self.zone_of_village[last.village_id].code,),
                    last.village_id,
                    last.lon,
                    last.lat,
                    BELOW_FACILITIES,
                ).key

    def mobile_rooms(self) -> None:
        for number, (suffix, plate) in enumerate(
            (("bianhe", "皖L·J0106警"), ("fuli", "皖L·J0217警")), start=1
        ):
            station = self.stations[suffix]
            stops = tuple(
                StopSpec(f"stop-{number}-{i}", stop_name, lon, lat, start, start + 180)
                for i, ((stop_name, lon, lat), start) in enumerate(
                    zip(_STOPS[suffix], (480, 720, 1020), strict=True), 1
                )
            )
            zones = tuple(z.code for z in self.demo.zones if z.station_id == station.station_id)[:3]
            self.mobile.append(
                self.room(
                    f"mobile-{number}",
                    f"埇桥{'一二'[number - 1]}号流动警务室",
                    rooms.ROOM_KIND_MOBILE,
                    station,
                    zones,
                    "",
                    stops[0].lon,
                    stops[0].lat,
                    STANDARD_FACILITIES,
                    plate=plate,
                    stops=stops,
                )
            )

    # ── people ──
    def person(
        self,
        station: StationSpec | None,
        roles: tuple[Role, ...],
        branch: BranchKind,
        *,
        home: VillageSpec | None = None,
        township: str = "",
        previous: str = "",
        female_share: float = 0.15,
    ) -> OfficerSpec:
        rng = self.rng
        n = next(self._serial)
        birth = date(rng.randint(1968, 2001), rng.randint(1, 12), rng.randint(1, 28))
        police = per.OFFICER_ROLE_POLICE in roles
        joined = (
            date(max(birth.year + 22, 1992), rng.randint(1, 12), 1)
            if police
            else date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
        )
        spec = OfficerSpec(
            key=f"{self.prefix}-officer-{n:04d}",
            name=self.names.person(female=rng.random() < female_share),
            roles=roles,
            branch=branch,
            station_id=station.station_id if station else "",
            badge=f"{self.demo.district}{rng.randint(1000, 9999)}{n % 100:02d}" if police else "",
            id_number=_id_number(rng, birth),
            phone=f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            join_date=min(joined, self.today - timedelta(days=30)),
            home_village_id=home.village_id if home else "",
            home_township=home.township if home else township,
            previous_workplace=previous,
        )
        self.demo.officers.append(spec)
        return spec

    def post(
        self,
        officer: OfficerSpec,
        role: Role,
        station: StationSpec,
        start: date,
        *,
        room_spec: RoomSpec | None = None,
        zone_code: str = "",
        village_id: str = "",
        full_time: bool = False,
    ) -> None:
        self.demo.postings.append(
            PostingSpec(
                f"{officer.key}-post-{len(self.demo.postings)}",
                officer.key,
                role,
                station.station_id,
                start,
                room_spec.key if room_spec else "",
                zone_code,
                village_id,
                full_time,
            )
        )

    def start_date(self, years_back: float) -> date:
        return self.today - timedelta(days=int(years_back * 365) + self.rng.randint(0, 200))

    def station_staff(self) -> None:
        for suffix, station in self.stations.items():
            rooms_here = [
                r
                for r in self.demo.rooms
                if r.station_id == station.station_id and r.kind != rooms.ROOM_KIND_MOBILE
            ]
            staffed = [r for r in rooms_here if r.key != self.unstaffed_room]
            rural = station.kind != rooms.STATION_KIND_URBAN
            police = self.room_officers(suffix, station, staffed)
            roles: tuple[Role, ...] = (
                (per.OFFICER_ROLE_POLICE, per.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER)
                if rural
                else (per.OFFICER_ROLE_POLICE,)
            )
            while len(police) < station.police:
                home = (
                    self.rng.choice(self.rural_admin[suffix]) if rural and self.rng.random() < 0.3 else None
                )
                officer = self.person(station, roles, per.BRANCH_STATION, home=home)
                self.post(officer, per.OFFICER_ROLE_POLICE, station, self.start_date(self.rng.uniform(1, 12)))
                police.append(officer)
            # One auxiliary per room (R-PER-2 1+1).
            for room_spec in staffed:
                if room_spec.kind == rooms.ROOM_KIND_AUXILIARY_WORKROOM:
                    continue
                aux = self.person(
                    station,
                    (per.OFFICER_ROLE_AUXILIARY,),
                    per.BRANCH_STATION,
                    township=station.township,
                    female_share=0.3,
                )
                self.post(
                    aux,
                    per.OFFICER_ROLE_AUXILIARY,
                    station,
                    self.start_date(self.rng.uniform(0.3, 4)),
                    room_spec=room_spec,
                    zone_code=room_spec.zone_codes[0],
                )
            if rural:
                # Liaison officers (R-PER-5): every administrative village gets one of the station's officers.
                pool = [o for o in police if per.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER in o.roles]
                for i, village in enumerate(self.rural_admin[suffix]):
                    start = self.start_date(self.rng.uniform(0.3, 3))
                    self.demo.liaisons.append(
                        AssignmentSpec(village.village_id, pool[i % len(pool)].key, start)
                    )

    def room_officers(self, suffix: str, station: StationSpec, staffed: list[RoomSpec]) -> list[OfficerSpec]:
        """Full-time community officers: one per urban zone (R-PER-4 ~5,000 residents each), one per
        staffed rural room other than auxiliary workrooms."""
        police: list[OfficerSpec] = []
        if station.kind == rooms.STATION_KIND_URBAN:
            places = [(self.room_of_zone[z.code], z.code) for z in self.urban_zones[suffix]]
            roles: tuple[Role, ...] = (per.OFFICER_ROLE_POLICE, per.OFFICER_ROLE_COMMUNITY_OFFICER)
        else:
            places = [(r, r.zone_codes[0]) for r in staffed if r.kind != rooms.ROOM_KIND_AUXILIARY_WORKROOM]
            roles = (
                per.OFFICER_ROLE_POLICE,
                per.OFFICER_ROLE_COMMUNITY_OFFICER,
                per.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER,
            )
        for room_spec, zone_code in places:
            officer = self.person(station, roles, per.BRANCH_STATION)
            start = self.start_date(self.rng.uniform(0.5, 6))
            if suffix == "daodong" and self.double_posted is None:
                # R-PER-3 planted: a community officer still on the station's duty roster (posted there
                # first), then made full-time officer of his room — he stands station duty too.
                self.double_posted = officer
                self.post(officer, per.OFFICER_ROLE_POLICE, station, start - timedelta(days=400))
            self.post(
                officer,
                per.OFFICER_ROLE_COMMUNITY_OFFICER,
                station,
                start,
                room_spec=room_spec,
                zone_code=zone_code,
                full_time=True,
            )
            self.community_officers.append((officer, room_spec, zone_code))
            police.append(officer)
        return police

    def mobile_staff(self) -> None:
        """R-PER-2: 1 officer + 2 auxiliaries per mobile room; the second one planted with one auxiliary."""
        for number, room_spec in enumerate(self.mobile, start=1):
            station = next(s for s in self.stations.values() if s.station_id == room_spec.station_id)
            officer = self.person(
                station,
                (per.OFFICER_ROLE_POLICE, per.OFFICER_ROLE_COMMUNITY_OFFICER),
                per.BRANCH_PATROL_SPECIAL,
            )
            self.post(
                officer,
                per.OFFICER_ROLE_COMMUNITY_OFFICER,
                station,
                self.start_date(1.5),
                room_spec=room_spec,
                zone_code=room_spec.zone_codes[0],
                full_time=True,
            )
            for _ in range(2 if number == 1 else 1):
                aux = self.person(
                    station,
                    (per.OFFICER_ROLE_AUXILIARY,),
                    per.BRANCH_PATROL_SPECIAL,
                    township=station.township,
                )
                self.post(
                    aux,
                    per.OFFICER_ROLE_AUXILIARY,
                    station,
                    self.start_date(1),
                    room_spec=room_spec,
                    zone_code=room_spec.zone_codes[0],
                )

    def bureau_units(self) -> None:
        """The bureau's specialised units. "1+X" (R-PER-1): each branch names one linked officer per key
        room — a bureau officer, so registered without a station and posted to the room's station.
        The units themselves keep most of the force at bureau level: planted R-PER-4, stations below
        50 % of an urban district bureau's police."""
        linked_rooms = [
            r
            for r in self.demo.rooms
            if r.kind in (rooms.ROOM_KIND_KEY_VILLAGE, rooms.ROOM_KIND_RURAL_LINKED_CLUSTER)
        ]
        for i, room_spec in enumerate(linked_rooms):
            branch, unit, _ = _BRANCHES[i % len(_BRANCHES)]
            suffix = room_spec.station_id.removeprefix("st-")
            home = self.rng.choice(self.rural_admin[suffix])
            officer = self.person(
                None,
                (per.OFFICER_ROLE_POLICE, per.OFFICER_ROLE_LINKED_OFFICER),
                branch,
                home=home,
                previous=unit,
            )
            self.post(
                officer,
                per.OFFICER_ROLE_LINKED_OFFICER,
                self.stations[suffix],
                self.start_date(1),
                room_spec=room_spec,
            )
        for branch, unit, count in _BRANCHES:
            for _ in range(count):
                self.person(None, (per.OFFICER_ROLE_POLICE,), branch, previous=unit)

    def village_staff(self) -> None:
        """Resident auxiliaries (R-PER-7): from the same or a neighbouring township, never their own
        village; the prevention network (R-ORG-5) in the first villages of each station."""
        for suffix, villages in self.rural_admin.items():
            station = self.stations[suffix]
            for i, village in enumerate(villages):
                if suffix == "xieji" and i == len(villages) - 2:
                    continue  # R-PER-5 planted: one village still waiting for its resident auxiliary
                aux = self.person(
                    station,
                    (per.OFFICER_ROLE_AUXILIARY, per.OFFICER_ROLE_RESIDENT_AUXILIARY),
                    per.BRANCH_STATION,
                    home=villages[(i + 1) % len(villages)],
                    female_share=0.25,
                )
                started = self.start_date(self.rng.uniform(0.2, 1.8))
                rotation_due = None
                if suffix == "fuli" and i == 1:
                    # R-PER-7 planted: 2 years and 3 months in the same village, rotation overdue.
                    started, rotation_due = self.today - timedelta(days=820), self.today - timedelta(days=90)
                self.demo.auxiliaries.append(
                    AssignmentSpec(village.village_id, aux.key, started, rotation_due)
                )
            for village in villages[:3]:
                self.prevention_network(station, village)
        for suffix in _COMMUNITIES:
            station = self.stations[suffix]
            for _ in range(3):
                member = self.person(
                    station,
                    (per.OFFICER_ROLE_MASS_PREVENTION_MEMBER,),
                    per.BRANCH_OTHER,
                    township=station.township,
                )
                self.post(member, per.OFFICER_ROLE_MASS_PREVENTION_MEMBER, station, self.start_date(1))

    def prevention_network(self, station: StationSpec, village: VillageSpec) -> None:
        natural = next(v for v in self.demo.villages if v.parent_id == village.village_id)
        household = self.person(
            station,
            (per.OFFICER_ROLE_SECURITY_CENTRAL_HOUSEHOLD,),
            per.BRANCH_OTHER,
            home=natural,
            township=station.township,
        )
        self.post(
            household,
            per.OFFICER_ROLE_SECURITY_CENTRAL_HOUSEHOLD,
            station,
            self.start_date(2),
            village_id=natural.village_id,
        )
        collector = self.person(
            station,
            (per.OFFICER_ROLE_INFORMATION_COLLECTOR,),
            per.BRANCH_OTHER,
            home=village,
            township=station.township,
            female_share=0.4,
        )
        self.post(
            collector,
            per.OFFICER_ROLE_INFORMATION_COLLECTOR,
            station,
            self.start_date(1),
            village_id=village.village_id,
        )

    # ── activity: village visits (R-PER-8), community hours (R-PER-9), rotas (R-ROOM-6), ratings ──
    def village_visits(self, blank: AssignmentSpec, short_liaison: AssignmentSpec) -> None:
        rng = self.rng
        months = [
            (self.last_month_start, self.last_month_end),
            (self.first_of_month, self.today - timedelta(days=1)),
        ]
        for assignment in self.demo.liaisons:
            if assignment is blank:
                continue
            village = self.demo.village(assignment.village_id)
            for month_start, month_end in months:
                if month_end < month_start:
                    continue
                span = (month_end - month_start).days + 1
                planted = assignment is short_liaison and month_start == self.last_month_start
                count = 1 if planted else min(3, max(1, span // 9))
                for offset in sorted(rng.sample(range(span), min(count, span))):
                    visit_day = month_start + timedelta(days=offset)
                    self.demo.visits.append(
                        VisitSpec(
                            f"{self.prefix}-visit-{assignment.village_id}-{visit_day:%Y%m%d}",
                            assignment.officer_key,
                            per.VISIT_LOG_KIND_VILLAGE_VISIT,
                            _at(visit_day, 9, rng.choice((0, 30))),
                            _at(visit_day, rng.choice((11, 15, 16))),
                            *_jitter(rng, village.lon, village.lat, 0.002),
                            village_id=village.village_id,
                            zone_code=village.zone_code,
                            summary=f"进村走访{village.name}，召开村干部座谈会，走访重点户{rng.randint(3, 9)}户",  # noqa: E501
                            six_roles=tuple(per.SixRole.ValueType(x) for x in _six(rng)),
                            six_does=tuple(per.SixDo.ValueType(x) for x in _six(rng)),
                        )
                    )

    def community_work(self, short_officer: OfficerSpec) -> None:
        week_start = self.last_month_start - timedelta(days=self.last_month_start.weekday())
        for officer, room_spec, zone_code in self.community_officers:
            day = week_start
            short = officer is short_officer
            while day < self.today:
                worked = day.weekday() in ((1, 3) if short else (0, 2, 4))
                if worked and day >= self.last_month_start:
                    self.demo.visits.append(
                        VisitSpec(
                            f"{self.prefix}-work-{officer.key}-{day:%Y%m%d}",
                            officer.key,
                            per.VISIT_LOG_KIND_COMMUNITY_WORK,
                            _at(day, 8, 30),
                            _at(day, 8, 30) + timedelta(hours=6 if short else 8),
                            *_jitter(self.rng, room_spec.lon, room_spec.lat, 0.004),
                            zone_code=zone_code,
                            room_key=room_spec.key,
                            summary="社区走访、入户核查实有人口、接待群众",
                        )
                    )
                day += timedelta(days=1)

    def rotas(self) -> None:
        """This month's duty rotas (R-ROOM-6), every day covered — except three days of the first room."""
        first = self.first_of_month
        month_end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        staff_of_room: dict[str, list[str]] = {}
        for posting in self.demo.postings:
            if posting.room_key and posting.role in (
                per.OFFICER_ROLE_COMMUNITY_OFFICER,
                per.OFFICER_ROLE_AUXILIARY,
            ):
                staff_of_room.setdefault(posting.room_key, []).append(posting.officer_key)
        gap_room = self.demo.rooms[0].key
        for room_spec in self.demo.rooms:
            staff = staff_of_room.get(room_spec.key)
            if not staff:
                continue
            days = []
            for offset in range((month_end - first).days + 1):
                day = first + timedelta(days=offset)
                if room_spec.key == gap_room and day.day in (14, 15, 28):
                    continue
                days.append((day, staff[offset % len(staff)]))
            self.demo.rotas.append(RotaSpec(room_spec.key, first, month_end, tuple(days)))

    def activity(self) -> tuple[AssignmentSpec, AssignmentSpec, OfficerSpec]:
        demo = self.demo
        # R-PER-5 planted: 符离's liaison for its third village was re-posted to the criminal police
        # without a successor → a blank village.
        blank = demo.liaisons[2]
        demo.reposted_liaisons.append(blank)
        short_liaison = demo.liaisons[5]  # R-PER-8 planted: one village day last month
        short_officer = self.community_officers[1][0]  # R-PER-9 planted: 12 hours a week
        self.village_visits(blank, short_liaison)
        self.community_work(short_officer)
        self.rotas()
        for officer in demo.officers:
            if officer.police:
                demo.ratings.append(
                    (officer.key, round(self.rng.uniform(72, 98), 1), round(self.rng.uniform(80, 100), 1))
                )
        return blank, short_liaison, short_officer

    def plant_list(
        self, blank: AssignmentSpec, short_liaison: AssignmentSpec, short_officer: OfficerSpec
    ) -> None:
        demo = self.demo
        room_name = next(r.name for r in demo.rooms if r.key == self.unstaffed_room)
        xieji = self.rural_admin["xieji"]
        liaison_name = demo.officer(short_liaison.officer_key).name
        double = self.double_posted.name if self.double_posted else ""
        station_police = sum(1 for o in demo.officers if o.police and o.station_id)
        all_police = sum(1 for o in demo.officers if o.police)
        demo.planted = [
            Planted("room_without_officer", "R-ROOM-4", room_name),
            Planted("must_build_village_without_room", "R-ROOM-4", self.uncovered_must_build),
            Planted("room_understaffed", "R-PER-2", self.mobile[1].name + "（1民警+1辅警）"),
            Planted("room_officer_not_full_time", "R-PER-3", f"{double} 专职社区民警仍在派出所值班"),
            Planted("population_ratio_exceeded", "R-PER-4", "北关社区 12,600 人 / 1 名社区民警"),
            Planted("station_headcount_low", "R-PER-4", "解集派出所 3 名民警（乡村所不少于5名）"),
            Planted(
                "station_force_share_low",
                "R-PER-4",
                f"派出所警力 {station_police}/{all_police}（城区分局不少于50%）",
            ),
            Planted("blank_village", "R-PER-5", demo.village(blank.village_id).name + "（包村民警调任未补）"),
            Planted("village_without_auxiliary", "R-PER-5", xieji[-2].name + "（驻村辅警未派驻）"),
            Planted("auxiliary_rotation_due", "R-PER-7", demo.village(demo.auxiliaries[1].village_id).name),
            Planted(
                "village_days_short",
                "R-PER-8",
                f"{liaison_name} 在{demo.village(short_liaison.village_id).name}上月仅1天",
            ),
            Planted("community_hours_short", "R-PER-9", f"{short_officer.name} 每周12小时"),
            Planted(
                "rota_gap", "R-ROOM-6", f"{demo.rooms[0].name} {self.first_of_month:%Y-%m}-14/15/28 无人值班"
            ),
        ]

    def build(self) -> DemoDistrict:
        self.territory()
        self.urban_rooms()
        self.rural_rooms()
        self.mobile_rooms()
        self.station_staff()
        self.mobile_staff()
        self.bureau_units()
        self.village_staff()
        self.plant_list(*self.activity())
        return self.demo


def build(district: str, today: date, seed: int = 20261122) -> DemoDistrict:
    """The whole demo district for ``district``, with activity up to ``today`` (exclusive)."""
    return _Builder(district, today, seed).build()

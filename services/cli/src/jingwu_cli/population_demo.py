"""The demo district's population ledger (一标三实 columns), for ``jingwu import FILE --demo``: ≥ 100,000
residents on the demo district's streets, communities and villages (``demo_data``), in houses of one to
six people, every category and key group, rental houses, people registered at one house and living at
another (人户分离), realistic names with some rare characters outside the BMP. Deterministic for a seed,
so the file (and its SHA-256, the import's identity) is the same on every machine: importing it again
changes nothing. Places with overdue inspections are registered through the API after the import."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu.population.v1 import population_pb2_grpc
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.grpc_client import open_channel

from jingwu_cli.config import signing_secret
from jingwu_cli.demo_data import FEMALE, MALE, SURNAMES, DemoDistrict, VillageSpec, ZoneSpec, build
from jingwu_cli.ledger_files import write_csv

if TYPE_CHECKING:
    from jingwu_cli.population_commands import PopulationClient

SEED = 20261122
# The column headings the population service reads (jingwu_population.domain.ledger).
COLUMNS = [
    "标准地址", "地址编码", "经度", "纬度", "警务区编码", "社区村编码", "房屋类别", "户号", "与户主关系",
    "姓名", "公民身份号码", "联系电话", "性别", "出生日期", "人口类别", "重点人群", "重点人群原因",
    "责任民警", "复核日期", "户籍地址", "现状", "入住日期",
]  # fmt: skip
# Characters outside the Basic Multilingual Plane, as they occur in real names (生僻字).
RARE = ("𠀋", "𪚥", "𡒄", "𣘺", "𤭢", "𨭎", "𠮷", "𩽾")
STREETS = (
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
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GROUPS = (
    ("刑释解教", "刑满释放，帮教"),
    ("闲散青少年", "辍学在家"),
    ("严重精神障碍", "在册管理"),
    ("留守儿童", "父母外出务工"),
    ("独居老人", "子女在外地"),
)
# Demo "today" for dates in the file (move-in dates before it): fixed, so the file does not depend on the
# day it is written, and in the past, so no date in it is in the future.
AS_OF = date(2025, 1, 1)


def _id_number(rng: random.Random, born: date, male: bool, region: str = "341302") -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def _name(rng: random.Random, male: bool) -> str:
    pool = MALE if male else FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.75 else "")
    if rng.random() < 0.006:
        given = rng.choice(RARE) + given[1:]
    return rng.choice(SURNAMES) + given


def _zone_villages(demo: DemoDistrict) -> dict[str, list[VillageSpec]]:
    """A zone's communities or villages (its community_ids) with their natural villages."""
    by_id = {v.village_id: v for v in demo.villages}
    by_zone: dict[str, list[VillageSpec]] = {}
    for zone in demo.zones:
        members = [by_id[c] for c in zone.community_ids if c in by_id]
        members += [v for v in demo.villages if v.parent_id in zone.community_ids]
        by_zone[zone.code] = members
    return by_zone


def demo_rows(district: str, residents: int = 100_000, seed: int = SEED) -> Iterator[dict[str, str]]:
    """Rows of the demo ledger: the zones' declared populations scaled to ``residents`` in all."""
    demo = build(district, AS_OF, seed)
    rng = random.Random(seed + 1)  # noqa: S311 - synthetic data, reproducible by design
    stations = {s.station_id: s for s in demo.stations}
    villages = _zone_villages(demo)
    declared = sum(z.population for z in demo.zones)
    made = 0
    seen_ids: set[str] = set()
    registered_elsewhere: list[str] = []
    for index, zone in enumerate(demo.zones):
        target = (
            residents - made
            if index == len(demo.zones) - 1
            else round(residents * zone.population / declared)
        )
        yield from _zone_rows(
            rng,
            district,
            zone,
            villages.get(zone.code, []),
            stations[zone.station_id].township,
            target,
            seen_ids,
            registered_elsewhere,
        )
        made += target


def _zone_rows(  # noqa: PLR0917 - the generator's state, passed down
    rng: random.Random,
    district: str,
    zone: ZoneSpec,
    villages: list[VillageSpec],
    township: str,
    target: int,
    seen_ids: set[str],
    registered_elsewhere: list[str],
) -> Iterator[dict[str, str]]:
    made = 0
    house_no = 0
    homes = [v for v in villages if not v.natural] or villages
    while made < target:
        house_no += 1
        village = rng.choice(homes)
        urban = village.urban
        if urban:
            road = rng.choice(STREETS)
            # 99 numbers a zone on each road; a zone with more houses (a ledger of a million) goes on
            # from 10,000 up, 20,000 up, … on the same pattern, never into the next zone's numbers.
            block, door = divmod(house_no // 60, 99)
            address = (
                f"宿州市埇桥区{township}{village.name}{road}"
                f"{block * 10_000 + zone.sequence * 100 + 1 + door}号"
                f"{1 + house_no // 12 % 5}栋{1 + house_no // 4 % 3}单元"
                f"{1 + house_no % 6}0{1 + house_no % 4}室"
            )
            spread = 0.006
        else:
            naturals = [v for v in villages if v.parent_id == village.village_id]
            natural = rng.choice(naturals).name if naturals else village.name.removesuffix("村")
            address = f"宿州市埇桥区{township}{village.name}{natural}{house_no}号"
            spread = 0.004
        lon = round(village.lon + rng.uniform(-spread, spread), 6)
        lat = round(village.lat + rng.uniform(-spread, spread), 6)
        rental = rng.random() < (0.12 if urban else 0.04)
        size = min(target - made, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6)))
        surname = rng.choice(SURNAMES)
        for member in range(size):
            male = rng.random() < 0.51
            if member == 0:
                relation, born = "户主", date(rng.randint(1945, 1995), rng.randint(1, 12), rng.randint(1, 28))
            elif member == 1:
                relation, born = "配偶", date(rng.randint(1948, 1998), rng.randint(1, 12), rng.randint(1, 28))
            else:
                relation, born = (
                    rng.choice(("子女", "子女", "父母", "孙子女", "兄弟姐妹")),
                    date(rng.randint(1940, 2022), rng.randint(1, 12), rng.randint(1, 28)),
                )
            if rental:
                relation = "户主" if member == 0 else "租户"
            roll = rng.random()
            category = (
                "暂住"
                if rental or roll < 0.10
                else "流动"
                if roll < 0.22
                else "寄口"
                if roll < 0.26
                else "户籍"
            )
            number = _id_number(
                rng,
                born,
                male,
                "341302"
                if category in ("户籍", "寄口")
                else rng.choice(("340321", "341221", "320321", "410102")),
            )
            while number in seen_ids:
                number = _id_number(rng, born, male)
            seen_ids.add(number)
            name = (
                surname + _name(rng, male)[1:]
                if member and relation in ("子女", "孙子女")
                else _name(rng, male)
            )
            row = {
                "标准地址": address,
                "经度": f"{lon:.6f}",
                "纬度": f"{lat:.6f}",
                "警务区编码": zone.code,
                "社区村编码": village.village_id,
                "房屋类别": "出租屋" if rental else "住宅",
                "户号": "1" if not rental else str(member + 1),
                "与户主关系": relation,
                "姓名": name,
                "公民身份号码": number,
                "联系电话": f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if born.year < 2010 else "",
                "人口类别": category,
                "现状": rng.choice(("务工", "务农", "退休", "在校", "个体经营", "")),
                "入住日期": (AS_OF - timedelta(days=rng.randint(30, 9000))).isoformat(),
            }
            if rng.random() < 0.035:
                group, reason = rng.choice(GROUPS)
                row["重点人群"], row["重点人群原因"] = group, reason
            if category == "户籍" and registered_elsewhere and rng.random() < 0.05:
                row["户籍地址"] = rng.choice(registered_elsewhere)  # 人户分离: registered at another house
            yield row
            made += 1
        if not rental and rng.random() < 0.2:
            registered_elsewhere.append(address)
            del registered_elsewhere[:-200]


def ensure_demo_ledger(path: Path, district: str, residents: int = 100_000) -> Path:
    """Write the demo ledger unless the file exists (the same file, so re-running changes nothing)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        write_csv(partial, COLUMNS, demo_rows(district, residents))
        partial.replace(path)
    return path


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


async def seed_places(client: PopulationClient, district: str) -> int:
    """Key units, enterprises, rental houses and public places: inspected last month or this month, and
    some not since two months ago (overdue, R-POP-3). Idempotent by request id."""
    demo = build(district, AS_OF, SEED)
    rng = random.Random(SEED + 2)  # noqa: S311
    kinds = (
        pb.PLACE_KIND_KEY_UNIT,
        pb.PLACE_KIND_ENTERPRISE,
        pb.PLACE_KIND_RENTAL_HOUSE,
        pb.PLACE_KIND_COMPLEX_PUBLIC_PLACE,
    )
    names = {
        pb.PLACE_KIND_KEY_UNIT: "银行网点",
        pb.PLACE_KIND_ENTERPRISE: "物流公司",
        pb.PLACE_KIND_RENTAL_HOUSE: "出租公寓",
        pb.PLACE_KIND_COMPLEX_PUBLIC_PLACE: "网吧",
    }
    now = datetime.now(UTC)
    count = 0
    # Inspections are recorded by an officer (R-POP-3): a token for the demo's inspecting officer,
    # signed with the local key as the demo loader does.
    secret = signing_secret()
    inspector = (
        open_channel(client.address, issue_token(secret, "demo-inspector", district, [Role.OFFICER]))
        if secret
        else None
    )
    inspections = population_pb2_grpc.PopulationServiceStub(inspector) if inspector else None
    for index, zone in enumerate(demo.zones):
        village = next(v for v in demo.villages if v.village_id in zone.community_ids)
        for k, kind in enumerate(kinds):
            key = f"demo-{district}-place-{zone.code}-{k}"
            place = (
                await client.call(
                    client.stub.RegisterPlace,
                    pb.RegisterPlaceRequest(
                        kind=kind,
                        name=f"{village.name}{names[kind]}",
                        address=f"宿州市埇桥区{village.name}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
                        location=common_pb2.GeoPoint(
                            longitude=village.lon + rng.uniform(-0.003, 0.003),
                            latitude=village.lat + rng.uniform(-0.003, 0.003),
                        ),
                        zone_code=zone.code,
                        village_id=village.village_id,
                        contact_name=_name(rng, True),
                        contact_phone=f"139{rng.randrange(10**8):08d}",
                        request_id=key,
                    ),
                )
            ).place
            count += 1
            # Every fourth place was last inspected two months ago: overdue now (R-POP-3).
            days_ago = 62 if (index + k) % 4 == 0 else 3
            if inspections is None:
                continue
            await client.call(
                inspections.RecordPlaceInspection,
                pb.RecordPlaceInspectionRequest(
                    place_id=place.place_id,
                    inspect_time=_stamp(now - timedelta(days=days_ago)),
                    result=pb.INSPECTION_RESULT_PASSED,
                    request_id=f"{key}-inspection",
                ),
            )
    if inspector is not None:
        await inspector.close()
    return count

"""A small population for the console's browser tests, through the population service's gRPC API: in
every zone of the demo slice, houses at its villages with a few residents each (valid GB 11643 numbers),
and places under monthly inspection — one in four last inspected two months ago, overdue (R-POP-3)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pop
from jingwu.population.v1 import population_pb2_grpc
from jingwu_cli.demo_data import DemoDistrict
from jingwu_platform.grpc_client import open_channel

R = TypeVar("R")

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
KINDS = (pop.PLACE_KIND_KEY_UNIT, pop.PLACE_KIND_ENTERPRISE, pop.PLACE_KIND_COMPLEX_PUBLIC_PLACE)


def id_number(born: date, sequence: int, region: str = "341302") -> str:
    """A valid 18-digit identity number: region, birth date, sequence, ISO 7064 MOD 11-2 check digit."""
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


async def seed_population(target: str, keeper_token: str, officer_token: str, demo: DemoDistrict) -> int:
    """Houses, residents and places for every zone of ``demo``; answers the residents moved in."""
    rng = random.Random(20261202)
    keeper = open_channel(target, keeper_token)
    officer = open_channel(target, officer_token)
    stub = population_pb2_grpc.PopulationServiceStub(keeper)
    field = population_pb2_grpc.PopulationServiceStub(officer)
    residents = 0
    try:
        for z, zone in enumerate(demo.zones):
            villages = [v for v in demo.villages if v.zone_code == zone.code][:2]
            for h, village in enumerate(villages):
                key = f"console-{zone.code}-{h}"
                house = (
                    await _call(
                        stub.RegisterHouse,
                        pop.RegisterHouseRequest(
                            standard_address=f"安徽省宿州市埇桥区{village.name}{h + 1}号",
                            location=common_pb2.GeoPoint(
                                longitude=village.lon + rng.uniform(-0.002, 0.002),
                                latitude=village.lat + rng.uniform(-0.002, 0.002),
                            ),
                            zone_code=zone.code,
                            village_id=village.village_id,
                            kind=pop.HOUSE_KIND_RESIDENTIAL,
                            request_id=key,
                        ),
                    )
                ).house
                for r in range(3):
                    born = date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
                    await _call(
                        stub.MoveInResident,
                        pop.MoveInResidentRequest(
                            house_id=house.house_id,
                            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                            id_number=id_number(born, z * 10 + h * 3 + r),
                            phone=f"139{rng.randrange(10**8):08d}",
                            gender=pop.GENDER_MALE if r % 2 else pop.GENDER_FEMALE,
                            birth_date=common_pb2.LocalDate(year=born.year, month=born.month, day=born.day),
                            relation=pop.RELATION_HOUSEHOLDER if r == 0 else pop.RELATION_CHILD,
                            category=pop.RESIDENT_CATEGORY_REGISTERED,
                            move_in_date=common_pb2.LocalDate(year=2024, month=1, day=1),
                            request_id=f"{key}-{r}",
                        ),
                    )
                    residents += 1
            if not villages:
                continue
            village = villages[0]
            kind = KINDS[z % len(KINDS)]
            place = (
                await _call(
                    stub.RegisterPlace,
                    pop.RegisterPlaceRequest(
                        kind=kind,
                        name=f"{village.name}{'银行网点' if kind == pop.PLACE_KIND_KEY_UNIT else '市场'}",
                        address=f"安徽省宿州市埇桥区{village.name}",
                        location=common_pb2.GeoPoint(longitude=village.lon + 0.003, latitude=village.lat),
                        zone_code=zone.code,
                        village_id=village.village_id,
                        contact_name="周经理",
                        contact_phone="13955550000",
                        request_id=f"console-place-{zone.code}",
                    ),
                )
            ).place
            days_ago = 62 if z % 4 == 0 else 3  # overdue now (R-POP-3)
            await _call(
                field.RecordPlaceInspection,
                pop.RecordPlaceInspectionRequest(
                    place_id=place.place_id,
                    inspect_time=_stamp(datetime.now(UTC) - timedelta(days=days_ago)),
                    result=pop.INSPECTION_RESULT_PASSED,
                    request_id=f"console-place-{zone.code}-inspection",
                ),
            )
    finally:
        await keeper.close()
        await officer.close()
    return residents


async def _call(method: Callable[..., Awaitable[R]], request: object) -> R:
    """One call, retried for a while when the service does not know the zone or village yet (it learns
    the territory from the room registry's events) or is still starting."""
    retried = (
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    for attempt in range(60):
        try:
            return await method(request, timeout=60)
        except grpc.aio.AioRpcError as error:
            if attempt == 59 or error.code() not in (*retried, grpc.StatusCode.UNAVAILABLE):
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")

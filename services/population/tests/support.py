"""Builders shared by the population tests: valid identity numbers, the use cases on the in-memory
repository with a fake clock, ledger rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from jingwu_platform.auth import Caller, Role
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.usecase import FakeClock, UseCaseKit
from jingwu_population.adapters.memory import InMemoryPopulation
from jingwu_population.adapters.store import StoredPopulation
from jingwu_population.application.audit import AuditApplication
from jingwu_population.application.context import SERVICE, PopulationPolicy
from jingwu_population.application.counts import MapApplication, ZonePopulationApplication
from jingwu_population.application.findings import FindingsApplication
from jingwu_population.application.houses import HouseApplication
from jingwu_population.application.imports import ImportApplication
from jingwu_population.application.information import InformationApplication
from jingwu_population.application.places import PlaceApplication
from jingwu_population.application.residents import ResidentApplication
from jingwu_population.application.territory import TerritoryApplication
from jingwu_population.application.visits import VisitApplication
from jingwu_population.domain import ledger as columns
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.identity import check_character
from jingwu_population.domain.people import Category, House, Relation, Resident
from jingwu_population.domain.registration import HouseDraft, ResidentDraft, new_house, new_resident

DISTRICT = "01"
# Monday 2 March 2026, 09:00 in the district (01:00 UTC).
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OFFICER = Caller("officer-1", DISTRICT, frozenset({Role.OFFICER}))
ADMIN = Caller("admin-1", DISTRICT, frozenset({Role.DISTRICT_ADMIN}))
PII = Caller("pii-1", DISTRICT, frozenset({Role.PII_READER}))
AUDITOR = Caller("auditor-1", DISTRICT, frozenset({Role.AUDITOR}))
ZONE = "01020201"
ZONE_2 = "01020202"
RARE_NAME = "𠀋𪚥龘"  # two characters outside the BMP and one inside


def identity_number(born: date, sequence: int = 123, region: str = "341302") -> str:
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + check_character(body)


@dataclass
class Apps:
    clock: FakeClock
    kit: UseCaseKit
    repo: InMemoryPopulation
    houses: HouseApplication
    residents: ResidentApplication
    places: PlaceApplication
    information: InformationApplication
    visits: VisitApplication
    map: MapApplication
    counts: ZonePopulationApplication
    findings: FindingsApplication
    territory: TerritoryApplication
    imports: ImportApplication
    audit: AuditApplication


def apps(at: datetime = AT, policy: PopulationPolicy | None = None) -> Apps:
    clock = FakeClock(at)
    kit = UseCaseKit.create(DISTRICT, SERVICE, uuid.UUID(int=8), clock=clock)
    rules = policy or PopulationPolicy.from_kit(kit)
    repo = InMemoryPopulation()
    return Apps(
        clock,
        kit,
        repo,
        HouseApplication(kit, repo, repo, repo),
        ResidentApplication(kit, rules, repo, repo, repo),
        PlaceApplication(kit, rules, repo, repo),
        InformationApplication(kit, repo, repo),
        VisitApplication(kit, rules, repo, repo, repo, repo),
        MapApplication(kit, repo),
        ZonePopulationApplication(kit, rules, repo, repo),
        FindingsApplication(kit, rules, repo, repo, repo, repo),
        TerritoryApplication(kit, repo, repo, repo, repo),
        ImportApplication(kit, repo, repo, repo, repo),
        AuditApplication(kit, repo, repo, b"test-audit-key"),
    )


def house_draft(
    n: int = 1, zone: str = ZONE, lon: float = 116.97, lat: float = 33.64, village: str = ""
) -> HouseDraft:
    return HouseDraft(
        address=f"宿州市埇桥区汴河街道汴河社区汴河路{n}号",
        location=GeoPoint(lon + n * 0.0001, lat),
        zone_code=zone,
        village_id=village,
    )


def person(
    n: int = 1,
    *,
    name: str = "张伟",
    category: Category = Category.REGISTERED,
    relation: Relation = Relation.HOUSEHOLDER,
    born: date = date(1980, 5, 17),
    registered_address: str = "",
) -> ResidentDraft:
    return ResidentDraft(
        name=name,
        id_number=identity_number(born, n),
        phone=f"1380000{n:04d}",
        relation=relation,
        category=category,
        registered_address=registered_address,
    )


def house(n: int, zone: str = ZONE) -> House:
    return new_house(house_draft(n, zone=zone), house_id=f"h-{n:03d}", at=AT, by="t")


def resident(n: int, home: House, **changes: Any) -> Resident:
    made = new_resident(
        person(n, name=changes.pop("name", "张伟")),
        resident_id=f"r-{n:03d}",
        house=home,
        household_id="hh-1",
        registered_house_id="",
        at=AT,
        by="t",
    )
    return replace(made, **changes)


async def reopened(repo: Any) -> Any:
    """The repository as a restarted process sees it, rebuilt from the store (the fake has nothing to
    reload)."""
    if not isinstance(repo, StoredPopulation):
        return repo
    again = StoredPopulation(repo._db, OutboxRegistry())
    await again.load()
    return again


def ledger_row(
    n: int, *, house: int | None = None, zone: str = ZONE, extra: dict[str, str] | None = None
) -> dict[str, str]:
    number = house if house is not None else n
    row = {
        columns.ADDRESS: f"宿州市埇桥区汴河街道汴河社区淮海路{number}号",
        columns.LONGITUDE: f"{116.97 + number * 0.0001:.5f}",
        columns.LATITUDE: "33.64000",
        columns.ZONE: zone,
        columns.HOUSE_KIND: "住宅",
        columns.HOUSEHOLD: "1",
        columns.RELATION: "户主" if house is None else "子女",
        columns.NAME: f"李{'一二三四五六七八九'[n % 9]}",
        columns.ID_NUMBER: identity_number(date(1970 + n % 40, 1 + n % 12, 1 + n % 28), n),
        columns.PHONE: f"1390000{n:04d}",
        columns.CATEGORY: "户籍",
    }
    row.update(extra or {})
    return row

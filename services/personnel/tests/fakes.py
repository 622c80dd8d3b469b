"""The personnel service on in-memory repositories and a fake clock: every application class wired as
the process wires them (entrypoints.main.applications), one outbox to read the events from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from jingwu_personnel.adapters.memory import memory_repositories
from jingwu_personnel.application.ports import Repositories
from jingwu_personnel.application.posting_moves import RegistryEvent
from jingwu_personnel.application.territory_changes import (
    Refusal,
    RoomOpened,
    StationCreated,
    TerritoryChange,
    VillageRegistered,
    ZoneCreated,
)
from jingwu_personnel.domain.officers import Branch, Officer, OfficerDraft, OfficerRole
from jingwu_personnel.domain.territory import (
    RoomKind,
    RoomStatus,
    RoomView,
    StationKind,
    StationView,
    VillageView,
    ZoneView,
)
from jingwu_personnel.entrypoints.main import ID_NAMESPACE, SERVICE, Applications, applications
from jingwu_platform.auth import Caller, Role
from jingwu_platform.calendar import local_date
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.repository import FakeOutbox
from jingwu_platform.usecase import FakeClock, UseCaseKit

from .samples import AT, DISTRICT, STATION, ZONE

LEADER = Caller("lead-1", DISTRICT, frozenset({Role.SUPERVISOR}))
ADMIN = Caller("admin-1", DISTRICT, frozenset({Role.DISTRICT_ADMIN}))
PII_READER = Caller("auditor-7", DISTRICT, frozenset({Role.OFFICER, Role.PII_READER}))
RELAY = Caller("callback-service", DISTRICT, frozenset({Role.SERVICE}))


def officer_caller(officer_id: str) -> Caller:
    return Caller(officer_id, DISTRICT, frozenset({Role.OFFICER}))


@dataclass
class FakePersonnel:
    apps: Applications
    repositories: Repositories
    outbox: FakeOutbox
    clock: FakeClock
    kit: UseCaseKit

    @property
    def today(self) -> date:
        return local_date(self.clock.now())

    def registry_event(self, event_id: str, event_type: str, day: date | None = None) -> RegistryEvent:
        return RegistryEvent(event_id, f"jingwu.rooms.v1.{event_type}", day or self.today)

    # --- the registry's territory, as its events would tell it -------------------------------------

    async def territory(self, *changes: TerritoryChange) -> list[Refusal]:
        """A batch of the registry's changes, as the consumer hands them over."""
        return await self.apps.territory.apply(changes)

    async def station(self, station_id: str = STATION, kind: StationKind = StationKind.URBAN) -> None:
        await self.territory(StationCreated(StationView(station_id, f"{station_id}派出所", kind)))

    async def room(
        self, room_id: str, kind: RoomKind = RoomKind.URBAN_HOME_STYLE, zone: str = ZONE
    ) -> RoomView:
        view = RoomView(room_id, kind, RoomStatus.ACTIVE, STATION, (zone,), name=f"{room_id}警务室")
        await self.territory(RoomOpened(view))
        return view

    async def village(self, village_id: str, township: str = "符离镇", zone: str = ZONE) -> VillageView:
        view = VillageView(
            village_id, f"{village_id}村", zone_code=zone, station_id=STATION, township=township
        )
        await self.territory(VillageRegistered(view))
        return view

    async def zone(self, zone_code: str = ZONE, population: int = 0) -> None:
        await self.territory(
            ZoneCreated(ZoneView(zone_code, STATION, ("c-1",), workload_population=population))
        )

    # --- people -------------------------------------------------------------------------------------

    async def police(self, name: str, *, request_id: str = "", **draft: object) -> Officer:
        values: dict[str, object] = {
            "name": name,
            "roles": (OfficerRole.POLICE, OfficerRole.COMMUNITY_OFFICER, OfficerRole.VILLAGE_LIAISON_OFFICER),
            "branch": Branch.STATION,
            "station_id": STATION,
            "id_number": "341302198803150417",
            "phone": "13905571234",
            **draft,
        }
        return await self.apps.officers.register(OfficerDraft(**values), caller=ADMIN, request_id=request_id)  # type: ignore[arg-type]

    async def auxiliary(self, name: str, **draft: object) -> Officer:
        values: dict[str, object] = {
            "roles": (OfficerRole.AUXILIARY, OfficerRole.RESIDENT_AUXILIARY),
            "branch": None,
            "home_township": "符离镇",
            "home_village_id": "v-elsewhere",
            **draft,
        }
        return await self.police(name, **values)  # type: ignore[arg-type]


def fake_personnel(
    *, at: datetime = AT, policy: DistrictPolicy | None = None, checks_by_events: bool = False
) -> FakePersonnel:
    """``checks_by_events``: wired as the running service is (commands leave staffing evaluation to
    their events, which StaffingInputs judges a batch at a time)."""
    clock = FakeClock(at)
    outbox = FakeOutbox()
    repositories = memory_repositories(outbox)
    kit = UseCaseKit.create(DISTRICT, SERVICE, ID_NAMESPACE, clock=clock, policy=policy)
    apps = applications(kit, repositories, checks_by_events=checks_by_events)
    return FakePersonnel(apps, repositories, outbox, clock, kit)

"""The room registry's use cases, wired once over a set of repositories: the Mongo adapters in the
process (entrypoints/main.py), the in-memory fakes in application tests."""

from __future__ import annotations

from dataclasses import dataclass

from jingwu_platform.usecase import UseCaseKit

from jingwu_rooms.application.coverage import CoverageApplication
from jingwu_rooms.application.ports import Repositories
from jingwu_rooms.application.postings import PostingApplication
from jingwu_rooms.application.redivision import RedivisionApplication
from jingwu_rooms.application.rooms import RoomApplication
from jingwu_rooms.application.rota import RotaApplication
from jingwu_rooms.application.territory import TerritoryApplication

SERVICE = "rooms"


@dataclass(frozen=True)
class RoomRegistry:
    rooms: RoomApplication
    territory: TerritoryApplication
    redivisions: RedivisionApplication
    rotas: RotaApplication
    postings: PostingApplication
    coverage: CoverageApplication

    @classmethod
    def create(cls, kit: UseCaseKit, repositories: Repositories) -> RoomRegistry:
        stores = repositories
        return cls(
            rooms=RoomApplication(kit, stores.rooms, stores.postings, stores.zones),
            territory=TerritoryApplication(kit, stores.stations, stores.zones, stores.villages),
            redivisions=RedivisionApplication(
                kit,
                redivisions=stores.redivisions,
                stations=stores.stations,
                zones=stores.zones,
                villages=stores.villages,
                rooms=stores.rooms,
            ),
            rotas=RotaApplication(kit, stores.rotas, stores.rooms, stores.postings),
            postings=PostingApplication(stores.postings),
            coverage=CoverageApplication(stores.rooms, stores.villages, stores.postings),
        )

    async def complete_interrupted_commands(self) -> None:
        """At start, before serving: multi-document commands a crash cut short are completed."""
        await self.redivisions.resume_redivisions()
        await self.rooms.complete_interrupted_merges()

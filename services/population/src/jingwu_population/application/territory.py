"""Territory from the room registry's events (stations, zones with boundaries, villages), and the
population side of a zone re-division (R-ORG-3): every house of a dissolved zone moves to a new zone
with its residents, listed item by item in the hand-over list. Stored as a plan first, applied in
chunks, resumed after a crash (a re-delivered event, or the start of the service, continues it)."""

from __future__ import annotations

import logging
from dataclasses import replace

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.adapters.proto_mapping import handover_to_proto
from jingwu_population.application.ports import Aggregate, Change, Houses, Residents, Territory, UnitOfWork
from jingwu_population.domain.territory import (
    HandoverChunk,
    HandoverEntry,
    Redivision,
    RedivisionStatus,
    Station,
    Village,
    Zone,
    plan_house_moves,
)

log = logging.getLogger(__name__)
# Houses moved per commit (each with its residents' hand-over items).
CHUNK_HOUSES = 500


class TerritoryApplication:
    def __init__(
        self, kit: UseCaseKit, store: UnitOfWork, territory: Territory, houses: Houses, residents: Residents
    ) -> None:
        self._kit = kit
        self._store = store
        self._territory = territory
        self._houses = houses
        self._residents = residents

    async def _upsert(self, new: Zone | Village | Station, current: Zone | Village | Station | None) -> None:
        if current is not None and replace(current, version=0) == new:
            return  # a re-delivered event: nothing changes
        write = replace(new, version=current.version if current is not None else 0)
        await self._store.commit(Change((write,)))

    async def station_created(self, station: Station) -> None:
        await self._upsert(station, await self._territory.station(station.station_id))

    async def zone_created(self, zone: Zone) -> None:
        current = await self._territory.zone(zone.zone_code)
        if current is not None and current.retired:
            return  # created again after being dissolved: the registry never reuses codes
        await self._upsert(zone, current)

    async def village_registered(self, village: Village) -> None:
        await self._upsert(village, await self._territory.village(village.village_id))

    async def zones_redivided(self, plan: Redivision) -> Redivision:
        """R-ORG-3: store the plan with the new zones (and the dissolved ones retired), then move the
        houses. A plan already stored is continued (the event delivered again after a crash)."""
        existing = await self._territory.redivision(plan.redivision_id)
        if existing is None:
            writes: list[Aggregate] = [plan]
            for zone in plan.new_zones:
                current = await self._territory.zone(zone.zone_code)
                writes.append(replace(zone, version=current.version if current else 0))
            for code in plan.from_zone_codes:
                current = await self._territory.zone(code)
                if current is not None and not current.retired:
                    writes.append(replace(current, retired=True, successor_zone_codes=plan.to_zone_codes))
            villages = await self._territory.villages()
            for village_id, to_zone in plan.village_to_zone.items():
                village = villages.get(village_id)
                if village is not None and village.zone_code != to_zone:
                    writes.append(replace(village, zone_code=to_zone))
            stored = await self._store.commit(Change(tuple(writes)))
            existing = await self._territory.redivision(plan.redivision_id)
            if stored is None and existing is None:
                return await self.zones_redivided(plan)
        assert existing is not None
        return await self.apply(existing)

    async def apply(self, redivision: Redivision) -> Redivision:
        """Move the houses still in dissolved zones, a chunk per commit, until none is left."""
        while redivision.status is RedivisionStatus.APPLYING:
            houses = await self._houses.houses_in_zones(redivision.from_zone_codes)
            villages = await self._territory.villages()
            moves = plan_house_moves(
                redivision, ((h.house_id, h.zone_code, h.village_id, h.location) for h in houses), villages
            )
            if not moves:
                done = replace(redivision, status=RedivisionStatus.DONE)
                event = self._kit.events(
                    events.ZoneHandoverCompleted(
                        district_code=self._kit.district,
                        zone_handover=handover_to_proto(done, []),
                        occur_time=self._kit.events.occur_time(),
                    ),
                    key=redivision.redivision_id,
                )
                stored = await self._store.commit(Change((done,), (event,)))
                redivision = await self._reload(redivision)
                if stored is not None:
                    log.info(
                        "re-division applied",
                        extra={"redivision_id": done.redivision_id, "houses": done.houses_moved},
                    )
                continue
            chunk = moves[:CHUNK_HOUSES]
            by_id = {h.house_id: h for h in houses}
            writes: list[Aggregate] = []
            entries: list[HandoverEntry] = []
            residents_moved = 0
            for move in chunk:
                house = by_id[move.house_id]
                writes.append(
                    replace(
                        house,
                        zone_code=move.to_zone_code,
                        updated_at=self._kit.now(),
                        updated_by="system:population",
                    )
                )
                entries.append(HandoverEntry("house", move.house_id, move.from_zone_code, move.to_zone_code))
                for resident in await self._residents.living_in(move.house_id):
                    entries.append(
                        HandoverEntry(
                            "resident", resident.resident_id, move.from_zone_code, move.to_zone_code
                        )
                    )
                    residents_moved += 1
            index = redivision.chunks
            writes.append(
                HandoverChunk(
                    f"{redivision.redivision_id}/{index:06d}", redivision.redivision_id, index, tuple(entries)
                )
            )
            writes.append(
                replace(
                    redivision,
                    houses_moved=redivision.houses_moved + len(chunk),
                    residents_moved=redivision.residents_moved + residents_moved,
                    chunks=index + 1,
                )
            )
            await self._store.commit(Change(tuple(writes)))
            redivision = await self._reload(redivision)
        return redivision

    async def _reload(self, redivision: Redivision) -> Redivision:
        found = await self._territory.redivision(redivision.redivision_id)
        assert found is not None
        return found

    async def resume(self) -> None:
        """At start: finish re-divisions a crash interrupted (R-ORG-3: nothing is orphaned)."""
        for redivision in await self._territory.redivisions_applying():
            log.info("resuming re-division", extra={"redivision_id": redivision.redivision_id})
            await self.apply(redivision)

    async def handover(
        self, redivision_id: str, after: int, limit: int
    ) -> tuple[Redivision | None, list[HandoverEntry], int]:
        """The hand-over list (R-ORG-3), paged by entry position."""
        redivision = await self._territory.redivision(redivision_id)
        if redivision is None:
            return None, [], 0
        entries = [e for chunk in await self._territory.handover_chunks(redivision_id) for e in chunk.entries]
        page = entries[after : after + limit]
        return redivision, page, after + limit if after + limit < len(entries) else 0

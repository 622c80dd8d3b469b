"""Use cases of the territory: stations, zones and villages (R-ORG-1, 2, 4, 5). Each create is
idempotent by its client-chosen id: the same create repeated answers the stored record and publishes
nothing new; the same id with other content is ALREADY_EXISTS. Zone re-division (R-ORG-3) is in
application/redivision.py."""

from __future__ import annotations

from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_rooms.adapters.proto_mapping import station_to_proto, village_to_proto, zone_to_proto
from jingwu_rooms.application.ports import (
    StationQuery,
    StationRepository,
    VillageQuery,
    VillageRepository,
    ZoneClash,
    ZoneQuery,
    ZoneRepository,
)
from jingwu_rooms.domain.territory import (
    Station,
    StationDraft,
    Village,
    VillageDraft,
    VillageLevel,
    Zone,
    ZoneDraft,
    check_community_naming,
    new_station,
    new_zone,
    place_village,
    validate_village_draft,
    validate_zone_draft,
)


def zone_clash_error(zone: Zone, clash: ZoneClash) -> Exception:
    """R-ORG-2: a zone code is unique per district and never reused; two active zones never share a name."""
    if clash is ZoneClash.CODE:
        return AlreadyExists("zone", zone.zone_code)
    return RuleViolation("R-ORG-2", f"zones/{zone.zone_code}", f"an active zone is already named {zone.name}")


class TerritoryApplication:
    def __init__(
        self, kit: UseCaseKit, stations: StationRepository, zones: ZoneRepository, villages: VillageRepository
    ) -> None:
        self._kit = kit
        self._stations = stations
        self._zones = zones
        self._villages = villages

    @property
    def _district(self) -> str:
        return self._kit.district

    # --- stations (R-ORG-1, R-ORG-4) ------------------------------------------------------------------

    async def create_station(self, draft: StationDraft, station_id: str, *, caller: Caller) -> Station:
        """A repeated create with the same client-chosen id and content returns the stored station."""
        station = new_station(
            draft, station_id=station_id or self._kit.ids.new(), at=self._kit.now(), by=caller.subject
        )
        event = events_pb2.StationCreated(
            district_code=self._district,
            station=station_to_proto(station),
            occur_time=self._kit.events.occur_time(),
        )
        if await self._stations.insert(station, [self._kit.events(event, station.station_id)]):
            return station
        existing = await self.get_station(station.station_id)
        if not existing.same_content(station):
            raise AlreadyExists("station", station.station_id)
        return existing

    async def get_station(self, station_id: str) -> Station:
        station = await self._stations.get(station_id)
        if station is None:
            raise NotFound("station", station_id)
        return station

    async def list_stations(self, *, page_size: int, page_token: str) -> tuple[list[Station], str]:
        limit = page_limit(page_size)
        stations = await self._stations.select(StationQuery(after_id=page_token, limit=limit))
        return stations, next_page_token(stations, limit, key=lambda s: s.station_id)

    # --- zones (R-ORG-2, R-ORG-3) -----------------------------------------------------------------------

    async def create_zone(self, draft: ZoneDraft, *, caller: Caller) -> Zone:
        validate_zone_draft(draft, self._district)
        await self.get_station(draft.station_id)
        existing = await self._zones.get(draft.zone_code)
        if existing is not None:
            if not existing.retired and existing.matches(draft):
                return existing  # the same create repeated
            raise AlreadyExists("zone", draft.zone_code)  # R-ORG-2: unique per district, never reused
        same_community = await self._zones.select(ZoneQuery(community_name=draft.community_name.strip()))
        check_community_naming(draft, same_community)
        zone = new_zone(draft, at=self._kit.now(), by=caller.subject)
        event = events_pb2.ZoneCreated(
            district_code=self._district, zone=zone_to_proto(zone), occur_time=self._kit.events.occur_time()
        )
        if not await self._zones.add(zone, [self._kit.events(event, zone.zone_code)]):
            # a concurrent create took the code or the name first
            raise zone_clash_error(zone, await self._zones.clash_with(zone))
        return zone

    async def get_zone(self, zone_code: str) -> Zone:
        zone = await self._zones.get(zone_code)
        if zone is None:
            raise NotFound("zone", zone_code)
        return zone

    async def list_zones(
        self, *, station_id: str, include_retired: bool, page_size: int, page_token: str
    ) -> tuple[list[Zone], str]:
        limit = page_limit(page_size)
        zones = await self._zones.select(
            ZoneQuery(
                station_id=station_id, include_retired=include_retired, after_code=page_token, limit=limit
            )
        )
        return zones, next_page_token(zones, limit, key=lambda z: z.zone_code)

    # --- villages (R-ORG-1, R-ORG-5) ------------------------------------------------------------------

    async def register_village(self, draft: VillageDraft, village_id: str, *, caller: Caller) -> Village:
        validate_village_draft(draft, self._district, village_id)
        parent = None
        if draft.level is VillageLevel.NATURAL:
            parent = await self._villages.get(draft.parent_village_id)
        zone_code = draft.zone_code or (parent.zone_code if parent else "")
        zone = await self.get_zone(zone_code) if zone_code else None
        if zone is None and draft.station_id:
            await self.get_station(draft.station_id)
        village = place_village(
            draft,
            village_id=village_id or self._kit.ids.new(),
            parent=parent,
            zone=zone,
            at=self._kit.now(),
            by=caller.subject,
        )
        event = events_pb2.VillageRegistered(
            district_code=self._district,
            village=village_to_proto(village),
            occur_time=self._kit.events.occur_time(),
        )
        if await self._villages.add(village, [self._kit.events(event, village.village_id)]):
            return village
        existing = await self._villages.get(village.village_id)
        if existing is None or not existing.same_content(village):
            raise AlreadyExists("village", village.village_id)
        return existing

    async def list_villages(
        self,
        *,
        zone_code: str,
        station_id: str,
        level: VillageLevel | None,
        parent_village_id: str,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Village], str]:
        limit = page_limit(page_size)
        villages = await self._villages.select(
            VillageQuery(
                zone_code=zone_code,
                station_id=station_id,
                level=level,
                parent_village_id=parent_village_id,
                after_id=page_token,
                limit=limit,
            )
        )
        return villages, next_page_token(villages, limit, key=lambda v: v.village_id)

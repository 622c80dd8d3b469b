"""Hot spots and their ranking from incidents (R-PAT-2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import FieldViolation, NotFound, ValidationFailed, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import Outgoing, UseCaseKit, retry_on_conflict

from jingwu_patrol.adapters.proto_mapping import hotspot_to_proto
from jingwu_patrol.application.incidents import IncidentApplication
from jingwu_patrol.application.ports import HotSpotQuery, HotSpotRepository
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import hotspots as rules
from jingwu_patrol.domain.common import Audit
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind, RankingWindow, Recommendation
from jingwu_patrol.domain.incidents import IncidentCategory
from jingwu_patrol.domain.policy import HotSpotRules
from jingwu_patrol.domain.slots import TimeSlot

MAX_WINDOW_WEEKS = 52
MAX_HALF_LIFE = timedelta(days=365)
MAX_LIMIT = 200


@dataclass(frozen=True)
class Ranking:
    recommendations: list[Recommendation]
    window: RankingWindow
    incident_count: int


class HotSpotApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        hotspots: HotSpotRepository,
        incidents: IncidentApplication,
        territory: TerritoryApplication,
        rules_: HotSpotRules,
    ) -> None:
        self._kit = kit
        self._hotspots = hotspots
        self._incidents = incidents
        self._territory = territory
        self._rules = rules_

    def _event(self, spot: HotSpot) -> Outgoing:
        message = events_pb2.HotSpotDefined(
            district_code=self._kit.district,
            hotspot=hotspot_to_proto(spot),
            occur_time=self._kit.events.occur_time(),
        )
        return self._kit.events(message, spot.hotspot_id)

    async def create(
        self, spot: HotSpot, kind: HotSpotKind | None, *, caller: Caller, request_id: str
    ) -> HotSpot:
        """``spot`` carries the request's fields (its id and audit are set here)."""
        hotspot_id = self._kit.ids.for_request("hotspot", request_id)
        existing = await self._hotspots.get(hotspot_id)
        if existing is not None:
            return existing
        if kind is None:
            raise ValidationFailed([FieldViolation("kind", "is required: road section, place or area")])
        spot = replace(
            spot,
            hotspot_id=hotspot_id,
            kind=kind,
            active=True,
            audit=Audit.new(caller.subject, self._kit.now()),
        )
        rules.validate(spot, district=self._kit.district, zones=await self._territory.district_map())
        if not await self._hotspots.add(spot, [self._event(spot)]):
            stored = await self._hotspots.get(hotspot_id)
            assert stored is not None
            return stored
        return spot

    async def update(self, changes: HotSpot, paths: Sequence[str], *, caller: Caller) -> HotSpot:
        v = Validator()
        v.check(bool(paths), "update_mask", "name the fields to change")
        for index, path in enumerate(paths):
            v.check(
                path in rules.UPDATABLE,
                f"update_mask.paths[{index}]",
                f"{path!r} cannot be changed (one of {', '.join(rules.UPDATABLE)})",
            )
        v.raise_if_any()
        zones = await self._territory.district_map()

        async def attempt() -> HotSpot | None:
            spot = await self.get(changes.hotspot_id)
            changed = rules.updated(spot, changes, paths, caller.subject, self._kit.now())
            rules.validate(changed, district=self._kit.district, zones=zones, prefix="hotspot.")
            return await self._hotspots.save(changed, [self._event(changed)])

        return await retry_on_conflict(attempt, f"hot spot {changes.hotspot_id}")

    async def get(self, hotspot_id: str) -> HotSpot:
        spot = await self._hotspots.get(hotspot_id) if hotspot_id else None
        if spot is None:
            raise NotFound("hot spot", hotspot_id)
        return spot

    async def list_hotspots(
        self, *, zone_code: str, include_inactive: bool, page_size: int, page_token: str
    ) -> tuple[list[HotSpot], str]:
        limit = page_limit(page_size)
        found = await self._hotspots.select(HotSpotQuery(zone_code, include_inactive, page_token, limit))
        return found, next_page_token(found, limit, lambda s: s.hotspot_id)

    async def by_ids(self, hotspot_ids: Sequence[str]) -> dict[str, HotSpot]:
        return await self._hotspots.get_many(hotspot_ids)

    def window(self, *, as_of: date | None, weeks: int, half_life: timedelta | None) -> RankingWindow:
        """The ranking window from a request (0 / None: the district's defaults), checked."""
        v = Validator()
        weeks = weeks or self._rules.window_weeks
        v.check(
            1 <= weeks <= MAX_WINDOW_WEEKS,
            "window_weeks",
            f"must be 1..{MAX_WINDOW_WEEKS} weeks, got {weeks}",
        )
        half_life = half_life if half_life is not None else timedelta(days=self._rules.half_life_days)
        v.check(
            timedelta(days=1) <= half_life <= MAX_HALF_LIFE,
            "half_life",
            f"must be 1 day .. 365 days, got {half_life}",
        )
        today = self._kit.today()
        as_of = as_of or today
        v.check(as_of <= today, "as_of", f"{as_of.isoformat()} has not come yet")
        v.raise_if_any()
        return RankingWindow(as_of, weeks, half_life)

    async def recommend(
        self,
        *,
        zone_code: str,
        window: RankingWindow,
        limit: int,
        categories: Sequence[IncidentCategory],
    ) -> Ranking:
        v = Validator()
        limit = limit or self._rules.limit
        v.check(1 <= limit <= MAX_LIMIT, "limit", f"must be 1..{MAX_LIMIT}, got {limit}")
        if zone_code:
            zones = await self._territory.district_map()
            v.check(
                zones.get(zone_code) is not None,
                "zone_code",
                f"zone {zone_code} is not an active zone of the district",
            )
        v.raise_if_any()
        incidents = await self._incidents.in_window(window.start_utc, window.end_utc, zone_code)
        spots = await self._hotspots.select(HotSpotQuery(zone_code=zone_code))
        found, counted = rules.rank(
            incidents,
            spots,
            window,
            zone_code=zone_code,
            categories=frozenset(categories),
            cell_size_m=self._rules.cell_size_m,
            min_cases=self._rules.min_cases,
            limit=limit,
        )
        return Ranking(found, window, counted)

    async def register_candidates(
        self, recommendations: Sequence[Recommendation], caller: Caller
    ) -> dict[str, str]:
        """Candidate cells of a recommendation become hot spots (source "case_analysis", an id per cell,
        so a cell is registered once); cell id → hot spot id."""
        registered: dict[str, str] = {}
        for r in recommendations:
            if r.hotspot_id or r.cell_id in registered:
                continue
            hotspot_id = self._kit.ids.stable("hotspot-cell", r.cell_id)
            existing = await self._hotspots.get(hotspot_id)
            if existing is None:
                slots = tuple(x.slot for x in recommendations if x.cell_id == r.cell_id)
                spot = HotSpot(
                    hotspot_id=hotspot_id,
                    name=r.name[:64],
                    kind=HotSpotKind.AREA,
                    zone_code=r.zone_code,
                    area=r.area,
                    time_slots=_distinct(slots),
                    case_count=r.total_case_count,
                    source="case_analysis",
                    audit=Audit.new(caller.subject, self._kit.now()),
                )
                await self._hotspots.add(spot, [self._event(spot)])
            registered[r.cell_id] = hotspot_id
        return registered


def _distinct(slots: Sequence[TimeSlot]) -> tuple[TimeSlot, ...]:
    return tuple(dict.fromkeys(slots))

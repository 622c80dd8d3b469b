"""Zone populations (R-PER-4, R-ORG-3) and the map (R-POP-7).

Counts per zone change with every move; ``publish_changed`` sends one ZonePopulationChanged per zone
whose figures differ from the last one sent, at most once per debounce window, with the full
snapshot. What was sent is stored, so a restart sends what changed meanwhile and nothing else.
Personnel consumes these events for its officer ratios (R-PER-4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.errors import FieldViolation, ValidationFailed, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.shared_kernel import check_zone_code
from jingwu_platform.usecase import Outgoing, UseCaseKit

from jingwu_population.adapters.proto_mapping import zone_population_to_proto
from jingwu_population.application.context import PopulationPolicy
from jingwu_population.application.ports import (
    Change,
    Found,
    Houses,
    MapFeature,
    MapQuery,
    UnitOfWork,
    ZoneCounts,
)
from jingwu_population.domain.counts import PublishedZonePopulation, ZoneTally, needs_publishing
from jingwu_population.domain.geo import MAX_CELLS, BoundingBox, Circle, Polygon, cell_count

MAX_RADIUS_M = 50_000.0


class ZonePopulationApplication:
    def __init__(
        self, kit: UseCaseKit, policy: PopulationPolicy, store: UnitOfWork, counts: ZoneCounts
    ) -> None:
        self._kit = kit
        self._policy = policy
        self._store = store
        self._counts = counts

    async def zone(self, zone_code: str) -> ZoneTally:
        v = Validator()
        check_zone_code(v, "zone_code", zone_code, self._kit.district)
        v.raise_if_any()
        return await self._counts.tally(zone_code)

    async def zones(self, zone_codes: list[str], after: str, limit: int) -> tuple[list[ZoneTally], str]:
        v = Validator()
        for i, code in enumerate(zone_codes):
            check_zone_code(v, f"zone_codes[{i}]", code, self._kit.district)
        v.raise_if_any()
        limit = page_limit(limit)
        if zone_codes:
            found = [await self._counts.tally(z) for z in sorted(set(zone_codes)) if z > after]
        else:
            found = [t for z, t in sorted((await self._counts.tallies()).items()) if z > after]
        page = found[:limit]
        return page, page[-1].zone_code if len(found) > limit else ""

    async def publish_changed(self, *, force: bool = False) -> int:
        """R-PER-4: one ZonePopulationChanged per zone whose figures changed since the last one sent,
        unless that one went out less than a debounce window ago (``force``: ignore the window)."""
        now = self._kit.now()
        window = timedelta(seconds=self._policy.zone_publish_debounce_s)
        writes: list[PublishedZonePopulation] = []
        outgoing: list[Outgoing] = []
        for zone_code, tally in sorted((await self._counts.tallies()).items()):
            published = await self._counts.published(zone_code)
            if not needs_publishing(tally, published):
                continue
            if published is not None and not force and now - published.published_at < window:
                continue
            snapshot = (
                replace(published, tally=tally, published_at=now)
                if published is not None
                else PublishedZonePopulation(zone_code, tally, now)
            )
            writes.append(snapshot)
            outgoing.append(
                self._kit.events(
                    events.ZonePopulationChanged(
                        district_code=self._kit.district,
                        zone_population=zone_population_to_proto(tally, now),
                        occur_time=self._kit.events.occur_time(),
                    ),
                    key=zone_code,
                )
            )
        if not writes:
            return 0
        if await self._store.commit(Change(tuple(writes), tuple(outgoing))) is None:
            return 0  # another pass got there first: the next one sees what is left
        return len(writes)


class MapApplication:
    def __init__(self, kit: UseCaseKit, houses: Houses) -> None:
        self._kit = kit
        self._houses = houses

    async def query(self, query: MapQuery) -> tuple[Found[MapFeature], str]:
        """R-POP-7: houses and places inside a bounding box, a polygon, a circle or a zone."""
        v = Validator()
        area = query.area
        if area is None and not query.zone_code:
            raise ValidationFailed(
                [FieldViolation("area", "give a bbox, a polygon, a circle or a zone_code")]
            )
        if query.zone_code:
            check_zone_code(v, "zone_code", query.zone_code, self._kit.district)
        if isinstance(area, BoundingBox):
            v.check(
                area.west <= area.east and area.south <= area.north,
                "bbox",
                "south_west must be south-west of north_east",
            )
        if isinstance(area, Polygon) and v.check(
            bool(area.rings) and len(area.rings[0]) >= 4,
            "polygon.rings[0]",
            "a ring has at least 4 points",
        ):
            ring = area.rings[0]
            v.check(ring[0] == ring[-1], "polygon.rings[0]", "a ring is closed (first point repeated last)")
        if isinstance(area, Circle):
            v.check(
                0 < area.radius_m <= MAX_RADIUS_M,
                "circle.radius_m",
                f"must be in (0, {MAX_RADIUS_M:.0f}] metres",
            )
        v.raise_if_any()
        if area is not None and cell_count(area) > MAX_CELLS:
            raise ValidationFailed(
                [FieldViolation("area", f"covers more than {MAX_CELLS} map cells: zoom in")]
            )
        limit = min(max(query.limit, 1), 2_000) if query.limit else 500
        found = await self._houses.map_features(replace(query, limit=limit))
        token = found.items[-1].feature_id if len(found.items) == limit else ""
        return found, token

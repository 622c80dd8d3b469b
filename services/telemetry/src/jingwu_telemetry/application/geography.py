"""The zones' polygons and the mobile rooms' stops, kept from the room registry's events (R-ORG-3,
R-ROOM-5), for the consumer's zone and stop tracking."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jingwu_telemetry.application.fixes import GeographyView
from jingwu_telemetry.application.ports import GeographyRepository
from jingwu_telemetry.domain.geo import Stop, ZoneArea

log = logging.getLogger(__name__)


class GeographyUpdates:
    def __init__(self, geography: GeographyRepository, view: GeographyView) -> None:
        self._geography = geography
        self._view = view

    async def zones_created(self, zones: Sequence[ZoneArea]) -> None:
        await self._geography.put_zones(zones)
        await self._view.refresh()

    async def zones_redivided(self, retired: Sequence[str], created: Sequence[ZoneArea]) -> None:
        """A re-division: the old zones stop counting, the new ones start (R-ORG-3)."""
        await self._geography.retire_zones(retired)
        await self._geography.put_zones(created)
        await self._view.refresh()
        log.info(
            "zones re-divided",
            extra={"retired_zones": list(retired), "created_zones": [z.zone_code for z in created]},
        )

    async def stops_changed(self, room_id: str, stops: Sequence[Stop]) -> None:
        await self._geography.set_stops(room_id, stops)
        await self._view.refresh()

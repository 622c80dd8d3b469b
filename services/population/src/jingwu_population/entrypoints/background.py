"""The service's own background work, as one runtime component: after the population is loaded, finish
what a crash interrupted (imports, re-divisions), then keep the journal small and publish changed
zone populations, debounced (R-PER-4)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from jingwu_population.adapters.store import StoredPopulation
from jingwu_population.application.counts import ZonePopulationApplication
from jingwu_population.application.imports import ImportApplication
from jingwu_population.application.territory import TerritoryApplication

log = logging.getLogger(__name__)


class PopulationBackground:
    name = "population-background"

    def __init__(
        self,
        store: StoredPopulation,
        counts: ZonePopulationApplication,
        imports: ImportApplication,
        territory: TerritoryApplication,
        *,
        debounce_s: float,
        archive_every_s: float = 1.0,
    ) -> None:
        self._store = store
        self._counts = counts
        self._imports = imports
        self._territory = territory
        self._debounce_s = debounce_s
        self._archive_every_s = archive_every_s
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self._imports.resume()
        await self._territory.resume()
        self._tasks = [
            asyncio.create_task(
                self._every(self._debounce_s, self._counts.publish_changed), name="zone-publisher"
            ),
            asyncio.create_task(
                self._every(self._archive_every_s, self._store.archive), name="journal-archiver"
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _every(self, seconds: float, work: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store or Kafka is away: try again at the next tick
                log.warning("background pass failed; will retry", exc_info=True)
            await asyncio.sleep(seconds)

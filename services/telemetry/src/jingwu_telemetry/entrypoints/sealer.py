"""Seals finished track windows into their buckets, now and then (adapters/tracks.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from jingwu_telemetry.application.ports import TrackStore

log = logging.getLogger(__name__)


class TrackSealer:
    name = "track-sealer"

    def __init__(self, tracks: TrackStore, *, interval_s: float, delay: timedelta) -> None:
        self._tracks = tracks
        self._interval = interval_s
        self._delay = delay
        self._task: asyncio.Task[None] | None = None
        self.sealed = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def seal_now(self) -> int:
        moved = await self._tracks.seal(datetime.now(UTC) - self._delay)
        self.sealed += moved
        return moved

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                moved = await self.seal_now()
                if moved:
                    log.info("track windows sealed", extra={"points": moved})
            except Exception:
                log.warning("sealing track windows failed; will retry", exc_info=True)

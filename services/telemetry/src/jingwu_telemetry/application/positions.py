"""Queries of positions, tracks and movements (R-POP-7 live map, R-PAT-6 evidence, R-ROOM-5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from jingwu_platform.errors import Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_telemetry.application.ports import (
    LatestPositions,
    LatestQuery,
    MovementEvents,
    StopEventQuery,
    TrackPoint,
    TrackStore,
    ZoneEventQuery,
)
from jingwu_telemetry.domain.tracking import StopVisit, Tracking, ZoneCrossing

MAX_TRACK_PAGE = 5_000
MAX_LATEST = 5_000


@dataclass(frozen=True)
class TimeSpan:
    start: datetime
    end: datetime


def time_span(
    check: Validator, start: datetime | None, end: datetime | None, *, required: bool
) -> TimeSpan | None:
    if required:
        check.check(start is not None, "start_time", "required")
        check.check(end is not None, "end_time", "required")
    if start is not None and end is not None:
        check.check(start < end, "end_time", "after start_time")
    if start is None or end is None:
        return None
    return TimeSpan(start, end)


class PositionQueries:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        tracks: TrackStore,
        latest: LatestPositions,
        movements: MovementEvents,
        stale_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self._kit = kit
        self._tracks = tracks
        self._latest = latest
        self._movements = movements
        self.stale_after = stale_after

    def now(self) -> datetime:
        return self._kit.now()

    async def latest(self, query: LatestQuery, max_age: timedelta | None) -> list[Tracking]:
        check = Validator()
        selectors = sum((bool(query.zone_code), query.bbox is not None, bool(query.device_ids)))
        check.check(selectors == 1, "selector", "exactly one of zone_code, bbox, device_ids")
        if query.bbox is not None:
            west, south, east, north = query.bbox
            check.check(-180 <= west <= east <= 180, "bbox", "west ≤ east within -180..180")
            check.check(-90 <= south <= north <= 90, "bbox", "south ≤ north within -90..90")
        if max_age is not None:
            check.check(max_age > timedelta(0), "max_age", "positive")
        check.raise_if_any()
        since = self._kit.now() - max_age if max_age is not None else None
        return await self._latest.find(replace(query, since=since, limit=MAX_LATEST))

    async def track(
        self,
        device_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        min_interval: timedelta | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[TrackPoint], str]:
        """Oldest first; the page token is the last fix time (ms) of the previous page."""
        check = Validator()
        check.check(bool(device_id), "device_id", "required")
        span = time_span(check, start, end, required=True)
        after: datetime | None = None
        if page_token:
            try:
                after = datetime.fromtimestamp(int(page_token) / 1000, UTC)
            except ValueError:
                check.add("page.page_token", "not a token this query gave")
        check.raise_if_any()
        assert span is not None
        limit = min(max(page_size, 1), MAX_TRACK_PAGE) if page_size else 1000
        page: list[TrackPoint] = []
        while len(page) < limit:
            points = await self._tracks.track(device_id, span.start, span.end, after=after, limit=limit)
            if not points:
                break
            for point in points:
                if min_interval and page and point.fix_time - page[-1].fix_time < min_interval:
                    continue
                if min_interval and not page and after is not None and point.fix_time - after < min_interval:
                    continue
                page.append(point)
                if len(page) == limit:
                    break
            after = points[-1].fix_time
            if len(points) < limit:
                break
        token = str(int(page[-1].fix_time.timestamp() * 1000)) if len(page) == limit else ""
        return page, token

    async def zone_events(self, query: ZoneEventQuery, page_size: int) -> tuple[list[ZoneCrossing], str]:
        check = Validator()
        time_span(check, query.start, query.end, required=False)
        check.raise_if_any()
        limit = page_limit(page_size)
        found = await self._movements.zone_events(replace(query, limit=limit))
        return found, next_page_token(found, limit, key=lambda e: e.event_id)

    async def stop_events(self, query: StopEventQuery, page_size: int) -> tuple[list[StopVisit], str]:
        check = Validator()
        time_span(check, query.start, query.end, required=False)
        check.raise_if_any()
        limit = page_limit(page_size)
        found = await self._movements.stop_events(replace(query, limit=limit))
        return found, next_page_token(found, limit, key=lambda e: e.event_id)

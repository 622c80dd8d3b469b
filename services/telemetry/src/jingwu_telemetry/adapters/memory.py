"""In-memory repositories for application tests; held to the same contract as the Mongo adapters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from jingwu_platform.repository import FakeOutbox, InMemoryAggregates, InMemoryDocuments, after
from jingwu_platform.usecase import Outgoing

from jingwu_telemetry.application.ports import (
    DeviceQuery,
    LatestQuery,
    StopEventQuery,
    TrackPoint,
    ZoneEventQuery,
)
from jingwu_telemetry.domain.devices import Device, DeviceKind
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import StopVisit, Tracking, ZoneCrossing


class InMemoryDeviceRepository(InMemoryAggregates[Device]):
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        super().__init__(lambda d: d.device_id, outbox)

    def _one(self, predicate: Callable[[Device], bool]) -> Device | None:
        found = self.matching(predicate, limit=1)
        return found[0] if found else None

    async def by_terminal_phone(self, terminal_phone: str) -> Device | None:
        return self._one(lambda d: d.jt808 is not None and d.jt808.terminal_phone == terminal_phone)

    async def by_terminal_id(self, terminal_id: str) -> Device | None:
        return self._one(lambda d: d.jt808 is not None and d.jt808.terminal_id == terminal_id)

    async def by_plate(self, plate: str) -> Device | None:
        return self._one(
            lambda d: d.kind is DeviceKind.VEHICLE_TERMINAL and d.jt808 is not None and d.jt808.plate == plate
        )

    async def list(self, query: DeviceQuery) -> list[Device]:
        return self.matching(
            lambda d: (
                (query.kind is None or d.kind is query.kind)
                and (query.status is None or d.status is query.status)
                and (not query.zone_code or d.zone_code == query.zone_code)
                and (not query.vehicle_id or d.vehicle_id == query.vehicle_id)
                and (not query.officer_id or d.officer_id == query.officer_id)
                and (not query.room_id or d.room_id == query.room_id)
                and after(query.after_id, d.device_id)
            ),
            limit=query.limit,
        )


class InMemoryTrackStore:
    """Points by (device, fix time), each once; buckets are the Mongo adapter's storage detail."""

    def __init__(self) -> None:
        self.points: dict[tuple[str, datetime], bytes] = {}

    async def add_points(self, points: Sequence[TrackPoint]) -> None:
        for point in points:
            self.points.setdefault((point.device_id, point.fix_time), point.payload)

    async def track(
        self, device_id: str, start: datetime, end: datetime, *, after: datetime | None, limit: int
    ) -> list[TrackPoint]:
        found = sorted(
            (at, payload)
            for (device, at), payload in self.points.items()
            if device == device_id and start <= at < end and (after is None or at > after)
        )
        return [TrackPoint(device_id, at, payload) for at, payload in found[:limit]]

    async def seal(self, before: datetime) -> int:
        return 0


class InMemoryLatestPositions:
    def __init__(self) -> None:
        self._states = InMemoryDocuments[Tracking](lambda s: s.device_id)

    async def get_many(self, device_ids: Iterable[str]) -> dict[str, Tracking]:
        return await self._states.get_many(device_ids)

    async def put_many(self, states: Sequence[Tracking]) -> None:
        for state in states:
            current = self._states.items.get(state.device_id)
            if current is None or (
                current.fix_time is not None
                and state.fix_time is not None
                and current.fix_time < state.fix_time
            ):
                await self._states.put(state)

    async def find(self, query: LatestQuery) -> list[Tracking]:
        def wanted(state: Tracking) -> bool:
            if query.zone_code and state.zone_code != query.zone_code:
                return False
            if query.bbox is not None:
                west, south, east, north = query.bbox
                if not (west <= state.longitude <= east and south <= state.latitude <= north):
                    return False
            if query.device_ids and state.device_id not in query.device_ids:
                return False
            if query.kind is not None and state.kind is not query.kind:
                return False
            return query.since is None or (state.fix_time is not None and state.fix_time >= query.since)

        return self._states.matching(wanted, limit=query.limit)


def _in_span(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


class InMemoryMovementEvents:
    def __init__(self, outbox: FakeOutbox | None = None) -> None:
        self.outbox = outbox or FakeOutbox()
        self._zone = InMemoryDocuments[ZoneCrossing](lambda e: e.event_id, self.outbox)
        self._stop = InMemoryDocuments[StopVisit](lambda e: e.event_id, self.outbox)

    async def add(
        self,
        zone_events: Sequence[tuple[ZoneCrossing, Outgoing]],
        stop_events: Sequence[tuple[StopVisit, Outgoing]],
    ) -> None:
        for crossing, outgoing in zone_events:
            await self._zone.insert(crossing, [outgoing])
        for visit, outgoing in stop_events:
            await self._stop.insert(visit, [outgoing])

    async def zone_events(self, query: ZoneEventQuery) -> list[ZoneCrossing]:
        return self._zone.matching(
            lambda e: (
                (not query.zone_code or e.zone_code == query.zone_code)
                and (not query.device_id or e.device_id == query.device_id)
                and _in_span(e.occur_time, query.start, query.end)
                and after(query.after_id, e.event_id)
            ),
            limit=query.limit,
        )

    async def stop_events(self, query: StopEventQuery) -> list[StopVisit]:
        return self._stop.matching(
            lambda e: (
                (not query.room_id or e.room_id == query.room_id)
                and (not query.stop_id or e.stop_id == query.stop_id)
                and (not query.device_id or e.device_id == query.device_id)
                and _in_span(e.occur_time, query.start, query.end)
                and after(query.after_id, e.event_id)
            ),
            limit=query.limit,
        )


class InMemoryGeography:
    def __init__(self) -> None:
        self._zones: dict[str, ZoneArea] = {}
        self._stops: dict[str, tuple[Stop, ...]] = {}

    async def put_zones(self, zones: Sequence[ZoneArea]) -> None:
        for zone in zones:
            self._zones[zone.zone_code] = zone

    async def retire_zones(self, zone_codes: Sequence[str]) -> None:
        for code in zone_codes:
            if code in self._zones:
                self._zones[code] = replace(self._zones[code], retired=True)

    async def set_stops(self, room_id: str, stops: Sequence[Stop]) -> None:
        self._stops[room_id] = tuple(stops)

    async def zones(self) -> list[ZoneArea]:
        return [self._zones[k] for k in sorted(self._zones)]

    async def stops(self) -> list[Stop]:
        return [s for room in sorted(self._stops) for s in self._stops[room]]

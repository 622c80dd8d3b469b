"""What the telemetry use cases need from storage: typed Protocols, implemented by the Mongo adapters
(adapters/) and the in-memory fakes (adapters/memory.py), both held to one contract suite
(tests/test_repository_contract.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jingwu_platform.usecase import Outgoing

from jingwu_telemetry.domain.devices import Device, DeviceKind, DeviceStatus
from jingwu_telemetry.domain.geo import Stop, ZoneArea
from jingwu_telemetry.domain.tracking import StopVisit, Tracking, ZoneCrossing


@dataclass(frozen=True)
class DeviceQuery:
    """Devices in id order after ``after_id`` (the page token); empty fields do not filter."""

    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    zone_code: str = ""
    vehicle_id: str = ""
    officer_id: str = ""
    room_id: str = ""
    after_id: str = ""
    limit: int = 100


class DeviceRepository(Protocol):
    async def add(self, device: Device, events: Sequence[Outgoing] = ()) -> bool:
        """Store a new device with its events in one write; False when its id exists already."""
        ...

    async def save(self, device: Device, events: Sequence[Outgoing] = ()) -> Device | None:
        """Write the change if nobody changed the device since it was read; the stored device, or None
        after a lost race."""
        ...

    async def get(self, device_id: str) -> Device | None: ...

    async def get_many(self, device_ids: Iterable[str]) -> dict[str, Device]: ...

    async def by_terminal_phone(self, terminal_phone: str) -> Device | None: ...

    async def by_terminal_id(self, terminal_id: str) -> Device | None: ...

    async def by_plate(self, plate: str) -> Device | None:
        """The vehicle terminal provisioned with this plate, if any."""
        ...

    async def list(self, query: DeviceQuery) -> list[Device]: ...


# ── fixes, tracks, latest positions, zone and stop events, geography ─────────────────────────────


@dataclass(frozen=True)
class TrackPoint:
    """One stored fix of a device's track; ``payload`` is the fix as published (LocationFix bytes)."""

    device_id: str
    fix_time: datetime
    payload: bytes


class TrackStore(Protocol):
    """Tracks bucketed per device and time window (R-PAT-6). Writes are idempotent by device and fix
    time: a fix written again is stored once."""

    async def add_points(self, points: Sequence[TrackPoint]) -> None: ...

    async def track(
        self, device_id: str, start: datetime, end: datetime, *, after: datetime | None, limit: int
    ) -> list[TrackPoint]:
        """Points in [start, end) after ``after`` (the page token), oldest first, at most ``limit``."""
        ...

    async def seal(self, before: datetime) -> int:
        """Roll the points of windows that ended before ``before`` into their buckets; returns how many
        points moved. Idempotent: a seal interrupted and run again stores every point once."""
        ...


@dataclass(frozen=True)
class LatestQuery:
    """Latest positions by zone, bounding box (west, south, east, north) or device ids; of a kind;
    newer than ``since``; in device id order."""

    zone_code: str = ""
    bbox: tuple[float, float, float, float] | None = None
    device_ids: tuple[str, ...] = ()
    kind: DeviceKind | None = None
    since: datetime | None = None
    limit: int = 1000


class LatestPositions(Protocol):
    async def get_many(self, device_ids: Iterable[str]) -> dict[str, Tracking]: ...

    async def put_many(self, states: Sequence[Tracking]) -> None:
        """Store each device's state unless a newer one (by fix time) is stored already."""
        ...

    async def find(self, query: LatestQuery) -> list[Tracking]: ...


@dataclass(frozen=True)
class ZoneEventQuery:
    zone_code: str = ""
    device_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    after_id: str = ""
    limit: int = 100


@dataclass(frozen=True)
class StopEventQuery:
    room_id: str = ""
    stop_id: str = ""
    device_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    after_id: str = ""
    limit: int = 100


class MovementEvents(Protocol):
    """Zone crossings and stop visits, each stored once by its id, with its event in the same write."""

    async def add(
        self,
        zone_events: Sequence[tuple[ZoneCrossing, Outgoing]],
        stop_events: Sequence[tuple[StopVisit, Outgoing]],
    ) -> None: ...

    async def zone_events(self, query: ZoneEventQuery) -> list[ZoneCrossing]: ...

    async def stop_events(self, query: StopEventQuery) -> list[StopVisit]: ...


class GeographyRepository(Protocol):
    """The zones' polygons and the mobile rooms' stops, as the room registry's events give them."""

    async def put_zones(self, zones: Sequence[ZoneArea]) -> None: ...

    async def retire_zones(self, zone_codes: Sequence[str]) -> None: ...

    async def set_stops(self, room_id: str, stops: Sequence[Stop]) -> None: ...

    async def zones(self) -> list[ZoneArea]: ...

    async def stops(self) -> list[Stop]: ...

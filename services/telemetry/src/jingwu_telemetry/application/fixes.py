"""The fix consumer's use case (R-PAT-6, R-ROOM-5, R-POP-7): a batch of fixes → tracks, latest
positions, zone and stop events, and the fixes that are rejected with their reasons.

One batch is one bulk write per store, in this order: track points, then zone/stop events (each with
its Kafka event in the same document), then the devices' latest state. Every write is idempotent by
key (device + fix time; event id; device, newer-only), so a batch applied twice, or cut by a crash
and applied again from the last commit, stores every point once and every event once. The in-memory
state (tracking per device, what devices are attached to) is updated only after all writes succeeded;
a failed batch is retried from the same state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from jingwu_platform.usecase import Outgoing, UseCaseKit

from jingwu_telemetry.adapters.fix_mapping import stop_event_payload, zone_event_payload
from jingwu_telemetry.application.ports import (
    DeviceRepository,
    GeographyRepository,
    LatestPositions,
    MovementEvents,
    TrackPoint,
    TrackStore,
)
from jingwu_telemetry.domain.fix_rules import DEFAULT_RULES, FixRules
from jingwu_telemetry.domain.geo import Stop, ZoneIndex
from jingwu_telemetry.domain.tracking import (
    Attached,
    Fix,
    StopVisit,
    Tracking,
    Verdict,
    ZoneCrossing,
    track,
)

log = logging.getLogger(__name__)


class GeographyView:
    """The zones and stops the consumer tests fixes against, in memory, reloaded after every change."""

    def __init__(self, geography: GeographyRepository) -> None:
        self._geography = geography
        self.zones = ZoneIndex()
        self.stops: list[Stop] = []

    async def refresh(self) -> None:
        self.zones = ZoneIndex(await self._geography.zones())
        self.stops = await self._geography.stops()


@dataclass
class IngestResult:
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index in the batch, reason)
    duplicates: int = 0
    late: int = 0
    moved: int = 0
    zone_events: int = 0
    stop_events: int = 0


class FixIngest:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        tracks: TrackStore,
        latest: LatestPositions,
        movements: MovementEvents,
        devices: DeviceRepository,
        geography: GeographyView,
        rules: FixRules = DEFAULT_RULES,
        attachment_ttl_s: float = 30.0,
    ) -> None:
        self._kit = kit
        self._tracks = tracks
        self._latest = latest
        self._movements = movements
        self._devices = devices
        self._geography = geography
        self._rules = rules
        self._ttl = attachment_ttl_s
        self._states: dict[str, Tracking] = {}
        self._attached: dict[str, tuple[float, Attached | None]] = {}

    async def _attachments(self, device_ids: set[str]) -> dict[str, Attached | None]:
        now = time.monotonic()
        wanted = [d for d in device_ids if d not in self._attached or now - self._attached[d][0] > self._ttl]
        if wanted:
            found = await self._devices.get_many(wanted)
            for device_id in wanted:
                device = found.get(device_id)
                self._attached[device_id] = (
                    now,
                    None
                    if device is None
                    else Attached(
                        device.kind, device.enabled, device.vehicle_id, device.room_id, device.officer_id
                    ),
                )
        return {d: self._attached[d][1] for d in device_ids}

    async def _tracking(self, device_ids: set[str]) -> dict[str, Tracking]:
        missing = [d for d in device_ids if d not in self._states]
        loaded = await self._latest.get_many(missing) if missing else {}
        states = {d: self._states.get(d) or loaded.get(d) or Tracking(d) for d in device_ids}
        return states

    async def ingest(self, fixes: Sequence[Fix]) -> IngestResult:
        result = IngestResult()
        device_ids = {f.device_id for f in fixes}
        attached = await self._attachments(device_ids)
        states = await self._tracking(device_ids)
        points: list[TrackPoint] = []
        zone_events: list[tuple[ZoneCrossing, Outgoing]] = []
        stop_events: list[tuple[StopVisit, Outgoing]] = []
        moved: dict[str, Tracking] = {}
        zones, stops = self._geography.zones, self._geography.stops
        district, events = self._kit.district, self._kit.events
        for index, fix in enumerate(fixes):
            outcome = track(
                states[fix.device_id],
                fix,
                attached[fix.device_id],
                zones=zones,
                stops=stops,
                rules=self._rules,
            )
            states[fix.device_id] = outcome.state
            if outcome.verdict is Verdict.REJECTED:
                result.rejected.append((index, outcome.reason))
                continue
            if outcome.verdict is Verdict.DUPLICATE:
                result.duplicates += 1
                continue
            assert fix.fix_time is not None
            points.append(TrackPoint(fix.device_id, fix.fix_time, fix.payload))
            if outcome.verdict is Verdict.LATE:
                result.late += 1
                continue
            result.moved += 1
            moved[fix.device_id] = outcome.state
            for crossing in outcome.zone_events:
                zone_events.append(
                    (crossing, events(zone_event_payload(district, crossing), key=crossing.device_id))
                )
            for visit in outcome.stop_events:
                stop_events.append((visit, events(stop_event_payload(district, visit), key=visit.room_id)))
        if points:
            await self._tracks.add_points(points)
        if zone_events or stop_events:
            await self._movements.add(zone_events, stop_events)
        if moved:
            await self._latest.put_many(list(moved.values()))
        # Only now, with everything stored, does the process move on from its former state.
        self._states.update(states)
        result.zone_events, result.stop_events = len(zone_events), len(stop_events)
        return result

    def forget(self) -> None:
        """Drop the in-memory state (partitions moved to another process: it is theirs now)."""
        self._states.clear()
        self._attached.clear()

    def state_of(self, device_id: str) -> Tracking | None:
        return self._states.get(device_id)


__all__ = ["FixIngest", "GeographyView", "IngestResult"]

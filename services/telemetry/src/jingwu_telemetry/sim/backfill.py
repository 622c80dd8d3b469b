"""Backfill a past day through the real ingestion path: each simulated vehicle that has a plan for the
day drives it in sim.day_track (following it, or missing it on purpose), then — as a terminal back in
coverage does — connects to the city's JT/T 808 gateway, registers, authenticates and uploads the stored
fixes with 0x0704 (batch upload, kind 1: blind-area backfill). The gateway publishes them to the
district's fixes topic, telemetry's consumer stores the track, and patrol computes the day's evidence
from it (R-PAT-6). ``make run``'s patrol demo does this for yesterday before it recomputes yesterday's
evidence; the caller waits for telemetry to have stored the fixes (GetStatus caught up).

Sizes and pace. Each 0x0704 is one frame: as many reports as fit a body of 1023 bytes (26 with the
simulator's two additional items), so nothing is sub-packaged. The gateway lets a connection send 20
frames a second with bursts of 200 (gateway.ratelimit, Jt808Limits) and drops frames beyond; a vehicle
keeps below that with a pacer of its own (15 frames a second, bursts of 100 — about 390 fixes a second
per vehicle). Each batch waits for its 0x8001, which the gateway sends once Kafka has the fixes, so a
success means the fixes are on the topic. The vehicles upload in parallel, one connection each.

The terminal does not answer the gateway's position query after authenticating (0x8201): its answer
would be a fix of today, and the device's latest position would then be newer than the whole backfill.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from jingwu_telemetry.jt808 import BatchKind, LocationReport, RegistrationResult, Result
from jingwu_telemetry.jt808.header import MAX_BODY
from jingwu_telemetry.sim.day_track import DayShape, FollowedPlan, StoredFix, day_track
from jingwu_telemetry.sim.fleet import ProvisionedVehicle
from jingwu_telemetry.sim.reports import report_at
from jingwu_telemetry.sim.terminal import Terminal, TerminalIdentity

log = logging.getLogger(__name__)
_BATCH_HEAD = 3  # count WORD | kind BYTE
_ITEM_HEAD = 2  # length WORD before each report


class BackfillError(RuntimeError):
    """A terminal could not sign in, or the gateway refused a batch."""


@dataclass(frozen=True)
class BackfillConfig:
    gateway: tuple[str, int]
    # Below the gateway's 20 frames/s and bursts of 200 per connection (gateway.settings).
    frames_per_s: float = 15.0
    burst: float = 100.0
    # The gateway learns new devices from the devices topic: "terminal not found" until it has.
    register_timeout_s: float = 60.0
    shape: DayShape = field(default_factory=DayShape)


@dataclass(frozen=True)
class VehicleDay:
    """What one terminal uploads: the day it drove, as stored fixes."""

    identity: TerminalIdentity
    device_id: str
    follow: bool
    fixes: tuple[StoredFix, ...]


@dataclass
class BackfillReport:
    vehicles: int = 0
    following: int = 0
    missing: int = 0
    fixes: int = 0
    batches: int = 0
    seconds: float = 0.0
    without_terminal: list[str] = field(default_factory=list)  # device ids not in the fleet

    def line(self) -> str:
        return (
            f"backfill: {self.fixes} fixes of {self.vehicles} vehicles ({self.following} following their "
            f"plan, {self.missing} missing it) in {self.batches} × 0x0704, {self.seconds:.1f} s"
        )


def plan_days(
    plans: Sequence[FollowedPlan], fleet: Sequence[ProvisionedVehicle], shape: DayShape | None = None
) -> tuple[list[VehicleDay], list[str]]:
    """Each plan's day driven by the fleet's vehicle of that device (pure). Also the device ids of plans
    with no simulated vehicle."""
    by_device = {vehicle.device_id: vehicle for vehicle in fleet}
    days, unknown = [], []
    for plan in plans:
        vehicle = by_device.get(plan.device_id)
        if vehicle is None:
            unknown.append(plan.device_id)
            continue
        route = vehicle.route
        fixes = day_track(
            plan.waypoints,
            follow=plan.follow,
            home=route.legs[0].start,
            loop=route,
            speed_kmh=route.speed_kmh,
            seed=vehicle.identity.phone,
            shape=shape,
        )
        if fixes:
            days.append(VehicleDay(vehicle.identity, vehicle.device_id, plan.follow, tuple(fixes)))
    return days, unknown


def reports_of(fixes: Sequence[StoredFix]) -> list[LocationReport]:
    return [
        report_at(
            f.latitude,
            f.longitude,
            f.at,
            speed_kmh=f.speed_kmh,
            heading=f.heading_deg,
            mileage_km=f.mileage_km,
        )
        for f in fixes
    ]


def batches(reports: Sequence[LocationReport], max_body: int = MAX_BODY) -> list[list[LocationReport]]:
    """The reports in order, cut into 0x0704 bodies of at most ``max_body`` bytes (one frame each)."""
    found: list[list[LocationReport]] = []
    current: list[LocationReport] = []
    size = _BATCH_HEAD
    for report in reports:
        length = _ITEM_HEAD + len(report.encode())
        if current and size + length > max_body:
            found.append(current)
            current, size = [], _BATCH_HEAD
        current.append(report)
        size += length
    if current:
        found.append(current)
    return found


class FramePacer:
    """A token bucket on the terminal's side, ``rate`` frames a second after bursts of ``burst``:
    ``take`` reserves a frame and waits until it may go."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()

    def reserve(self) -> float:
        """Takes a frame's token (in debt when there is none); the seconds until the frame may go."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate) - 1.0
        self._at = now
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    async def take(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


async def _sign_in(terminal: Terminal, timeout_s: float) -> None:
    """Register (again until the gateway knows the phone) and authenticate."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await terminal.register()
        if answer.result == RegistrationResult.SUCCESS:
            break
        if answer.result != RegistrationResult.TERMINAL_NOT_FOUND or time.monotonic() > deadline:
            raise BackfillError(f"terminal {terminal.identity.phone}: registration answered {answer.result}")
        await asyncio.sleep(0.5)
    if await terminal.authenticate() != Result.SUCCESS:
        raise BackfillError(f"terminal {terminal.identity.phone}: authentication refused")


async def upload(day: VehicleDay, config: BackfillConfig) -> int:
    """One terminal's stored fixes, batch by batch; the batches sent."""
    host, port = config.gateway
    terminal = Terminal(day.identity, host, port, timeout_s=20)
    pacer = FramePacer(config.frames_per_s, config.burst)
    sent = 0
    await terminal.connect()
    try:
        await _sign_in(terminal, config.register_timeout_s)
        for batch in batches(reports_of(day.fixes)):
            await pacer.take()
            result = await terminal.batch(batch, BatchKind.BACKFILL)
            if result != Result.SUCCESS:
                raise BackfillError(f"terminal {day.identity.phone}: 0x0704 answered {result}")
            sent += 1
    finally:
        await terminal.close()
    return sent


async def backfill(
    plans: Sequence[FollowedPlan], fleet: Sequence[ProvisionedVehicle], config: BackfillConfig
) -> BackfillReport:
    """Drive each plan's day and upload it through the gateway, every vehicle at once."""
    began = time.monotonic()
    days, unknown = plan_days(plans, fleet, config.shape)
    sent = await asyncio.gather(*(upload(day, config) for day in days))
    report = BackfillReport(
        vehicles=len(days),
        following=sum(1 for d in days if d.follow),
        missing=sum(1 for d in days if not d.follow),
        fixes=sum(len(d.fixes) for d in days),
        batches=sum(sent),
        seconds=time.monotonic() - began,
        without_terminal=unknown,
    )
    log.info("backfill uploaded", extra={"vehicles": report.vehicles, "fixes": report.fixes})
    return report

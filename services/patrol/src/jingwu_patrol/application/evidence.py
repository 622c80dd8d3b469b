"""Patrol evidence (R-PAT-6, R-ROOM-5) for assessment (R-PER-11): per vehicle and per officer handheld,
per local day — on the daily schedule for the day that ended, and on demand — published as
PatrolEvidenceComputed; and street visibility per zone and hour (R-PAT-2)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.availability import is_unavailable
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit

from jingwu_patrol.adapters.evidence_mapping import evidence_to_proto
from jingwu_patrol.application.hotspots import HotSpotApplication
from jingwu_patrol.application.patrols import PatrolApplication
from jingwu_patrol.application.plans import PlanApplication, sections_of
from jingwu_patrol.application.ports import (
    CrossingLog,
    EvidenceQuery,
    EvidenceRepository,
    TrackSource,
    VehicleQuery,
    VehicleRepository,
)
from jingwu_patrol.application.prevention import PreventionApplication
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import evidence as rules
from jingwu_patrol.domain.evidence import (
    DayInputs,
    PatrolEvidence,
    PlannedSlot,
    Subject,
    SubjectKind,
    evidence_id,
)
from jingwu_patrol.domain.plans import PatrolPlan
from jingwu_patrol.domain.policy import PatrolPolicy
from jingwu_patrol.domain.slots import day_window
from jingwu_patrol.domain.territory import DeviceKind, Interval, MobileStop, visits
from jingwu_patrol.domain.tracks import Track, TrackFilter
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus
from jingwu_patrol.domain.visibility import ZoneVisibility, visibility

log = logging.getLogger(__name__)
MAX_VISIBILITY_DAYS = 92


@dataclass(frozen=True)
class DayRun:
    computed: int
    failed: int


class EvidenceApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        evidence: EvidenceRepository,
        vehicles: VehicleRepository,
        crossings: CrossingLog,
        tracks: TrackSource,
        territory: TerritoryApplication,
        plans: PlanApplication,
        patrols: PatrolApplication,
        hotspots: HotSpotApplication,
        prevention: PreventionApplication,
        policy: PatrolPolicy,
    ) -> None:
        self._kit = kit
        self._evidence = evidence
        self._vehicles = vehicles
        self._crossings = crossings
        self._tracks = tracks
        self._territory = territory
        self._plans = plans
        self._patrols = patrols
        self._hotspots = hotspots
        self._prevention = prevention
        self._policy = policy

    def _check_day(self, day: date | None) -> date:
        v = Validator()
        if v.check(day is not None, "date", "is required (a valid local date)"):
            assert day is not None
            v.check(day <= self._kit.today(), "date", f"{day.isoformat()} has not come yet")
        v.raise_if_any()
        assert day is not None
        return day

    async def compute_vehicle(self, vehicle_id: str, day: date | None) -> PatrolEvidence:
        day = self._check_day(day)
        vehicle = await self._vehicles.get(vehicle_id) if vehicle_id else None
        if vehicle is None:
            raise NotFound("patrol vehicle", vehicle_id)
        return await self._vehicle_day(vehicle, day)

    async def compute_handheld(self, device_id: str, day: date | None) -> PatrolEvidence:
        day = self._check_day(day)
        device = (await self._territory.devices()).get(device_id)
        if device is None or device.kind is not DeviceKind.HANDHELD:
            raise NotFound("handheld", device_id)
        zone = (await self._territory.district_map()).get(device.zone_code)
        subject = Subject(
            SubjectKind.HANDHELD,
            device_id,
            device_id,
            device.zone_code,
            station_id=zone.station_id if zone else "",
            officer_id=device.officer_id,
        )
        plans = await self._plans.on_day(day, officer_id=device.officer_id) if device.officer_id else []
        officers = (device.officer_id,) if device.officer_id else ()
        return await self._compute(subject, day, plans, officers, self._policy.handheld_track)

    async def _vehicle_day(self, vehicle: PatrolVehicle, day: date) -> PatrolEvidence:
        subject = Subject(
            SubjectKind.VEHICLE,
            vehicle.vehicle_id,
            vehicle.device_id,
            vehicle.zone_code,
            station_id=vehicle.station_id,
            vehicle_id=vehicle.vehicle_id,
            room_id=vehicle.room_id,
        )
        plans = await self._plans.on_day(day, vehicle_id=vehicle.vehicle_id)
        start, end = day_window(day)
        crews = {o for p in plans for o in p.officer_ids}
        crews.update(
            o for p in await self._patrols.of_vehicle(vehicle.vehicle_id, start, end) for o in p.officer_ids
        )
        officers = tuple(sorted(crews)) or vehicle.officer_ids
        return await self._compute(subject, day, plans, officers, self._policy.vehicle_track)

    async def _compute(
        self,
        subject: Subject,
        day: date,
        plans: Sequence[PatrolPlan],
        officers: tuple[str, ...],
        track_filter: TrackFilter,
    ) -> PatrolEvidence:
        start, end = day_window(day)
        planned = await self._planned_slots(plans, day)
        until = max([end, *(slot.end for slot in planned)])
        track = await self._tracks.track(subject.device_id, start, until) if subject.device_id else Track()
        lookback = start - self._policy.crossing_lookback
        zone_crossings = (
            await self._crossings.zone_crossings(lookback, end, device_id=subject.device_id)
            if subject.device_id
            else []
        )
        zone_stays = visits(
            [(c.zone_code, c.entered, c.at.timestamp(), c.stayed_s) for c in zone_crossings],
            start.timestamp(),
            end.timestamp(),
        )
        stops: tuple[MobileStop, ...] = ()
        stop_stays: dict[str, list[Interval]] = {}
        duties: list[Interval] = []
        if subject.room_id:
            room = (await self._territory.mobile_rooms()).get(subject.room_id)
            stops = room.stops if room else ()
            crossings = await self._crossings.stop_crossings(subject.room_id, lookback, end)
            stop_stays = visits(
                [(c.stop_id, c.arrived, c.at.timestamp(), c.dwell_s) for c in crossings],
                start.timestamp(),
                end.timestamp(),
            )
            for duty in await self._prevention.duties_of(subject.vehicle_id, subject.room_id, start, end):
                a = max(duty.start, start).timestamp()
                b = min(duty.end or end, end).timestamp()
                if a < b:
                    duties.append((a, b))
        previous = await self._evidence.get(evidence_id(subject.subject_id, day))
        evidence = rules.compute(
            DayInputs(
                subject=subject,
                day=day,
                track=track,
                zone_stays=zone_stays,
                zone_entries={zone: len(stays) for zone, stays in zone_stays.items()},
                planned=planned,
                stops=stops,
                stop_stays=stop_stays,
                duties=duties,
                officer_ids=officers,
                plan_ids=tuple(sorted(p.plan_id for p in plans)),
            ),
            track_filter=track_filter,
            stop_rules=self._policy.stops,
            now=self._kit.now(),
            revision=previous.revision + 1 if previous else 1,
        )
        event = events_pb2.PatrolEvidenceComputed(
            district_code=self._kit.district,
            evidence=evidence_to_proto(evidence),
            occur_time=self._kit.events.occur_time(),
        )
        await self._evidence.put(evidence, [self._kit.events(event, evidence.evidence_id)])
        return evidence

    async def _planned_slots(self, plans: Sequence[PatrolPlan], day: date) -> list[PlannedSlot]:
        pairs = sections_of(plans, day)
        spots = await self._hotspots.by_ids([section.hotspot_id for _, section in pairs])
        slots = []
        for plan, section in pairs:
            spot = spots.get(section.hotspot_id)
            if spot is None:
                continue
            a, b = section.slot.window_on(day)
            slots.append(
                PlannedSlot(
                    plan.plan_id,
                    spot.hotspot_id,
                    spot.shape(),
                    a,
                    b,
                    section.slot.start_minute,
                    section.slot.end_minute,
                    section.required_minutes,
                )
            )
        return slots

    async def compute_day(self, period: Period) -> DayRun:
        """The daily schedule: every in-service vehicle with a GPS device and every enabled handheld of
        an officer, for the day that ended. Telemetry being unreachable fails the run (it is retried);
        one subject's other failure is logged and the others go on."""
        day = period.start
        computed = failed = 0
        vehicles = await self._vehicles.select(VehicleQuery(status=VehicleStatus.IN_SERVICE))
        subjects: list[tuple[str, str]] = [("vehicle", v.vehicle_id) for v in vehicles if v.device_id]
        devices = await self._territory.devices()
        subjects += [
            ("handheld", d.device_id)
            for d in sorted(devices.values(), key=lambda d: d.device_id)
            if d.kind is DeviceKind.HANDHELD and d.enabled and d.officer_id
        ]
        by_id = {v.vehicle_id: v for v in vehicles}
        for kind, subject_id in subjects:
            try:
                if kind == "vehicle":
                    await self._vehicle_day(by_id[subject_id], day)
                else:
                    await self.compute_handheld(subject_id, day)
                computed += 1
            except Exception as error:
                if is_unavailable(error):
                    raise
                failed += 1
                log.exception("evidence not computed", extra={"subject": subject_id, "date": day.isoformat()})
        log.info("evidence computed", extra={"date": day.isoformat(), "computed": computed, "failed": failed})
        return DayRun(computed, failed)

    async def get(self, subject_id: str, day: date | None) -> PatrolEvidence:
        day = self._check_day(day)
        found = await self._evidence.get(evidence_id(subject_id, day)) if subject_id else None
        if found is None:
            raise NotFound("patrol evidence", evidence_id(subject_id, day))
        return found

    async def list_evidence(self, query: EvidenceQuery, page_size: int) -> tuple[list[PatrolEvidence], str]:
        limit = page_limit(page_size)
        found = await self._evidence.select(EvidenceQuery(**{**query.__dict__, "limit": limit}))
        return found, next_page_token(found, limit, lambda e: e.order_key)

    async def street_visibility(
        self, *, zone_code: str, station_id: str, first: date | None, last: date | None
    ) -> list[ZoneVisibility]:
        """R-PAT-2, R-PAT-6: per zone and hour of the day, the share of the period's slots with patrol
        presence (every device's zone stays, from telemetry's crossings)."""
        v = Validator()
        v.check(first is not None, "period.start", "is required")
        v.check(last is not None, "period.end", "is required")
        if first and last and v.check(first <= last, "period.end", "must not be before the start"):
            v.check(
                (last - first).days < MAX_VISIBILITY_DAYS, "period", f"at most {MAX_VISIBILITY_DAYS} days"
            )
        zones = await self._territory.zones()
        if zone_code:
            v.check(
                any(z.zone_code == zone_code for z in zones),
                "zone_code",
                f"zone {zone_code} is not an active zone of the district",
            )
        v.raise_if_any()
        assert first is not None and last is not None
        start, _ = day_window(first)
        _, end = day_window(last)
        chosen = [
            z
            for z in zones
            if (not zone_code or z.zone_code == zone_code) and (not station_id or z.station_id == station_id)
        ]
        found = []
        for zone in chosen:
            crossings = await self._crossings.zone_crossings(
                start - self._policy.crossing_lookback, end, zone_code=zone.zone_code
            )
            by_device: dict[str, list[tuple[str, bool, float, float]]] = {}
            for c in crossings:
                by_device.setdefault(c.device_id, []).append(
                    (c.zone_code, c.entered, c.at.timestamp(), c.stayed_s)
                )
            stays = [
                interval
                for rows in by_device.values()
                for interval in visits(rows, start.timestamp(), end.timestamp()).get(zone.zone_code, [])
            ]
            found.append(visibility(zone.zone_code, stays, first, last, self._policy.visibility_min_minutes))
        return found

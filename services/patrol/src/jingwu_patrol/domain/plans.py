"""Patrol plans (R-PAT-2): a zone's vehicle (and officers), the shift, the hot spots to cover per time
slot with the presence required, and the checkpoints to man, for a period of days. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from jingwu_platform.errors import RuleViolation, Validator

from jingwu_patrol.domain.common import Audit, check_ids, check_text
from jingwu_patrol.domain.hotspots import HotSpot, Recommendation
from jingwu_patrol.domain.slots import TimeSlot, check_slot
from jingwu_patrol.domain.territory import DistrictMap
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus, check_zone

MAX_PERIOD_DAYS = 366
MAX_SECTIONS = 200
PLAN_SOURCES = ("manual", "hotspot_recommendation")


class PlanStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PlannedSection:
    hotspot_id: str
    slot: TimeSlot
    required_minutes: int
    reason: str = ""


@dataclass(frozen=True)
class PatrolPlan:
    plan_id: str
    zone_code: str
    start: date
    end: date
    vehicle_id: str = ""
    officer_ids: tuple[str, ...] = ()
    sections: tuple[PlannedSection, ...] = ()
    checkpoint_ids: tuple[str, ...] = ()
    shift: TimeSlot | None = None
    status: PlanStatus = PlanStatus.ACTIVE
    cancel_reason: str = ""
    source: str = "manual"
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    def applies_on(self, day: date) -> bool:
        return self.status is PlanStatus.ACTIVE and self.start <= day <= self.end

    def sections_on(self, day: date) -> list[PlannedSection]:
        return [s for s in self.sections if s.slot.applies_on(day)] if self.applies_on(day) else []


# Fields UpdatePatrolPlan may change (its update_mask), by contract name.
UPDATABLE = ("vehicle_id", "period", "officer_ids", "shift", "sections", "checkpoint_ids")


def validate(
    plan: PatrolPlan,
    *,
    district: str,
    zones: DistrictMap,
    vehicles: Mapping[str, PatrolVehicle],
    hotspots: Mapping[str, HotSpot],
    checkpoint_ids: frozenset[str],
    prefix: str = "",
    period_field: str = "period",
) -> None:
    v = Validator()
    p = prefix
    check_zone(v, f"{p}zone_code", plan.zone_code, district, zones)
    if v.check(plan.start <= plan.end, f"{p}{period_field}.end", "must not be before the start"):
        v.check(
            (plan.end - plan.start).days < MAX_PERIOD_DAYS,
            f"{p}{period_field}",
            f"a plan covers at most {MAX_PERIOD_DAYS} days",
        )
    if plan.vehicle_id:
        vehicle = vehicles.get(plan.vehicle_id)
        if v.check(vehicle is not None, f"{p}vehicle_id", f"no patrol vehicle {plan.vehicle_id!r}"):
            assert vehicle is not None
            v.check(vehicle.status is not VehicleStatus.RETIRED, f"{p}vehicle_id", "the vehicle is retired")
            v.check(
                vehicle.zone_code == plan.zone_code,
                f"{p}vehicle_id",
                f"the vehicle serves zone {vehicle.zone_code}, not {plan.zone_code} (R-PAT-1)",
            )
    else:
        v.check(bool(plan.officer_ids), f"{p}vehicle_id", "a plan needs a vehicle or officers")
    check_ids(v, f"{p}officer_ids", plan.officer_ids)
    if plan.shift is not None:
        check_slot(v, f"{p}shift", plan.shift)
    v.check(len(plan.sections) <= MAX_SECTIONS, f"{p}sections", f"at most {MAX_SECTIONS} sections")
    for index, section in enumerate(plan.sections):
        field = f"{p}sections[{index}]"
        spot = hotspots.get(section.hotspot_id)
        if v.check(spot is not None, f"{field}.hotspot_id", f"no hot spot {section.hotspot_id!r}"):
            assert spot is not None
            v.check(spot.active, f"{field}.hotspot_id", "the hot spot is inactive")
        if check_slot(v, f"{field}.slot", section.slot):
            v.check(
                0 < section.required_minutes <= section.slot.minutes,
                f"{field}.required_minutes",
                f"must be 1..{section.slot.minutes} (the slot's length), got {section.required_minutes}",
            )
        check_text(v, f"{field}.reason", section.reason)
    check_ids(v, f"{p}checkpoint_ids", plan.checkpoint_ids)
    for index, checkpoint_id in enumerate(plan.checkpoint_ids):
        v.check(
            checkpoint_id in checkpoint_ids, f"{p}checkpoint_ids[{index}]", f"no checkpoint {checkpoint_id!r}"
        )
    v.raise_if_any()


def edited(plan: PatrolPlan, changes: PatrolPlan, paths: Sequence[str], by: str, at: datetime) -> PatrolPlan:
    if plan.status is not PlanStatus.ACTIVE:
        raise RuleViolation("R-PAT-2", f"plans/{plan.plan_id}", "a cancelled plan cannot be edited")
    values: dict[str, Any] = {}
    for path in paths:
        if path == "period":
            values.update(start=changes.start, end=changes.end)
        else:
            values[path] = getattr(changes, path)
    return replace(plan, **values, audit=plan.audit.touched(by, at))


def cancelled(plan: PatrolPlan, reason: str, by: str, at: datetime) -> PatrolPlan:
    v = Validator()
    if v.check(bool(reason.strip()), "reason", "is required"):
        check_text(v, "reason", reason, 256)
    v.raise_if_any()
    if plan.status is PlanStatus.CANCELLED:
        return plan
    return replace(
        plan, status=PlanStatus.CANCELLED, cancel_reason=reason.strip(), audit=plan.audit.touched(by, at)
    )


def sections_from(
    recommendations: Sequence[Recommendation], hotspot_ids: Mapping[str, str], required_minutes: int
) -> tuple[PlannedSection, ...]:
    """One section per recommended slot; ``hotspot_ids`` maps a candidate cell to the hot spot it was
    registered as."""
    return tuple(
        PlannedSection(
            hotspot_id=r.hotspot_id or hotspot_ids[r.cell_id],
            slot=r.slot,
            required_minutes=min(required_minutes, r.slot.minutes),
            reason=r.reason,
        )
        for r in recommendations
    )

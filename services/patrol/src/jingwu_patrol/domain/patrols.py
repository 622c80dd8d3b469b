"""Patrols as run: started and finished by the officers, optionally under a plan. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation

from jingwu_patrol.domain.common import Audit


class PatrolMode(StrEnum):
    VEHICLE = "vehicle"
    FOOT = "foot"
    BICYCLE = "bicycle"


class PatrolStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


@dataclass(frozen=True)
class Patrol:
    patrol_id: str
    zone_code: str
    mode: PatrolMode
    start: datetime
    plan_id: str = ""
    vehicle_id: str = ""
    officer_ids: tuple[str, ...] = ()
    end: datetime | None = None
    status: PatrolStatus = PatrolStatus.IN_PROGRESS
    notes: str = ""
    audit: Audit = field(default_factory=Audit)
    version: int = 0
    # Newest-first lists page by it: the start, then the id.
    order_key: str = ""

    def finished(self, end: datetime, notes: str, by: str) -> Patrol:
        if self.status is PatrolStatus.FINISHED:
            return self
        if end <= self.start:
            raise RuleViolation("R-PAT-6", f"patrols/{self.patrol_id}", "a patrol ends after it starts")
        return replace(
            self,
            end=end,
            status=PatrolStatus.FINISHED,
            notes=notes or self.notes,
            audit=self.audit.touched(by, end),
        )

"""Findings of the patrol rules (R-PAT-1 zones without a vehicle, R-PAT-4 days without a joint
patrol), raised by the daily schedules, one per subject and day. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class FindingKind(StrEnum):
    ZONE_WITHOUT_VEHICLE = "zone_without_vehicle"
    JOINT_PATROL_MISSED = "joint_patrol_missed"


RULE_OF = {FindingKind.ZONE_WITHOUT_VEHICLE: "R-PAT-1", FindingKind.JOINT_PATROL_MISSED: "R-PAT-4"}


@dataclass(frozen=True)
class PatrolFinding:
    finding_id: str
    kind: FindingKind
    day: date
    raised_at: datetime
    zone_code: str = ""
    village_id: str = ""
    detail: str = ""

    @property
    def rule_id(self) -> str:
        return RULE_OF[self.kind]


def finding_id(kind: FindingKind, subject: str, day: date) -> str:
    """One finding per kind, subject and day: the schedule running twice raises it once."""
    return f"{day.isoformat()}/{kind.value}/{subject}"

"""What other services report that assessment counts (R-PER-11 inputs), as personnel keeps it. Pure.

- Familiarisation (R-POP-5, population): households an officer got to know in a week, against the
  district's weekly target (30 by default). Each visit's event carries the week's progress so far; the
  highest count of a week is the week's (events may come twice or out of order).
- Patrol duty evidence (R-PAT-6, patrol): per vehicle or handheld and day, how much of what was planned
  was met, crediting the crew; recomputed with a higher revision, which wins.
- Callback satisfaction (R-NOT-3, notification) becomes a resident rating (domain/ratings.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FamiliarisationWeek:
    """R-POP-5: one officer's familiarisation visits in one week (Monday ``week_start``)."""

    week_id: str  # "<officer_id>/<week_start>"
    officer_id: str
    week_start: date
    households_visited: int
    target_households: int

    @classmethod
    def of(cls, officer_id: str, week_start: date, households: int, target: int) -> FamiliarisationWeek:
        return cls(f"{officer_id}/{week_start.isoformat()}", officer_id, week_start, households, target)

    @property
    def share_met(self) -> float:
        """Of the week's target, 0..1 (a week without a target counts as met)."""
        if self.target_households <= 0:
            return 1.0
        return min(1.0, self.households_visited / self.target_households)

    def merged(self, reported: FamiliarisationWeek) -> FamiliarisationWeek | None:
        """The week after a later report of it: the higher count (and the reported target); None when
        the report adds nothing (a repeat, or an earlier visit's progress arriving late)."""
        if reported.households_visited <= self.households_visited:
            return None
        return reported


@dataclass(frozen=True)
class DutyEvidence:
    """R-PAT-6: a vehicle's or handheld's patrol evidence for one day, credited to ``officer_ids``."""

    evidence_id: str  # "<vehicle_id or device_id>/<YYYY-MM-DD>", stable across recomputations
    day: date
    officer_ids: tuple[str, ...]
    revision: int
    compliance_ratio: float  # share of planned slots and stops met, 0..1
    mileage_km: float = 0.0
    time_in_zone_s: float = 0.0
    zone_code: str = ""

    def replaced_by(self, reported: DutyEvidence) -> bool:
        """A recomputation replaces the evidence: the highest revision wins."""
        return reported.revision > self.revision

"""Per-district policy values: every number the seeds give is a default here, never a constant in code.

A district overrides any of them in its ``District`` resource (the operator renders them into the
district's ConfigMap as ``JINGWU_POLICY_JSON``); services read them once at start. Rule ids cite
shared/domain.md. Where a seed sets a rule but no number (rotation period, rating weights, the R-PER-6
preference points, the assessment's data/ratings split and grade bands, conduct deductions), the default
is this project's choice and says so.
"""

from __future__ import annotations

import json
import os
from datetime import date, time

from pydantic import BaseModel, ConfigDict, Field, model_validator

POLICY_ENV = "JINGWU_POLICY_JSON"


class RoomStandard(BaseModel):
    """R-ROOM-3: the graded-management standard a room's recorded facilities are measured against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    office_min_m2: float = 30.0
    # Facilities a standard room has; grade "standard" needs all, "basic" needs the office and
    # `basic_facilities`, anything less is "below standard".
    required_facilities: tuple[str, ...] = (
        "office",
        "rest_area",
        "signage",
        "desk",
        "cabinet",
        "phone",
        "police_network_computer",
        "laptop",
        "camera",
        "handheld",
        "briefcase",
        "badge",
    )
    basic_facilities: tuple[str, ...] = ("office", "signage", "desk", "phone", "police_network_computer")
    optional_facilities: tuple[str, ...] = ("reception_area", "meeting_area", "monitoring_area")


class StaffingStandard(BaseModel):
    """R-PER-2 / R-PER-4 staffing numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mobile_room_officers: int = 1  # R-PER-2: mobile room = 1 full-time officer + 2 auxiliaries
    mobile_room_auxiliaries: int = 2
    room_officers: int = 1  # R-PER-2: any other room = 1 full-time officer + 1 auxiliary
    room_auxiliaries: int = 1
    urban_residents_per_community_officer: int = 5000  # R-PER-4
    county_officers_per_10k: float = 1.0  # R-PER-4 county model: 1 officer + 2 auxiliaries per 10,000
    county_auxiliaries_per_10k: float = 2.0
    station_min_officers_urban: int = 20  # R-PER-4
    station_min_officers_town: int = 10
    station_min_officers_township: int = 5
    station_share_of_force_county: float = 0.40  # R-PER-4: stations hold >= 40 % of a county bureau's force
    station_share_of_force_urban_district: float = 0.50  # (>= 50 % for an urban district bureau)


class WorkStandard(BaseModel):
    """R-PER-7..9, R-PER-12, R-POP-5, R-PAT-5, R-NOT-1/2: time-based duties."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liaison_village_days_per_month: int = 2  # R-PER-8
    community_hours_per_week: float = 20.0  # R-PER-9
    # R-PER-7 says "rotates periodically, never long-term in one village" without a number: 24 months.
    auxiliary_rotation_months: int = 24
    promotion_rural_room_years: float = 2.0  # R-PER-12
    promotion_urban_room_years: float = 3.0
    familiarisation_households_per_week: int = 30  # R-POP-5
    # R-ROOM-6 (seed 003): where a community has this many officers or more, one of them is in the room
    # on each working day, by rota.
    room_duty_min_officers: int = 2
    # Public holidays of the district's calendar (rotas treat them like weekends: staffed, not working days).
    holidays: tuple[date, ...] = ()
    weekly_notice_days: int = 7  # R-NOT-1
    resident_meeting_every_months: int = 2  # R-NOT-2
    # R-PAT-5 golden hours for door-to-door visits (weekends and holidays count whole).
    golden_hours: tuple[tuple[time, time], ...] = ((time(12, 0), time(13, 0)), (time(17, 0), time(19, 0)))


class RatingWeights(BaseModel):
    """R-PER-11: how self / peer / leader / resident ratings combine. The seeds set no numbers; residents
    weigh most by default because seed 003 asks for a higher weight of social evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    self_rating: float = 0.1
    peer: float = 0.2
    leader: float = 0.3
    resident: float = 0.4

    @model_validator(mode="after")
    def _sum_to_one(self) -> RatingWeights:
        total = self.self_rating + self.peer + self.leader + self.resident
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"rating weights must sum to 1, they sum to {total:g}")
        return self


class PreferenceWeights(BaseModel):
    """R-PER-6 / R-PER-7: points per reason when candidates for a village are ranked. R-PER-6 lists the
    preferences (home village, former workplace, a branch matching the village) in an order but gives no
    numbers, R-PER-7 gives none either: every number here is this project's choice. Personal ties score
    above the branch-to-village matches, and a little comes off per village a candidate already serves in
    the role, so the load spreads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home_village: float = Field(default=5.0, ge=0)
    former_workplace: float = Field(default=4.0, ge=0)
    branch_match: float = Field(default=3.0, ge=0)  # traffic line, high crime, security complex, key village
    same_township: float = Field(default=2.0, ge=0)  # R-PER-7 auxiliaries
    neighbouring_township: float = Field(default=1.0, ge=0)
    not_recently_served: float = Field(default=1.0, ge=0)  # R-PER-7 rotation
    per_current_village: float = Field(default=0.5, ge=0)  # taken off per village already served


class ConductDeductions(BaseModel):
    """R-PER-13: points a violation takes off the period's assessment when its record names none. The
    seed says violations "feed assessment" and sets no numbers: these are this project's choice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    four_nos: float = Field(default=10.0, ge=0, le=100)  # officers' "four nos"
    leaked_secrets: float = Field(default=20.0, ge=0, le=100)  # auxiliaries
    leaked_personal_data: float = Field(default=20.0, ge=0, le=100)  # auxiliaries, R-POP-6
    other: float = Field(default=5.0, ge=0, le=100)


class AssessmentStandard(BaseModel):
    """R-PER-11: how an assessment's total is made and graded. The seeds name the inputs (platform data,
    and self / peer / leader / resident ratings with configurable weights, see ``RatingWeights``) but
    neither the split between data and ratings nor grade bands: every number here is this project's
    choice (an even split; the usual 90 / 75 / 60 bands of 优秀 / 称职 / 基本称职)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_share: float = Field(default=0.5, ge=0, le=1)  # platform data (compliance indicators)
    ratings_share: float = Field(default=0.5, ge=0, le=1)  # the four kinds of ratings
    excellent_from: float = Field(default=90.0, ge=0, le=100)
    competent_from: float = Field(default=75.0, ge=0, le=100)
    basically_competent_from: float = Field(default=60.0, ge=0, le=100)
    conduct_deductions: ConductDeductions = Field(default_factory=ConductDeductions)

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentStandard:
        total = self.data_share + self.ratings_share
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"data_share and ratings_share must sum to 1, they sum to {total:g}")
        if not self.basically_competent_from <= self.competent_from <= self.excellent_from:
            raise ValueError(
                "grade bands must rise: basically_competent_from <= competent_from <= excellent_from"
            )
        return self


class DistrictPolicy(BaseModel):
    """All policy values of one district."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Urban district bureau (市辖区分局) or county bureau (县局): picks R-PER-4's ratios and shares.
    urban_district: bool = True
    rooms: RoomStandard = Field(default_factory=RoomStandard)
    staffing: StaffingStandard = Field(default_factory=StaffingStandard)
    work: WorkStandard = Field(default_factory=WorkStandard)
    ratings: RatingWeights = Field(default_factory=RatingWeights)
    preferences: PreferenceWeights = Field(default_factory=PreferenceWeights)
    assessment: AssessmentStandard = Field(default_factory=AssessmentStandard)

    @classmethod
    def from_json(cls, text: str) -> DistrictPolicy:
        """Defaults overridden by a (possibly partial) JSON document; unknown keys are an error."""
        return cls.model_validate(json.loads(text) if text.strip() else {})

    @classmethod
    def from_env(cls) -> DistrictPolicy:
        return cls.from_json(os.environ.get(POLICY_ENV, ""))

"""The patrol service's policy values (R-PAT-2, R-PAT-5, R-PAT-6, R-ROOM-5). The seeds name the rules
but none of these numbers except the golden hours (which come from the district's DistrictPolicy, with
its holidays): each default here is this project's choice, overridable per district with
``JINGWU_PATROL_POLICY_JSON`` (entrypoints/options.py). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from jingwu_patrol.domain.evidence import StopRules
from jingwu_patrol.domain.incidents import IncidentLimits
from jingwu_patrol.domain.tracks import TrackFilter


@dataclass(frozen=True)
class HotSpotRules:
    """R-PAT-2 ranking defaults."""

    window_weeks: int = 8
    half_life_days: float = 14.0
    cell_size_m: float = 300.0
    min_cases: int = 2
    limit: int = 20
    # A plan made from the recommendation covers this many slots, with this much presence each.
    plan_top: int = 6
    plan_required_minutes: int = 20


@dataclass(frozen=True)
class PatrolPolicy:
    vehicle_track: TrackFilter = field(default_factory=TrackFilter)
    # Handhelds scatter more (inside buildings, in a pocket): a wider jitter radius.
    handheld_track: TrackFilter = field(default_factory=lambda: TrackFilter(jitter_radius_m=25.0))
    stops: StopRules = field(default_factory=StopRules)
    incidents: IncidentLimits = field(default_factory=IncidentLimits)
    hotspots: HotSpotRules = field(default_factory=HotSpotRules)
    # R-PAT-5: the hours of a weekend day or holiday that are golden (the seed says they count whole).
    rest_day_hours: tuple[time, time] = (time(9, 0), time(21, 0))
    # Street visibility: minutes of presence that make an hour "with patrol presence".
    visibility_min_minutes: float = 15.0
    # A registry checkpoint order within this distance of a registered checkpoint is a duty there.
    checkpoint_match_m: float = 150.0
    # Interception: a vehicle's GPS position older than this is not trusted over the registry's belief.
    position_max_age: timedelta = timedelta(minutes=10)
    # Zone crossings read before the day, to know where a device was at midnight.
    crossing_lookback: timedelta = timedelta(days=3)

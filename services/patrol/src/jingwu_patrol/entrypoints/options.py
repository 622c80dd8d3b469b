"""Settings of the patrol service beyond every service's (``JINGWU_PATROL_*``): where the room registry
and telemetry are, and the district's patrol policy values (PatrolPolicy) as JSON."""

from __future__ import annotations

from pydantic import TypeAdapter
from pydantic_settings import BaseSettings, SettingsConfigDict

from jingwu_patrol.domain.policy import PatrolPolicy


class PatrolOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGWU_PATROL_", extra="ignore")

    # The room registry (IssueCheckpointOrder, R-ROOM-5) and telemetry (GetTrack, GetLatestPositions).
    rooms_target: str = "127.0.0.1:50051"
    telemetry_target: str = "127.0.0.1:50054"
    # A partial PatrolPolicy, e.g. {"visibility_min_minutes": 20, "hotspots": {"window_weeks": 12}}.
    policy_json: str = ""

    def policy(self) -> PatrolPolicy:
        if not self.policy_json.strip():
            return PatrolPolicy()
        return TypeAdapter(PatrolPolicy).validate_json(self.policy_json)

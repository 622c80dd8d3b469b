"""Settings of the telemetry service beyond the platform's (prefix ``JINGWU_TELEMETRY_``)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGWU_TELEMETRY_", extra="ignore")

    # Key auth codes are derived from (domain.credentials). Empty: derived from the service's
    # credential secret; set it in clusters, so rotating the token key does not revoke every device.
    auth_code_key: SecretStr = SecretStr("")
    # Whether this process also consumes fixes (the batch consumer); a registry-only replica sets false.
    consume_fixes: bool = True
    # Tracks: bucket width, and when a window is sealed into its bucket (after it ended + the delay).
    bucket_minutes: int = 60
    seal_interval_s: float = 60.0
    seal_delay_s: float = 600.0
    # The batch consumer's poll.
    batch_max_records: int = 5_000
    batch_max_wait_ms: int = 200
    # A latest position older than this is shown stale on the live map.
    stale_after_s: float = 600.0

    def code_key(self, auth_secret: SecretStr) -> bytes:
        own = self.auth_code_key.get_secret_value()
        return (own or f"telemetry-auth-codes/{auth_secret.get_secret_value()}").encode()

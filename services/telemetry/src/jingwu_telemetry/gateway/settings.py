"""Settings of the city gateways (prefix ``JINGWU_GATEWAY_``). A gateway serves every district: it
needs each district's registry address (for registrations and authentications) and credential
secret (to call it as a service)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGWU_GATEWAY_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # District → host:port of its telemetry service, as JSON: {"01": "127.0.0.1:50071"}.
    registry_targets: dict[str, str] = Field(default_factory=dict)
    # The credential secret of districts not named in district_auth_secrets (one secret locally).
    auth_secret: SecretStr = SecretStr("")
    district_auth_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    jt808_host: str = "0.0.0.0"  # noqa: S104 - terminals connect from anywhere
    jt808_port: int = 6808
    http_host: str = "0.0.0.0"  # noqa: S104
    http_port: int = 6809
    idle_timeout_s: float = 300.0
    rate_per_s: float = 20.0
    burst: float = 200.0
    reassembly_timeout_s: float = 10.0
    # OsmAnd / Traccar Client posts carry only the device id; require its secret as HTTP Basic.
    osmand_require_secret: bool = True
    linger_ms: int = 5
    # Fixes awaiting Kafka's acknowledgement at once; beyond it a message is answered failure at once
    # (jingwu_telemetry.gateway.publisher: admission).
    max_pending_fixes: int = Field(default=10_000, ge=1)
    log_level: str = "INFO"

    def secrets(self) -> dict[str, str]:
        return {
            district: secret.get_secret_value() for district, secret in self.district_auth_secrets.items()
        }

"""Console settings from the environment (prefix ``JINGWU_``), like every service of the district.

The console serves one district. It verifies sign-in credentials with the district's auth secret (the
same HS256 key the services use), calls the services at their gRPC addresses with the signed-in user's
own credential, reads live fixes from the district's telemetry topic, and forwards the residents'
online police room to the notification service's resident HTTP API.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jingwu_console.services import SERVICES

_DEFAULT_STATIC = Path(__file__).resolve().parents[2] / "web" / "dist"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGWU_", extra="ignore")

    district: str = Field(pattern=r"^\d{2}$")
    auth_secret: SecretStr
    console_host: str = "127.0.0.1"
    # 0 = a free port (tests); the printed ready line names it.
    console_port: int = Field(default=8080, ge=0, le=65535)
    # The built single-page app (``npm run build`` output); the image copies it here.
    console_static_dir: Path = _DEFAULT_STATIC
    # gRPC addresses of the district's services (host:port), the ports `make run` uses by default.
    rooms_addr: str = "127.0.0.1:50051"
    population_addr: str = "127.0.0.1:50052"
    personnel_addr: str = "127.0.0.1:50053"
    telemetry_addr: str = "127.0.0.1:50054"
    notification_addr: str = "127.0.0.1:50055"
    patrol_addr: str = "127.0.0.1:50056"
    # The notification service's resident HTTP API (R-NOT-4), e.g. http://127.0.0.1:8095.
    resident_api_url: str = "http://127.0.0.1:8095"
    # Live positions: the district's Kafka (telemetry fixes topic); empty disables the live feed.
    kafka_bootstrap: str = "127.0.0.1:9092"
    # How often the live feed sends the positions that changed (one message per tick, not per fix).
    live_tick_s: float = Field(default=1.0, gt=0)
    # Per-call deadline towards the services.
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    # Set behind TLS (the Ingress): the session cookie is then sent over HTTPS only.
    console_secure_cookie: bool = False
    log_level: str = "INFO"

    @field_validator("resident_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def address(self, service: str) -> str:
        """gRPC address of one of :data:`SERVICES`."""
        if service not in SERVICES:
            raise KeyError(service)
        return str(getattr(self, f"{service}_addr"))

"""Settings of the notification service beyond every service's (``JINGWU_NOTIFICATION_*``): the online
police room's port and limits, the delivery channels and the retry policy."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from jingwu_notification.domain.deliveries import RetryPolicy


class NotificationOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINGWU_NOTIFICATION_", extra="ignore")

    # The online police room (R-NOT-4): resident-facing HTTP. Port 0 = any free port (logged as
    # "online police room serving"); -1 = not served. `make run` and the charts set a fixed port.
    resident_api_host: str = "127.0.0.1"
    resident_api_port: int = Field(default=0, ge=-1, le=65535)
    # Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    resident_api_trust_forwarded_for: bool = False
    resident_requests_per_minute: float = Field(default=30.0, gt=0)
    resident_burst: int = Field(default=30, ge=1)
    resident_writes_per_hour: float = Field(default=10.0, gt=0)
    resident_failed_checks: int = Field(default=5, ge=1)
    resident_failed_checks_window_s: float = Field(default=900.0, gt=0)

    # Delivery: retries with exponential backoff and jitter; a claim's lease.
    delivery_max_attempts: int = Field(default=12, ge=1, le=30)
    delivery_base_delay_s: float = Field(default=10.0, gt=0)
    delivery_max_delay_s: float = Field(default=7200.0, gt=0)
    delivery_lease_s: float = Field(default=60.0, gt=0)
    delivery_poll_interval_s: float = Field(default=5.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)

    # E-mail over SMTP; empty host = no e-mail channel.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "jingwu-notification@localhost"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False

    # The messaging-group gateway (WeCom group-robot API); empty = no group channel.
    group_api_url: str = ""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.delivery_max_attempts,
            base_delay=timedelta(seconds=self.delivery_base_delay_s),
            max_delay=timedelta(seconds=max(self.delivery_max_delay_s, self.delivery_base_delay_s)),
            lease=timedelta(seconds=self.delivery_lease_s),
        )

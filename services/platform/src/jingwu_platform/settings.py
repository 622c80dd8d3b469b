"""Service settings from the environment (prefix ``JINGWU_``), one object per process."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DISTRICT_CODE = re.compile(r"^\d{2}$")


class ServiceSettings(BaseSettings):
    """Everything a Jingwu service process needs to start. A process serves exactly one district."""

    model_config = SettingsConfigDict(env_prefix="JINGWU_", extra="ignore")

    service_name: str
    district: str = Field(description="Two-digit district code this process serves (the tenant).")
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    # Prometheus scrape endpoint (GET /metrics, jingwu_platform.metrics): 0 = a free port, printed in
    # the ready line (local runs, tests); the charts set a fixed port and 0.0.0.0.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # HMAC key that signs caller credentials. Never committed: `make run` generates one per data dir,
    # clusters mount it from a Secret.
    auth_secret: SecretStr
    # Whether the service creates its own topics at start. Locally yes; in a cluster the operator does.
    kafka_create_topics: bool = True
    kafka_topic_partitions: int = 3
    outbox_poll_interval_s: float = 0.5
    # The relay's lease per outbox collection (docs/adr/0029): its TTL, and this replica's id (empty:
    # the host name, i.e. the pod name in clusters).
    outbox_lease_ttl_s: float = 15.0
    instance_id: str = ""
    # Tracing: a JSON-lines file locally, OTLP in clusters, console for debugging.
    trace_exporter: Literal["file", "otlp", "console", "none"] = "file"
    trace_file: str = ".data/traces/spans.jsonl"
    otlp_endpoint: str = ""
    log_level: str = "INFO"
    # Calendar rules (jingwu_platform.scheduler): "local" = the service's own timer runs them; "cronjob"
    # = only the charts' CronJobs do (`jingwu-<service> schedule run <name>`). The timer wakes at least
    # every schedule_poll_interval_s (a changed clock is noticed).
    schedules: Literal["local", "cronjob"] = "local"
    schedule_poll_interval_s: float = 30.0
    # Test-only crash injection (see jingwu_platform.failpoints); empty in every real deployment.
    failpoints: str = ""

    @field_validator("district")
    @classmethod
    def _district_is_two_digits(cls, value: str) -> str:
        if not DISTRICT_CODE.match(value):
            raise ValueError(f"district must be a two-digit code like '01', got {value!r}")
        return value

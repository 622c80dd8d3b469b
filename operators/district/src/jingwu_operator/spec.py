"""The District spec as the operator reads it: typed, defaulted, and validated a second time.

The API server already refuses what the CRD schema forbids (codes, replicas, partitions, unknown
deletion policies); this model adds what OpenAPI cannot say — the policy's cross-field rules (rating
weights summing to 1, ...), by validating the overrides with ``jingwu_platform.policy.DistrictPolicy``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from jingwu_platform.policy import DistrictPolicy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jingwu_operator import naming

Quantity = str | int | float


class ResourceList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: ResourceList = Field(default_factory=lambda: ResourceList(cpu="100m", memory="128Mi"))
    limits: ResourceList = Field(default_factory=lambda: ResourceList(cpu="500m", memory="256Mi"))


# Services whose chart values ask for more than the default (charts/jingwu-district/values.yaml; a test
# keeps the two equal): the operator passes resources explicitly, so it must know them.
DEFAULT_RESOURCES: Mapping[str, Resources] = {
    "population": Resources(
        requests=ResourceList(cpu="250m", memory="1Gi"), limits=ResourceList(cpu="2", memory="2Gi")
    ),
    "telemetry": Resources(
        requests=ResourceList(cpu="200m", memory="256Mi"), limits=ResourceList(cpu="1", memory="512Mi")
    ),
}


class ServiceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool | None = None  # None: the service's default (see naming.ENABLED_BY_DEFAULT)
    replicas: int | None = Field(default=None, ge=0)  # None: 2, or 1 for a single writer
    resources: Resources | None = None  # None: the service's default (DEFAULT_RESOURCES)


class Names(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    chinese: str = Field(min_length=1)
    pinyin: str = Field(pattern=r"^[a-z][a-z0-9-]*$")


class KafkaSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    partitions: int = Field(default=3, ge=1)
    retention_hours: int = Field(default=168, ge=1, alias="retentionHours")

    @property
    def retention_ms(self) -> int:
        return self.retention_hours * 3_600_000


class DistrictSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    code: str = Field(pattern=r"^\d{2}$")
    names: Names
    policy: dict[str, Any] = Field(default_factory=dict)
    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    kafka: KafkaSpec = Field(default_factory=KafkaSpec)
    deletion_policy: Literal["Retain", "Delete"] = Field(default="Retain", alias="deletionPolicy")

    def service(self, name: str) -> ServiceSpec:
        return self.services.get(name, ServiceSpec())

    def replicas(self, name: str) -> int:
        configured = self.service(name).replicas
        if configured is not None:
            return configured
        return 1 if name in naming.SINGLE_WRITERS else 2

    def resources(self, name: str) -> Resources:
        return self.service(name).resources or DEFAULT_RESOURCES.get(name) or Resources()

    def enabled(self, name: str) -> bool:
        configured = self.service(name).enabled
        return name in naming.ENABLED_BY_DEFAULT if configured is None else configured

    def policy_model(self) -> DistrictPolicy:
        return DistrictPolicy.model_validate(self.policy)

    def policy_json(self) -> str:
        """The overrides only (services apply them over their defaults), canonical JSON."""
        return json.dumps(self.policy, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class InvalidSpec(ValueError):
    """The spec passed the API server's schema but not the operator's own rules (permanent)."""


def parse(spec: Mapping[str, Any]) -> DistrictSpec:
    try:
        parsed = DistrictSpec.model_validate(dict(spec))
        parsed.policy_model()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidSpec(problems) from exc
    unknown = sorted(set(parsed.services) - set(naming.SERVICES))
    if unknown:
        raise InvalidSpec(f"services: unknown service(s) {', '.join(unknown)}")
    crowded = sorted(name for name in naming.SINGLE_WRITERS if parsed.replicas(name) > 1)
    if crowded:
        raise InvalidSpec(f"services: {', '.join(crowded)} writes alone: replicas must be 0 or 1")
    return parsed

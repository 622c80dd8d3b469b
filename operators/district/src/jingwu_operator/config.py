"""Operator settings from the environment (prefix ``JINGWU_OPERATOR_``)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from jingwu_operator.render import ImageDefaults

ENV_PREFIX = "JINGWU_OPERATOR_"


def _default_chart() -> Path:
    """In the image the charts sit next to the operator (``/app/charts``); in the repo, ``charts/``."""
    here = Path(__file__).resolve()
    for base in here.parents:
        candidate = base / "charts" / "jingwu-district"
        if (candidate / "Chart.yaml").is_file():
            return candidate
    return Path("/app/charts/jingwu-district")


def _default_helm() -> str:
    return shutil.which("helm") or "helm"


@dataclass(frozen=True)
class OperatorConfig:
    kafka_bootstrap: str = "127.0.0.1:9092"  # admin access to the brokers (topics, ACLs)
    # What the district's services get as JINGWU_KAFKA_BOOTSTRAP (in-cluster address); default: the above.
    services_kafka_bootstrap: str = ""
    mongo_url: str = "mongodb://127.0.0.1:27017/"  # admin URL (createUser, dropDatabase)
    # Host part the district's services connect to (credentials are added per district); default: mongo_url.
    services_mongo_url: str = ""
    chart: Path = field(default_factory=_default_chart)
    helm: str = field(default_factory=_default_helm)
    image_registry: str = "registry.example/jingwu"
    image_tag: str = "0.1.0"
    image_pull_policy: str = "IfNotPresent"
    tracing_exporter: str = "otlp"
    otlp_endpoint: str = ""
    # Drift check: every managed object is re-applied and topics/database re-checked this often.
    resync_seconds: float = 60.0
    # First retry delay after a failure (doubles per retry, capped at max_backoff_seconds).
    backoff_seconds: float = 5.0
    max_backoff_seconds: float = 300.0
    kafka_timeout_seconds: float = 10.0
    mongo_timeout_seconds: float = 10.0

    @property
    def images(self) -> ImageDefaults:
        return ImageDefaults(self.image_registry, self.image_tag, self.image_pull_policy)

    @property
    def kafka_for_services(self) -> str:
        return self.services_kafka_bootstrap or self.kafka_bootstrap

    @property
    def mongo_for_services(self) -> str:
        return self.services_mongo_url or self.mongo_url

    def backoff(self, retry: int) -> float:
        return float(min(self.backoff_seconds * (2 ** max(retry, 0)), self.max_backoff_seconds))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> OperatorConfig:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value else None

        defaults = cls()
        floats = {
            "resync_seconds": "RESYNC_SECONDS",
            "backoff_seconds": "BACKOFF_SECONDS",
            "max_backoff_seconds": "MAX_BACKOFF_SECONDS",
            "kafka_timeout_seconds": "KAFKA_TIMEOUT_SECONDS",
            "mongo_timeout_seconds": "MONGO_TIMEOUT_SECONDS",
        }
        strings = {
            "kafka_bootstrap": "KAFKA_BOOTSTRAP",
            "services_kafka_bootstrap": "SERVICES_KAFKA_BOOTSTRAP",
            "mongo_url": "MONGO_URL",
            "services_mongo_url": "SERVICES_MONGO_URL",
            "helm": "HELM",
            "image_registry": "IMAGE_REGISTRY",
            "image_tag": "IMAGE_TAG",
            "image_pull_policy": "IMAGE_PULL_POLICY",
            "tracing_exporter": "TRACING_EXPORTER",
            "otlp_endpoint": "OTLP_ENDPOINT",
        }
        values: dict[str, object] = {}
        for attr, name in strings.items():
            if (raw := get(name)) is not None:
                values[attr] = raw
        for attr, name in floats.items():
            if (raw := get(name)) is not None:
                values[attr] = float(raw)
        if (chart := get("CHART")) is not None:
            values["chart"] = Path(chart)
        return cls(**{**defaults.__dict__, **values})

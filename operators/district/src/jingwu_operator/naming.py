"""Names and labels of everything a District owns. Pure functions, no I/O."""

from __future__ import annotations

from jingwu_platform.events import dead_letter_topic, domain_topic, telemetry_fixes_topic
from jingwu_platform.mongo import district_database_name

GROUP = "jingwu.police.cn"
VERSION = "v1"
KIND = "District"
PLURAL = "districts"
SINGULAR = "district"
SHORT_NAMES = ("dist",)
FIELD_MANAGER = "jingwu-operator"
FINALIZER = f"{GROUP}/district"

# Labels on every managed object (the operator finds, prunes and reports by them).
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_DISTRICT = f"{GROUP}/district"
LABEL_COMPONENT = f"{GROUP}/component"
MANAGED_BY = "jingwu-operator"
# Namespaces carrying this label (city ingress, command centre) may reach every district's pods.
CITY_INGRESS_LABEL = f"{GROUP}/city-ingress"
# Namespaces carrying this label (the cluster's Prometheus) may reach the pods' metrics port only.
METRICS_SCRAPER_LABEL = f"{GROUP}/metrics-scraper"
# Every district namespace carries this, so policies and tools can tell tenants apart.
TENANT_LABEL = f"{GROUP}/tenant"

# The platform's domains. Each has one event topic per district; consumers have a dead-letter topic.
DOMAINS = ("rooms", "personnel", "population", "patrol", "notification", "telemetry")
# Every consumer's dead letters (``dead_letter_topic``): one per service that consumes events, and the
# telemetry fix consumer's own ("telemetry.fixes", on the batch path).
CONSUMERS = ("rooms", "personnel", "population", "patrol", "notification", "telemetry", "telemetry.fixes")
# The deployables of charts/jingwu-district (its `services:`); console is the web front end.
SERVICES = ("rooms", "notification", "personnel", "population", "patrol", "telemetry", "console")
ENABLED_BY_DEFAULT = frozenset({"rooms", "notification", "personnel"})
# One pod at most (docs/adr/0034): population holds its district in memory and writes alone.
SINGLE_WRITERS = frozenset({"population"})
# The compacted topic's settings (as jingwu_telemetry.adapters.kafka_topics.COMPACTED, which the service
# applies itself when it creates topics locally): the latest entry per key is kept forever.
COMPACTED = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1", "segment.ms": "3600000"}


def resource_name(code: str) -> str:
    """The District object's required name: one object per code, enforced by the API server (CEL)."""
    return f"jingwu-{code}"


def namespace(code: str) -> str:
    return f"jingwu-{code}"


def release(code: str) -> str:
    """Helm release name the chart is rendered with."""
    return f"jingwu-{code}"


def database(code: str) -> str:
    return district_database_name(code)


def mongo_user(code: str) -> str:
    return f"jingwu-{code}"


def kafka_principal(code: str) -> str:
    """The district's Kafka principal; a SASL client authenticating as ``jingwu-<code>`` is this one."""
    return f"User:jingwu-{code}"


def kafka_topic_prefix(code: str) -> str:
    """Every topic of the district starts with this: its principal's topic ACL (kafka_admin.ensure_acls)."""
    return f"jingwu.{code}."


def kafka_group_prefix(code: str) -> str:
    """Every consumer group of the district's services (``jingwu-<code>-<service>…``) starts with this: its
    principal's group ACL. Codes are exactly two digits, so no district's prefix starts another's groups."""
    return f"jingwu-{code}"


def mongo_secret(code: str) -> str:
    return f"jingwu-{code}-mongo"


def auth_secret(code: str) -> str:
    return f"jingwu-{code}-auth"


def service_account(code: str) -> str:
    return f"jingwu-{code}"


def telemetry_devices_topic(code: str) -> str:
    """The compacted device directory the city gateways read (jingwu_telemetry.application.devices)."""
    return f"jingwu.{code}.telemetry.devices.v1"


def patrol_incidents_topic(code: str) -> str:
    """The incidents fed to patrol by the command centre (jingwu_patrol.entrypoints.incident_feed)."""
    return f"jingwu.{code}.patrol.incidents.v1"


def topics(code: str) -> list[str]:
    """Every topic of a district: one per domain, the telemetry fixes and device directory, the patrol
    incident feed, and the consumers' dead letters."""
    names = [domain_topic(code, domain) for domain in DOMAINS]
    names.append(telemetry_fixes_topic(code))
    names.append(telemetry_devices_topic(code))
    names.append(patrol_incidents_topic(code))
    names.extend(dead_letter_topic(code, consumer) for consumer in CONSUMERS)
    return names


def topic_configs(code: str) -> dict[str, dict[str, str]]:
    """Topic settings beyond retention, by topic: the device directory is compacted."""
    return {telemetry_devices_topic(code): dict(COMPACTED)}


def labels(code: str, component: str) -> dict[str, str]:
    return {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: "jingwu",
        LABEL_DISTRICT: code,
        LABEL_COMPONENT: component,
    }


def selector(code: str) -> dict[str, str]:
    return {LABEL_MANAGED_BY: MANAGED_BY, LABEL_DISTRICT: code}

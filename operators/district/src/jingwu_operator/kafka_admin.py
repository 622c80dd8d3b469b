"""Adapter: a district's Kafka topics (and ACLs where the cluster has an authorizer) via the admin API."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from jingwu_operator import naming
from jingwu_operator.spec import DistrictSpec

log = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3
_SECURITY_DISABLED = 54
# Kafka's ACL enums (org.apache.kafka.common.acl / resource).
_ANY = 1
_RESOURCE_TOPIC = 2
_RESOURCE_GROUP = 3
_PATTERN_PREFIXED = 4
_OPERATION_ALL = 2
_PERMISSION_ALLOW = 3


class KafkaAdminError(RuntimeError):
    """The brokers answered with an error (or not at all)."""


@dataclass
class TopicsReport:
    created: list[str] = field(default_factory=list)
    partitions_added: list[str] = field(default_factory=list)
    retention_changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    acls: str = ""

    def message(self, total: int) -> str:
        parts = [f"{total} topics present"]
        if self.created:
            parts.append(f"created {len(self.created)}")
        if self.partitions_added:
            parts.append(f"partitions raised on {len(self.partitions_added)}")
        if self.retention_changed:
            parts.append(f"config updated on {len(self.retention_changed)}")
        parts.extend(self.notes)
        if self.acls:
            parts.append(self.acls)
        return "; ".join(parts)


@contextlib.asynccontextmanager
async def admin_client(bootstrap: str, timeout_s: float) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="jingwu-operator", request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        await client.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            await client.close()
        raise KafkaAdminError(f"Kafka at {bootstrap} is unreachable: {exc}") from exc
    try:
        yield client
    finally:
        await client.close()


def _errors(rows: Sequence[Any], ok: set[int]) -> list[str]:
    problems = []
    for row in rows:
        topic, code = row[0], row[1]
        message = row[2] if len(row) > 2 else ""
        if code not in ok:
            problems.append(f"{topic}: error {code} {message or ''}".strip())
    return problems


async def ensure_topics(  # noqa: PLR0912 - create, grow, retention, ACLs
    client: AIOKafkaAdminClient,
    names: Sequence[str],
    *,
    partitions: int,
    retention_ms: int,
    principal: str,
    prefix: str,
    group_prefix: str,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> TopicsReport:
    """Create missing topics; raise partitions (never lower: Kafka cannot); set retention.ms and, per topic,
    the settings in ``configs`` (e.g. log compaction)."""
    report = TopicsReport()

    def wanted(name: str) -> dict[str, str]:
        return {"retention.ms": str(retention_ms), **(configs or {}).get(name, {})}

    cluster = await client.describe_cluster()
    replication = max(1, min(3, len(cluster.get("brokers", []))))
    existing = set(await client.list_topics())
    missing = [n for n in names if n not in existing]
    if missing:
        response = await client.create_topics(
            [NewTopic(n, partitions, replication, topic_configs=wanted(n)) for n in missing]
        )
        problems = _errors(response.topic_errors, {0, _TOPIC_ALREADY_EXISTS})
        if problems:
            raise KafkaAdminError("creating topics failed: " + "; ".join(problems))
        report.created = missing
    present = [n for n in names if n in existing]
    if present:
        described = await client.describe_topics(present)
        grow: dict[str, NewPartitions] = {}
        for topic in described:
            count = len(topic["partitions"])
            if count < partitions:
                grow[topic["topic"]] = NewPartitions(partitions)
            elif count > partitions:
                report.notes.append(
                    f"{topic['topic']} keeps {count} partitions (Kafka cannot reduce to {partitions})"
                )
        if grow:
            response = await client.create_partitions(grow)
            problems = _errors(response.topic_errors, {0})
            if problems:
                raise KafkaAdminError("adding partitions failed: " + "; ".join(problems))
            report.partitions_added = sorted(grow)
        current = await client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, {key: None for key in wanted(n)}) for n in present]
        )
        stale = []
        for response in current:
            for resource in response.to_object()["resources"]:
                values = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
                topic_name = resource["resource_name"]
                if any(values.get(key) != value for key, value in wanted(topic_name).items()):
                    stale.append(topic_name)
        if stale:
            # AlterConfigs replaces a topic's dynamic config: always the whole set the operator wants.
            results = await client.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n, wanted(n)) for n in stale]
            )
            for result in results:
                for resource in result.to_object()["resources"]:
                    if resource["error_code"]:
                        raise KafkaAdminError(
                            f"setting the config of {resource['resource_name']} failed: "
                            f"error {resource['error_code']} {resource['error_message'] or ''}"
                        )
            report.retention_changed = sorted(stale)
    report.acls = await ensure_acls(client, principal=principal, prefix=prefix, group_prefix=group_prefix)
    return report


async def ensure_district(client: AIOKafkaAdminClient, spec: DistrictSpec) -> TopicsReport:
    """A district's topics (naming.topics) as its spec sets them, and its principal's ACLs on its own
    topic and group prefixes."""
    code = spec.code
    return await ensure_topics(
        client,
        naming.topics(code),
        partitions=spec.kafka.partitions,
        retention_ms=spec.kafka.retention_ms,
        principal=naming.kafka_principal(code),
        prefix=naming.kafka_topic_prefix(code),
        group_prefix=naming.kafka_group_prefix(code),
        configs=naming.topic_configs(code),
    )


async def ensure_acls(client: AIOKafkaAdminClient, *, principal: str, prefix: str, group_prefix: str) -> str:
    """Allow the district's principal on its own topic and group prefixes. Clusters without an authorizer
    answer SECURITY_DISABLED: reported, not an error."""
    probe = await client._send_request(DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY))
    code = probe.to_object()["error_code"]
    if code == _SECURITY_DISABLED:
        return "ACLs not managed: the brokers have no authorizer"
    if code:
        return f"ACLs not managed: DescribeAcls answered error {code}"
    failures = []
    for resource_type, name in ((_RESOURCE_TOPIC, prefix), (_RESOURCE_GROUP, group_prefix)):
        response = await client._send_request(
            CreateAclsRequest(
                resource_type, name, _PATTERN_PREFIXED, principal, "*", _OPERATION_ALL, _PERMISSION_ALLOW
            )
        )
        for result in response.to_object().get("creation_responses", []):
            if result.get("error_code"):
                failures.append(f"{name}: error {result['error_code']} {result.get('error_message') or ''}")
    if failures:
        raise KafkaAdminError("creating ACLs failed: " + "; ".join(failures))
    return f"ACLs: {principal} allowed on topics {prefix}* and groups {group_prefix}*"


async def delete_topics(client: AIOKafkaAdminClient, names: Sequence[str]) -> list[str]:
    """Delete the topics that exist; returns the deleted names."""
    existing = set(await client.list_topics())
    doomed = [n for n in names if n in existing]
    if doomed:
        response = await client.delete_topics(doomed)
        problems = _errors(response.topic_error_codes, {0, _UNKNOWN_TOPIC})
        if problems:
            raise KafkaAdminError("deleting topics failed: " + "; ".join(problems))
    return doomed

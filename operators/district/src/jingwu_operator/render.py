"""Desired Kubernetes state of one District: pure functions from (spec, config) to lightkube objects.

No I/O here: the chart is rendered by ``helm.render`` and its output post-processed by
``own_chart_objects``; adapters apply whatever these functions return.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lightkube import codecs
from lightkube.core.resource import NamespacedResource, Resource
from lightkube.models.core_v1 import (
    LimitRangeItem,
    LimitRangeSpec,
    NamespaceSpec,
    ResourceQuotaSpec,
)
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta, OwnerReference
from lightkube.models.networking_v1 import (
    NetworkPolicyIngressRule,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicySpec,
)
from lightkube.models.rbac_v1 import PolicyRule, RoleRef, Subject
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import (
    ConfigMap,
    LimitRange,
    Namespace,
    ResourceQuota,
    Secret,
    ServiceAccount,
)
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding

from jingwu_operator import naming, quantity
from jingwu_operator.spec import DistrictSpec


@dataclass(frozen=True)
class Owner:
    """The District object that owns everything rendered for it."""

    name: str
    uid: str

    def reference(self) -> OwnerReference:
        return OwnerReference(
            apiVersion=f"{naming.GROUP}/{naming.VERSION}",
            kind=naming.KIND,
            name=self.name,
            uid=self.uid,
            controller=True,
            blockOwnerDeletion=False,
        )


@dataclass(frozen=True)
class ImageDefaults:
    registry: str
    tag: str
    pull_policy: str


def _meta(
    name: str,
    code: str,
    component: str,
    owner: Owner,
    *,
    namespaced: bool = True,
    extra: Mapping[str, str] = {},
) -> ObjectMeta:
    return ObjectMeta(
        name=name,
        namespace=naming.namespace(code) if namespaced else None,
        labels={**naming.labels(code, component), **extra},
        ownerReferences=[owner.reference()],
    )


def namespace(spec: DistrictSpec, owner: Owner) -> Namespace:
    return Namespace(
        metadata=_meta(
            naming.namespace(spec.code),
            spec.code,
            "namespace",
            owner,
            namespaced=False,
            extra={
                naming.TENANT_LABEL: spec.code,
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        ),
        spec=NamespaceSpec(),
    )


def _pod_totals(spec: DistrictSpec, job_pods: Mapping[str, int]) -> tuple[int, dict[str, Decimal]]:
    """Pods and summed requests/limits with one surge pod per enabled service (rolling updates; none for a
    single writer, which is replaced, not surged) and one pod per CronJob of the service (its calendar
    rules may all fire at once)."""
    pods = 0
    totals = {k: Decimal(0) for k in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")}
    for name in naming.SERVICES:
        if not spec.enabled(name):
            continue
        resources = spec.resources(name)
        surge = 0 if name in naming.SINGLE_WRITERS else 1  # a single writer rolls out by Recreate
        count = spec.replicas(name) + surge + job_pods.get(name, 0)
        pods += count
        for kind, values in (("requests", resources.requests), ("limits", resources.limits)):
            if values.cpu is not None:
                totals[f"{kind}.cpu"] += quantity.parse(values.cpu) * count
            if values.memory is not None:
                totals[f"{kind}.memory"] += quantity.parse(values.memory) * count
    return pods, totals


def resource_quota(spec: DistrictSpec, owner: Owner, job_pods: Mapping[str, int] = {}) -> ResourceQuota:
    """Room for every enabled service's replicas plus one surge pod each, a pod per CronJob the chart
    renders for it (``job_pods``, see ``scheduled_pods``), and a little headroom."""
    pods, totals = _pod_totals(spec, job_pods)
    headroom = Decimal("1.25")
    hard = {
        "pods": str(pods + 2),
        "requests.cpu": quantity.cpu(max(totals["requests.cpu"] * headroom, Decimal("0.5"))),
        "requests.memory": quantity.memory(max(totals["requests.memory"] * headroom, Decimal(512 * 2**20))),
        "limits.cpu": quantity.cpu(max(totals["limits.cpu"] * headroom, Decimal(1))),
        "limits.memory": quantity.memory(max(totals["limits.memory"] * headroom, Decimal(1024 * 2**20))),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
        "persistentvolumeclaims": "0",
    }
    return ResourceQuota(
        metadata=_meta(f"jingwu-{spec.code}-quota", spec.code, "quota", owner),
        spec=ResourceQuotaSpec(hard=hard),
    )


def limit_range(spec: DistrictSpec, owner: Owner) -> LimitRange:
    """Defaults for containers that state no resources (the quota needs requests and limits)."""
    return LimitRange(
        metadata=_meta(f"jingwu-{spec.code}-limits", spec.code, "quota", owner),
        spec=LimitRangeSpec(
            limits=[
                LimitRangeItem(
                    type="Container",
                    defaultRequest={"cpu": "100m", "memory": "128Mi"},
                    default={"cpu": "500m", "memory": "256Mi"},
                    max={"cpu": "4", "memory": "8Gi"},
                )
            ]
        ),
    )


def network_policies(spec: DistrictSpec, owner: Owner) -> list[NetworkPolicy]:
    """Default deny ingress; allow from pods of the same namespace and from namespaces labelled as city
    ingress / command centre; the metrics port (only) from namespaces labelled as metrics scrapers
    (docs/adr/0022). Nothing admits other district namespaces (R-POP-6)."""
    code = spec.code
    everything = LabelSelector()
    return [
        NetworkPolicy(
            metadata=_meta("default-deny-ingress", code, "network", owner),
            spec=NetworkPolicySpec(podSelector=everything, policyTypes=["Ingress"]),
        ),
        NetworkPolicy(
            metadata=_meta("allow-same-namespace", code, "network", owner),
            spec=NetworkPolicySpec(
                podSelector=everything,
                policyTypes=["Ingress"],
                ingress=[NetworkPolicyIngressRule(from_=[NetworkPolicyPeer(podSelector=LabelSelector())])],
            ),
        ),
        NetworkPolicy(
            metadata=_meta("allow-city-ingress", code, "network", owner),
            spec=NetworkPolicySpec(
                podSelector=everything,
                policyTypes=["Ingress"],
                ingress=[
                    NetworkPolicyIngressRule(
                        from_=[
                            NetworkPolicyPeer(
                                namespaceSelector=LabelSelector(
                                    matchLabels={naming.CITY_INGRESS_LABEL: "true"}
                                )
                            )
                        ]
                    )
                ],
            ),
        ),
        NetworkPolicy(
            metadata=_meta("allow-metrics-scrape", code, "network", owner),
            spec=NetworkPolicySpec(
                podSelector=everything,
                policyTypes=["Ingress"],
                ingress=[
                    NetworkPolicyIngressRule(
                        from_=[
                            NetworkPolicyPeer(
                                namespaceSelector=LabelSelector(
                                    matchLabels={naming.METRICS_SCRAPER_LABEL: "true"}
                                )
                            )
                        ],
                        # The container port every service names "metrics" (charts/jingwu-lib).
                        ports=[NetworkPolicyPort(port="metrics", protocol="TCP")],
                    )
                ],
            ),
        ),
    ]


def rbac(spec: DistrictSpec, owner: Owner, workload_accounts: Iterable[str]) -> list[Resource]:
    """The district's ServiceAccount, a Role that reads only this district's config and secrets, and a
    RoleBinding for it and for every ServiceAccount the chart renders."""
    code = spec.code
    ns = naming.namespace(code)
    account = naming.service_account(code)
    role_name = f"jingwu-{code}-services"
    subjects = [
        Subject(kind="ServiceAccount", name=name, namespace=ns)
        for name in sorted({account, *workload_accounts})
    ]
    return [
        ServiceAccount(metadata=_meta(account, code, "rbac", owner), automountServiceAccountToken=False),
        Role(
            metadata=_meta(role_name, code, "rbac", owner),
            rules=[
                PolicyRule(apiGroups=[""], resources=["configmaps"], verbs=["get", "list", "watch"]),
                PolicyRule(
                    apiGroups=[""],
                    resources=["secrets"],
                    resourceNames=[naming.mongo_secret(code), naming.auth_secret(code)],
                    verbs=["get"],
                ),
            ],
        ),
        RoleBinding(
            metadata=_meta(role_name, code, "rbac", owner),
            roleRef=RoleRef(apiGroup="rbac.authorization.k8s.io", kind="Role", name=role_name),
            subjects=subjects,
        ),
    ]


def district_info(spec: DistrictSpec, owner: Owner) -> ConfigMap:
    """What the district is, for tools and city-level readers: names, topics, database, full policy."""
    code = spec.code
    effective = spec.policy_model().model_dump(mode="json")
    return ConfigMap(
        metadata=_meta("jingwu-district", code, "config", owner),
        data={
            "JINGWU_DISTRICT": code,
            "JINGWU_DISTRICT_NAME": spec.names.chinese,
            "JINGWU_DISTRICT_PINYIN": spec.names.pinyin,
            "JINGWU_POLICY_JSON": spec.policy_json(),
            "policy.effective.json": json.dumps(effective, ensure_ascii=False, sort_keys=True, indent=1),
            "topics": "\n".join(naming.topics(code)),
            "database": naming.database(code),
        },
    )


def secret(name: str, spec: DistrictSpec, owner: Owner, data: Mapping[str, str]) -> Secret:
    """A Secret the operator creates once and never rewrites (stringData is encoded by the server)."""
    return Secret(
        metadata=_meta(name, spec.code, "secret", owner),
        type="Opaque",
        stringData=dict(data),
    )


def chart_values(
    spec: DistrictSpec,
    *,
    images: ImageDefaults,
    kafka_bootstrap: str,
    tracing_exporter: str,
    otlp_endpoint: str,
) -> dict[str, Any]:
    """Values for charts/jingwu-district (its values.schema.json is the contract)."""
    code = spec.code
    services: dict[str, Any] = {}
    for name in naming.SERVICES:
        services[name] = {
            "enabled": spec.enabled(name),
            "replicas": spec.replicas(name),
            "resources": spec.resources(name).model_dump(mode="json", exclude_none=True),
        }
    return {
        "district": {"code": code, "name": spec.names.chinese, "pinyin": spec.names.pinyin},
        "managedBy": naming.MANAGED_BY,
        "image": {"registry": images.registry, "tag": images.tag, "pullPolicy": images.pull_policy},
        "kafka": {"bootstrap": kafka_bootstrap},
        "mongo": {"secretName": naming.mongo_secret(code), "urlKey": "url"},
        "auth": {"secretName": naming.auth_secret(code), "secretKey": "secret"},
        "policy": spec.policy,
        "tracing": {"exporter": tracing_exporter, "otlpEndpoint": otlp_endpoint},
        "services": services,
    }


class ChartError(ValueError):
    """The chart rendered something the operator will not apply."""


# Kinds the district chart may render; all namespaced. Anything else is refused (a tenant chart must not
# create cluster-scoped objects or RBAC of its own).
CHART_KINDS = frozenset(
    {
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("v1", "ConfigMap"),
        ("v1", "ServiceAccount"),
        ("policy/v1", "PodDisruptionBudget"),
        ("batch/v1", "CronJob"),
    }
)


def own_chart_objects(
    documents: Sequence[Mapping[str, Any]], spec: DistrictSpec, owner: Owner
) -> list[NamespacedResource]:
    """Chart output → typed objects in the district namespace, with the operator's labels and owner."""
    code = spec.code
    out: list[NamespacedResource] = []
    for doc in documents:
        key = (str(doc.get("apiVersion")), str(doc.get("kind")))
        if key not in CHART_KINDS:
            raise ChartError(
                f"the district chart rendered {key[1]} ({key[0]}), which the operator does not apply"
            )
        body = json.loads(json.dumps(doc))
        metadata = body.setdefault("metadata", {})
        metadata["namespace"] = naming.namespace(code)
        metadata["labels"] = {**(metadata.get("labels") or {}), **naming.labels(code, "workload")}
        metadata["ownerReferences"] = [owner.reference().to_dict()]
        obj = codecs.from_dict(body)
        assert isinstance(obj, NamespacedResource)
        out.append(obj)
    return out


def scheduled_pods(objects: Iterable[Resource]) -> dict[str, int]:
    """CronJobs per service in the chart's output (each runs at most one pod: concurrencyPolicy Forbid)."""
    counts: dict[str, int] = {}
    for obj in objects:
        if isinstance(obj, CronJob) and obj.metadata and obj.metadata.labels:
            service = obj.metadata.labels.get("app.kubernetes.io/name", "")
            counts[service] = counts.get(service, 0) + 1
    return counts


def workload_accounts(objects: Iterable[Resource]) -> list[str]:
    return sorted(
        o.metadata.name for o in objects if isinstance(o, ServiceAccount) and o.metadata and o.metadata.name
    )


def mongo_url(service_url: str, user: str | None, password: str | None, database: str) -> str:
    """The URL a district's services use: its own user on its own database when the server has users,
    else the service URL as is (FerretDB without authentication)."""
    scheme, _, rest = service_url.partition("://")
    hosts_part, _, tail = rest.partition("/")
    hosts = hosts_part.rpartition("@")[2]
    _, _, query = tail.partition("?")
    if user is None or password is None:
        return f"{scheme}://{hosts}/{database}" + (f"?{query}" if query else "")
    from urllib.parse import quote

    params = [p for p in query.split("&") if p and not p.startswith("authSource=")]
    params.insert(0, f"authSource={database}")
    return (
        f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{hosts}/{database}?{'&'.join(params)}"
    )

"""Isolation as the operator renders it (R-POP-6, ADR 0024): for districts 01 and 02, district 02's
Kafka principal is granted nothing under ``jingwu.01.``, and no NetworkPolicy of district 01 admits a
pod of district 02's namespace. The district chart itself is rendered with helm exactly as the operator
does (render.chart_values → helm template → render.own_chart_objects): it renders no NetworkPolicy and
no ACL objects (the operator applies those itself: render.network_policies, kafka_admin.ensure_acls),
and nothing it renders opens the namespace up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jingwu_operator import helm, kafka_admin, naming, render
from jingwu_operator.spec import DistrictSpec, parse

from .conftest import CHART

CODES = ("01", "02")


def district(code: str) -> DistrictSpec:
    return parse({"code": code, "names": {"chinese": "埇桥分局", "pinyin": "yongqiao"}})


def owner(code: str) -> render.Owner:
    return render.Owner(name=f"jingwu-{code}", uid=f"uid-{code}")


class RecordingAdmin:
    """Stands in for the admin client of a cluster with an authorizer: records the ACLs created."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    async def _send_request(self, request: Any) -> Any:
        if type(request).__name__ == "CreateAclsRequest":
            self.created.append({k.lstrip("_"): v for k, v in vars(request).items()})

        class Answer:
            @staticmethod
            def to_object() -> dict[str, Any]:
                return {"error_code": 0, "creation_responses": [{"error_code": 0}]}

        return Answer()


def granted(code: str) -> list[dict[str, Any]]:
    admin = RecordingAdmin()
    asyncio.run(
        kafka_admin.ensure_acls(
            admin,
            principal=naming.kafka_principal(code),
            prefix=naming.kafka_topic_prefix(code),
            group_prefix=naming.kafka_group_prefix(code),
        )
    )
    return admin.created


def matches(binding: dict[str, Any], name: str) -> bool:
    # Kafka's PREFIXED pattern (4) matches every resource whose name starts with it; LITERAL (3) the name.
    pattern = binding["resource_pattern_type_filter"]
    return name.startswith(binding["resource_name"]) if pattern == 4 else name == binding["resource_name"]


def test_a_districts_kafka_principal_reads_none_of_another_districts_topics() -> None:
    bindings = {code: granted(code) for code in CODES}
    for code in CODES:
        assert bindings[code], f"district {code}: no ACLs granted"
        assert {b["principal"] for b in bindings[code]} == {naming.kafka_principal(code)}
        assert all(b["permission_type"] == 3 for b in bindings[code])  # ALLOW only, never a DENY
    topic_acls = {code: [b for b in bindings[code] if b["resource_type"] == 2] for code in CODES}
    group_acls = {code: [b for b in bindings[code] if b["resource_type"] == 3] for code in CODES}
    for own, other in (("01", "02"), ("02", "01")):
        # Every topic of a district is its own principal's (so the check below can fail) …
        for topic in naming.topics(own):
            assert any(matches(b, topic) for b in topic_acls[own]), f"{topic}: not granted to {own}"
            # … and none is granted to the other district's principal.
            assert not any(matches(b, topic) for b in topic_acls[other]), f"{topic} granted to {other}"
        # Nor may it join the other district's consumer groups (to read their committed positions).
        assert not any(matches(b, f"jingwu-{own}-rooms") for b in group_acls[other])


def peer_admits(peer: dict[str, Any], policy_namespace: str, namespace: str, labels: dict[str, str]) -> bool:
    selector = peer.get("namespaceSelector")
    if selector is None:  # a podSelector alone: pods of the policy's own namespace
        return namespace == policy_namespace
    wanted = selector.get("matchLabels") or {}
    assert not selector.get("matchExpressions"), "extend peer_admits for matchExpressions"
    return all(labels.get(k) == v for k, v in wanted.items())


def admitted(code: str, namespace: str, labels: dict[str, str]) -> list[str]:
    """The NetworkPolicies of district ``code`` that admit pods of ``namespace`` (with ``labels``)."""
    policy_namespace = naming.namespace(code)
    found = []
    for policy in render.network_policies(district(code), owner(code)):
        body = policy.to_dict()
        for rule in body["spec"].get("ingress") or []:
            peers = rule.get("from")
            if peers is None or any(peer_admits(p, policy_namespace, namespace, labels) for p in peers):
                found.append(body["metadata"]["name"])
    return found


def test_no_network_policy_admits_another_districts_pods() -> None:
    namespaces = {code: render.namespace(district(code), owner(code)).to_dict()["metadata"] for code in CODES}
    for own, other in (("01", "02"), ("02", "01")):
        policies = render.network_policies(district(own), owner(own))
        assert any(not (p.to_dict()["spec"].get("ingress")) for p in policies), "no default deny"
        other_ns = namespaces[other]
        assert admitted(own, other_ns["name"], other_ns.get("labels") or {}) == [], (
            f"district {own} admits pods of {other_ns['name']}"
        )
        own_ns = namespaces[own]
        assert "allow-same-namespace" in admitted(own, own_ns["name"], own_ns.get("labels") or {})
        # The district namespaces carry neither the city-ingress nor the scraper label themselves.
        assert naming.CITY_INGRESS_LABEL not in (other_ns.get("labels") or {})
        assert naming.METRICS_SCRAPER_LABEL not in (other_ns.get("labels") or {})


def test_the_district_chart_renders_nothing_that_opens_the_namespace(helm_binary: Path) -> None:
    for code in CODES:
        spec = district(code)
        values = render.chart_values(
            spec,
            images=render.ImageDefaults("reg", "1.0", "IfNotPresent"),
            kafka_bootstrap="kafka:9092",
            tracing_exporter="none",
            otlp_endpoint="",
        )
        documents = asyncio.run(
            helm.render(
                str(helm_binary),
                CHART,
                release=f"jingwu-{code}",
                namespace=naming.namespace(code),
                values=values,
            )
        )
        objects = [o.to_dict() for o in render.own_chart_objects(documents, spec, owner(code))]  # type: ignore[attr-defined]
        assert objects, f"district {code}: the chart rendered nothing"
        kinds = {o["kind"] for o in objects}
        assert not kinds & {"NetworkPolicy", "Ingress", "KafkaUser", "KafkaTopic"}, kinds
        for obj in objects:
            assert obj["metadata"]["namespace"] == naming.namespace(code)
            spec_of = obj.get("spec") or {}
            if obj["kind"] == "Service":
                assert spec_of.get("type", "ClusterIP") == "ClusterIP", obj["metadata"]["name"]
            pod = (spec_of.get("template") or {}).get("spec") or {}
            assert not pod.get("hostNetwork"), f"{obj['metadata']['name']} uses the host network"
            env = [e for c in pod.get("containers", []) for e in c.get("env", [])]
            districts = {e["value"] for e in env if e.get("name") == "JINGWU_DISTRICT" and "value" in e}
            assert districts <= {code}, f"{obj['metadata']['name']} serves districts {districts}"

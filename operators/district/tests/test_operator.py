"""The operator against a real kube-apiserver, Kafka and FerretDB: provision, roll out, drift, delete."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from jingwu_devstack import kube
from jingwu_operator import naming
from pymongo import AsyncMongoClient

from .conftest import (
    DISTRICTS,
    OperatorProcess,
    StartOperator,
    condition,
    district_body,
    get_district,
    wait_for,
)

pytestmark = [pytest.mark.kube, pytest.mark.timeout(600)]

MANAGED = {naming.LABEL_MANAGED_BY: naming.MANAGED_BY}


@pytest.fixture(scope="module")
def operator(
    start_operator: StartOperator, kafka_bootstrap: str, mongo_url: str
) -> Iterator[OperatorProcess]:
    process = start_operator(kafka_bootstrap=kafka_bootstrap, mongo_url=mongo_url)
    yield process
    sys.stderr.write(process.tail() + "\n")


async def topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def topic_config(bootstrap: str, topic: str, key: str) -> str | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {key: None})]
        )
        (resource,) = response.to_object()["resources"]
        values = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
        return values.get(key)
    finally:
        await admin.close()


async def databases(url: str) -> list[str]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        return await client.list_database_names()
    finally:
        await client.close()


def get(plane: kube.ControlPlane, path: str) -> dict[str, Any] | None:
    status, body = plane.request("GET", path)
    return body if status == 200 else None


async def wait_ready(plane: kube.ControlPlane, code: str, limit_s: float = 90) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        district = get_district(plane, code)
        cond = condition(district, "Ready")
        if (
            district
            and cond
            and cond["status"] == "True"
            and district["status"].get("observedGeneration") == district["metadata"]["generation"]
        ):
            return district
        return None

    result: dict[str, Any] = await wait_for(ready, limit_s, f"District {code} Ready")
    return result


def assert_owned(obj: dict[str, Any], code: str, uid: str) -> None:
    labels = obj["metadata"].get("labels", {})
    assert labels.get(naming.LABEL_MANAGED_BY) == naming.MANAGED_BY, obj["metadata"]
    assert labels.get(naming.LABEL_DISTRICT) == code, obj["metadata"]
    owners = obj["metadata"].get("ownerReferences", [])
    assert [o["uid"] for o in owners] == [uid], obj["metadata"]


async def test_district_is_provisioned(
    plane: kube.ControlPlane, operator: OperatorProcess, kafka_bootstrap: str, mongo_url: str
) -> None:
    code = "06"
    status, body = plane.request("POST", DISTRICTS, district_body(code, services={"rooms": {"replicas": 2}}))
    assert status == 201, body
    district = await wait_ready(plane, code)
    uid = district["metadata"]["uid"]
    conds = {c["type"]: c for c in district["status"]["conditions"]}
    assert set(conds) == {"NamespaceReady", "DatabaseReady", "TopicsReady", "WorkloadsReady", "Ready"}
    assert all(c["status"] == "True" for c in conds.values()), conds
    # FerretDB v1 (SQLite) has no createUser: reported, not a failure.
    assert conds["DatabaseReady"]["reason"] == "ProvisionedWithoutUser", conds["DatabaseReady"]
    assert "no authorizer" in conds["TopicsReady"]["message"], conds["TopicsReady"]

    ns = f"jingwu-{code}"
    namespace = get(plane, f"/api/v1/namespaces/{ns}")
    assert namespace is not None
    assert_owned(namespace, code, uid)
    paths = [
        f"/api/v1/namespaces/{ns}/resourcequotas/jingwu-{code}-quota",
        f"/api/v1/namespaces/{ns}/limitranges/jingwu-{code}-limits",
        f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/default-deny-ingress",
        f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/allow-same-namespace",
        f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/allow-city-ingress",
        f"/api/v1/namespaces/{ns}/serviceaccounts/jingwu-{code}",
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/jingwu-{code}-services",
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/jingwu-{code}-services",
        f"/api/v1/namespaces/{ns}/secrets/jingwu-{code}-mongo",
        f"/api/v1/namespaces/{ns}/secrets/jingwu-{code}-auth",
        f"/api/v1/namespaces/{ns}/configmaps/jingwu-district",
    ]
    for service in ("rooms", "notification", "personnel"):
        paths += [
            f"/apis/apps/v1/namespaces/{ns}/deployments/{service}",
            f"/api/v1/namespaces/{ns}/services/{service}",
            f"/api/v1/namespaces/{ns}/serviceaccounts/{service}",
        ]
    for path in paths:
        obj = get(plane, path)
        assert obj is not None, path
        assert_owned(obj, code, uid)
    # Disabled services are not rendered.
    assert get(plane, f"/apis/apps/v1/namespaces/{ns}/deployments/telemetry") is None
    rooms = get(plane, f"/apis/apps/v1/namespaces/{ns}/deployments/rooms")
    assert rooms is not None
    assert rooms["spec"]["replicas"] == 2
    managers = {m["manager"] for m in rooms["metadata"]["managedFields"]}
    assert managers == {naming.FIELD_MANAGER}
    # The network policies keep other districts out: only same-namespace pods and city ingress.
    same = get(plane, f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/allow-same-namespace")
    assert same is not None
    assert same["spec"]["ingress"] == [{"from": [{"podSelector": {}}]}]
    binding = get(
        plane, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/jingwu-{code}-services"
    )
    assert binding is not None
    assert {s["name"] for s in binding["subjects"]} == {
        f"jingwu-{code}",
        "rooms",
        "notification",
        "personnel",
    }

    assert set(naming.topics(code)) <= await topics(kafka_bootstrap)
    # The device directory keeps every device's latest entry (compacted), the rest by retention.
    devices = naming.telemetry_devices_topic(code)
    assert await topic_config(kafka_bootstrap, devices, "cleanup.policy") == "compact"
    assert await topic_config(kafka_bootstrap, naming.topics(code)[0], "cleanup.policy") == "delete"
    assert f"jingwu_{code}" in await databases(mongo_url)


async def test_replica_change_rolls_out(plane: kube.ControlPlane, operator: OperatorProcess) -> None:
    code = "06"
    patch = {"spec": {"services": {"rooms": {"replicas": 4}}}}
    status, body = plane.request(
        "PATCH", f"{DISTRICTS}/jingwu-{code}", patch, content_type="application/merge-patch+json"
    )
    assert status == 200, body

    def rolled() -> bool:
        rooms = get(plane, f"/apis/apps/v1/namespaces/jingwu-{code}/deployments/rooms")
        return rooms is not None and rooms["spec"]["replicas"] == 4

    await wait_for(rolled, 60, "rooms Deployment at 4 replicas")
    district = await wait_ready(plane, code)
    assert district["metadata"]["generation"] == 2


async def test_drift_is_corrected_and_secrets_are_kept(
    plane: kube.ControlPlane, operator: OperatorProcess
) -> None:
    code = "06"
    ns = f"jingwu-{code}"
    auth_path = f"/api/v1/namespaces/{ns}/secrets/jingwu-{code}-auth"
    auth_before = get(plane, auth_path)
    assert auth_before is not None
    netpol = f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/default-deny-ingress"
    deployment = f"/apis/apps/v1/namespaces/{ns}/deployments/notification"
    for path in (netpol, deployment):
        assert plane.request("DELETE", path)[0] == 200
    await wait_for(lambda: get(plane, netpol), 30, "NetworkPolicy restored")
    await wait_for(lambda: get(plane, deployment), 30, "Deployment restored")
    auth_after = get(plane, auth_path)
    assert auth_after is not None
    assert auth_after["data"] == auth_before["data"]  # never regenerated


async def test_invalid_policy_is_reported(plane: kube.ControlPlane, operator: OperatorProcess) -> None:
    code = "05"
    bad = {"ratings": {"self_rating": 0.5, "peer": 0.5, "leader": 0.5, "resident": 0.5}}
    status, body = plane.request("POST", DISTRICTS, district_body(code, policy=bad))
    assert status == 201, body  # the schema cannot say "sums to 1"; the operator can

    def reported() -> dict[str, Any] | None:
        cond = condition(get_district(plane, code), "Ready")
        return cond if cond and cond["reason"] == "InvalidSpec" else None

    cond = await wait_for(reported, 30, "Ready=False InvalidSpec")
    assert cond["status"] == "False"
    assert "sum to 1" in cond["message"]
    assert plane.request("DELETE", f"{DISTRICTS}/jingwu-{code}")[0] == 200
    await wait_for(lambda: get_district(plane, code) is None, 30, "invalid District deleted")


@pytest.mark.parametrize(
    ("name", "spec", "field"),
    [
        ("jingwu-6", {"code": "6"}, "spec.code"),
        ("jingwu-ab", {"code": "ab"}, "spec.code"),
        (
            "jingwu-04",
            {"code": "04", "services": {"rooms": {"replicas": -1}}},
            "spec.services.rooms.replicas",
        ),
        ("jingwu-04", {"code": "04", "kafka": {"partitions": 0}}, "spec.kafka.partitions"),
        ("jingwu-04", {"code": "04", "deletionPolicy": "Keep"}, "spec.deletionPolicy"),
        ("other", {"code": "04"}, "metadata.name must be 'jingwu-' + spec.code"),
    ],
)
def test_invalid_specs_are_refused_by_the_api_server(
    plane: kube.ControlPlane, name: str, spec: dict[str, Any], field: str
) -> None:
    body = district_body(spec["code"], **{k: v for k, v in spec.items() if k != "code"})
    body["metadata"]["name"] = name
    status, answer = plane.request("POST", DISTRICTS, body)
    assert status == 422, answer
    assert field in answer["message"], answer["message"]


async def test_code_is_immutable(plane: kube.ControlPlane, operator: OperatorProcess) -> None:
    status, answer = plane.request(
        "PATCH",
        f"{DISTRICTS}/jingwu-06",
        {"spec": {"code": "07"}},
        content_type="application/merge-patch+json",
    )
    assert status == 422, answer
    assert "code is immutable" in answer["message"]


async def test_delete_with_retain_keeps_data(
    plane: kube.ControlPlane, operator: OperatorProcess, kafka_bootstrap: str, mongo_url: str
) -> None:
    code = "06"
    assert plane.request("DELETE", f"{DISTRICTS}/jingwu-{code}")[0] == 200
    await wait_for(lambda: get_district(plane, code) is None, 60, "District gone (finalizer released)")
    assert set(naming.topics(code)) <= await topics(kafka_bootstrap)
    assert f"jingwu_{code}" in await databases(mongo_url)
    # The namespace is being deleted; without a controller-manager it stays Terminating.
    namespace = get(plane, f"/api/v1/namespaces/jingwu-{code}")
    assert namespace is None or namespace["metadata"].get("deletionTimestamp")


async def test_delete_with_delete_drops_data(
    plane: kube.ControlPlane, operator: OperatorProcess, kafka_bootstrap: str, mongo_url: str
) -> None:
    code = "07"
    status, body = plane.request("POST", DISTRICTS, district_body(code, deletionPolicy="Delete"))
    assert status == 201, body
    await wait_ready(plane, code)
    assert set(naming.topics(code)) <= await topics(kafka_bootstrap)
    assert plane.request("DELETE", f"{DISTRICTS}/jingwu-{code}")[0] == 200
    await wait_for(lambda: get_district(plane, code) is None, 60, "District gone")

    async def dropped() -> bool:
        return not (set(naming.topics(code)) & await topics(kafka_bootstrap))

    await wait_for(dropped, 30, "topics deleted")
    assert f"jingwu_{code}" not in await databases(mongo_url)

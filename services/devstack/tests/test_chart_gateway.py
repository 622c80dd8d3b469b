"""The city's telemetry gateways chart (charts/jingwu-telemetry-gateway): one release per city, the JT/T 808
and handheld gateways from the jingwu-telemetry image, every variable a GatewaySettings field, each
district's registry addressed by default at its telemetry Service. ``-m kube``: a server-side dry-run with
strict field validation on a real kube-apiserver. (``helm lint --strict``: test_charts.py.)"""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from jingwu_devstack import helm, kube
except ImportError:  # not installed into this environment: use the source tree next to the tests
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from jingwu_devstack import helm, kube

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "jingwu-telemetry-gateway"
NAMESPACE = "jingwu-city"
GATEWAYS = {"jt808": "jingwu-jt808-gateway", "handheld": "jingwu-handheld-gateway"}

pytestmark = [pytest.mark.timeout(1800)]

VALUES = """
image: {registry: "registry.example/jingwu", tag: "0.1.0"}
kafka: {bootstrap: "kafka.jingwu-infra.svc:9092"}
districts:
  "01": {target: ""}
  "06": {target: "telemetry.jingwu-06.svc.cluster.local:50051"}
jt808: {enabled: true, replicas: 2, port: 6808, service: {type: LoadBalancer},
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 256Mi}}}
env: {JINGWU_GATEWAY_RATE_PER_S: "25"}
"""


def _template(values: str = "", *args: str) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(values)
        file.flush()
        proc = helm.run(
            ["template", "city", str(CHART), "--namespace", NAMESPACE, "--values", file.name, *args]
        )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def _fails(*args: str) -> str:
    proc = helm.run(["template", "x", str(CHART), *args])
    assert proc.returncode != 0, f"helm template {' '.join(args)} should have failed"
    return proc.stderr


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def city() -> list[dict[str, Any]]:
    return _template(VALUES)


def test_the_gateways_run_the_telemetry_images_console_scripts(city: list[dict[str, Any]]) -> None:
    scripts = tomllib.loads((REPO / "services/telemetry/pyproject.toml").read_text())["project"]["scripts"]
    deployments = _by_kind(city, "Deployment")
    assert set(deployments) == {f"{name}-gateway" for name in GATEWAYS}
    for name, script in GATEWAYS.items():
        (container,) = deployments[f"{name}-gateway"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == [script] and script in scripts
        assert container["image"] == "registry.example/jingwu/jingwu-telemetry:0.1.0"
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["tcpSocket"] == {"port": name}
    assert set(_by_kind(city, "PodDisruptionBudget")) == {"jt808-gateway"}  # 2 replicas
    services = _by_kind(city, "Service")
    assert services["jt808-gateway"]["spec"]["type"] == "LoadBalancer"
    assert services["handheld-gateway"]["spec"]["ports"][0]["port"] == 6809


def test_pods_run_non_root_and_locked_down(city: list[dict[str, Any]]) -> None:
    for name, deployment in _by_kind(city, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"] == {"drop": ["ALL"]}, name
        assert set(container["resources"]["limits"]) >= {"cpu", "memory"}, name


def test_env_is_what_gateway_settings_read(city: list[dict[str, Any]]) -> None:
    from jingwu_telemetry.gateway.settings import GatewaySettings

    known = {f"JINGWU_GATEWAY_{n.upper()}" for n in GatewaySettings.model_fields}
    configmaps = _by_kind(city, "ConfigMap")
    for name, deployment in _by_kind(city, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (source,) = container["envFrom"]
        data = configmaps[source["configMapRef"]["name"]]["data"]
        secrets = {item["name"]: item["valueFrom"] for item in container["env"]}
        assert set(data) | set(secrets) <= known, name
        assert secrets == {
            "JINGWU_GATEWAY_DISTRICT_AUTH_SECRETS": {
                "secretKeyRef": {"name": "jingwu-gateway-auth", "key": "districts"}
            }
        }
        settings = GatewaySettings.model_validate(
            {k.removeprefix("JINGWU_GATEWAY_").lower(): json.loads(v) if k.endswith("_TARGETS") else v
             for k, v in data.items()}
        )  # fmt: skip
        assert settings.registry_targets == {
            "01": "telemetry.jingwu-01.svc:50051",
            "06": "telemetry.jingwu-06.svc.cluster.local:50051",
        }
        assert settings.kafka_bootstrap == "kafka.jingwu-infra.svc:9092" and settings.rate_per_s == 25
        port = container["ports"][0]["containerPort"]
        if name == "jt808-gateway":
            assert (settings.jt808_host, settings.jt808_port) == ("0.0.0.0", port)
        else:
            assert (settings.http_host, settings.http_port) == ("0.0.0.0", port)


def test_a_disabled_gateway_renders_nothing() -> None:
    docs = _template(VALUES, "--set", "handheld.enabled=false")
    assert {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in docs} == {"jt808-gateway"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set-string", "districts.6.target="], "'6' does not match pattern '^[0-9]{2}$'"),
        (["--set-string", "image.tag=latest"], "must be a release tag"),
        (["--set", "jt808.port=80"], "/jt808/port"),
        (["--set", "jt808.service.type=ExternalName"], "/jt808/service/type"),
        (["--set-string", "env.PATH=/x"], "PATH"),
        (["--set-string", "env.JINGWU_GATEWAY_JT808_PORT=1"], "sets itself"),
    ],
)
def test_schema_rejects_bad_values_clearly(args: list[str], message: str) -> None:
    assert message in _fails(*args)


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.ControlPlane]:
    kube.fetch(quiet=True)
    data_dir = tmp_path_factory.mktemp("kube")
    started = kube.up(data_dir, quiet=True)
    try:
        yield started
    finally:
        kube.down(data_dir)


@pytest.mark.kube
def test_accepted_by_server_side_dry_run(plane: kube.ControlPlane, city: list[dict[str, Any]]) -> None:
    status, body = plane.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
    )
    assert status in (201, 409), body
    paths = {
        "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
        "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
        "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
        "Service": "/api/v1/namespaces/{ns}/services",
        "PodDisruptionBudget": "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
    }
    for doc in city:
        base = paths[doc["kind"]].format(ns=doc["metadata"]["namespace"])
        query = "fieldManager=jingwu-test&fieldValidation=Strict&force=true&dryRun=All"
        status, body = plane.request(
            "PATCH",
            f"{base}/{doc['metadata']['name']}?{query}",
            doc,
            content_type="application/apply-patch+yaml",
        )
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"

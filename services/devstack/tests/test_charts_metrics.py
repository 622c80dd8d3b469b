"""The charts' metrics parts (docs/adr/0022): every service pod is scrapeable and says so, the Service
exposes the metrics port, and a ServiceMonitor is rendered only when asked for.

- Without a cluster: the rendered manifests (scrape annotations on the port the container names
  ``metrics``, the same port in JINGWU_METRICS_PORT, the Service port, the ServiceMonitor's shape and
  selector), the umbrella and a service chart agreeing, bad values refused by the schema.
- Against a real kube-apiserver (`-m kube`): the district with a non-default metrics port passes the
  server-side dry-run with strict field validation. The ServiceMonitor is not dry-run: its CRD (the
  Prometheus Operator's) is not installed in the test API server, so its shape is checked instead.
"""

from __future__ import annotations

import sys
import tempfile
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
CHARTS = REPO / "charts"
UMBRELLA = CHARTS / "jingwu-district"
SERVICE_CHARTS = ("rooms", "notification", "personnel", "population", "telemetry", "patrol", "console")
# The platform's gRPC services serve /metrics; the web console (kind: web) has no metrics port.
METERED = tuple(name for name in SERVICE_CHARTS if name != "console")
DISTRICT = "07"
NAMESPACE = f"jingwu-{DISTRICT}"
DEFAULT_PORT = 9464

pytestmark = [pytest.mark.timeout(1800)]

VALUES = f"""
district: {{code: "{DISTRICT}", name: "灵璧分局", pinyin: "lingbi"}}
managedBy: jingwu-operator
services:
  rooms: {{enabled: true, replicas: 2}}
"""

MONITORED = {
    "metrics": {
        "serviceMonitor": {
            "enabled": True,
            "interval": "15s",
            "scrapeTimeout": "5s",
            "labels": {"release": "kube-prometheus"},
        }
    }
}


def _template(chart: Path, values: str | dict[str, Any] = "", *args: str) -> list[dict[str, Any]]:
    text = values if isinstance(values, str) else yaml.safe_dump(values, allow_unicode=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(text)
        file.flush()
        proc = helm.run(
            [
                "template",
                f"jingwu-{DISTRICT}",
                str(chart),
                "--namespace",
                NAMESPACE,
                "--values",
                file.name,
                *args,
            ]
        )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def _fails(chart: Path, *args: str) -> str:
    proc = helm.run(["template", "x", str(chart), *args])
    assert proc.returncode != 0, f"helm template {' '.join(args)} should have failed"
    return proc.stderr


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _with(values: str, extra: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = yaml.safe_load(values)
    merged.update(extra)
    return merged


@pytest.fixture(scope="module")
def district() -> list[dict[str, Any]]:
    return _template(UMBRELLA, VALUES)


def _ports(container_or_service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in container_or_service["ports"]}


def test_pods_carry_scrape_annotations_on_the_metrics_container_port(district: list[dict[str, Any]]) -> None:
    deployments = _by_kind(district, "Deployment")
    configmaps = _by_kind(district, "ConfigMap")
    assert set(deployments) == set(SERVICE_CHARTS)
    for name in set(SERVICE_CHARTS) - set(METERED):
        template = deployments[name]["spec"]["template"]
        assert "prometheus.io/scrape" not in template["metadata"]["annotations"], name
        assert "metrics" not in _ports(template["spec"]["containers"][0]), name
    for name in METERED:
        template = deployments[name]["spec"]["template"]
        (container,) = template["spec"]["containers"]
        metrics = _ports(container)["metrics"]
        assert metrics == {"name": "metrics", "containerPort": DEFAULT_PORT, "protocol": "TCP"}, name
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == str(metrics["containerPort"]), name
        assert annotations["prometheus.io/path"] == "/metrics", name
        # The process listens where the annotations point (JINGWU_METRICS_*, read by ServiceSettings).
        (source,) = container["envFrom"]
        data = configmaps[source["configMapRef"]["name"]]["data"]
        assert data["JINGWU_METRICS_PORT"] == str(DEFAULT_PORT), name
        assert data["JINGWU_METRICS_HOST"] == "0.0.0.0", name
        assert _ports(container)["grpc"]["containerPort"] != DEFAULT_PORT


def test_settings_parse_the_rendered_metrics_port(district: list[dict[str, Any]]) -> None:
    from jingwu_platform.settings import ServiceSettings

    data = _by_kind(district, "ConfigMap")["rooms-config"]["data"]
    settings = ServiceSettings.model_validate(
        {k.removeprefix("JINGWU_").lower(): v for k, v in data.items()}
        | {"service_name": "rooms", "auth_secret": "x", "mongo_url": "mongodb://m/"}
    )
    assert (settings.metrics_host, settings.metrics_port) == ("0.0.0.0", DEFAULT_PORT)


def test_services_expose_the_metrics_port(district: list[dict[str, Any]]) -> None:
    services = _by_kind(district, "Service")
    assert set(services) == set(SERVICE_CHARTS)
    for name in METERED:
        metrics = _ports(services[name]["spec"])["metrics"]
        assert metrics == {
            "name": "metrics",
            "port": DEFAULT_PORT,
            "targetPort": "metrics",
            "protocol": "TCP",
            "appProtocol": "http",
        }, name


def test_no_service_monitor_unless_enabled(district: list[dict[str, Any]]) -> None:
    assert not _by_kind(district, "ServiceMonitor")
    assert not _by_kind(_template(UMBRELLA), "ServiceMonitor")
    for name in SERVICE_CHARTS:
        assert not _by_kind(_template(CHARTS / name), "ServiceMonitor"), name


def test_service_monitor_per_enabled_service_selects_its_service() -> None:
    docs = _template(UMBRELLA, _with(VALUES, MONITORED))
    monitors = _by_kind(docs, "ServiceMonitor")
    services = _by_kind(docs, "Service")
    assert set(monitors) == set(METERED) and set(services) == set(SERVICE_CHARTS)
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        meta = monitor["metadata"]
        assert meta["namespace"] == NAMESPACE
        assert meta["labels"]["release"] == "kube-prometheus"  # what the Prometheus selects on
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "jingwu-operator"
        spec = monitor["spec"]
        # It selects exactly this service's Service (label subset), in this namespace only.
        selector = spec["selector"]["matchLabels"]
        assert selector.items() <= services[name]["metadata"]["labels"].items(), name
        others = [s for n, s in services.items() if n != name]
        assert not any(selector.items() <= s["metadata"]["labels"].items() for s in others), name
        assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
        (endpoint,) = spec["endpoints"]
        assert endpoint == {
            "port": "metrics",  # the Service port's name
            "path": "/metrics",
            "scheme": "http",
            "interval": "15s",
            "scrapeTimeout": "5s",
        }
        assert set(spec) == {"selector", "namespaceSelector", "endpoints"}


def test_disabled_service_gets_no_service_monitor() -> None:
    docs = _template(UMBRELLA, _with(VALUES, MONITORED), "--set", "services.personnel.enabled=false")
    assert set(_by_kind(docs, "ServiceMonitor")) == set(METERED) - {"personnel"}


def test_a_custom_port_reaches_every_place() -> None:
    docs = _template(UMBRELLA, VALUES, "--set", "metrics.port=9100")
    deployments, services = _by_kind(docs, "Deployment"), _by_kind(docs, "Service")
    for name in METERED:
        template = deployments[name]["spec"]["template"]
        (container,) = template["spec"]["containers"]
        assert _ports(container)["metrics"]["containerPort"] == 9100, name
        assert template["metadata"]["annotations"]["prometheus.io/port"] == "9100", name
        assert _ports(services[name]["spec"])["metrics"]["port"] == 9100, name
        assert _by_kind(docs, "ConfigMap")[f"{name}-config"]["data"]["JINGWU_METRICS_PORT"] == "9100", name


@pytest.mark.parametrize("name", METERED)
def test_service_chart_renders_the_umbrellas_monitor(name: str) -> None:
    umbrella = _by_kind(_template(UMBRELLA, _with(VALUES, MONITORED)), "ServiceMonitor")[name]
    values = _with(VALUES, MONITORED)
    values.pop("services")
    alone = _by_kind(_template(CHARTS / name, values), "ServiceMonitor")[name]
    for doc in (umbrella, alone):
        doc["metadata"]["labels"].pop("helm.sh/chart")
    assert alone == umbrella


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "metrics.port=80"], "/metrics/port"),
        (["--set", "metrics.port=50051"], "must differ"),  # the services' grpcPort
        (["--set", "metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.interval=often"], "interval"),
        (["--set", "metrics.serviceMonitor.enable=true"], "enable"),
        (["--set", "metrics.path=/stats"], "path"),
    ],
)
def test_schema_rejects_bad_metrics_values(args: list[str], message: str) -> None:
    assert message in _fails(UMBRELLA, *args)
    assert message in _fails(CHARTS / "rooms", *args)


# ------------------------------------------------------------------------------------------------
# against a real kube-apiserver


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.ControlPlane]:
    kube.fetch(quiet=True)
    data_dir = tmp_path_factory.mktemp("kube")
    started = kube.up(data_dir, quiet=True)
    try:
        yield started
    finally:
        kube.down(data_dir)


def _dry_run(plane: kube.ControlPlane, doc: dict[str, Any]) -> tuple[int, Any]:
    """Server-side apply, dry run, strict field validation (unknown or duplicate fields are errors)."""
    group = "/api/v1" if doc["apiVersion"] == "v1" else f"/apis/{doc['apiVersion']}"
    status, listing = plane.request("GET", group)
    assert status == 200, listing
    (resource,) = [r for r in listing["resources"] if r["kind"] == doc["kind"] and "/" not in r["name"]]
    ns = f"/namespaces/{doc['metadata']['namespace']}" if resource["namespaced"] else ""
    query = "fieldManager=jingwu-test&fieldValidation=Strict&force=true&dryRun=All"
    path = f"{group}{ns}/{resource['name']}/{doc['metadata']['name']}?{query}"
    return plane.request("PATCH", path, doc, content_type="application/apply-patch+yaml")


@pytest.mark.kube
def test_district_with_metrics_accepted_by_server_side_dry_run(plane: kube.ControlPlane) -> None:
    status, body = plane.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
    )
    assert status in (201, 409), body
    docs = _template(UMBRELLA, _with(VALUES, MONITORED), "--set", "metrics.port=9100")
    checked = {d["kind"] for d in docs if d["kind"] != "ServiceMonitor"}
    assert {"Deployment", "Service", "ConfigMap"} <= checked
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            continue  # no Prometheus Operator CRD in the test API server; its shape is checked above
        status, body = _dry_run(plane, doc)
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"

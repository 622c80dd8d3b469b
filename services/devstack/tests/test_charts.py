"""The Helm charts (charts/), rendered by the pinned helm and checked two ways.

- Without a cluster (run by `make test`): `helm lint --strict`, the values schemas refuse bad input
  with a clear message, and structural rules of the rendered manifests (gRPC probes, non-root pods,
  PDB only for replicas > 1, labels, the env a service needs vs ``ServiceSettings``).
- Against a real kube-apiserver (`-m kube`): every rendered object is accepted by a server-side
  dry-run apply with strict field validation; the operator's CRD is installed for real, and its
  ClusterRole is checked with SubjectAccessReviews (allowed what it manages, nothing else).

helm is built on first use (`jingwu_devstack.helm`, ~2 min cold, cached after).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
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
OPERATOR = CHARTS / "jingwu-operator"
SERVICE_CHARTS = ("rooms", "notification", "personnel", "population", "telemetry", "patrol", "console")
# The platform's gRPC services; the console is a web server (kind: web) in front of them.
GRPC_SERVICES = tuple(name for name in SERVICE_CHARTS if name != "console")
WEB_SERVICES = ("console",)
# City-level charts (one release per city, not per district): test_chart_gateway.py.
CITY_CHARTS = ("jingwu-telemetry-gateway",)
ALL_CHARTS = ("jingwu-lib", "jingwu-district", "jingwu-operator", *SERVICE_CHARTS, *CITY_CHARTS)
DISTRICT = "06"
NAMESPACE = f"jingwu-{DISTRICT}"

pytestmark = [pytest.mark.timeout(1800)]

SAMPLE_VALUES = f"""
district: {{code: "{DISTRICT}", name: "埇桥分局", pinyin: "yongqiao"}}
managedBy: jingwu-operator
image: {{registry: "registry.example/jingwu", tag: "0.1.0", pullPolicy: IfNotPresent}}
kafka: {{bootstrap: "kafka.jingwu-infra.svc:9092"}}
mongo: {{secretName: "jingwu-{DISTRICT}-mongo", urlKey: "url"}}
auth: {{secretName: "jingwu-{DISTRICT}-auth", secretKey: "secret"}}
policy: {{urban_district: false, work: {{community_hours_per_week: 24}}}}
tracing: {{exporter: otlp, otlpEndpoint: "http://otel-collector.observability.svc:4317"}}
services:
  rooms: {{enabled: true, replicas: 2}}
  notification: {{enabled: true, replicas: 1}}
  personnel: {{enabled: true, replicas: 3}}
  population: {{enabled: true, replicas: 1}}
  telemetry: {{enabled: true, replicas: 1}}
  patrol: {{enabled: true, replicas: 1}}
  console: {{enabled: true, replicas: 1}}
"""


def _template(
    chart: Path, values: str = "", *args: str, namespace: str = NAMESPACE, release: str = f"jingwu-{DISTRICT}"
) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(values)
        file.flush()
        proc = helm.run(
            ["template", release, str(chart), "--namespace", namespace, "--values", file.name, *args]
        )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def _fails(chart: Path, *args: str) -> str:
    proc = helm.run(["template", "x", str(chart), *args])
    assert proc.returncode != 0, f"helm template {' '.join(args)} should have failed"
    return proc.stderr


@pytest.fixture(scope="module")
def district() -> list[dict[str, Any]]:
    return _template(UMBRELLA, SAMPLE_VALUES)


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# ------------------------------------------------------------------------------------------------
# lint and schema


@pytest.mark.parametrize("chart", ALL_CHARTS)
def test_helm_lint_strict(chart: str) -> None:
    proc = helm.run(["lint", "--strict", str(CHARTS / chart)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout, proc.stdout


def test_umbrella_renders_from_a_clean_checkout_with_defaults() -> None:
    """No `helm dependency build`, no network: charts/jingwu-lib is reached through a committed symlink."""
    link = UMBRELLA / "charts" / "jingwu-lib"
    assert link.is_symlink() and (link / "Chart.yaml").is_file()
    docs = _template(UMBRELLA)
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} == set(SERVICE_CHARTS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set-string", "district.code=6"], "/district/code"),
        (["--set-string", "district.code=abc"], "/district/code"),
        (["--set", "services.rooms.replicas=-1"], "/services/rooms/replicas"),
        (["--set", "services.population.replicas=2"], "/services/population/replicas"),
        (["--set", "services.population.schedulesIn=cronjob"], "/services/population/schedulesIn"),
        (["--set", "services.console.kind=grpc"], "grpcPort is required"),
        (["--set", "services.rooms.kind=web"], "http.port is required"),
        (
            ["--set-string", "services.patrol.peers.JINGWU_PATROL_ROOMS_TARGET=nobody"],
            '"nobody" is not a service',
        ),
        (
            ["--set-string", "services.console.httpPeers.JINGWU_RESIDENT_API_URL=rooms"],
            "rooms has no http port",
        ),
        (["--set-string", "services.notification.env.JINGWU_GRPC_PORT=1"], "sets itself"),
        (["--set-string", "services.notification.env.JINGWU_NOTIFICATION_SMTP_PASSWORD=x"], "sets itself"),
        (["--set", "services.rooms.grpcPort=80"], "/services/rooms/grpcPort"),
        (["--set", "services.rooms.replicaz=2"], "replicaz"),
        (["--set", "tracing.exporter=jaeger"], "/tracing/exporter"),
        (["--set-string", "kafka.bootstrap="], "/kafka/bootstrap"),
        (["--set-string", "image.tag=latest"], "must be a release tag"),
        (["--set-string", "services.rooms.env.PATH=/x"], "PATH"),
    ],
)
def test_schema_rejects_bad_values_clearly(args: list[str], message: str) -> None:
    assert message in _fails(UMBRELLA, *args)


def test_service_chart_schemas_match_the_umbrella() -> None:
    """One values contract: a per-service chart's schema is the umbrella's with `service` for `services`
    (that service's entry: the shared definition, or the umbrella's stricter one, e.g. population's)."""
    umbrella = json.loads((UMBRELLA / "values.schema.json").read_text())
    services = umbrella["properties"]["services"]
    assert services["additionalProperties"] == {"$ref": "#/definitions/service"}
    assert set(services.get("properties", {})) <= set(SERVICE_CHARTS)
    charts = {p.parent.name for p in CHARTS.glob("*/values.schema.json")} - {
        "jingwu-district",
        "jingwu-operator",
        *CITY_CHARTS,
    }
    assert charts == set(SERVICE_CHARTS)
    for name in SERVICE_CHARTS:
        schema = json.loads((CHARTS / name / "values.schema.json").read_text())
        assert schema["definitions"] == umbrella["definitions"], name
        shared = {k: v for k, v in umbrella["properties"].items() if k != "services"}
        assert {k: v for k, v in schema["properties"].items() if k != "service"} == shared, name
        own = services.get("properties", {}).get(name, services["additionalProperties"])
        assert schema["properties"]["service"] == own, name
        assert schema["required"] == ["service" if r == "services" else r for r in umbrella["required"]]
        link = CHARTS / name / "charts" / "jingwu-lib"
        assert link.is_symlink() and link.readlink() == Path("../../jingwu-lib"), name


# ------------------------------------------------------------------------------------------------
# structure of the rendered district


def test_every_object_is_labelled(district: list[dict[str, Any]]) -> None:
    for doc in district:
        labels = doc["metadata"]["labels"]
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        assert labels["app.kubernetes.io/part-of"] == "jingwu", where
        assert labels["app.kubernetes.io/managed-by"] == "jingwu-operator", where
        assert labels["jingwu.police.cn/district"] == DISTRICT, where
        assert labels["app.kubernetes.io/instance"] == f"jingwu-{DISTRICT}", where
        assert labels["app.kubernetes.io/name"] in SERVICE_CHARTS, where
        assert labels["app.kubernetes.io/component"], where
        assert doc["metadata"]["namespace"] == NAMESPACE, where


def test_managed_by_defaults_to_helm() -> None:
    docs = _template(UMBRELLA)
    assert {d["metadata"]["labels"]["app.kubernetes.io/managed-by"] for d in docs} == {"Helm"}


def test_probes_are_native_grpc_on_the_service_port(district: list[dict[str, Any]]) -> None:
    deployments = _by_kind(district, "Deployment")
    assert set(deployments) == set(SERVICE_CHARTS)
    for name in GRPC_SERVICES:
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        (port,) = [p for p in container["ports"] if p["name"] == "grpc"]  # and "metrics": test_charts_metrics
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["grpc"] == {"port": port["containerPort"]}, (name, probe)
            assert "httpGet" not in container[probe] and "exec" not in container[probe]


def test_a_web_service_is_probed_over_http_and_has_no_grpc_port(district: list[dict[str, Any]]) -> None:
    umbrella = yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"]
    for name in WEB_SERVICES:
        (container,) = _by_kind(district, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
        http = umbrella[name]["http"]
        assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", http["port"])]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"] == {"path": http["healthPath"], "port": "http"}, (name, probe)
        (port,) = _by_kind(district, "Service")[name]["spec"]["ports"]
        assert port == {"name": "http", "port": http["port"], "targetPort": "http", "protocol": "TCP",
                        "appProtocol": "http"}  # fmt: skip
        env = _environment(district, name)
        assert "JINGWU_MONGO_URL" not in env and "JINGWU_GRPC_PORT" not in env, name


def test_pods_run_non_root_and_locked_down(district: list[dict[str, Any]]) -> None:
    for name, deployment in _by_kind(district, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001, name
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) >= {"cpu", "memory"}, (name, kind)


def test_pdb_only_where_replicas_above_one(district: list[dict[str, Any]]) -> None:
    deployments = _by_kind(district, "Deployment")
    pdbs = _by_kind(district, "PodDisruptionBudget")
    assert (
        {n for n, d in deployments.items() if d["spec"]["replicas"] > 1}
        == set(pdbs)
        == {"rooms", "personnel"}
    )
    for name, pdb in pdbs.items():
        assert pdb["spec"]["selector"] == deployments[name]["spec"]["selector"]
    scaled_down = _template(
        UMBRELLA, SAMPLE_VALUES, "--set", "services.rooms.replicas=1,services.personnel.replicas=1"
    )
    assert not _by_kind(scaled_down, "PodDisruptionBudget")


def test_services_are_clusterip_grpc(district: list[dict[str, Any]]) -> None:
    deployments = _by_kind(district, "Deployment")
    services = _by_kind(district, "Service")
    assert set(services) == set(SERVICE_CHARTS)
    for name, service in services.items():
        assert service["spec"]["type"] == "ClusterIP"
        template_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= template_labels.items()
        if name in WEB_SERVICES:
            continue
        (port,) = [p for p in service["spec"]["ports"] if p["name"] == "grpc"]
        assert port["appProtocol"] == "grpc" and port["targetPort"] == "grpc"
    # notification also serves the residents' HTTP API, on a port of its own.
    (http,) = [p for p in services["notification"]["spec"]["ports"] if p["name"] == "http"]
    assert http["appProtocol"] == "http" and http["targetPort"] == "http"


def _environment(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Every variable the container of Deployment `name` gets: ConfigMap values and secretKeyRefs."""
    deployment = _by_kind(docs, "Deployment")[name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    configmaps = _by_kind(docs, "ConfigMap")
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


# The pydantic settings each service reads its environment with ("module:Class"); every variable the
# chart gives a container must be a field of one of them.
SETTINGS = {
    "rooms": ("jingwu_platform.settings:ServiceSettings",),
    "personnel": ("jingwu_platform.settings:ServiceSettings",),
    "population": ("jingwu_platform.settings:ServiceSettings",),
    "notification": (
        "jingwu_platform.settings:ServiceSettings",
        "jingwu_notification.entrypoints.options:NotificationOptions",
    ),
    "patrol": ("jingwu_platform.settings:ServiceSettings", "jingwu_patrol.entrypoints.options:PatrolOptions"),
    "telemetry": ("jingwu_platform.settings:ServiceSettings", "jingwu_telemetry.settings:TelemetrySettings"),
    "console": ("jingwu_console.settings:ConsoleSettings",),
}
# What a test supplies for the fields that come from Secrets (or, for service_name, from the code).
SECRET_FIELDS = {"service_name": "x", "auth_secret": "x", "mongo_url": "mongodb://m/"}


def _settings(name: str) -> list[Any]:
    import importlib

    classes = []
    for ref in SETTINGS[name]:
        module, _, cls = ref.partition(":")
        classes.append(getattr(importlib.import_module(module), cls))
    return classes


def _parsed(name: str, env: dict[str, Any]) -> dict[str, Any]:
    """Each settings class of the service, validated from the plain (ConfigMap) variables: by class name."""
    plain = {k: v for k, v in env.items() if isinstance(v, str)}
    parsed = {}
    for cls in _settings(name):
        prefix = cls.model_config.get("env_prefix", "")
        given = {k.removeprefix(prefix).lower(): v for k, v in plain.items() if k.startswith(prefix)}
        extras = {k: v for k, v in SECRET_FIELDS.items() if k in cls.model_fields}
        parsed[cls.__name__] = cls.model_validate(given | extras)
    return parsed


def test_env_is_complete_against_service_settings(district: list[dict[str, Any]]) -> None:
    from jingwu_platform.policy import POLICY_ENV, DistrictPolicy
    from jingwu_platform.settings import ServiceSettings

    assert set(SETTINGS) == set(SERVICE_CHARTS)
    fields = ServiceSettings.model_fields
    required = {f"JINGWU_{n.upper()}" for n, f in fields.items() if f.is_required()} - {"JINGWU_SERVICE_NAME"}
    assert required == {"JINGWU_DISTRICT", "JINGWU_AUTH_SECRET"}  # the set this test was written for
    for name in SERVICE_CHARTS:
        env = _environment(district, name)
        known = {POLICY_ENV}
        for cls in _settings(name):
            assert not any(f.validation_alias or f.alias for f in cls.model_fields.values()), cls
            known |= {cls.model_config.get("env_prefix", "").upper() + n.upper() for n in cls.model_fields}
        assert set(env) <= known, f"{name}: variables no setting reads: {set(env) - known}"
        assert env["JINGWU_DISTRICT"] == DISTRICT
        assert env["JINGWU_KAFKA_BOOTSTRAP"] == "kafka.jingwu-infra.svc:9092"
        assert env["JINGWU_AUTH_SECRET"] == {
            "secretKeyRef": {"name": f"jingwu-{DISTRICT}-auth", "key": "secret"}
        }
        parsed = _parsed(name, env)  # what the service will parse at start, with the values it will get
        if name in WEB_SERVICES:
            continue
        assert required <= set(env), name
        assert env["JINGWU_GRPC_HOST"] == "0.0.0.0"
        assert env["JINGWU_KAFKA_CREATE_TOPICS"] == "false"
        assert env["JINGWU_TRACE_EXPORTER"] == "otlp"
        assert env["JINGWU_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4317"
        assert env["JINGWU_MONGO_URL"] == {"secretKeyRef": {"name": f"jingwu-{DISTRICT}-mongo", "key": "url"}}
        port = _by_kind(district, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]["ports"][0]
        assert port["name"] == "grpc" and env["JINGWU_GRPC_PORT"] == str(port["containerPort"])
        settings = parsed["ServiceSettings"]
        assert settings.kafka_create_topics is False and settings.grpc_port == port["containerPort"]
        policy = DistrictPolicy.from_json(env[POLICY_ENV])
        assert policy.urban_district is False and policy.work.community_hours_per_week == 24


def test_service_specific_settings_reach_their_fields(district: list[dict[str, Any]]) -> None:
    """The http port, peers and Secrets of the new services arrive under the names their settings read."""
    notification = _environment(district, "notification")
    options = _parsed("notification", notification)["NotificationOptions"]
    assert (options.resident_api_host, options.resident_api_port) == ("0.0.0.0", 8080)
    assert options.resident_api_trust_forwarded_for is True
    assert notification["JINGWU_NOTIFICATION_SMTP_PASSWORD"] == {
        "secretKeyRef": {"name": f"jingwu-{DISTRICT}-smtp", "key": "password", "optional": True}
    }
    telemetry = _environment(district, "telemetry")
    assert _parsed("telemetry", telemetry)["TelemetrySettings"].consume_fixes is True
    assert telemetry["JINGWU_TELEMETRY_AUTH_CODE_KEY"] == {
        "secretKeyRef": {"name": f"jingwu-{DISTRICT}-telemetry", "key": "authCodeKey", "optional": True}
    }
    patrol = _parsed("patrol", _environment(district, "patrol"))["PatrolOptions"]
    assert (patrol.rooms_target, patrol.telemetry_target) == ("rooms:50051", "telemetry:50051")
    from jingwu_console.services import SERVICES as CONSOLE_PEERS

    console = _parsed("console", _environment(district, "console"))["ConsoleSettings"]
    assert (console.console_host, console.console_port) == ("0.0.0.0", 8080)
    assert {s: console.address(s) for s in CONSOLE_PEERS} == {s: f"{s}:50051" for s in CONSOLE_PEERS}
    assert console.resident_api_url == "http://notification:8080"
    assert str(console.console_static_dir) == "/opt/web/dist"  # where services/Dockerfile puts the build
    # A peer's port follows that peer's values.
    moved = _template(UMBRELLA, SAMPLE_VALUES, "--set", "services.rooms.grpcPort=50999")
    assert _environment(moved, "console")["JINGWU_ROOMS_ADDR"] == "rooms:50999"
    assert _environment(moved, "patrol")["JINGWU_PATROL_ROOMS_TARGET"] == "rooms:50999"


def test_config_change_rolls_the_pods() -> None:
    before = _by_kind(_template(UMBRELLA, SAMPLE_VALUES), "Deployment")
    after = _by_kind(_template(UMBRELLA, SAMPLE_VALUES, "--set", "policy.urban_district=true"), "Deployment")
    key = "jingwu.police.cn/config-checksum"
    for name in GRPC_SERVICES:  # the console reads no policy
        annotations = (before[name]["spec"]["template"]["metadata"]["annotations"],)
        assert annotations[0][key] != after[name]["spec"]["template"]["metadata"]["annotations"][key]


def test_images_and_per_service_overrides() -> None:
    digest = "sha256:" + "ab" * 32
    docs = _template(
        UMBRELLA,
        SAMPLE_VALUES,
        "--set-string",
        f"services.rooms.image.repository=reg.local/rooms,services.rooms.image.tag=dev@{digest}",
    )
    images = {
        n: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for n, d in _by_kind(docs, "Deployment").items()
    }
    assert images == {
        "rooms": f"reg.local/rooms:dev@{digest}",
        **{n: f"registry.example/jingwu/jingwu-{n}:0.1.0" for n in SERVICE_CHARTS if n != "rooms"},
    }


def test_disabled_services_render_nothing() -> None:
    docs = _template(UMBRELLA, SAMPLE_VALUES, "--set", "services.notification.enabled=false")
    assert "notification" not in {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in docs}


@pytest.mark.parametrize("name", SERVICE_CHARTS)
def test_service_chart_renders_the_same_objects_as_the_umbrella(
    name: str, district: list[dict[str, Any]]
) -> None:
    values = yaml.safe_load(SAMPLE_VALUES)
    service = {
        **yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"][name],
        **values.pop("services")[name],
    }
    alone = _template(CHARTS / name, yaml.safe_dump({**values, "service": service}, allow_unicode=True))

    def strip(doc: dict[str, Any]) -> dict[str, Any]:
        doc = json.loads(json.dumps(doc))
        for labels in (
            doc["metadata"]["labels"],
            doc.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}),
        ):
            labels.pop("helm.sh/chart", None)
        return doc

    mine = [strip(d) for d in district if d["metadata"]["labels"]["app.kubernetes.io/name"] == name]
    assert sorted(map(json.dumps, mine)) == sorted(json.dumps(strip(d)) for d in alone)


# ------------------------------------------------------------------------------------------------
# the operator's chart


@pytest.fixture(scope="module")
def operator_docs() -> list[dict[str, Any]]:
    return _template(OPERATOR, "", "--include-crds", namespace="jingwu-system", release="jingwu-operator")


def test_operator_chart_crd_is_the_operators_file(operator_docs: list[dict[str, Any]]) -> None:
    link = OPERATOR / "crds" / "district.yaml"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "operators/district/crd/district.yaml").resolve()
    (crd,) = [d for d in operator_docs if d["kind"] == "CustomResourceDefinition"]
    assert crd == yaml.safe_load(link.read_text())


def test_operator_rbac_has_no_wildcards(operator_docs: list[dict[str, Any]]) -> None:
    (role,) = [d for d in operator_docs if d["kind"] == "ClusterRole"]
    granted = set()
    for rule in role["rules"]:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field], rule
        assert "nonResourceURLs" not in rule and "resourceNames" not in rule
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    assert ("", "pods") not in granted and ("", "nodes") not in granted
    assert not any(verb in r["verbs"] for r in role["rules"] for verb in ("escalate", "bind", "impersonate"))


def test_operator_deployment_non_root_with_probes(operator_docs: list[dict[str, Any]]) -> None:
    (deployment,) = [d for d in operator_docs if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]
    assert pod["serviceAccountName"] == "jingwu-operator"


# ------------------------------------------------------------------------------------------------
# against a real kube-apiserver


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.ControlPlane]:
    kube.fetch(quiet=True)  # outside `up`'s start-up timeout: a cold build takes minutes
    data_dir = tmp_path_factory.mktemp("kube")
    started = kube.up(data_dir, quiet=True)
    try:
        yield started
    finally:
        kube.down(data_dir)


_PLURALS: dict[tuple[str, str], tuple[str, bool]] = {}


def _resource(plane: kube.ControlPlane, api_version: str, kind: str) -> tuple[str, bool]:
    """(collection path prefix, namespaced) for a kind, from the server's discovery documents."""
    key = (api_version, kind)
    if key not in _PLURALS:
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        status, listing = plane.request("GET", base)
        assert status == 200, listing
        for res in listing["resources"]:
            if "/" not in res["name"]:
                _PLURALS[(api_version, res["kind"])] = (f"{base}|{res['name']}", res["namespaced"])
    return _PLURALS[key]


def _apply(plane: kube.ControlPlane, doc: dict[str, Any], *, dry_run: bool) -> tuple[int, Any]:
    """Server-side apply, strict field validation (unknown or duplicate fields are errors)."""
    prefix, namespaced = _resource(plane, doc["apiVersion"], doc["kind"])
    base, plural = prefix.split("|")
    meta = doc["metadata"]
    ns = f"/namespaces/{meta['namespace']}" if namespaced else ""
    query = "fieldManager=jingwu-test&fieldValidation=Strict&force=true" + ("&dryRun=All" if dry_run else "")
    path = f"{base}{ns}/{plural}/{meta['name']}?{query}"
    return plane.request("PATCH", path, doc, content_type="application/apply-patch+yaml")


def _create_namespace(plane: kube.ControlPlane, name: str) -> None:
    status, body = plane.request(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert status in (201, 409), body


@pytest.mark.kube
def test_district_manifests_accepted_by_server_side_dry_run(
    plane: kube.ControlPlane, district: list[dict[str, Any]]
) -> None:
    _create_namespace(plane, NAMESPACE)
    for doc in district:
        status, body = _apply(plane, doc, dry_run=True)
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"
    # dry run: nothing was stored
    status, body = plane.request("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")
    assert status == 200 and body["items"] == []


@pytest.mark.kube
@pytest.mark.parametrize("name", SERVICE_CHARTS)
def test_service_chart_accepted_by_server_side_dry_run(plane: kube.ControlPlane, name: str) -> None:
    ns = f"scratch-{name}"
    _create_namespace(plane, ns)
    replicas = 1 if name == "population" else 2  # a single writer (docs/adr/0034)
    for doc in _template(CHARTS / name, "", "--set", f"service.replicas={replicas}", namespace=ns):
        status, body = _apply(plane, doc, dry_run=True)
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"


@pytest.mark.kube
def test_server_rejects_what_the_schema_would_miss(
    plane: kube.ControlPlane, district: list[dict[str, Any]]
) -> None:
    """The dry-run is a real check: a broken manifest is refused with the server's reason."""
    _create_namespace(plane, NAMESPACE)
    deployment = json.loads(json.dumps(_by_kind(district, "Deployment")["rooms"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["grpc"]["port"] = 70000
    status, body = _apply(plane, deployment, dry_run=True)
    assert status == 422, body
    assert "port" in json.dumps(body)


@pytest.mark.kube
def test_operator_chart_installs_and_rbac_is_least_privilege(
    plane: kube.ControlPlane, operator_docs: list[dict[str, Any]]
) -> None:
    _create_namespace(plane, "jingwu-system")
    crds = [d for d in operator_docs if d["kind"] == "CustomResourceDefinition"]
    rest = [d for d in operator_docs if d["kind"] != "CustomResourceDefinition"]
    for doc in crds:  # for real: the dry-run of a District below needs the type
        status, body = _apply(plane, doc, dry_run=False)
        assert status in (200, 201), body
    for doc in rest:
        status, body = _apply(plane, doc, dry_run=True)
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"
    for doc in rest:
        if doc["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            status, body = _apply(plane, doc, dry_run=False)
            assert status in (200, 201), body

    user = "system:serviceaccount:jingwu-system:jingwu-operator"

    def allowed(verb: str, group: str, resource: str, namespace: str = "", sub: str = "") -> bool:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:jingwu-system",
                    "system:authenticated",
                ],
                "resourceAttributes": {
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                    "namespace": namespace,
                    "subresource": sub,
                },
            },
        }
        status, body = plane.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        assert status == 201, body
        return bool(body["status"].get("allowed"))

    deadline = time.monotonic() + 10  # the RBAC authorizer sees the new binding through an informer
    while not allowed("watch", "jingwu.police.cn", "districts") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert allowed("watch", "jingwu.police.cn", "districts")
    assert allowed("patch", "jingwu.police.cn", "districts", sub="status")
    assert allowed("update", "jingwu.police.cn", "districts", sub="finalizers")
    assert allowed("create", "", "namespaces")
    for group, resource in [
        ("", "secrets"), ("", "configmaps"), ("", "services"), ("", "serviceaccounts"),
        ("", "resourcequotas"), ("", "limitranges"), ("apps", "deployments"),
        ("policy", "poddisruptionbudgets"),
        ("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
    ]:  # fmt: skip
        assert allowed("patch", group, resource, NAMESPACE), (group, resource)
    assert allowed("create", "", "events", NAMESPACE)
    # ... and nothing else
    assert not allowed("delete", "jingwu.police.cn", "districts")
    assert not allowed("get", "", "pods", NAMESPACE)
    assert not allowed("create", "", "pods", NAMESPACE, sub="exec")
    assert not allowed("list", "", "nodes")
    assert not allowed("create", "rbac.authorization.k8s.io", "clusterroles")
    assert not allowed("create", "apiextensions.k8s.io", "customresourcedefinitions")


@pytest.mark.kube
def test_docs_district_example_is_accepted(
    plane: kube.ControlPlane, operator_docs: list[dict[str, Any]]
) -> None:
    """docs/operations.md's District (the one-`kubectl apply` rollout) is valid against the chart's CRD."""
    (crd,) = [d for d in operator_docs if d["kind"] == "CustomResourceDefinition"]
    status, body = _apply(plane, crd, dry_run=False)
    assert status in (200, 201), body
    text = (REPO / "docs/operations.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    (district,) = [b for b in blocks if isinstance(b, dict) and b.get("kind") == "District"]
    path = f"/apis/jingwu.police.cn/v1/districts/{district['metadata']['name']}"
    deadline = time.monotonic() + 30
    while True:  # the CRD's REST endpoint appears once it is Established
        status, body = plane.request(
            "PATCH",
            path + "?fieldManager=jingwu-test&fieldValidation=Strict&dryRun=All",
            district,
            content_type="application/apply-patch+yaml",
        )
        if status != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status in (200, 201), body
    wrong = {**district, "metadata": {"name": "jingwu-07"}}
    status, body = plane.request(
        "PATCH",
        "/apis/jingwu.police.cn/v1/districts/jingwu-07?fieldManager=jingwu-test&dryRun=All",
        wrong,
        content_type="application/apply-patch+yaml",
    )
    assert status == 422 and "jingwu-" in json.dumps(body)

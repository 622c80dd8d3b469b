"""The charts' CronJobs for the services' calendar rules (charts/jingwu-lib/templates/_schedules.tpl).

- The chart values' ``schedules`` of every service equal the ScheduleSpecs it declares (``SCHEDULES`` in
  the module of its ``jingwu-<service>`` command, found through the installed console scripts): a
  service that declares a schedule is picked up without editing this test.
- One CronJob per schedule, running ``schedule run <name>`` in the service's image with the Deployment's
  settings and pod security; its pods are never selected by the service's Service or PDB; the
  Deployments leave the schedules to the CronJobs (JINGWU_SCHEDULES=cronjob).
- ``-m kube``: accepted by a server-side dry-run with strict field validation on a real kube-apiserver
  (which refuses a bad time zone or cron line), and the operator's ClusterRole may manage CronJobs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
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
DISTRICT = "06"
NAMESPACE = f"jingwu-{DISTRICT}"

pytestmark = [pytest.mark.timeout(1800)]

SCHEDULED_VALUES = f"""
district: {{code: "{DISTRICT}", name: "埇桥分局", pinyin: "yongqiao"}}
managedBy: jingwu-operator
image: {{registry: "registry.example/jingwu", tag: "0.1.0", pullPolicy: IfNotPresent}}
kafka: {{bootstrap: "kafka.jingwu-infra.svc:9092"}}
mongo: {{secretName: "jingwu-{DISTRICT}-mongo", urlKey: "url"}}
auth: {{secretName: "jingwu-{DISTRICT}-auth", secretKey: "secret"}}
tracing: {{exporter: otlp, otlpEndpoint: "http://otel-collector.observability.svc:4317"}}
services:
  rooms: {{enabled: true, replicas: 2}}
  personnel:
    enabled: true
    replicas: 2
    schedules:
      - {{name: blank-villages, cron: "0 1 * * *", ruleId: R-PER-5}}
      - {{name: village-days, cron: "30 1 1 * *", ruleId: R-PER-8, startingDeadlineSeconds: 3600}}
  notification:
    enabled: true
    replicas: 1
    schedules:
      - {{name: resident-meetings, cron: "0 9 1 1,3,5,7,9,11 *", ruleId: R-NOT-2, suspend: true}}
  patrol:
    enabled: true
    replicas: 1
    schedules:
      - {{name: vehicle-coverage, cron: "0 7 * * *", ruleId: R-PAT-1}}
  # A single writer runs its schedules in its own process: no CronJob (a second writer).
  population:
    enabled: true
    replicas: 1
    schedules:
      - {{name: key-group-reviews, cron: "0 2 * * *", ruleId: R-POP-2}}
"""
CRONJOBS = {
    "personnel-blank-villages": ("personnel", "blank-villages", "0 1 * * *", "R-PER-5"),
    "personnel-village-days": ("personnel", "village-days", "30 1 1 * *", "R-PER-8"),
    "notification-resident-meetings": (
        "notification",
        "resident-meetings",
        "0 9 1 1,3,5,7,9,11 *",
        "R-NOT-2",
    ),
    "patrol-vehicle-coverage": ("patrol", "vehicle-coverage", "0 7 * * *", "R-PAT-1"),
}
# Services whose calendar rules run in their own process (schedulesIn: process), and the web console,
# which has none.
IN_PROCESS = {"population"}
NO_SCHEDULES = {"console"}


def _template(
    chart: Path, values: str = "", *args: str, namespace: str = NAMESPACE, release: str = f"jingwu-{DISTRICT}"
) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(values)
        file.flush()
        proc = helm.run(
            [
                "template",
                release,
                str(chart),
                "--namespace",
                namespace,
                "--values",
                file.name,
                *args,
            ]
        )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def _fails(values: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(values)
        file.flush()
        proc = helm.run(["template", "x", str(UMBRELLA), "--values", file.name])
    assert proc.returncode != 0, f"helm template should have refused:\n{values}"
    return proc.stderr


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def district() -> list[dict[str, Any]]:
    return _template(UMBRELLA, SCHEDULED_VALUES)


# ------------------------------------------------------------------------------------------------
# the values follow the declared specs


def _installed_services() -> set[str]:
    return {
        ep.name.removeprefix("jingwu-")
        for ep in entry_points(group="console_scripts")
        if ep.name.startswith("jingwu-")
    }


def test_chart_schedules_equal_the_services_declared_specs() -> None:
    from jingwu_platform.schedule_cli import chart_entries, declared

    umbrella = yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"]
    hint = "update the values from `python -m jingwu_platform.schedule_cli values {}`"
    for name, values in umbrella.items():
        expected = chart_entries(declared(name))
        assert values.get("schedules", []) == expected, hint.format(name)
        alone = CHARTS / name / "values.yaml"
        if alone.is_file():
            assert yaml.safe_load(alone.read_text())["service"].get("schedules", []) == expected, hint.format(
                name
            )
    undeployed = {s for s in _installed_services() - set(umbrella) if declared(s)}
    assert not undeployed, f"services declaring schedules the district chart does not deploy: {undeployed}"


def test_the_values_command_prints_a_service_values_block(capsys: pytest.CaptureFixture[str]) -> None:
    from jingwu_platform.schedule_cli import main

    assert main(["values", "no-such-service"]) == 0
    assert capsys.readouterr().out == "schedules: []\n"


# ------------------------------------------------------------------------------------------------
# what the chart renders


def test_one_cronjob_per_declared_schedule(district: list[dict[str, Any]]) -> None:
    cronjobs = _by_kind(district, "CronJob")
    assert set(cronjobs) == set(CRONJOBS)
    deployments = _by_kind(district, "Deployment")
    for name, (service, schedule, cron, rule) in CRONJOBS.items():
        spec = cronjobs[name]["spec"]
        assert spec["schedule"] == cron and spec["timeZone"] == "Asia/Shanghai", name
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["successfulJobsHistoryLimit"] == 3 and spec["failedJobsHistoryLimit"] == 3
        assert spec["jobTemplate"]["spec"]["backoffLimit"] >= 1
        labels = cronjobs[name]["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == service and labels["jingwu.police.cn/rule"] == rule
        assert labels["app.kubernetes.io/component"] == "schedule"
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["schedule", "run", schedule]
        assert "command" not in container  # the image's entrypoint is jingwu-<service>
        (deployed,) = deployments[service]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == deployed["image"]
    assert cronjobs["personnel-blank-villages"]["spec"]["startingDeadlineSeconds"] == 86400
    assert cronjobs["personnel-village-days"]["spec"]["startingDeadlineSeconds"] == 3600
    assert cronjobs["notification-resident-meetings"]["spec"]["suspend"] is True
    assert cronjobs["personnel-blank-villages"]["spec"]["suspend"] is False


def test_job_pods_run_with_the_deployments_settings_and_security(district: list[dict[str, Any]]) -> None:
    deployments = _by_kind(district, "Deployment")
    for name, cronjob in _by_kind(district, "CronJob").items():
        service = CRONJOBS[name][0]
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        deployed_pod = deployments[service]["spec"]["template"]["spec"]
        (container,), (deployed,) = pod["containers"], deployed_pod["containers"]
        for key in ("envFrom", "env", "resources", "securityContext", "volumeMounts", "imagePullPolicy"):
            assert container[key] == deployed[key], (name, key)
        for key in ("securityContext", "serviceAccountName", "automountServiceAccountToken", "volumes"):
            assert pod[key] == deployed_pod[key], (name, key)
        assert pod["restartPolicy"] == "Never"
        assert pod["securityContext"]["runAsNonRoot"] is True


def test_job_pods_are_never_selected_by_the_service_or_its_pdb(district: list[dict[str, Any]]) -> None:
    services, deployments = _by_kind(district, "Service"), _by_kind(district, "Deployment")
    pdbs = _by_kind(district, "PodDisruptionBudget")
    assert {
        pdb["spec"]["selector"]["matchLabels"] == deployments[n]["spec"]["selector"]["matchLabels"]
        for n, pdb in pdbs.items()
    } == {True}
    for name, cronjob in _by_kind(district, "CronJob").items():
        service = CRONJOBS[name][0]
        labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        assert not services[service]["spec"]["selector"].items() <= labels.items(), name
        # The PDB selects what the Deployment does.
        assert not deployments[service]["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        assert labels["jingwu.police.cn/service"] == service
        assert labels["jingwu.police.cn/district"] == DISTRICT


def test_deployments_leave_the_schedules_to_the_cronjobs(district: list[dict[str, Any]]) -> None:
    from jingwu_platform.settings import ServiceSettings

    configmaps = _by_kind(district, "ConfigMap")
    assert {f"{name}-config" for name in IN_PROCESS | NO_SCHEDULES} <= set(configmaps)
    for name, configmap in configmaps.items():
        service = name.removesuffix("-config")
        if service in NO_SCHEDULES:
            assert "JINGWU_SCHEDULES" not in configmap["data"], name
            continue
        expected = "local" if service in IN_PROCESS else "cronjob"
        assert configmap["data"]["JINGWU_SCHEDULES"] == expected, name
        settings = ServiceSettings.model_validate(
            {
                "service_name": "x",
                "district": DISTRICT,
                "auth_secret": "x",
                "schedules": configmap["data"]["JINGWU_SCHEDULES"],
            }
        )
        assert settings.schedules == expected


def test_a_single_writer_gets_no_cronjobs_and_one_pod_at_most(district: list[dict[str, Any]]) -> None:
    """population holds the district in memory and writes alone (docs/adr/0034): its schedules run in
    its process, its rollout stops the old pod first, and the schema refuses a second replica."""
    for name in IN_PROCESS:
        assert not any(n.startswith(f"{name}-") for n in _by_kind(district, "CronJob")), name
        deployment = _by_kind(district, "Deployment")[name]
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        base = yaml.safe_load(SCHEDULED_VALUES)
        base["services"][name]["replicas"] = 2
        assert f"/services/{name}/replicas" in _fails(yaml.safe_dump(base, allow_unicode=True))


def test_no_schedules_no_cronjobs() -> None:
    services = yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"]
    without = yaml.safe_dump({"services": {name: {"schedules": []} for name in services}})
    assert not _by_kind(_template(UMBRELLA, without), "CronJob")


def test_a_service_chart_renders_the_same_cronjobs_as_the_umbrella(district: list[dict[str, Any]]) -> None:
    values = yaml.safe_load(SCHEDULED_VALUES)
    service = {
        **yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"]["personnel"],
        **values.pop("services")["personnel"],
    }
    alone = _template(
        CHARTS / "personnel", yaml.safe_dump({**values, "service": service}, allow_unicode=True)
    )

    def strip(doc: dict[str, Any]) -> str:
        doc["metadata"]["labels"].pop("helm.sh/chart", None)
        return json.dumps(doc, sort_keys=True)

    mine = {n: strip(d) for n, d in _by_kind(district, "CronJob").items() if n.startswith("personnel-")}
    assert mine == {n: strip(d) for n, d in _by_kind(alone, "CronJob").items()}


def _with_schedules(entries: str, service: str = "personnel") -> str:
    base = yaml.safe_load(SCHEDULED_VALUES)
    base["services"][service]["schedules"] = yaml.safe_load(entries)
    return yaml.safe_dump(base, allow_unicode=True)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ('[{name: x-1, cron: "every day", ruleId: R-PER-5}]', "/services/personnel/schedules/0/cron"),
        ('[{name: Blank, cron: "0 1 * * *", ruleId: R-PER-5}]', "/services/personnel/schedules/0/name"),
        ('[{name: blank-villages, cron: "0 1 * * *"}]', "ruleId"),
        ('[{name: blank-villages, cron: "0 1 * * *", ruleId: R-PER-5, timeZone: UTC}]', "timeZone"),
        (
            "[{name: twice, cron: '0 1 * * *', ruleId: R-PER-5},"
            " {name: twice, cron: '0 2 * * *', ruleId: R-PER-5}]",
            '"twice" is listed twice',
        ),
    ],
)
def test_bad_schedules_are_refused_clearly(entries: str, message: str) -> None:
    assert message in _fails(_with_schedules(entries))


def test_a_cronjob_name_past_52_characters_is_refused() -> None:
    base = yaml.safe_load(SCHEDULED_VALUES)
    base["services"]["a-service-with-a-rather-long-name"] = {
        **yaml.safe_load((UMBRELLA / "values.yaml").read_text())["services"]["rooms"],
        "schedules": [{"name": "and-a-long-schedule-name", "cron": "0 1 * * *", "ruleId": "R-PER-5"}],
    }
    assert "longer than 52 characters" in _fails(yaml.safe_dump(base, allow_unicode=True))


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


def _apply(plane: kube.ControlPlane, doc: dict[str, Any], *, dry_run: bool = True) -> tuple[int, Any]:
    plurals = {
        "CronJob": "/apis/batch/v1/namespaces/{ns}/cronjobs",
        "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
        "Service": "/api/v1/namespaces/{ns}/services",
        "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
        "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
        "PodDisruptionBudget": "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
        "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    }
    meta = doc["metadata"]
    base = plurals[doc["kind"]].format(ns=meta.get("namespace", ""))
    query = "fieldManager=jingwu-test&fieldValidation=Strict&force=true" + ("&dryRun=All" if dry_run else "")
    return plane.request(
        "PATCH", f"{base}/{meta['name']}?{query}", doc, content_type="application/apply-patch+yaml"
    )


def _create_namespace(plane: kube.ControlPlane, name: str) -> None:
    status, body = plane.request(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert status in (201, 409), body


@pytest.mark.kube
def test_cronjobs_are_accepted_by_server_side_dry_run(
    plane: kube.ControlPlane, district: list[dict[str, Any]]
) -> None:
    _create_namespace(plane, NAMESPACE)
    applied = []
    for doc in district:
        status, body = _apply(plane, doc)
        assert status in (200, 201), f"{doc['kind']}/{doc['metadata']['name']}: {body}"
        if doc["kind"] == "CronJob":
            applied.append(body["metadata"]["name"])
            assert body["spec"]["timeZone"] == "Asia/Shanghai"  # the server kept it (known zone)
    assert sorted(applied) == sorted(CRONJOBS)


@pytest.mark.kube
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [("timeZone", "Asia/Atlantis", "timeZone"), ("schedule", "0 25 * * *", "schedule")],
)
def test_the_server_refuses_a_bad_time_zone_or_cron_line(
    plane: kube.ControlPlane, district: list[dict[str, Any]], field: str, value: str, reason: str
) -> None:
    _create_namespace(plane, NAMESPACE)
    cronjob = json.loads(json.dumps(_by_kind(district, "CronJob")["personnel-blank-villages"]))
    cronjob["spec"][field] = value
    status, body = _apply(plane, cronjob)
    assert status == 422, body
    assert reason in json.dumps(body)


@pytest.mark.kube
def test_the_operator_may_manage_cronjobs_and_nothing_of_their_jobs(plane: kube.ControlPlane) -> None:
    docs = _template(OPERATOR, "", namespace="jingwu-system", release="jingwu-operator")
    _create_namespace(plane, "jingwu-system")
    for doc in docs:
        if doc["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            status, body = _apply(plane, doc, dry_run=False)
            assert status in (200, 201), body

    def allowed(verb: str, group: str, resource: str) -> bool:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": "system:serviceaccount:jingwu-system:jingwu-operator",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:jingwu-system",
                    "system:authenticated",
                ],
                "resourceAttributes": {
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                    "namespace": NAMESPACE,
                },
            },
        }
        status, body = plane.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        assert status == 201, body
        return bool(body["status"].get("allowed"))

    deadline = time.monotonic() + 10  # the RBAC authorizer sees the new binding through an informer
    while not allowed("patch", "batch", "cronjobs") and time.monotonic() < deadline:
        time.sleep(0.2)
    for verb in ("get", "list", "watch", "create", "patch", "delete"):
        assert allowed(verb, "batch", "cronjobs"), verb
    assert not allowed("create", "batch", "jobs")
    assert not allowed("delete", "batch", "jobs")

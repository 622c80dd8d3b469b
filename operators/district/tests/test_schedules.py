"""The services' calendar rules in a district: the operator applies the chart's CronJobs, makes room for
their pods in the district's quota, and prunes a CronJob the chart no longer renders (a schedule a
service stopped declaring). District code 09 is this module's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jingwu_devstack import kube
from jingwu_operator import helm, naming, quantity, render
from jingwu_operator.spec import parse
from lightkube.resources.batch_v1 import CronJob

from .conftest import CHART, OperatorProcess, StartOperator, district_body, get_district, wait_for

OWNER = render.Owner(name="jingwu-09", uid="uid-9")
SCHEDULES = {
    "personnel": [
        {"name": "blank-villages", "cron": "0 1 * * *", "ruleId": "R-PER-5"},
        {"name": "village-days", "cron": "30 1 1 * *", "ruleId": "R-PER-8"},
    ],
    "notification": [{"name": "weekly-notices", "cron": "0 8 * * 1", "ruleId": "R-NOT-1"}],
}


def spec(**extra: Any) -> Any:
    return parse({"code": "09", "names": {"chinese": "埇桥分局", "pinyin": "yongqiao"}, **extra})


def values_with_schedules() -> dict[str, Any]:
    values = render.chart_values(
        spec(),
        images=render.ImageDefaults("registry.example/jingwu", "0.1.0", "IfNotPresent"),
        kafka_bootstrap="kafka:9092",
        tracing_exporter="none",
        otlp_endpoint="",
    )
    for service, entries in SCHEDULES.items():
        values["services"][service]["schedules"] = entries
    return values


async def test_chart_cronjobs_are_owned_and_counted_for_the_quota(helm_binary: Path) -> None:
    documents = await helm.render(
        str(helm_binary), CHART, release="jingwu-09", namespace="jingwu-09", values=values_with_schedules()
    )
    objects = render.own_chart_objects(documents, spec(), OWNER)
    cronjobs = [o for o in objects if isinstance(o, CronJob)]
    assert sorted(o.metadata.name or "" for o in cronjobs if o.metadata) == [
        "notification-weekly-notices",
        "personnel-blank-villages",
        "personnel-village-days",
    ]
    for cronjob in cronjobs:
        assert cronjob.metadata is not None and cronjob.metadata.labels is not None
        assert cronjob.metadata.labels[naming.LABEL_COMPONENT] == "workload"  # pruned like the rest
        assert cronjob.metadata.ownerReferences and cronjob.metadata.ownerReferences[0].uid == "uid-9"
        assert cronjob.spec is not None and cronjob.spec.timeZone == "Asia/Shanghai"
    assert render.scheduled_pods(objects) == {"personnel": 2, "notification": 1}


def test_the_quota_has_room_for_one_pod_per_cronjob() -> None:
    parsed = spec()  # rooms, notification, personnel at 2 replicas (+1 surge each)
    without = render.resource_quota(parsed, OWNER)
    with_jobs = render.resource_quota(parsed, OWNER, {"personnel": 2, "notification": 1})
    assert without.spec and without.spec.hard and with_jobs.spec and with_jobs.spec.hard
    assert without.spec.hard["pods"] == str(9 + 2)
    assert with_jobs.spec.hard["pods"] == str(9 + 3 + 2)
    # 12 pods x 100m requests x 1.25 headroom
    assert quantity.parse(with_jobs.spec.hard["requests.cpu"]) == quantity.parse("1500m")
    disabled = render.resource_quota(
        spec(services={"personnel": {"enabled": False}}), OWNER, {"personnel": 2}
    )
    assert disabled.spec and disabled.spec.hard and disabled.spec.hard["pods"] == str(6 + 2)


# ------------------------------------------------------------------------------------------------
# the operator process against a real kube-apiserver


@pytest.fixture(scope="module")
def scheduled_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the district chart whose services declare schedules (the real services do not yet)."""
    chart = tmp_path_factory.mktemp("chart") / "jingwu-district"
    shutil.copytree(CHART, chart, symlinks=False)
    set_schedules(chart, SCHEDULES)
    return chart


def set_schedules(chart: Path, schedules: dict[str, list[dict[str, str]]]) -> None:
    values_file = chart / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    for service, entry in values["services"].items():
        entry["schedules"] = schedules.get(service, [])
    values_file.write_text(yaml.safe_dump(values, allow_unicode=True))


@pytest.fixture(scope="module")
def operator(
    start_operator: StartOperator, kafka_bootstrap: str, mongo_url: str, scheduled_chart: Path
) -> Iterator[OperatorProcess]:
    process = start_operator(kafka_bootstrap=kafka_bootstrap, mongo_url=mongo_url, chart=str(scheduled_chart))
    yield process
    print(process.tail())


def cronjobs(plane: kube.ControlPlane, code: str) -> dict[str, dict[str, Any]]:
    status, body = plane.request("GET", f"/apis/batch/v1/namespaces/jingwu-{code}/cronjobs")
    assert status == 200, body
    return {item["metadata"]["name"]: item for item in body["items"]}


@pytest.mark.kube
@pytest.mark.timeout(600)
async def test_the_operator_applies_and_prunes_the_cronjobs(
    plane: kube.ControlPlane, operator: OperatorProcess, scheduled_chart: Path
) -> None:
    code = "09"
    status, body = plane.request("POST", "/apis/jingwu.police.cn/v1/districts", district_body(code))
    assert status == 201, body

    def applied() -> dict[str, dict[str, Any]] | None:
        found = cronjobs(plane, code)
        return found if len(found) == 3 else None

    found = await wait_for(applied, 120, "the three CronJobs")
    uid = (get_district(plane, code) or {})["metadata"]["uid"]
    blank = found["personnel-blank-villages"]
    assert blank["spec"]["schedule"] == "0 1 * * *" and blank["spec"]["timeZone"] == "Asia/Shanghai"
    assert blank["spec"]["concurrencyPolicy"] == "Forbid"
    assert [o["uid"] for o in blank["metadata"]["ownerReferences"]] == [uid]
    assert blank["metadata"]["labels"][naming.LABEL_MANAGED_BY] == naming.MANAGED_BY
    pod = blank["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"] == ["schedule", "run", "blank-villages"]
    assert {m["manager"] for m in blank["metadata"]["managedFields"]} == {naming.FIELD_MANAGER}
    status, quota = plane.request(
        "GET", f"/api/v1/namespaces/jingwu-{code}/resourcequotas/jingwu-{code}-quota"
    )
    assert status == 200 and quota["spec"]["hard"]["pods"] == str(9 + 3 + 2), quota

    # personnel stops declaring village-days: the next pass (resync every 3 s) prunes its CronJob.
    set_schedules(scheduled_chart, {k: v[:1] for k, v in SCHEDULES.items()})
    await wait_for(
        lambda: set(cronjobs(plane, code)) == {"personnel-blank-villages", "notification-weekly-notices"},
        60,
        "village-days pruned",
    )

    async def quota_shrunk() -> bool:
        status, quota = plane.request(
            "GET", f"/api/v1/namespaces/jingwu-{code}/resourcequotas/jingwu-{code}-quota"
        )
        return status == 200 and quota["spec"]["hard"]["pods"] == str(9 + 2 + 2)

    await wait_for(quota_shrunk, 30, "the quota without village-days' pod")

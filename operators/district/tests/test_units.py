"""Pure parts of the operator: naming, spec validation, CRD generation, conditions, rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from jingwu_operator import conditions, crd, naming, quantity, render
from jingwu_operator.config import OperatorConfig
from jingwu_operator.spec import InvalidSpec, parse

from .conftest import CHART

OWNER = render.Owner(name="jingwu-06", uid="uid-1")


def spec(**extra: object) -> dict[str, object]:
    return {"code": "06", "names": {"chinese": "埇桥分局", "pinyin": "yongqiao"}, **extra}


def test_committed_crd_is_generated_from_code() -> None:
    assert crd.CRD_PATH.read_text(encoding="utf-8") == crd.render(), "run: python -m jingwu_operator.crd"


def test_policy_schema_follows_district_policy() -> None:
    schema = crd.policy_schema()
    assert set(schema["properties"]) == {
        "urban_district",
        "rooms",
        "staffing",
        "work",
        "ratings",
        "preferences",
        "assessment",
    }
    hours = schema["properties"]["work"]["properties"]["golden_hours"]
    assert hours["items"]["items"]["pattern"] and hours["items"]["minItems"] == 2


def test_topics_follow_the_platform_naming() -> None:
    topics = naming.topics("06")
    assert "jingwu.06.rooms.v1" in topics
    assert "jingwu.06.telemetry.fixes.v1" in topics
    assert "jingwu.06.notification.dlq.v1" in topics
    assert all(t.startswith("jingwu.06.") for t in topics)
    assert len(set(topics)) == len(topics)


def test_topics_are_the_ones_the_services_use() -> None:
    """The names the services build themselves: a renamed topic there fails here."""
    from jingwu_patrol.entrypoints.incident_feed import incidents_topic
    from jingwu_platform.events import dead_letter_topic, domain_topic, telemetry_fixes_topic
    from jingwu_telemetry.adapters.kafka_topics import COMPACTED
    from jingwu_telemetry.application.devices import directory_topic
    from jingwu_telemetry.entrypoints.main import FIXES_DLQ

    topics = set(naming.topics("06"))
    assert {telemetry_fixes_topic("06"), directory_topic("06"), incidents_topic("06")} <= topics
    consumers = {"rooms", "personnel", "population", "patrol", "notification", "telemetry", FIXES_DLQ}
    assert {dead_letter_topic("06", c) for c in consumers} <= topics
    assert {
        domain_topic("06", d) for d in ("rooms", "personnel", "population", "patrol", "notification")
    } <= topics
    # The device directory is compacted, as the service makes it when it creates its topics itself.
    assert naming.topic_configs("06") == {directory_topic("06"): COMPACTED}


def test_the_operators_service_defaults_are_the_charts() -> None:
    """Every chart service is one the District may configure, with the chart's default resources (the
    operator passes them explicitly, and sizes the quota by them); a single writer gets one replica."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    assert set(values) == set(naming.SERVICES)
    parsed = parse(spec())
    for name, service in values.items():
        assert parsed.resources(name).model_dump(mode="json") == service["resources"], name
        assert (name in naming.SINGLE_WRITERS) == bool(service.get("singleWriter")), name
    assert parsed.replicas("population") == 1 and parsed.replicas("rooms") == 2
    with pytest.raises(InvalidSpec, match="population writes alone"):
        parse(spec(services={"population": {"replicas": 2}}))


def test_spec_defaults_and_policy_validation() -> None:
    parsed = parse(spec())
    assert parsed.deletion_policy == "Retain"
    assert parsed.kafka.retention_ms == 168 * 3_600_000
    assert parsed.enabled("rooms") and not parsed.enabled("telemetry")
    with pytest.raises(InvalidSpec, match="sum to 1"):
        parse(spec(policy={"ratings": {"peer": 0.9}}))
    with pytest.raises(InvalidSpec, match="services: unknown"):
        parse(spec(services={"bogus": {}}))


def test_conditions_keep_transition_time_while_status_is_unchanged() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    first = conditions.set_condition(
        [], "TopicsReady", "False", "KafkaUnavailable", "down", generation=1, now=t0
    )
    later = t0 + timedelta(minutes=5)
    same = conditions.set_condition(
        first, "TopicsReady", "False", "KafkaUnavailable", "still", generation=1, now=later
    )
    assert same[0]["lastTransitionTime"] == first[0]["lastTransitionTime"]
    flipped = conditions.set_condition(
        same, "TopicsReady", "True", "Provisioned", "ok", generation=1, now=later
    )
    assert flipped[0]["lastTransitionTime"] == conditions.timestamp(later)


def test_ready_summarises_every_part_at_this_generation() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    conds: list[dict[str, object]] = []
    for part in conditions.PARTS:
        conds = conditions.set_condition(conds, part, "True", "Ok", "", generation=2, now=now)
    assert conditions.summarise(conds, 2)[0] == "True"
    assert conditions.summarise(conds, 3)[0] == "False"
    conds = conditions.set_condition(
        conds, "TopicsReady", "False", "KafkaUnavailable", "x", generation=2, now=now
    )
    status, reason, message = conditions.summarise(conds, 2)
    assert (status, reason) == ("False", "Failed") and "KafkaUnavailable" in message


def test_quota_covers_replicas_plus_surge() -> None:
    parsed = parse(spec(services={"rooms": {"replicas": 3}}))  # + notification, personnel at 2
    quota = render.resource_quota(parsed, OWNER)
    assert quota.spec is not None and quota.spec.hard is not None
    assert quota.spec.hard["pods"] == str(4 + 3 + 3 + 2)
    # 10 pods x 100m x 1.25
    assert quantity.parse(quota.spec.hard["requests.cpu"]) == quantity.parse("1250m")


def test_network_policies_admit_only_same_namespace_and_city_ingress() -> None:
    policies = {p.metadata.name: p for p in render.network_policies(parse(spec()), OWNER) if p.metadata}
    assert set(policies) == {
        "default-deny-ingress",
        "allow-same-namespace",
        "allow-city-ingress",
        "allow-metrics-scrape",
    }
    city = policies["allow-city-ingress"].to_dict()["spec"]["ingress"][0]["from"][0]
    assert city == {"namespaceSelector": {"matchLabels": {naming.CITY_INGRESS_LABEL: "true"}}}
    # Prometheus' namespace reaches the metrics port and nothing else (docs/adr/0022).
    (scrape,) = policies["allow-metrics-scrape"].to_dict()["spec"]["ingress"]
    assert scrape["from"] == [{"namespaceSelector": {"matchLabels": {naming.METRICS_SCRAPER_LABEL: "true"}}}]
    assert scrape["ports"] == [{"port": "metrics", "protocol": "TCP"}]


def test_chart_output_is_owned_and_cluster_kinds_are_refused() -> None:
    docs = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "rooms"}, "spec": {}}]
    (obj,) = render.own_chart_objects(docs, parse(spec()), OWNER)
    meta = obj.to_dict()["metadata"]  # type: ignore[attr-defined]
    assert meta["namespace"] == "jingwu-06"
    assert meta["labels"][naming.LABEL_DISTRICT] == "06"
    assert meta["ownerReferences"][0]["uid"] == "uid-1"
    with pytest.raises(render.ChartError):
        render.own_chart_objects(
            [
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": {"name": "x"},
                }
            ],
            parse(spec()),
            OWNER,
        )


def test_chart_values_follow_the_contract() -> None:
    values = render.chart_values(
        parse(spec(policy={"urban_district": False})),
        images=render.ImageDefaults("reg", "1.0", "Always"),
        kafka_bootstrap="kafka:9092",
        tracing_exporter="otlp",
        otlp_endpoint="",
    )
    assert values["mongo"] == {"secretName": "jingwu-06-mongo", "urlKey": "url"}
    assert values["auth"] == {"secretName": "jingwu-06-auth", "secretKey": "secret"}
    assert values["services"]["telemetry"]["enabled"] is False
    assert values["policy"] == {"urban_district": False}


def test_mongo_url_per_district() -> None:
    assert render.mongo_url("mongodb://admin:pw@m1:27017,m2/?tls=true", "jingwu-06", "p@ss", "jingwu_06") == (
        "mongodb://jingwu-06:p%40ss@m1:27017,m2/jingwu_06?authSource=jingwu_06&tls=true"
    )
    assert render.mongo_url("mongodb://admin:pw@m1/", None, None, "jingwu_06") == "mongodb://m1/jingwu_06"


def test_config_from_env_and_backoff() -> None:
    config = OperatorConfig.from_env(
        {"JINGWU_OPERATOR_KAFKA_BOOTSTRAP": "k:1", "JINGWU_OPERATOR_BACKOFF_SECONDS": "2", "OTHER": "x"}
    )
    assert config.kafka_bootstrap == "k:1"
    assert [config.backoff(r) for r in (0, 1, 2)] == [2.0, 4.0, 8.0]
    assert config.backoff(20) == config.max_backoff_seconds

"""The metrics kit (jingwu_platform.metrics): one provider per process that instruments made earlier bind
to, a /metrics endpoint off the event loop with process figures exported once, and the loop-lag probe.
RPC metrics: tests/test_rpc_metrics.py; a running service scraped over HTTP: tests/test_metrics_scrape.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest
from jingwu_platform.metrics import LOOP_LAG, LoopLagProbe, MetricsEndpoint
from jingwu_platform.settings import ServiceSettings
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from pydantic import SecretStr

pytestmark = pytest.mark.timeout(120)


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def test_instruments_made_before_the_provider_bind_to_it() -> None:
    """In a fresh interpreter (the API's global provider can be set once per process): a counter made
    through the API and the Kafka path's instruments exist before ``install_metrics``; what they record
    afterwards is exported, with the service's resource labels; a second install keeps the first."""
    script = textwrap.dedent(
        """
        from opentelemetry import metrics
        from jingwu_platform.kafka_metrics import kafka_instruments

        early = metrics.get_meter("test.early").create_counter("jingwu.test.early", unit="{thing}")
        kafka = kafka_instruments()

        from jingwu_platform.metrics import install_metrics
        from jingwu_platform.settings import ServiceSettings
        from prometheus_client import generate_latest

        first = install_metrics(ServiceSettings(service_name="rooms", district="07", auth_secret="x"))
        again = install_metrics(ServiceSettings(service_name="personnel", district="08", auth_secret="x"))
        assert first is not None and again is first
        early.add(3, {"kind": "a"})
        kafka.consumer("jingwu-07-rooms").consumed(5)
        print(generate_latest().decode())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(proc.stdout)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        (found,) = [v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items()]
        return found

    process = {"service_name": "jingwu-rooms", "jingwu_district": "07"}
    assert value("jingwu_test_early_total", kind="a", **process) == 3
    assert value("jingwu_consumer_records_total", consumer="jingwu-07-rooms", **process) == 5
    assert value("target_info", service_name="jingwu-rooms", service_namespace="jingwu") == 1


@pytest.fixture
def slow_registry() -> Iterator[CollectorRegistry]:
    class Slow(Collector):
        def collect(self) -> Iterator[GaugeMetricFamily]:
            time.sleep(1.0)  # a slow collector, as a blocked one would be
            yield GaugeMetricFamily("slow_thing", "A figure that takes a second to read.", value=1)

    registry = CollectorRegistry()
    registry.register(Slow())
    yield registry


async def test_a_scrape_runs_off_the_event_loop(slow_registry: CollectorRegistry) -> None:
    endpoint = MetricsEndpoint(port=0, registry=slow_registry)
    await endpoint.start()
    try:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.create_task(tick())
        status, _, body = await asyncio.to_thread(_get, f"http://{endpoint.address}/metrics")
        ticker.cancel()
        assert status == 200 and "slow_thing 1.0" in body
        assert ticks >= 3, "the loop stood still while the endpoint collected"
    finally:
        await endpoint.stop()


async def test_endpoint_serves_prometheus_text_with_process_figures_once() -> None:
    endpoint = MetricsEndpoint(port=0)  # the default registry: what every service serves
    await endpoint.start()
    url = f"http://{endpoint.address}"
    try:
        assert endpoint.port > 0
        status, content_type, body = await asyncio.to_thread(_get, url + "/metrics")
        assert status == 200 and content_type.startswith("text/plain"), content_type
        families = list(text_string_to_metric_families(body))
        names = Counter(f.name for f in families)
        for figure in (
            "process_cpu_seconds",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "python_gc_collections",
            "python_info",
        ):
            assert names[figure] == 1, figure
        assert [n for n, count in names.items() if count > 1] == []  # no series exported twice
        declared = Counter(line.split()[2] for line in body.splitlines() if line.startswith("# TYPE "))
        assert [n for n, count in declared.items() if count > 1] == []
        status, _, body = await asyncio.to_thread(_get, url + "/")
        assert status == 404 and "/metrics" in body
    finally:
        await endpoint.stop()
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(urllib.request.urlopen, url + "/metrics", None, 2)


async def test_endpoint_port_from_settings() -> None:
    settings = ServiceSettings(
        service_name="rooms", district="07", auth_secret=SecretStr("x"), metrics_port=0
    )
    endpoint = MetricsEndpoint.from_settings(settings)
    await endpoint.start()
    try:
        assert endpoint.address == f"127.0.0.1:{endpoint.port}" and endpoint.port > 0
    finally:
        await endpoint.stop()
    with pytest.raises(ValueError, match="metrics_port"):
        ServiceSettings(service_name="rooms", district="07", auth_secret=SecretStr("x"), metrics_port=70000)


async def test_loop_lag_probe_records_a_blocked_loop() -> None:
    reader = InMemoryMetricReader()
    probe = LoopLagProbe(interval_s=0.05, meter=MeterProvider(metric_readers=[reader]).get_meter("test"))
    await probe.start()
    try:
        await asyncio.sleep(0.12)
        time.sleep(0.3)  # noqa: ASYNC251 - blocking the loop on purpose
        await asyncio.sleep(0.12)
    finally:
        await probe.stop()
    data = reader.get_metrics_data()
    assert data is not None
    (point,) = [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == LOOP_LAG
        for p in m.data.data_points
    ]
    assert isinstance(point, HistogramDataPoint)
    assert point.count >= 3
    assert point.max >= 0.2  # the blocked timer fired ~0.25 s late

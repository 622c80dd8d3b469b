"""Metrics of every Jingwu service: OpenTelemetry instruments, read by Prometheus over HTTP (pull).

- ``install_metrics`` (called by ``connect()``) sets the process's OpenTelemetry ``MeterProvider`` once,
  with a Prometheus reader on prometheus_client's default registry and the service's resource
  (``service.name``, ``jingwu.district``, ...). Code anywhere creates instruments through the API
  (``opentelemetry.metrics.get_meter(...)``): instruments created before the provider is installed are
  the API's proxies and bind to it when it is (tests/test_metrics.py proves it in a fresh process).
- ``MetricsEndpoint`` (a runtime ``Component``) serves ``GET /metrics`` in the Prometheus text format
  on ``JINGWU_METRICS_HOST:JINGWU_METRICS_PORT`` (0 = a free port, printed in the ready line) from a
  thread of its own: a scrape never runs on the event loop, and the loop never waits for a scrape.
- The same registry carries prometheus_client's process figures (``process_cpu_seconds_total``,
  ``process_resident_memory_bytes``, ``process_open_fds``, ``python_gc_*``, ``python_info``) — the one
  source of process metrics, so no series is exported twice — and ``LoopLagProbe`` adds the asyncio
  loop's lag (``jingwu.asyncio.loop.lag``).

Names and labels: docs/adr/0022 (never a per-id label).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app

from jingwu_platform.settings import ServiceSettings

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
RUNTIME_METER = "jingwu.runtime"
LOOP_LAG = "jingwu.asyncio.loop.lag"
_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Resource attributes copied onto every series (one value per process, so no cardinality): a scrape
# tells which service of which district it came from whatever the scrape config adds.
RESOURCE_LABELS = frozenset({"service.name", "jingwu.district"})

_installed: MeterProvider | None = None
_install_lock = threading.Lock()


def service_resource(settings: ServiceSettings) -> Resource:
    """The resource of the process's metrics (the same attributes its spans carry)."""
    return Resource.create(
        {
            "service.name": f"jingwu-{settings.service_name}",
            "service.namespace": "jingwu",
            "service.instance.id": settings.instance_id or socket.gethostname(),
            "jingwu.district": settings.district,
            "process.pid": os.getpid(),
        }
    )


def install_metrics(settings: ServiceSettings) -> MeterProvider | None:
    """Set the process-wide meter provider, read by Prometheus, once; later calls return it.

    One provider per process (the OpenTelemetry API allows one): a test process running several
    services in-process exports them all under the first one's resource. Returns None when a provider
    someone else set is already in place (its readers are its owner's business; nothing is exported)."""
    global _installed  # noqa: PLW0603 - one meter provider per process, like the API's global
    with _install_lock:
        if _installed is not None:
            return _installed
        current = metrics.get_meter_provider()
        if isinstance(current, MeterProvider):
            log.warning("a meter provider is already installed; /metrics will not show its instruments")
            return None
        # No otel_scope_* labels: instrument names are unique across meters (jingwu.*, rpc.*).
        reader = PrometheusMetricReader(
            scope_info_enabled=False, resource_attribute_filter=RESOURCE_LABELS.__contains__
        )
        provider = MeterProvider(resource=service_resource(settings), metric_readers=[reader])
        metrics.set_meter_provider(provider)
        _installed = provider
        return provider


class _Server(ThreadingMixIn, WSGIServer):
    """One thread per scrape, none of them keeping the process alive."""

    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (one every 15–30 s per Prometheus server)."""


def _only_metrics(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"metrics are served on {METRICS_PATH}\n".encode()]
        return app(environ, start_response)

    return serve


class MetricsEndpoint:
    """``GET /metrics`` (Prometheus text format) on a threaded HTTP server; a runtime ``Component``."""

    name = "metrics"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, registry: CollectorRegistry = REGISTRY
    ) -> None:
        self._host = host
        self._requested_port = port
        self._registry = registry
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> MetricsEndpoint:
        return cls(settings.metrics_host, settings.metrics_port)

    @property
    def address(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host  # noqa: S104 - display only
        return f"{host}:{self.port}"

    async def start(self) -> None:
        server_class = _Server6 if ":" in self._host else _Server
        server = make_server(
            self._host,
            self._requested_port,
            _only_metrics(make_wsgi_app(self._registry)),
            server_class=server_class,
            handler_class=_QuietHandler,
        )
        assert isinstance(server, _Server)
        self._server = server
        self.port = int(server.server_port)
        # A short poll interval: stop() waits for the serving loop to notice the shutdown.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="metrics-http", daemon=True
        )
        self._thread.start()
        log.info("metrics endpoint listening", extra={"metrics_port": self.port, "path": METRICS_PATH})

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None


class LoopLagProbe:
    """How late the event loop runs a timer: sleeps ``interval_s`` and records the overshoot
    (``jingwu.asyncio.loop.lag``, histogram, s). Two wake-ups a second; a blocked loop shows as lag."""

    name = "loop-lag"

    def __init__(self, interval_s: float = 0.5, meter: Meter | None = None) -> None:
        self._interval = interval_s
        self._lag = (meter or metrics.get_meter(RUNTIME_METER)).create_histogram(
            LOOP_LAG,
            unit="s",
            description="How much later than scheduled the asyncio event loop ran a timer.",
            explicit_bucket_boundaries_advisory=_LAG_BUCKETS,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-lag-probe")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self._interval)
            self._lag.record(max(0.0, loop.time() - before - self._interval))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

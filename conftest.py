"""Fixtures shared by every test package. Kafka and the MongoDB-wire store come from the devstack
pytest plugin (jingwu_devstack.pytest_plugin): real processes started once per test session."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jingwu_platform.mongo import Document
from jingwu_platform.runtime import ServiceRuntime
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import scratch_database
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo.asynchronous.database import AsyncDatabase

# Property tests check behaviour, not timing (benchmarks do that): on a busy 2-core machine neither a
# slow example nor slow input generation fails them.
hypothesis_settings.register_profile("jingwu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("jingwu")

# Districts 10–98 are handed out one per test so topics and databases never collide; 01 is the demo's,
# 99 the fuzz stack's (e2e/fuzz: its code is in the hints its generated inputs are built from).
_districts = itertools.count(10)
LAST_POOLED_DISTRICT = 98


def _next_district() -> str:
    code = next(_districts)
    if code > LAST_POOLED_DISTRICT:
        pytest.fail("ran out of test district codes 10–98: fewer suites per session (as make test)")
    return f"{code:02d}"


@pytest.fixture
def district() -> str:
    return _next_district()


@pytest.fixture(scope="session")
def district_codes() -> Callable[[], str]:
    """Codes from the same pool for fixtures wider than a test (a stack a module or package shares)."""
    return _next_district


@pytest.fixture(scope="session")
def auth_secret() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """In-process spans of every service started in-process (one global tracer provider per process)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "jingwu-tests"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def settings_for(
    kafka_bootstrap: str, mongo_url: str, auth_secret: str, spans: InMemorySpanExporter
) -> Callable[..., ServiceSettings]:
    def build(service: str, district: str, **overrides: Any) -> ServiceSettings:
        values: dict[str, Any] = {
            "service_name": service,
            "district": district,
            "kafka_bootstrap": kafka_bootstrap,
            "mongo_url": mongo_url,
            "auth_secret": auth_secret,
            "trace_exporter": "none",
            "outbox_poll_interval_s": 0.2,
            **overrides,
        }
        return ServiceSettings(**values)

    return build


@asynccontextmanager
async def started(runtime: ServiceRuntime) -> AsyncIterator[int]:
    """Run a service in-process for the duration of the block; yields its gRPC port."""
    port = await runtime.start()
    try:
        yield port
    finally:
        await runtime.stop()


@pytest.fixture
async def fresh_database(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    """An empty database of its own on the session's real store (for repository contract suites)."""
    async with scratch_database(mongo_url) as database:
        yield database


@pytest.fixture
async def channels() -> AsyncIterator[list[grpc.aio.Channel]]:
    """Channels a test opens stay referenced (an unreferenced aio channel closes) and are closed after."""
    opened: list[grpc.aio.Channel] = []
    yield opened
    for channel in opened:
        await channel.close()

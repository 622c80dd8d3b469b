"""The personnel service in-process for the integration tests (see service_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu_personnel.entrypoints.main import build_runtime
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for

from conftest import started

from .service_support import Personnel, Stub


@pytest.fixture
async def personnel(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    channels: list[grpc.aio.Channel],
) -> AsyncIterator[Personnel]:
    runtime, consumer = build_runtime(settings_for("personnel", district), DistrictPolicy())
    async with started(runtime) as port:

        def make_stub(*roles: Role, subject: str = "lead-1") -> Stub:
            channels.append(
                open_channel(f"127.0.0.1:{port}", token_for(auth_secret, district, *roles, subject=subject))
            )
            return personnel_pb2_grpc.PersonnelServiceStub(channels[-1])

        status_token = token_for(auth_secret, district, Role.SUPERVISOR, subject="status-reader")
        yield Personnel(port, consumer, district, kafka_bootstrap, make_stub, status_token)

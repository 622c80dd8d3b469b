"""Every RPC of every service has a declared access rule, and every RPC that creates or appends names
the request field that makes a client's retry harmless. A new RPC cannot ship open: its service's
AccessPolicy fails to build (at import) without a rule for it, and this test fails too."""

from __future__ import annotations

import importlib

import pytest
from google.protobuf.descriptor import FileDescriptor
from jingwu.notification.v1 import notification_pb2, subscriptions_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.personnel.v1 import personnel_pb2
from jingwu.platform.v1 import status_pb2
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.authz import AccessPolicy, is_creating

CONTRACT_FILES: tuple[FileDescriptor, ...] = (
    rooms_pb2.DESCRIPTOR,
    personnel_pb2.DESCRIPTOR,
    notification_pb2.DESCRIPTOR,
    subscriptions_pb2.DESCRIPTOR,
    population_pb2.DESCRIPTOR,
    patrol_pb2.DESCRIPTOR,
    telemetry_pb2.DESCRIPTOR,
    status_pb2.DESCRIPTOR,
)
# The gRPC entry point module of each served service: it declares ACCESS.
SERVED = {
    "jingwu.rooms.v1.RoomRegistryService": "jingwu_rooms.entrypoints.grpc_api",
    "jingwu.personnel.v1.PersonnelService": "jingwu_personnel.entrypoints.grpc_api",
    "jingwu.notification.v1.NotificationService": "jingwu_notification.entrypoints.grpc_api",
    "jingwu.telemetry.v1.TelemetryService": "jingwu_telemetry.entrypoints.grpc_api",
    "jingwu.population.v1.PopulationService": "jingwu_population.entrypoints.grpc_api",
    "jingwu.patrol.v1.PatrolService": "jingwu_patrol.entrypoints.grpc_api",
    "jingwu.notification.v1.SubscriptionService": "jingwu_notification.entrypoints.subscriptions_grpc",
    # Served by the platform itself on every service's gRPC server.
    "jingwu.platform.v1.StatusService": "jingwu_platform.status_service",
}
# Contracts whose service is not built yet (no process serves them). Each issue that builds one moves
# it to SERVED.
NOT_SERVED_YET: set[str] = set()

SERVICES = [service for file in CONTRACT_FILES for service in file.services_by_name.values()]


def test_every_contract_service_is_accounted_for() -> None:
    names = {s.full_name for s in SERVICES}
    assert names == set(SERVED) | NOT_SERVED_YET
    assert not set(SERVED) & NOT_SERVED_YET


@pytest.mark.parametrize("service_name", sorted(SERVED))
def test_every_method_has_a_declared_rule(service_name: str) -> None:
    policy = importlib.import_module(SERVED[service_name]).ACCESS
    assert isinstance(policy, AccessPolicy)
    service = next(s for s in SERVICES if s.full_name == service_name)
    assert policy.service.full_name == service_name
    for method in service.methods:
        assert method.name in policy.rules, f"{service_name}/{method.name} has no declared access rule"
        access = policy.rules[method.name]
        if is_creating(method.name):
            assert access.idempotency_key in method.input_type.fields_by_name, (
                f"{method.name} creates or appends but names no idempotency key"
            )

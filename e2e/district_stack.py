"""A whole district for the proofs that attack one (the isolation and access proof, the fuzzers): its six
services started once per module or package as real processes, every served RPC derived from the
contract descriptors, and a generic caller that needs no generated stub."""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, free_port, log_ready, tcp_ready
from jingwu_platform.auth import ISSUER
from jingwu_platform.authz import AccessPolicy

from .conftest import BIN, RunningService, running_service, service_spec

# The district processes of a district (the city's telemetry gateways serve no gRPC contract).
PROCESSES = ("rooms", "personnel", "population", "telemetry", "notification", "patrol")
# The module that serves every district process its StatusService.
PLATFORM_MODULE = "jingwu_platform.status_service"
_EVERY_RPC = Path(__file__).parents[1] / "services/contracts/tests/test_every_rpc_declared.py"


def served_modules() -> dict[str, str]:
    """``SERVED`` of the every-RPC test: each served gRPC service and the module declaring its ACCESS
    (one list for both proofs, so a new service is covered here without new code)."""
    spec = importlib.util.spec_from_file_location("jingwu_every_rpc_declared", _EVERY_RPC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    served: dict[str, str] = module.SERVED
    return served


@dataclass(frozen=True)
class ServedService:
    descriptor: ServiceDescriptor
    access: AccessPolicy
    processes: tuple[str, ...]  # the district processes that serve it

    @property
    def name(self) -> str:
        return self.descriptor.full_name


def served_services() -> list[ServedService]:
    found = []
    for name, module_name in sorted(served_modules().items()):
        policy = importlib.import_module(module_name).ACCESS
        assert isinstance(policy, AccessPolicy) and policy.full_name == name
        if module_name == PLATFORM_MODULE:
            processes: tuple[str, ...] = PROCESSES
        else:
            process = module_name.split(".", 1)[0].removeprefix("jingwu_")
            assert process in PROCESSES, f"{name}: served by {process}, which this proof does not start"
            processes = (process,)
        found.append(ServedService(policy.service, policy, processes))
    return found


def path_of(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


@dataclass(frozen=True)
class Answer:
    code: grpc.StatusCode
    details: str
    response: Message | None = None


async def invoke(
    channel: grpc.aio.Channel,
    method: MethodDescriptor,
    token: str | None,
    request: Message | None = None,
    *,
    timeout_s: float = 5.0,
) -> Answer:
    """Call any method (unary or server-streaming: its first message) with ``token`` as the bearer
    credential (None: no ``authorization`` header at all)."""
    request_type = GetMessageClass(method.input_type)
    response_type = GetMessageClass(method.output_type)
    message = request if request is not None else request_type()
    metadata = () if token is None else (("authorization", f"Bearer {token}"),)
    try:
        if method.server_streaming:
            stream = channel.unary_stream(
                path_of(method),
                request_serializer=request_type.SerializeToString,
                response_deserializer=response_type.FromString,
            )(message, metadata=metadata, timeout=timeout_s)
            first = await stream.read()
            stream.cancel()
            return Answer(grpc.StatusCode.OK, "", first if isinstance(first, Message) else None)
        response = await channel.unary_unary(
            path_of(method),
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )(message, metadata=metadata, timeout=timeout_s)
        return Answer(grpc.StatusCode.OK, "", response)
    except grpc.aio.AioRpcError as error:
        return Answer(error.code(), error.details() or "")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(district: str, roles: list[str], subject: str = "forger") -> str:
    """A hand-built JWT with ``alg: none`` and no signature, claims otherwise valid."""
    now = int(time.time())
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "district": district,
        "roles": roles,
        "iat": now,
        "exp": now + 600,
    }
    return f"{header}.{_b64(json.dumps(claims).encode())}."


@dataclass(frozen=True)
class DistrictStack:
    district: str
    services: Mapping[str, RunningService]  # process name → the running process

    @property
    def targets(self) -> dict[str, str]:
        return {name: service.target for name, service in self.services.items()}


def start_district(
    supervisor: Supervisor,
    district: str,
    *,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    log_dir: Path,
    tag: str = "",
) -> DistrictStack:
    """The six district processes, started the way e2e/conftest.py's ``start_service`` does (patrol
    wired to this district's rooms and telemetry), but owned by a module- or package-scoped supervisor
    so several tests share one start; the six start side by side."""
    ports = {service: free_port() for service in PROCESSES}
    specs = []
    for service in PROCESSES:
        env: dict[str, str] = {}
        if service == "patrol":
            env["JINGWU_PATROL_ROOMS_TARGET"] = f"127.0.0.1:{ports['rooms']}"
            env["JINGWU_PATROL_TELEMETRY_TARGET"] = f"127.0.0.1:{ports['telemetry']}"
        specs.append(
            service_spec(
                service,
                district,
                kafka_bootstrap=kafka_bootstrap,
                mongo_url=mongo_url,
                auth_secret=auth_secret,
                log_dir=log_dir,
                tag=tag,
                env=env,
                ready_timeout=90.0,
                port=ports[service],
            )
        )
    infos = supervisor.start_many(specs)  # side by side
    started = zip(PROCESSES, specs, infos, strict=True)
    services = {service: running_service(spec, info) for service, spec, info in started}
    return DistrictStack(district, services)


@dataclass(frozen=True)
class Gateways:
    jt808_port: int
    handheld_port: int


def start_gateways(
    supervisor: Supervisor,
    registries: dict[str, str],
    *,
    kafka_bootstrap: str,
    auth_secret: str,
    log_dir: Path,
    tag: str = "",
    env: Mapping[str, str] | None = None,
) -> Gateways:
    """The city's JT/T 808 gateway and handheld HTTP endpoint routing every district's devices
    (``registries``: district → its telemetry target) to its registry, as ``make run`` starts them
    (jingwu_devstack.run.city_specs), with one env for both; ``env`` adds gateway settings."""
    jt808_port, handheld_port = free_port(), free_port()
    settings = {
        "JINGWU_GATEWAY_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "JINGWU_GATEWAY_REGISTRY_TARGETS": json.dumps(registries),
        "JINGWU_GATEWAY_AUTH_SECRET": auth_secret,
        "JINGWU_GATEWAY_JT808_HOST": "127.0.0.1",
        "JINGWU_GATEWAY_JT808_PORT": str(jt808_port),
        "JINGWU_GATEWAY_HTTP_HOST": "127.0.0.1",
        "JINGWU_GATEWAY_HTTP_PORT": str(handheld_port),
        "JINGWU_GATEWAY_LINGER_MS": "2",
        **(env or {}),
    }
    specs = []
    for name, port in (("jt808-gateway", jt808_port), ("handheld-gateway", handheld_port)):
        log_path = log_dir / f"{name}.log"
        specs.append(
            ProcessSpec(
                name=f"{name}{tag}",
                argv=[str(BIN / f"jingwu-{name}")],
                log_path=log_path,
                env=settings,
                ports=[port],
                ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
                ready_timeout=90.0,
            )
        )
    supervisor.start_many(specs)
    return Gateways(jt808_port, handheld_port)

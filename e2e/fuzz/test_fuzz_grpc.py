"""Every method of every served gRPC service, on random requests generated from its descriptor, called
on the real server process with a credential holding every role of the district.

Never UNKNOWN or INTERNAL (an unhandled exception), never a call that outlives its deadline, an
INVALID_ARGUMENT always names its fields, and the server answers GetStatus afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import text_format
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jingwu.platform.v1 import status_pb2
from jingwu_devstack.procs import pid_alive
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import field_violations
from jingwu_platform.testing import token_for

from ..conftest import RunningService
from .conftest import FUZZ_DISTRICT, FUZZ_TIMEOUT_S, FuzzReport, fuzz_size
from .proto_strategies import ProtoStrategies
from .rpcs import Rpc, served_rpcs

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz, pytest.mark.timeout(FUZZ_TIMEOUT_S)]

RPCS = served_rpcs()
EXAMPLES = fuzz_size("FUZZ_EXAMPLES", 3)
CALL_TIMEOUT_S = 20.0
# Plausible values among the random ones, so some requests pass the first checks and go deeper.
HINTS = (
    FUZZ_DISTRICT,
    f"{FUZZ_DISTRICT}030201",
    f"{FUZZ_DISTRICT}0302",
    "2026-01-01",
    "2026-01-01T00:00:00Z",
)
PROTO = ProtoStrategies(HINTS)
# Refusals that say what is wrong without more: not a crash.
CLEAR = {
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.UNAUTHENTICATED,  # AuthenticateDevice: a wrong auth code
}


@pytest.fixture(scope="module")
def fuzz_channels(fuzz_stack: dict[str, RunningService]) -> Iterator[dict[str, grpc.Channel]]:
    channels = {name: grpc.insecure_channel(service.target) for name, service in fuzz_stack.items()}
    yield channels
    for channel in channels.values():
        channel.close()


def _shown(request: Message) -> str:
    text = text_format.MessageToString(request, as_one_line=True, as_utf8=True)
    return text if len(text) < 400 else text[:400] + "…"


@pytest.mark.parametrize("rpc", RPCS, ids=[rpc.name for rpc in RPCS])
def test_random_requests_never_crash_the_server(
    rpc: Rpc,
    fuzz_stack: dict[str, RunningService],
    fuzz_channels: dict[str, grpc.Channel],
    auth_secret: str,
    fuzz_report: FuzzReport,
) -> None:
    metadata = (("authorization", f"Bearer {token_for(auth_secret, FUZZ_DISTRICT, *Role)}"),)
    reply_type: Any = GetMessageClass(rpc.method.output_type)
    calls: dict[str, Any] = {
        process: fuzz_channels[process].unary_unary(
            rpc.path,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reply_type.FromString,
        )
        for process in rpc.processes
    }
    row = fuzz_report.row(f"gRPC {rpc.service.name}")
    findings: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(request=PROTO.message(rpc.method.input_type), process=st.sampled_from(rpc.processes))
    def call(request: Message, process: str) -> None:
        row.inputs += 1
        try:
            calls[process](request, metadata=metadata, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as error:
            code = error.code()
            details = error.details()
            if code in CLEAR:
                row.rejected += 1
            elif code == grpc.StatusCode.INVALID_ARGUMENT:
                if field_violations(error):  # type: ignore[arg-type]
                    row.rejected += 1
                else:
                    row.crashes += 1
                    why = f"INVALID_ARGUMENT without field violations ({details})"
                    findings.append(f"{rpc.name}: {why} on {_shown(request)}")
            elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
                row.hangs += 1
                findings.append(f"{rpc.name}: no answer within {CALL_TIMEOUT_S}s on {_shown(request)}")
            else:
                row.crashes += 1
                findings.append(f"{rpc.name} ({process}): {code.name} {details!r} on {_shown(request)}")

    call()
    row.findings += findings
    # The server is still up and answering.
    for process in rpc.processes:
        assert pid_alive(fuzz_stack[process].info.pid), (
            f"{process} exited: see {fuzz_stack[process].log_path}"
        )
        get_status: Any = fuzz_channels[process].unary_unary(
            "/jingwu.platform.v1.StatusService/GetStatus",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=status_pb2.GetStatusResponse.FromString,
        )
        status = get_status(status_pb2.GetStatusRequest(), metadata=metadata, timeout=CALL_TIMEOUT_S)
        assert status.service
    assert not findings, "\n".join(findings[:10])

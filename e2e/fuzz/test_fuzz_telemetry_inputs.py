"""The telemetry inputs from outside: the JT/T 808 decoder on valid frames mutated inside their check
code (so the mutation reaches the body parsers, not only the check), the gateway's TCP loop on random
bytes, and the handheld HTTP endpoint (JSON and the OsmAnd protocol's query and form parameters) on
random and mutated requests — as processes, as ``make run`` starts them.

The decoder raises nothing but its own ``Jt808Error``; a junk connection never ends the gateway's
accept loop (the next connection is answered); the HTTP endpoint answers 2xx or a 4xx that says what
is wrong (400s name each field), never 5xx, and goes on serving. Random frames and single corrupted
bytes are already covered by services/telemetry/tests/test_jt808_properties.py, whose message
strategy this reuses."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import token_for
from jingwu_telemetry.jt808 import Header, Heartbeat, Jt808Error, Message, decode, encode

from ..conftest import RunningService
from ..district_stack import Gateways
from .conftest import FUZZ_DISTRICT, FUZZ_TIMEOUT_S, FuzzReport, fuzz_size

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.fuzz,
    pytest.mark.timeout(FUZZ_TIMEOUT_S),
    # Inputs are drawn with .example() where a loop drives the target itself (async, over the network).
    pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning"),
]

EXAMPLES = fuzz_size("FUZZ_EXAMPLES", 3)
_PROPERTIES = Path(__file__).parents[2] / "services/telemetry/tests/test_jt808_properties.py"


def _codec_strategies() -> Any:
    spec = importlib.util.spec_from_file_location("jingwu_jt808_properties", _PROPERTIES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MESSAGES = _codec_strategies().messages


def _unescape(data: bytes) -> bytes:
    return data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def _xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def _reframed(content: bytes) -> bytes:
    """Content (header + body) with a fresh check code, escaped, without the 0x7e flags."""
    whole = content + bytes((_xor(content),))
    return whole.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


mutations = st.lists(
    st.tuples(
        st.sampled_from(["set", "insert", "delete", "truncate"]), st.integers(0, 400), st.integers(0, 255)
    ),
    min_size=1,
    max_size=6,
)


def _mutated(wire: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    content = bytearray(_unescape(wire[1:-1])[:-1])  # without the flags and the check code
    for edit, position, value in edits:
        at = position % max(len(content), 1)
        if edit == "set" and content:
            content[at] = value
        elif edit == "insert":
            content.insert(at, value)
        elif edit == "delete" and content:
            del content[at]
        elif edit == "truncate":
            del content[at:]
    return _reframed(bytes(content))


def test_decoder_on_checksummed_mutations_raises_only_its_own_error(fuzz_report: FuzzReport) -> None:
    row = fuzz_report.row("JT/T 808 decoder (mutated valid frames, valid check code)")
    findings: list[str] = []

    @settings(
        max_examples=EXAMPLES * 50,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(MESSAGES, mutations)
    def decode_mutated(message: Message, edits: list[tuple[str, int, int]]) -> None:
        row.inputs += 1
        data = _mutated(encode(message), edits)
        try:
            decode(data)
        except Jt808Error as error:
            row.rejected += 1
            if not (error.reason.value and error.detail):
                row.crashes += 1
                findings.append(f"Jt808Error without a reason on {data.hex()}")
        except Exception as error:  # what the target looks for
            row.crashes += 1
            findings.append(f"{error!r} on {data.hex()}")

    decode_mutated()
    row.findings += findings
    assert not findings, "\n".join(findings[:10])


async def _answered(port: int, serial: int) -> bool:
    """A fresh connection's heartbeat gets a framed answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(encode(Message(Header(0x0002, "013900000077", serial), Heartbeat())))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(1024), timeout=10)
        return answer.startswith(b"\x7e")
    finally:
        writer.close()


async def test_junk_connections_never_end_the_gateway_loop(
    fuzz_gateways: Gateways, fuzz_report: FuzzReport
) -> None:
    row = fuzz_report.row("JT/T 808 gateway TCP loop (junk connections)")
    junk = st.one_of(
        st.binary(min_size=1, max_size=2000),
        st.binary(max_size=200).map(lambda b: b"\x7e" + b + b"\x7e"),
        st.tuples(MESSAGES, mutations).map(lambda m: b"\x7e" + _mutated(encode(m[0]), m[1]) + b"\x7e"),
        st.just(b"\x7e" * 1000),
        st.just(b"\x7d" * 1000 + b"\x7e"),
    )
    samples = [junk.example() for _ in range(EXAMPLES * 5)]
    for serial, data in enumerate(samples, start=1):
        row.inputs += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", fuzz_gateways.jt808_port)
        writer.write(data)
        if serial % 2:
            writer.transport.abort()  # half of them vanish mid-stream
        else:
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.read(4096), timeout=0.2)
            writer.close()
        if serial % 5 == 0 or serial == len(samples):
            try:
                ok = await _answered(fuzz_gateways.jt808_port, serial)
            except (OSError, TimeoutError) as error:
                ok = False
                row.findings.append(f"no answer after junk {data[:60].hex()}: {error!r}")
            if not ok:
                row.hangs += 1
    assert row.hangs == 0, row.findings


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = (
    "latitude",
    "longitude",
    "time",
    "speed_kmh",
    "heading_deg",
    "altitude_m",
    "accuracy_m",
    "battery_percent",
)
_OSMAND = (
    "lat",
    "lon",
    "location",
    "timestamp",
    "speed",
    "bearing",
    "heading",
    "altitude",
    "accuracy",
    "batt",
)
_ODD_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(
        [
            "",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "-0",
            "33.6,116.9",
            "9" * 400,
            "1e-400",
            "0x10",
            "2026-13-45T99:99:99Z",
        ]
    ),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
)


def _valid_fix(now: datetime) -> dict[str, Any]:
    return {
        "latitude": 33.641,
        "longitude": 116.976,
        "time": now.isoformat(),
        "accuracy_m": 5.0,
        "battery_percent": 50,
    }


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    shape = draw(st.sampled_from(["random", "mutated", "batch", "bytes"]))
    if shape == "bytes":
        return draw(st.binary(max_size=200))
    if shape == "random":
        value: Any = draw(_JSON)
    else:
        fixes = []
        for _ in range(draw(st.integers(1, 3))):
            fix = _valid_fix(now - timedelta(seconds=draw(st.integers(-100, 100_000))))
            for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=3)):
                fix[name] = draw(_JSON | _ODD_TEXT)
            for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=2)):
                fix.pop(name, None)
            fixes.append(fix)
        value = fixes[0] if shape == "mutated" else {"fixes": fixes}
    return json.dumps(value, allow_nan=True).encode()


osmand_params = st.dictionaries(st.sampled_from((*_OSMAND, "id", "deviceid", "x")), _ODD_TEXT, max_size=8)


def _clear(status: int, body: Any) -> str | None:
    """None if the answer is acceptable, else what is wrong with it."""
    if status >= 500:
        return f"{status}"
    if 200 <= status < 300:
        return None
    if not isinstance(body, dict) or not body.get("error"):
        return f"{status} without an error text: {body!r}"[:300]
    if status == 400:
        violations = body.get("violations") or []
        if not violations or not all(v.get("field") and v.get("description") for v in violations):
            return f"400 without field violations: {body!r}"[:300]
    return None


async def _provision(telemetry: RunningService, auth_secret: str, http_port: int) -> tuple[str, str]:
    channel = open_channel(telemetry.target, token_for(auth_secret, FUZZ_DISTRICT, *Role))
    try:
        answer = await telemetry_pb2_grpc.TelemetryServiceStub(channel).RegisterDevice(
            telemetry_pb2.RegisterDeviceRequest(
                kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                handheld=telemetry_pb2.HandheldApp(app_instance_id="fuzz-app", model="警务通"),
                officer_id="officer-fuzz",
                request_id="fuzz-provision-handheld",
            )
        )
    finally:
        await channel.close()
    return answer.device.device_id, answer.auth_code


async def test_handheld_endpoint_answers_every_request_clearly(
    fuzz_stack: dict[str, RunningService], fuzz_gateways: Gateways, auth_secret: str, fuzz_report: FuzzReport
) -> None:
    device_id, code = await _provision(fuzz_stack["telemetry"], auth_secret, fuzz_gateways.handheld_port)
    base = f"http://127.0.0.1:{fuzz_gateways.handheld_port}"
    auth = aiohttp.BasicAuth(device_id, code)
    findings: list[str] = []
    row_json = fuzz_report.row("handheld HTTP POST /v1/positions (JSON)")
    row_osmand = fuzz_report.row("handheld HTTP OsmAnd (query, form)")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:

        async def valid_post_accepted() -> int:
            body = json.dumps(_valid_fix(datetime.now(UTC).replace(microsecond=0))).encode()
            async with session.post(f"{base}/v1/positions", data=body, auth=auth) as response:
                return response.status

        # The device reaches the gateway's directory through Kafka: wait for it.
        for _ in range(120):
            if await valid_post_accepted() == 200:
                break
            await asyncio.sleep(0.5)
        else:
            pytest.fail("the provisioned handheld never became known to the gateway")

        async def check(row: Any, method: str, path: str, **kwargs: Any) -> None:
            row.inputs += 1
            try:
                async with session.request(method, f"{base}{path}", **kwargs) as response:
                    text = await response.text()
                    status = response.status
            except TimeoutError:
                row.hangs += 1
                findings.append(f"{method} {path}: no answer in 20s ({kwargs!r:.200})")
                return
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            wrong = _clear(status, body)
            if wrong is not None:
                row.crashes += 1
                findings.append(f"{method} {path}: {wrong} on {kwargs!r:.300}")
            elif status >= 300:
                row.rejected += 1

        bodies = [json_bodies().example() for _ in range(EXAMPLES * 10)]
        for n, body in enumerate(bodies):
            who = auth if n % 7 else aiohttp.BasicAuth(device_id, "wrong")
            await check(row_json, "POST", "/v1/positions", data=body, auth=who)
        for n in range(EXAMPLES * 10):
            params = osmand_params.example()
            if n % 3:
                params.setdefault("id", device_id)  # most of them for the real device
            path = "/" if n % 2 else "/osmand"
            if n % 4 < 2:
                await check(row_osmand, "GET", path, params=params, auth=auth)
            else:
                await check(row_osmand, "POST", path, data=params, auth=auth)
        # Still serving.
        assert await valid_post_accepted() == 200
    row_json.findings += [f for f in findings if "/v1/positions" in f]
    row_osmand.findings += [f for f in findings if "/v1/positions" not in f]
    assert not findings, "\n".join(findings[:10])

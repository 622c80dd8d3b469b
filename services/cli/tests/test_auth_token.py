"""`jingwu auth token`: a bearer token for people's own tools, signed with the local key only.

The tool runs through its console entry point ``main([...])``; the token it prints is checked with the
platform's own ``verify_token`` and used against the real personnel service (in-process, real FerretDB
+ Kafka), whose declared access rules must see exactly the roles and district the command was given.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import grpc
import pytest
from jingwu.personnel.v1 import personnel_pb2, personnel_pb2_grpc
from jingwu_cli.main import main
from jingwu_personnel.entrypoints.main import build_runtime as personnel_runtime
from jingwu_platform.auth import InvalidCredential, Role, verify_token
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import refused

from conftest import started

SECRET = "local-test-signing-key-0123456789abcdef"


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def jingwu(capfd: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """`jingwu <args>` in this thread (its own event loop, as a shell runs it): exit code, stdout, stderr."""

    def run(*args: str) -> Ran:
        capfd.readouterr()
        code = main(list(args))
        captured = capfd.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def local_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The signing key in JINGWU_AUTH_SECRET, run from a folder without .data/ or a token around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JINGWU_AUTH_SECRET", SECRET)
    monkeypatch.delenv("JINGWU_TOKEN", raising=False)
    return SECRET


def test_token_names_the_subject_roles_district_and_expiry(
    local_key: str, jingwu: Callable[..., Ran]
) -> None:
    before = time.time()
    ran = jingwu(
        "auth", "token", "--role", "officer", "--role", "supervisor", "--district", "06",
        "--subject", "cli:ann", "--ttl", "30m",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    # stdout is the token and nothing else, so TOKEN=$(jingwu auth token ...) works.
    token = ran.out.strip()
    assert ran.out == token + "\n" and token.count(".") == 2
    caller = verify_token(local_key, token)
    assert caller.subject == "cli:ann"
    assert caller.district == "06"
    assert caller.roles == {Role.OFFICER, Role.SUPERVISOR}
    with pytest.raises(InvalidCredential):
        verify_token("another-key-0123456789abcdef0123456789", token)
    # stderr says whom it names, its roles, district and expiry (district time), and how to use it.
    assert "token for cli:ann · roles officer, supervisor · district 06" in ran.err
    shown = re.search(r"expires (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\+08:00 \(in 30m\)", ran.err)
    assert shown, ran.err
    expires = datetime.fromisoformat(shown.group(1)).replace(tzinfo=timezone(timedelta(hours=8)))
    assert before + 30 * 60 - 2 <= expires.timestamp() <= time.time() + 30 * 60 + 2
    assert "signed with JINGWU_AUTH_SECRET" in ran.err
    assert 'grpcurl -plaintext -H "authorization: Bearer $TOKEN"' in ran.err


def test_defaults_name_the_login_user_for_an_hour(
    local_key: str, jingwu: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "ann")
    ran = jingwu("auth", "token", "--role", "pii_reader", "--district", "01")
    assert ran.code == 0, ran.err
    caller = verify_token(local_key, ran.out.strip())
    assert (caller.subject, caller.district, caller.roles) == ("cli:ann", "01", frozenset({Role.PII_READER}))
    assert "(in 1h)" in ran.err


def test_the_key_make_run_wrote_is_found_from_a_subfolder(
    jingwu: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".data").mkdir()
    (tmp_path / ".data" / "auth-secret").write_text("file-key-0123456789abcdef0123456789\n")
    (tmp_path / "services" / "cli").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "services" / "cli")
    monkeypatch.delenv("JINGWU_AUTH_SECRET", raising=False)
    ran = jingwu("auth", "token", "--role", "district_admin", "--district", "01")
    assert ran.code == 0, ran.err
    assert verify_token("file-key-0123456789abcdef0123456789", ran.out.strip()).roles == {Role.DISTRICT_ADMIN}
    assert f"signed with {tmp_path / '.data' / 'auth-secret'}" in ran.err


def test_without_a_local_key_it_refuses_and_invents_none(
    jingwu: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JINGWU_AUTH_SECRET", raising=False)
    ran = jingwu("auth", "token", "--role", "officer", "--district", "01")
    assert ran.code == 3
    assert ran.out == ""
    assert "no local signing key" in ran.err and ".data/auth-secret" in ran.err
    assert not (tmp_path / ".data").exists()


def test_unknown_role_names_the_field_and_the_valid_roles(local_key: str, jingwu: Callable[..., Ran]) -> None:
    ran = jingwu("auth", "token", "--role", "officer", "--role", "chief", "--district", "01")
    assert ran.code == 2
    assert ran.out == ""
    assert "argument --role: invalid role 'chief'" in ran.err
    assert "district_admin, officer, pii_reader, service, supervisor" in ran.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "officer"], "the following arguments are required: --district"),
        (["--district", "01"], "the following arguments are required: --role"),
        (["--role", "officer", "--district", "1"], "argument --district: invalid district '1'"),
        (["--role", "officer", "--district", "01", "--ttl", "1w"], "argument --ttl: invalid ttl '1w'"),
        (["--role", "officer", "--district", "01", "--ttl", "8d"], "at most 7d"),
        (["--role", "officer", "--district", "01", "--subject", "ann lee"], "argument --subject"),
    ],
)
def test_bad_options_exit_2(
    local_key: str, jingwu: Callable[..., Ran], args: list[str], message: str
) -> None:
    ran = jingwu("auth", "token", *args)
    assert ran.code == 2
    assert message in ran.err and ran.out == ""


@pytest.fixture
async def personnel_port(settings_for: Callable[..., ServiceSettings], district: str) -> AsyncIterator[int]:
    runtime, _consumer = personnel_runtime(settings_for("personnel", district))
    async with started(runtime) as port:
        yield port


@pytest.mark.integration
async def test_a_real_service_accepts_the_token_with_its_roles_and_district(
    personnel_port: int,
    district: str,
    auth_secret: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    channels: list[grpc.aio.Channel],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JINGWU_AUTH_SECRET", auth_secret)  # the key the service verifies with

    async def token(*args: str) -> str:
        capfd.readouterr()
        code = await asyncio.to_thread(main, ["auth", "token", *args])
        out = capfd.readouterr().out
        assert code == 0
        return out.strip()

    def personnel(bearer: str) -> personnel_pb2_grpc.PersonnelServiceAsyncStub:
        channels.append(open_channel(f"127.0.0.1:{personnel_port}", bearer))
        return personnel_pb2_grpc.PersonnelServiceStub(channels[-1])

    officer = personnel(await token("--role", "officer", "--district", district))
    listed = await officer.ListOfficers(personnel_pb2.ListOfficersRequest())
    assert list(listed.officers) == []
    # The roles the command was given are the roles the service sees: an officer may not re-evaluate.
    denied = await refused(officer.EvaluateStaffing(personnel_pb2.EvaluateStaffingRequest()))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "supervisor" in (denied.details() or "")
    supervisor = personnel(await token("--role", "supervisor", "--district", district))
    await supervisor.EvaluateStaffing(personnel_pb2.EvaluateStaffingRequest())
    # A token for another district is refused by this district's service.
    other = "98" if district != "98" else "97"
    stranger = personnel(await token("--role", "district_admin", "--district", other))
    wrong_district = await refused(stranger.ListOfficers(personnel_pb2.ListOfficersRequest()))
    assert wrong_district.code() == grpc.StatusCode.PERMISSION_DENIED

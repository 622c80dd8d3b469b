"""`devstack up / status / env / down` end to end, on free ports in a temp data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jingwu_devstack.procs import ProcessInfo, free_ports, group_members, pid_alive


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    kafka, controller, mongo = free_ports(3)
    env = {
        **os.environ,
        "JINGWU_DATA_DIR": str(tmp_path / "data"),
        "JINGWU_KAFKA_PORT": str(kafka),
        "JINGWU_KAFKA_CONTROLLER_PORT": str(controller),
        "JINGWU_MONGO_PORT": str(mongo),
    }
    yield env
    devstack("down", env=env)  # whatever a failing test left behind


def devstack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jingwu_devstack", *args],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip


def recorded(env: dict[str, str]) -> dict[str, ProcessInfo]:
    state = Path(env["JINGWU_DATA_DIR"]) / "state"
    return {p.stem: ProcessInfo.from_json(p.read_text()) for p in state.glob("*.json")}


def gone(info: ProcessInfo, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(info.pid) and not group_members(info.pgid):
            return True
        time.sleep(0.05)
    return False


def test_up_reuse_status_env_down(stack_env: dict[str, str]) -> None:
    kafka, mongo = stack_env["JINGWU_KAFKA_PORT"], stack_env["JINGWU_MONGO_PORT"]
    up = devstack("up", env=stack_env)
    assert up.returncode == 0, up.stderr
    assert f"✓ kafka        127.0.0.1:{kafka}" in up.stdout
    assert f"✓ ferretdb     127.0.0.1:{mongo}" in up.stdout
    first = recorded(stack_env)
    assert set(first) == {"kafka", "ferretdb"}

    t0 = time.monotonic()
    again = devstack("up", env=stack_env)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - t0 < 5
    assert again.stdout.count("already running") == 2
    assert {n: i.pid for n, i in recorded(stack_env).items()} == {n: i.pid for n, i in first.items()}

    status = devstack("status", env=stack_env)
    assert status.returncode == 0, status.stdout
    assert f"pid {first['kafka'].pid}" in status.stdout

    env = devstack("env", env=stack_env)
    assert env.stdout.splitlines() == [
        f"JINGWU_KAFKA_BOOTSTRAP=127.0.0.1:{kafka}",
        f"JINGWU_MONGO_URL=mongodb://127.0.0.1:{mongo}/?maxPoolSize=1",
    ]

    down = devstack("down", env=stack_env)
    assert down.returncode == 0
    assert "stopped kafka" in down.stdout and "stopped ferretdb" in down.stdout
    for info in first.values():
        assert gone(info), f"{info.name} (pid {info.pid}) survived devstack down"
    assert recorded(stack_env) == {}
    assert devstack("status", env=stack_env).returncode == 3
    assert devstack("down", env=stack_env).stdout.strip() == "nothing running"


def test_up_after_a_crash_starts_afresh(stack_env: dict[str, str]) -> None:
    assert devstack("up", env=stack_env).returncode == 0
    before = recorded(stack_env)
    for info in before.values():
        os.killpg(info.pgid, signal.SIGKILL)  # simulate a crash: the state files are now stale
        assert gone(info)
    status = devstack("status", env=stack_env)
    assert status.returncode == 3 and "kafka        not running" in status.stdout
    up = devstack("up", env=stack_env)
    assert up.returncode == 0, up.stderr
    assert "already running" not in up.stdout
    after = recorded(stack_env)
    assert after["kafka"].pid != before["kafka"].pid  # same data dir: storage reused, not re-formatted


def test_port_in_use_is_reported_clearly(stack_env: dict[str, str]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(stack_env["JINGWU_MONGO_PORT"])))
        blocker.listen()
        up = devstack("up", env=stack_env)
    assert up.returncode == 1
    port = stack_env["JINGWU_MONGO_PORT"]
    assert f"devstack: port {port} is already in use by pid {os.getpid()}" in up.stderr
    assert "cannot start ferretdb" in up.stderr


def _as_in_a_terminal() -> None:
    """SIGINT as a terminal's foreground job has it: a test run started as a background job without job
    control inherits it ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_foreground_up_stops_everything_on_ctrl_c(stack_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "jingwu_devstack", "up", "--foreground"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=stack_env,
        preexec_fn=_as_in_a_terminal,  # noqa: PLW1509 - a test's child, no threads to deadlock
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Ctrl-C stops everything" in line:
            break
    else:
        pytest.fail("".join(lines))
    running = recorded(stack_env)
    assert set(running) == {"kafka", "ferretdb"}
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    for info in running.values():
        assert gone(info), f"{info.name} survived Ctrl-C"
    assert recorded(stack_env) == {}

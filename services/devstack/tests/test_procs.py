"""The generic Supervisor, with real child processes (Python one-liners, sh, sleep)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.procs import (
    PortInUseError,
    ProcessInfo,
    ProcessSpec,
    Supervisor,
    free_port,
    group_members,
    pid_alive,
    read_states,
)

SERVER = textwrap.dedent(
    """
    import socket, sys, time
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen()
    print("listening", flush=True)
    time.sleep(3600)
    """
)


def server_spec(tmp_path: Path, port: int, name: str = "srv", **kw: object) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-c", SERVER, str(port)],
        log_path=tmp_path / name / f"{name}.log",
        ports=[port],
        ready_timeout=20,
        **kw,  # type: ignore[arg-type]
    )


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid) and not group_members(pid):
            return True
        time.sleep(0.05)
    return False


def test_start_prints_one_line_and_stop_leaves_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    port = free_port()
    with Supervisor(out=out) as sup:
        info = sup.start(server_spec(tmp_path, port))
        assert pid_alive(info.pid)
        assert info.pgid == info.pid != os.getpgrp()  # own process group
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    assert wait_gone(info.pid, timeout=0.5)  # stopped synchronously on leaving the block
    line = out.getvalue()
    assert line.startswith("  ✓ srv ")
    assert f"127.0.0.1:{port}" in line
    assert "srv.log" in line
    assert "listening" in (tmp_path / "srv" / "srv.log").read_text()


def test_port_taken_error_names_the_owner(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with Supervisor(out=None) as sup, pytest.raises(PortInUseError) as err:
            sup.start(server_spec(tmp_path, port))
    assert f"port {port} is already in use by pid {os.getpid()}" in str(err.value)
    assert "cannot start srv" in str(err.value)


def test_process_exiting_while_starting_shows_log_tail(tmp_path: Path) -> None:
    spec = ProcessSpec(
        name="crash",
        argv=[sys.executable, "-c", "import sys; print('boom: bad config'); sys.exit(3)"],
        log_path=tmp_path / "crash.log",
        ready=lambda: False,
        ready_timeout=20,
    )
    with Supervisor(out=None) as sup, pytest.raises(DevstackError) as err:
        sup.start(spec)
    assert "crash exited with code 3 while starting" in str(err.value)
    assert "boom: bad config" in str(err.value)


def test_ready_timeout_stops_the_process(tmp_path: Path) -> None:
    spec = ProcessSpec(
        name="slow",
        argv=["sleep", "300"],
        log_path=tmp_path / "slow.log",
        ready=lambda: False,
        ready_timeout=0.5,
    )
    with Supervisor(out=None) as sup:
        with pytest.raises(DevstackError, match=r"slow was not ready within 0\.5 s \(stopped it\)"):
            sup.start(spec)
        assert not sup.processes
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    assert not any(_cmd(pid) == "sleep 300" and _ppid(pid) == os.getpid() for pid in pids)


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return -1


def test_grandchildren_are_stopped_with_the_group(tmp_path: Path) -> None:
    spec = ProcessSpec(
        name="tree", argv=["sh", "-c", "sleep 300 & sleep 300 & wait"], log_path=tmp_path / "t.log"
    )
    with Supervisor(out=None) as sup:
        info = sup.start(spec)
        deadline = time.monotonic() + 5
        while len(group_members(info.pgid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(group_members(info.pgid)) == 3
    assert group_members(info.pgid) == []


def test_process_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    spec = ProcessSpec(
        name="stubborn", argv=[sys.executable, "-c", code], log_path=tmp_path / "s.log", stop_timeout=0.5
    )
    with Supervisor(out=None) as sup:
        info = sup.start(spec)
        t0 = time.monotonic()
        sup.stop("stubborn")
        assert time.monotonic() - t0 < 5
    assert wait_gone(info.pid, timeout=0.5)


def test_keep_running_then_reuse_then_adopt_and_stop(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    first = Supervisor(state_dir=state, keep_running=True, out=None)
    info = first.start(server_spec(tmp_path, port))
    first.detach()
    try:
        assert (state / "srv.json").exists()
        out = io.StringIO()
        t0 = time.monotonic()
        again = Supervisor(state_dir=state, keep_running=True, out=out).start(server_spec(tmp_path, port))
        assert time.monotonic() - t0 < 2
        assert again.reused and again.pid == info.pid
        assert f"already running, pid {info.pid}" in out.getvalue()
        with pytest.raises(DevstackError, match="already running"):  # asked for other ports
            Supervisor(state_dir=state, keep_running=True, out=None).start(server_spec(tmp_path, free_port()))
    finally:
        down = Supervisor(state_dir=state, out=None)
        assert [i.pid for i in down.adopt()] == [info.pid]
        assert [i.name for i in down.stop_all()] == ["srv"]
    assert wait_gone(info.pid, timeout=0.5)
    assert not (state / "srv.json").exists()


def test_reused_process_is_left_running_by_a_foreground_supervisor(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    background = Supervisor(state_dir=state, keep_running=True, out=None)
    info = background.start(server_spec(tmp_path, port))
    try:
        with Supervisor(state_dir=state, out=None) as fg:
            assert fg.start(server_spec(tmp_path, port)).reused
        assert pid_alive(info.pid)
    finally:
        background.stop_all()
    assert wait_gone(info.pid)


def test_stale_state_file_is_discarded(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = ProcessInfo(
        name="srv", pid=dead.pid, pgid=dead.pid, ports=(1,), host="127.0.0.1", log_path="x", started_at=0,
        argv=("true",), start_ticks=1,
    )  # fmt: skip
    (state / "srv.json").write_text(stale.to_json())
    (state / "other.json").write_text(stale.to_json().replace('"srv"', '"other"'))
    (state / "garbage.json").write_text("{not json")
    assert read_states(state) == []
    assert sorted(os.listdir(state)) == []

    (state / "srv.json").write_text(stale.to_json())
    port = free_port()
    with Supervisor(state_dir=state, out=None) as sup:
        info = sup.start(server_spec(tmp_path, port))
        assert not info.reused and info.pid != dead.pid
        assert ProcessInfo.from_json((state / "srv.json").read_text()).pid == info.pid
    assert not (state / "srv.json").exists()


def test_recycled_pid_is_not_mistaken_for_the_recorded_process(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    me = ProcessInfo(
        name="srv", pid=os.getpid(), pgid=os.getpgrp(), ports=(1,), host="127.0.0.1", log_path="x",
        started_at=0, argv=(), start_ticks=1,  # a live pid, but not started at that time
    )  # fmt: skip
    (state / "srv.json").write_text(me.to_json())
    down = Supervisor(state_dir=state, out=None)
    assert down.adopt() == []
    assert down.stop_all() == []  # and, above all, did not signal this test's process group


def test_log_of_previous_run_is_kept(tmp_path: Path) -> None:
    port = free_port()
    for _ in range(2):
        with Supervisor(out=None) as sup:
            sup.start(server_spec(tmp_path, port))
    log = tmp_path / "srv" / "srv.log"
    assert log.read_text().count("starting srv") == 1
    assert (log.parent / "srv.log.1").read_text().count("starting srv") == 1


def test_wait_returns_the_name_of_the_process_that_exited(tmp_path: Path) -> None:
    with Supervisor(out=None) as sup:
        sup.start(ProcessSpec(name="long", argv=["sleep", "300"], log_path=tmp_path / "l.log"))
        sup.start(ProcessSpec(name="short", argv=["sleep", "1"], log_path=tmp_path / "s.log"))
        assert sup.wait(poll_interval=0.05) == "short"


# The supervisor in the foreground, as `make run` in a terminal: SIGINT is Ctrl-C there. A test run
# started as a background job inherits SIGINT ignored (the shell's rule for background jobs), and
# Python then never raises KeyboardInterrupt; the child restores the terminal's handler first.
FOREGROUND = textwrap.dedent(
    """
    import signal
    import sys
    from pathlib import Path
    from jingwu_devstack.procs import ProcessSpec, Supervisor
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Supervisor(out=None) as sup:
        info = sup.start(ProcessSpec(name="child", argv=["sleep", "300"], log_path=Path(sys.argv[1])))
        print(info.pid, flush=True)
        sup.wait()
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_foreground_run_leaves_no_orphans_when_interrupted(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", FOREGROUND, str(tmp_path / "child.log")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    assert pid_alive(child)
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert wait_gone(child, timeout=10), f"child {child} survived {sig.name} of its supervisor"


PYTEST_SESSION = textwrap.dedent(
    """
    from pathlib import Path
    from jingwu_devstack.procs import ProcessSpec

    def test_start(devstack_supervisor, devstack_processes, tmp_path):
        sleep = ["sleep", "300"]
        a = devstack_supervisor.start(ProcessSpec(name="a", argv=sleep, log_path=tmp_path / "a.log"))
        b = devstack_processes.start(ProcessSpec(name="b", argv=sleep, log_path=tmp_path / "b.log"))
        Path(__file__).with_name("pids").write_text(f"{a.pid} {b.pid}")
        ENDING
    """
)


@pytest.mark.parametrize(
    ("ending", "exit_code"),
    [("pass", 0), ("assert False", 1), ("raise KeyboardInterrupt", 2)],
    ids=["pass", "fail", "ctrl-c"],
)
def test_pytest_session_leaves_no_orphans(tmp_path: Path, ending: str, exit_code: int) -> None:
    (tmp_path / "test_inner.py").write_text(PYTEST_SESSION.replace("ENDING", ending))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(tmp_path / "test_inner.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == exit_code, proc.stdout + proc.stderr
    for pid in map(int, (tmp_path / "pids").read_text().split()):
        assert wait_gone(pid, timeout=2), f"pid {pid} outlived the pytest session"


def _waits_for(tmp_path: Path, name: str, other: str) -> ProcessSpec:
    """A process that writes its own file at once and is ready only when ``other``'s file exists too."""
    mine, theirs = tmp_path / f"{name}.up", tmp_path / f"{other}.up"
    code = f"import pathlib, time; pathlib.Path({str(mine)!r}).touch(); time.sleep(300)"
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-c", code],
        log_path=tmp_path / f"{name}.log",
        ready=lambda: mine.exists() and theirs.exists(),
        ready_timeout=20,
    )


def test_start_many_starts_side_by_side_and_announces_each(tmp_path: Path) -> None:
    # Each is ready only once the other has started: one after the other, the first would time out.
    out = io.StringIO()
    with Supervisor(out=out) as sup:
        a, b = sup.start_many([_waits_for(tmp_path, "a", "b"), _waits_for(tmp_path, "b", "a")])
        assert (a.name, b.name) == ("a", "b")
        assert pid_alive(a.pid) and pid_alive(b.pid)
        assert sorted(line.split()[1] for line in out.getvalue().splitlines()) == ["a", "b"]
        # Reused when asked again, with the others started fresh beside them.
        again, c = sup.start_many([_waits_for(tmp_path, "a", "b"), _waits_for(tmp_path, "c", "a")])
        assert again.reused and again.pid == a.pid and not c.reused
    assert wait_gone(a.pid) and wait_gone(c.pid)


def test_start_many_stops_what_it_started_when_one_fails(tmp_path: Path) -> None:
    good = ProcessSpec(name="good", argv=["sleep", "300"], log_path=tmp_path / "good.log")
    crash = ProcessSpec(
        name="crash",
        argv=[sys.executable, "-c", "import sys; print('boom'); sys.exit(4)"],
        log_path=tmp_path / "crash.log",
        ready=lambda: False,
        ready_timeout=20,
    )
    with Supervisor(out=None) as sup:
        with pytest.raises(DevstackError, match="crash exited with code 4 while starting"):
            sup.start_many([good, crash])
        assert not sup.processes
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    assert not any(_cmd(pid) == "sleep 300" and _ppid(pid) == os.getpid() for pid in pids)


def test_start_many_checks_every_port_before_starting_anything(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with Supervisor(out=None) as sup:
            first = server_spec(tmp_path, free_port(), name="first")
            with pytest.raises(PortInUseError, match=f"port {port} is already in use"):
                sup.start_many([first, server_spec(tmp_path, port, name="second")])
            assert not sup.processes
            assert not (tmp_path / "first" / "first.log").exists()
    finally:
        taken.close()

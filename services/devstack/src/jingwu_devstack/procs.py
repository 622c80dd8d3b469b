"""Generic supervision of local processes: start, wait until ready, record, stop — with no orphans.

Usage::

    from jingwu_devstack.procs import ProcessSpec, Supervisor, tcp_ready

    with Supervisor() as sup:                      # stops everything on exit, Ctrl-C, SIGTERM, SIGHUP
        sup.start(ProcessSpec(
            name="rooms",
            argv=[sys.executable, "-m", "jingwu_rooms"],
            log_path=Path(".data/rooms/rooms.log"),
            env={"JINGWU_GRPC_PORT": "50051"},
            ports=[50051],                          # checked free before start; the first is shown
            ready=tcp_ready(50051),                 # default when ``ports`` is given
        ))
        sup.wait()                                  # until one process exits (or Ctrl-C)

Every process runs in its own session and process group (``start_new_session``), so Ctrl-C in the
terminal reaches only the supervising Python process, which then stops the groups in reverse start
order: SIGTERM to the whole group, a grace period, then SIGKILL. Its stdout and stderr go to
``log_path`` (a previous log is kept as ``<log>.1``). A process started from the main thread of a
foreground supervisor also gets ``PR_SET_PDEATHSIG`` (Linux), so it is terminated even if the
supervising Python process is killed with SIGKILL.

With ``state_dir`` set, each process is recorded in ``<state_dir>/<name>.json`` (pid, process group,
ports, start time, log). A later ``start`` of the same name reuses the recorded process while it is
alive (identity checked against the kernel's start time, so a recycled pid is never mistaken for it);
a stale record is discarded. ``keep_running=True`` makes the processes outlive the supervisor
(``devstack up``); ``adopt()`` + ``stop_all()`` stops them later (``devstack down``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Protocol

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import display_path


class Output(Protocol):
    """Where a Supervisor prints its one line per process: any text stream."""

    def write(self, text: str, /) -> object: ...
    def flush(self) -> object: ...


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (pytest and others replace it)."""

    def write(self, text: str, /) -> object:
        return sys.stdout.write(text)

    def flush(self) -> object:
        sys.stdout.flush()
        return None


STDOUT: Output = _CurrentStdout()


class PortInUseError(DevstackError):
    """A port a process needs is taken; the message names the owner when it can be found."""


ReadyCheck = Callable[[], bool]
"""A readiness probe: called repeatedly until it returns True; it should return quickly (≤ ~1 s)."""

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


# --------------------------------------------------------------------------------------------------
# readiness checks and port helpers


def tcp_ready(port: int, host: str = "127.0.0.1") -> ReadyCheck:
    """Return a check that passes once ``host:port`` accepts a TCP connection."""

    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def log_ready(log_path: Path, text: str) -> ReadyCheck:
    """Return a check that passes once ``text`` appears in ``log_path``.

    The supervisor starts every process with a fresh log (the previous one becomes ``<log>.1``), so a
    line from an earlier run never counts.
    """

    def check() -> bool:
        try:
            with log_path.open("rb") as f:
                return text.encode() in f.read()
        except OSError:
            return False

    return check


def all_ready(*checks: ReadyCheck) -> ReadyCheck:
    """Return a check that passes when every one of ``checks`` passes (evaluated in order)."""

    def check() -> bool:
        return all(c() for c in checks)

    return check


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free right now on ``host`` (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Return ``count`` distinct TCP ports that are free right now on ``host``."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for s in socks:
            s.bind((host, 0))
        return [int(s.getsockname()[1]) for s in socks]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return True if a server could bind ``host:port`` now (SO_REUSEADDR, as servers use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def port_owner(port: int) -> str | None:
    """Describe the process listening on TCP ``port`` as ``"pid 123 (java -cp …)"``, if it can be found.

    Reads /proc/net/tcp{,6} and /proc/*/fd (Linux; other users' processes need privileges).
    """
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return f"pid {proc.name} ({_cmdline(int(proc.name))})"
        except OSError:
            continue
    return None


def command_line(pid: int) -> str:
    """The command line of ``pid`` (shortened to 100 characters), ``?`` if it cannot be read."""
    return _cmdline(pid)


def _cmdline(pid: int, limit: int = 100) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# process facts from /proc


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, …]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _start_ticks(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): with the pid, a unique identity."""
    stat = _proc_stat(pid)
    return int(stat[19]) if stat and len(stat) > 19 else None


def pid_alive(pid: int) -> bool:
    """Return True if ``pid`` exists and is not a zombie."""
    stat = _proc_stat(pid)
    if stat is not None:
        return stat[0] not in ("Z", "X")
    if Path("/proc/self/stat").exists():
        return False
    try:  # no /proc: fall back to signal 0
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid: int) -> list[int]:
    """Return the live (non-zombie) pids whose process group is ``pgid``."""
    if not Path("/proc/self/stat").exists():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            stat = _proc_stat(int(proc.name))
            if stat and len(stat) > 2 and stat[2] == str(pgid) and stat[0] not in ("Z", "X"):
                members.append(int(proc.name))
    return members


# --------------------------------------------------------------------------------------------------
# specs and records


@dataclass(frozen=True)
class ProcessSpec:
    """What to run and how to tell it is ready.

    Attributes:
        name: short unique name (lowercase letters, digits, ``-_.``); names the state file.
        argv: the command; ``argv[0]`` is looked up on PATH.
        log_path: file receiving stdout and stderr (parents created; previous log kept as ``.1``).
        env: variables added to (overriding) the supervisor's own environment.
        cwd: working directory (default: the supervisor's).
        ports: TCP ports the process will listen on; each must be free before start. The first is shown.
        host: the address the ports are bound on.
        ready: readiness probe; default ``tcp_ready(ports[0])`` when ports are given, else "still alive
            after 0.5 s".
        ready_timeout: seconds to wait for ``ready`` before giving up (the process is then stopped).
        stop_timeout: seconds between SIGTERM and SIGKILL when stopping.
        precheck: called before a new process is started (not when a running one is reused); raises
            DevstackError to refuse the start (e.g. ``stack.single_replica``: one replica per service and
            district on a local FerretDB).
    """

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    ports: Sequence[int] = ()
    host: str = "127.0.0.1"
    ready: ReadyCheck | None = None
    ready_timeout: float = 60.0
    stop_timeout: float = 10.0
    precheck: Callable[[], None] | None = None


@dataclass(frozen=True)
class ProcessInfo:
    """A started (or reused) process, as recorded in the state file."""

    name: str
    pid: int
    pgid: int
    ports: tuple[int, ...]
    host: str
    log_path: str
    started_at: float
    argv: tuple[str, ...]
    start_ticks: int | None = None
    stop_timeout: float = 10.0
    reused: bool = field(default=False, compare=False)

    @property
    def address(self) -> str:
        """``host:first_port``, or ``-`` for a process without ports."""
        return f"{self.host}:{self.ports[0]}" if self.ports else "-"

    def alive(self) -> bool:
        """True while the recorded process (same pid *and* same kernel start time) is running."""
        if not pid_alive(self.pid):
            return False
        return self.start_ticks is None or _start_ticks(self.pid) == self.start_ticks

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("reused")
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> ProcessInfo:
        data = json.loads(text)
        return cls(
            name=str(data["name"]),
            pid=int(data["pid"]),
            pgid=int(data["pgid"]),
            ports=tuple(int(p) for p in data.get("ports", ())),
            host=str(data.get("host", "127.0.0.1")),
            log_path=str(data["log_path"]),
            started_at=float(data["started_at"]),
            argv=tuple(str(a) for a in data.get("argv", ())),
            start_ticks=None if data.get("start_ticks") is None else int(data["start_ticks"]),
            stop_timeout=float(data.get("stop_timeout", 10.0)),
        )


def read_states(state_dir: Path) -> list[ProcessInfo]:
    """Return the processes recorded in ``state_dir`` that are still alive; delete stale records."""
    live: list[ProcessInfo] = []
    if not state_dir.is_dir():
        return live
    for path in sorted(state_dir.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            info = ProcessInfo.from_json(path.read_text())
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if info.alive():
            live.append(info)
        else:
            path.unlink(missing_ok=True)
    return live


def _stragglers(info: ProcessInfo) -> list[int]:
    """Members of a dead leader's group that provably belong to it (same session, started after it)."""
    if info.start_ticks is None:
        return []
    found = []
    for pid in group_members(info.pgid):
        stat = _proc_stat(pid)
        ticks = _start_ticks(pid)
        if stat and stat[3] == str(info.pgid) and ticks is not None and ticks >= info.start_ticks:
            found.append(pid)
    return found


def stop_process(info: ProcessInfo, popen: subprocess.Popen[bytes] | None = None) -> None:
    """Stop ``info``'s whole process group: SIGTERM, wait ``info.stop_timeout``, then SIGKILL."""
    pgid = info.pgid
    if pgid <= 1 or pgid == os.getpgrp():
        raise DevstackError(f"refusing to signal process group {pgid} of {info.name}")
    if popen is None and not info.alive() and not _stragglers(info):
        return  # the recorded group is gone; its id may belong to someone else now: signal nothing

    def gone(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if popen is not None:
                popen.poll()  # reap our own child so it does not linger as a zombie
            if not group_members(pgid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    for sig, wait in ((signal.SIGTERM, info.stop_timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        if gone(wait):
            break
    if popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=1.0)


# --------------------------------------------------------------------------------------------------
# the supervisor


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive SIGTERM when the spawning thread dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode(errors="replace")
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


class Supervisor:
    """Starts processes from ProcessSpecs and stops them again (see the module docstring).

    Args:
        state_dir: where to record processes (``<name>.json``); None records nothing and never reuses.
        keep_running: False (default): the processes belong to this supervisor and are stopped by
            ``stop_all()``, on leaving the ``with`` block, on SIGTERM/SIGHUP inside it, and at interpreter
            exit. True: they outlive it (needs ``state_dir`` so they can be found and stopped later).
        out: where to print one line per started process (default: the current ``sys.stdout``; None: silent).
    """

    def __init__(
        self, *, state_dir: Path | None = None, keep_running: bool = False, out: Output | None = STDOUT
    ) -> None:
        if keep_running and state_dir is None:
            raise ValueError("keep_running=True needs a state_dir, or nobody could stop the processes")
        self.state_dir = state_dir
        self.keep_running = keep_running
        self.out = out
        self._owned: dict[str, ProcessInfo] = {}  # started or adopted: stop_all() stops these
        self._reused: dict[str, ProcessInfo] = {}  # found running, left alone by stop_all()
        self._popens: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.RLock()
        self._atexit_registered = False
        self._old_handlers: dict[int, object] = {}

    # -- context manager ---------------------------------------------------------------------------

    def __enter__(self) -> Supervisor:
        """Install SIGTERM/SIGHUP handlers (main thread, default handlers only) that raise SystemExit."""
        if not self.keep_running and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is signal.SIG_DFL:
                    self._old_handlers[sig] = signal.signal(sig, _raise_system_exit)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self.keep_running:
                self.stop_all()
        finally:
            for sig, handler in self._old_handlers.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
            self._old_handlers.clear()

    # -- API ---------------------------------------------------------------------------------------

    @property
    def processes(self) -> Mapping[str, ProcessInfo]:
        """The processes this supervisor knows: started, adopted or reused, by name."""
        with self._lock:
            return {**self._reused, **self._owned}

    def start(self, spec: ProcessSpec) -> ProcessInfo:
        """Start ``spec`` (or reuse it if already running) and wait until it is ready.

        Reuse: a process of the same name already started by this supervisor, or recorded alive in
        ``state_dir``, is returned with ``reused=True`` after its readiness check passes.

        Raises:
            DevstackError: ``spec.precheck`` refused, a port is taken (naming the owner when found), the
                process exited while starting, or it was not ready within ``spec.ready_timeout`` (the log
                tail is included; the process is stopped).
        """
        return self.start_many([spec])[0]

    def start_many(self, specs: Sequence[ProcessSpec]) -> list[ProcessInfo]:
        """Start every one of ``specs`` (reusing those already running), then wait until all are ready:
        processes that do not depend on each other start side by side instead of one after the other.
        Each is announced as it becomes ready; the result is in the order of ``specs``.

        Every spec's precheck and ports are checked before anything is started. If one exits or is not
        ready in time, every process this call started is stopped and the error (the first, in the order
        of ``specs``) is raised; the errors are as in ``start``.
        """
        for spec in specs:
            if not spec.name or not set(spec.name) <= _NAME_CHARS:
                raise ValueError(f"invalid process name {spec.name!r}: use lowercase letters, digits, -_.")
        if len({spec.name for spec in specs}) != len(specs):
            raise ValueError(f"process names repeat: {[spec.name for spec in specs]}")
        with self._lock:
            waiting: list[tuple[ProcessSpec, ProcessInfo, subprocess.Popen[bytes] | None, str]] = []
            fresh: list[ProcessSpec] = []
            for spec in specs:
                existing = self._find_running(spec)
                if existing is not None:
                    waiting.append((spec, existing, None, f"already running, pid {existing.pid}"))
                else:
                    fresh.append(spec)
            for spec in fresh:
                self._check_can_start(spec)
            started: list[str] = []
            try:
                for spec in fresh:
                    info, popen = self._launch(spec)
                    started.append(spec.name)
                    waiting.append((spec, info, popen, ""))
                self._await_all_ready(waiting)
            except BaseException:
                for name in reversed(started):
                    self.stop(name)
                raise
            by_name = {spec.name: info for spec, info, _, _ in waiting}
            return [by_name[spec.name] for spec in specs]

    def stop(self, name: str) -> None:
        """Stop the named process (its whole group) and forget it; unknown names are ignored."""
        with self._lock:
            info = self._owned.pop(name, None)
            self._reused.pop(name, None)
            popen = self._popens.pop(name, None)
            if info is None:
                return
            try:
                stop_process(info, popen)
            finally:
                if self.state_dir is not None:
                    path = self._state_path(name)
                    with contextlib.suppress(OSError, ValueError, KeyError):
                        if ProcessInfo.from_json(path.read_text()).pid == info.pid:
                            path.unlink()

    def stop_all(self) -> list[ProcessInfo]:
        """Stop every started or adopted process, newest first; return what was stopped."""
        with self._lock, _signals_deferred():
            stopped = []
            for name in reversed(list(self._owned)):
                info = self._owned[name]
                self.stop(name)
                stopped.append(info)
            return stopped

    def adopt(self) -> list[ProcessInfo]:
        """Take ownership of every live process recorded in ``state_dir`` (so ``stop_all`` stops them)."""
        if self.state_dir is None:
            return []
        with self._lock:
            live = read_states(self.state_dir)
            for info in live:
                self._owned.setdefault(info.name, info)
                self._reused.pop(info.name, None)
            return live

    def detach(self) -> None:
        """Forget all processes without stopping them (their state files stay)."""
        with self._lock:
            self._owned.clear()
            self._reused.clear()
            self._popens.clear()

    def wait(self, poll_interval: float = 0.5) -> str:
        """Block until one of the known processes (started, adopted or reused) exits; return its name.

        Ctrl-C raises KeyboardInterrupt as usual — use inside ``with Supervisor() as sup:`` so that
        everything is stopped afterwards.
        """
        while True:
            with self._lock:
                known = {**self._reused, **self._owned}
                if not known:
                    raise DevstackError("no process to wait for")
                for name, info in known.items():
                    popen = self._popens.get(name)
                    if (popen.poll() is not None) if popen is not None else not info.alive():
                        return name
            time.sleep(poll_interval)

    # -- internals ---------------------------------------------------------------------------------

    def _check_can_start(self, spec: ProcessSpec) -> None:
        if spec.precheck is not None:
            spec.precheck()
        for port in spec.ports:
            if not port_is_free(port, spec.host):
                owner = port_owner(port)
                raise PortInUseError(
                    f"port {port} is already in use by {owner or 'another process'}"
                    f" — cannot start {spec.name}" + ("" if owner else f" (see: ss -ltnp 'sport = :{port}')")
                )

    def _launch(self, spec: ProcessSpec) -> tuple[ProcessInfo, subprocess.Popen[bytes]]:
        """Spawn and record (owned, state file, stopped at exit)."""
        info, popen = self._spawn(spec)
        self._owned[spec.name] = info
        self._popens[spec.name] = popen
        if self.state_dir is not None:
            self._state_path(spec.name).write_text(info.to_json())
        if not self.keep_running and not self._atexit_registered:
            atexit.register(self.stop_all)
            self._atexit_registered = True
        return info, popen

    def _state_path(self, name: str) -> Path:
        assert self.state_dir is not None
        return self.state_dir / f"{name}.json"

    def _find_running(self, spec: ProcessSpec) -> ProcessInfo | None:
        known = self._owned.get(spec.name) or self._reused.get(spec.name)
        if known is not None:
            popen = self._popens.get(spec.name)
            if (popen.poll() is None) if popen is not None else known.alive():
                return ProcessInfo(**{**asdict(known), "reused": True})
            self._owned.pop(spec.name, None)
            self._reused.pop(spec.name, None)
            self._popens.pop(spec.name, None)
        if self.state_dir is None:
            return None
        path = self._state_path(spec.name)
        try:
            recorded = ProcessInfo.from_json(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None
        if not recorded.alive():
            path.unlink(missing_ok=True)  # stale: the process died (or the machine restarted)
            return None
        if spec.ports and tuple(spec.ports) != recorded.ports:
            raise DevstackError(
                f"{spec.name} is already running (pid {recorded.pid}) on port(s) "
                f"{', '.join(map(str, recorded.ports))}, not {', '.join(map(str, spec.ports))}; "
                "stop it first (devstack down)"
            )
        info = ProcessInfo(**{**asdict(recorded), "reused": True})
        self._reused[spec.name] = info
        return info

    def _spawn(self, spec: ProcessSpec) -> tuple[ProcessInfo, subprocess.Popen[bytes]]:
        log_path = spec.log_path.resolve()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists() and log_path.stat().st_size > 0:
            log_path.replace(log_path.with_name(log_path.name + ".1"))
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **(spec.env or {})}
        preexec = None
        if not self.keep_running and threading.current_thread() is threading.main_thread():
            # PDEATHSIG fires when the spawning *thread* ends, so only the main thread is safe.
            preexec = _pdeathsig_preexec()
        with log_path.open("ab") as log:
            log.write(f"# devstack: {time.strftime('%Y-%m-%d %H:%M:%S')} starting {spec.name}: ".encode())
            log.write(" ".join(spec.argv).encode() + b"\n")
            log.flush()
            try:
                popen = subprocess.Popen(
                    list(spec.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=spec.cwd,
                    env=env,
                    start_new_session=True,
                    preexec_fn=preexec,  # noqa: PLW1509 - async-signal-safe prctl only
                )
            except OSError as e:
                raise DevstackError(f"cannot start {spec.name}: {spec.argv[0]}: {e.strerror}") from e
        info = ProcessInfo(
            name=spec.name,
            pid=popen.pid,
            pgid=popen.pid,
            ports=tuple(spec.ports),
            host=spec.host,
            log_path=str(log_path),
            started_at=time.time(),
            argv=tuple(spec.argv),
            start_ticks=_start_ticks(popen.pid),
            stop_timeout=spec.stop_timeout,
        )
        return info, popen

    def _await_all_ready(
        self, waiting: Sequence[tuple[ProcessSpec, ProcessInfo, subprocess.Popen[bytes] | None, str]]
    ) -> None:
        """Poll every process until each is ready, announcing each as it gets there. Raises the first
        failure (in the order given) once every process is either ready or failed."""
        now = time.monotonic()
        pending = {
            spec.name: (spec, info, popen, note, now + spec.ready_timeout, now + 0.5)
            for spec, info, popen, note in waiting
        }
        failures: dict[str, DevstackError] = {}
        while pending:
            for name, (spec, info, popen, note, deadline, settle) in list(pending.items()):
                try:
                    ready = self._ready_now(spec, info, popen, deadline, settle)
                except DevstackError as error:
                    failures[name] = error
                    del pending[name]
                    continue
                if ready:
                    del pending[name]
                    self._say(info, note)
            if pending:
                time.sleep(0.1)
        for spec, _, _, _ in waiting:
            if spec.name in failures:
                raise failures[spec.name]

    def _ready_now(
        self,
        spec: ProcessSpec,
        info: ProcessInfo,
        popen: subprocess.Popen[bytes] | None,
        deadline: float,
        settle: float,
    ) -> bool:
        """Whether the process is ready now; raises if it exited or its time is up."""
        ready = spec.ready
        if ready is None and spec.ports:
            ready = tcp_ready(spec.ports[0], spec.host)
        log = Path(info.log_path)
        code = popen.poll() if popen is not None else (None if info.alive() else -1)
        if code is not None:
            how = f"with code {code}" if code >= 0 else f"on signal {-code}"
            if popen is None:
                how = "unexpectedly"
            raise DevstackError(
                f"{spec.name} exited {how} while starting; last lines of {display_path(log)}:\n{_tail(log)}"
            )
        if ready() if ready is not None else time.monotonic() >= settle:
            return True
        if time.monotonic() >= deadline:
            raise DevstackError(
                f"{spec.name} was not ready within {spec.ready_timeout:g} s (stopped it); "
                f"last lines of {display_path(log)}:\n{_tail(log)}"
            )
        return False

    def _say(self, info: ProcessInfo, note: str = "") -> None:
        if self.out is None:
            return
        extra = f"{note}; " if note else ""
        self.out.write(
            f"  ✓ {info.name:<12} {info.address:<16} ({extra}log: {display_path(Path(info.log_path))})\n"
        )
        self.out.flush()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM/SIGHUP while cleaning up (main thread only), so a second Ctrl-C or a
    SIGTERM cannot abandon a half-stopped process group; the old handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            if handler is not None:
                signal.signal(sig, handler)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def supervised(*specs: ProcessSpec, out: Output | None = STDOUT) -> Iterator[Supervisor]:
    """Start ``specs`` in order under a foreground Supervisor; stop them all when the block ends."""
    with Supervisor(out=out) as sup:
        for spec in specs:
            sup.start(spec)
        yield sup
